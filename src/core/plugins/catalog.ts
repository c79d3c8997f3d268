// The plugins a site could install: the bundled ones (plugins/<name>/) and npm packages beside
// shopdb (`shopdb-plugin-<name>`, or any package whose package.json says `"shopdb": {"plugin":
// true}`). Each manifest is checked; a plugin that is invalid, made for another shopdb, or whose
// dependencies are unknown or circular is reported and kept out of use — it never stops the rest.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { satisfies } from './versions.js';
import type { LoadedConfig } from '../config/index.js';
import { NotFoundError, UserError } from '../errors.js';
import { pluginMigrationTable, type MigrationSourceSpec } from '../migrations/sources.js';
import { packageRoot, runningCompiled, shopdbVersion } from '../paths.js';
import { registerSdkResolution } from './sdk-resolution.js';
import { LOCAL_PLUGINS_DIR } from './scaffold.js';
import { manifestProblems, PluginManifestError, type PluginManifest } from './manifest.js';

export interface PluginOrigin {
  kind: 'bundled' | 'package';
  /** The module that exports the manifest. */
  entry: string;
  /** npm package name, for packages. */
  packageName?: string;
}

export interface AvailablePlugin {
  manifest: PluginManifest;
  origin: PluginOrigin;
  /** Absolute migrations folder, or null when the plugin has no schema of its own. */
  migrationsDir: string | null;
  /** Why it cannot be used on this site (incompatible core, unknown or circular dependency); empty when usable. */
  problems: string[];
}

export interface InvalidPlugin {
  /** The plugin's name when the manifest gave one, else where it was found. */
  name: string;
  origin: PluginOrigin;
  error: PluginManifestError | UserError;
}

export interface PluginCatalog {
  coreVersion: string;
  plugins: AvailablePlugin[];
  invalid: InvalidPlugin[];
}

export interface CatalogOptions {
  coreVersion: string;
  /** Folder of bundled plugins; defaults to plugins/ (sources) or dist/plugins/ (compiled). */
  bundledDir?: string;
  /** node_modules folders to scan for plugin packages. */
  packageDirs?: string[];
}

export const bundledPluginsDir = runningCompiled ? join(packageRoot, 'dist', 'plugins') : join(packageRoot, 'plugins');

/** The core version plugins are checked against (re-exported for the benches and tests that build catalogs). */
export { shopdbVersion };

/**
 * Where a site's plugin packages may live: shopdb's own node_modules, node_modules and
 * local-plugins/ beside the .env (where `shopdb plugin new` writes), and SHOPDB_PLUGIN_DIRS.
 */
export function pluginPackageDirs(config: LoadedConfig): string[] {
  const dirs = [
    join(packageRoot, 'node_modules'),
    join(config.baseDir, 'node_modules'),
    join(config.baseDir, LOCAL_PLUGINS_DIR),
    ...config.values.SHOPDB_PLUGIN_DIRS.map((dir) => resolve(config.baseDir, dir)),
  ];
  return [...new Set(dirs)];
}

export function catalogOptionsFromConfig(config: LoadedConfig): CatalogOptions {
  return { coreVersion: shopdbVersion(), packageDirs: pluginPackageDirs(config) };
}

function entryOfFolder(folder: string): string | undefined {
  // Compiled JavaScript first: a bundled folder in dist/ has only .js; the sources only .ts.
  for (const file of ['index.js', 'index.ts']) if (existsSync(join(folder, file))) return join(folder, file);
  return undefined;
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((entry) => !entry.startsWith('.'))
      .filter((entry) => statSync(join(dir, entry)).isDirectory())
      .sort();
  } catch {
    return [];
  }
}

interface PackageJson {
  name?: string;
  main?: string;
  exports?: unknown;
  shopdb?: { plugin?: boolean };
}

function packageEntry(root: string, pkg: PackageJson): string {
  const exported = typeof pkg.exports === 'string' ? pkg.exports : (pkg.exports as Record<string, unknown> | undefined)?.['.'];
  const target = typeof exported === 'string' ? exported : (pkg.main ?? 'index.js');
  return resolve(root, target);
}

/** The plugin packages in one node_modules folder (scoped ones too). */
function findPackages(nodeModules: string): PluginOrigin[] {
  const found: PluginOrigin[] = [];
  const consider = (root: string) => {
    const file = join(root, 'package.json');
    if (!existsSync(file)) return;
    let pkg: PackageJson;
    try {
      pkg = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
    } catch {
      return;
    }
    const named = typeof pkg.name === 'string' && /^(@[^/]+\/)?shopdb-plugin-[a-z0-9-]+$/.test(pkg.name);
    if (named || pkg.shopdb?.plugin === true) found.push({ kind: 'package', entry: packageEntry(root, pkg), packageName: pkg.name });
  };
  for (const entry of listDirs(nodeModules)) {
    if (entry.startsWith('@')) for (const scoped of listDirs(join(nodeModules, entry))) consider(join(nodeModules, entry, scoped));
    else consider(join(nodeModules, entry));
  }
  return found;
}

async function importManifest(origin: PluginOrigin): Promise<unknown> {
  if (origin.kind === 'package') registerSdkResolution();
  const module = (await import(pathToFileURL(origin.entry).href)) as { default?: unknown; plugin?: unknown };
  return module.default ?? module.plugin;
}

function describeOrigin(origin: PluginOrigin): string {
  return origin.kind === 'bundled' ? `bundled plugin ${origin.entry}` : `package ${origin.packageName ?? origin.entry}`;
}

/** Marks plugins whose dependencies are unknown, unusable or circular (and those that depend on them). */
function checkDependencies(plugins: AvailablePlugin[]): void {
  const byName = new Map(plugins.map((p) => [p.manifest.name, p]));
  for (const plugin of plugins) {
    for (const dependency of plugin.manifest.dependsOn ?? []) {
      if (!byName.has(dependency)) plugin.problems.push(`dependsOn: "${dependency}" is not an available plugin`);
    }
  }
  // Cycles: a depth-first walk; a plugin met again while still on the path closes a loop.
  const state = new Map<string, 'visiting' | 'done'>();
  const walk = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const loop = [...path.slice(path.indexOf(name)), name];
      for (const member of new Set(loop)) {
        const problem = `dependsOn: circular dependency ${loop.join(' → ')}`;
        const plugin = byName.get(member)!;
        if (!plugin.problems.includes(problem)) plugin.problems.push(problem);
      }
      return;
    }
    state.set(name, 'visiting');
    for (const dependency of byName.get(name)?.manifest.dependsOn ?? []) if (byName.has(dependency)) walk(dependency, [...path, name]);
    state.set(name, 'done');
  };
  for (const plugin of plugins) walk(plugin.manifest.name, []);
  // A plugin is only as usable as what it needs (repeat until nothing changes: chains).
  let changed = true;
  while (changed) {
    changed = false;
    for (const plugin of plugins) {
      if (plugin.problems.length > 0) continue;
      const broken = (plugin.manifest.dependsOn ?? []).find((d) => (byName.get(d)?.problems.length ?? 0) > 0);
      if (broken) {
        plugin.problems.push(`dependsOn: "${broken}" cannot be used (${byName.get(broken)!.problems[0]})`);
        changed = true;
      }
    }
  }
}

export async function loadPluginCatalog(options: CatalogOptions): Promise<PluginCatalog> {
  const bundledDir = options.bundledDir ?? bundledPluginsDir;
  const origins: PluginOrigin[] = [];
  for (const folder of listDirs(bundledDir)) {
    const entry = entryOfFolder(join(bundledDir, folder));
    if (entry) origins.push({ kind: 'bundled', entry });
  }
  for (const dir of options.packageDirs ?? []) origins.push(...findPackages(dir));

  const plugins: AvailablePlugin[] = [];
  const invalid: InvalidPlugin[] = [];
  for (const origin of origins) {
    let raw: unknown;
    try {
      raw = await importManifest(origin);
    } catch (error) {
      invalid.push({
        name: origin.packageName ?? origin.entry,
        origin,
        error: new UserError(`The ${describeOrigin(origin)} could not be loaded: ${(error as Error).message}`, {
          suggestion: 'Reinstall the plugin package, or remove it from node_modules.',
          cause: error,
        }),
      });
      continue;
    }
    const problems = manifestProblems(raw);
    const name =
      typeof (raw as { name?: unknown })?.name === 'string' && (raw as { name: string }).name !== ''
        ? (raw as { name: string }).name
        : (origin.packageName ?? origin.entry);
    if (problems.length > 0) {
      invalid.push({ name, origin, error: new PluginManifestError(name, problems) });
      continue;
    }
    const manifest = raw as PluginManifest;
    const twin = plugins.find((p) => p.manifest.name === manifest.name);
    if (twin) {
      invalid.push({
        name,
        origin,
        error: new UserError(
          `Two plugins are named "${name}": the ${describeOrigin(twin.origin)} and the ${describeOrigin(origin)}; the second is ignored`,
          {
            suggestion: 'Uninstall one of the two packages.',
          },
        ),
      });
      continue;
    }
    const pluginProblems: string[] = [];
    if (!satisfies(options.coreVersion, manifest.core, { includePrerelease: true })) {
      pluginProblems.push(`core: needs shopdb ${manifest.core}, this is ${options.coreVersion}`);
    }
    const migrationsDir = manifest.migrations ? resolve(dirname(origin.entry), manifest.migrations) : null;
    plugins.push({ manifest, origin, migrationsDir, problems: pluginProblems });
  }
  checkDependencies(plugins);
  plugins.sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
  return { coreVersion: options.coreVersion, plugins, invalid };
}

export function findPlugin(catalog: PluginCatalog, name: string): AvailablePlugin {
  const plugin = catalog.plugins.find((p) => p.manifest.name === name);
  if (plugin) return plugin;
  const invalid = catalog.invalid.find((p) => p.name === name);
  if (invalid) throw invalid.error;
  const names = catalog.plugins.map((p) => p.manifest.name);
  throw new NotFoundError(`There is no plugin named "${name}"`, {
    suggestion:
      names.length > 0
        ? `Available plugins: ${names.join(', ')}. \`shopdb plugin list\` shows them all.`
        : 'No plugins are available; see docs/PLUGIN-QUICKSTART.md.',
  });
}

/** A usable plugin, or an error saying why it cannot be used here. */
export function usablePlugin(catalog: PluginCatalog, name: string): AvailablePlugin {
  const plugin = findPlugin(catalog, name);
  if (plugin.problems.length > 0) {
    throw new UserError(`Plugin "${name}" cannot be used on this site: ${plugin.problems.join('; ')}`, {
      suggestion: plugin.problems.some((p) => p.startsWith('core:'))
        ? `Install a version of the plugin made for shopdb ${catalog.coreVersion}, or update shopdb.`
        : 'Install the plugins it depends on, or fix its dependsOn.',
    });
  }
  return plugin;
}

/**
 * `names` and everything they depend on, dependencies first (a stable topological order: ties
 * alphabetical). Every plugin must be usable.
 */
export function withDependencies(catalog: PluginCatalog, names: readonly string[]): AvailablePlugin[] {
  const ordered: AvailablePlugin[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const plugin = usablePlugin(catalog, name);
    for (const dependency of [...(plugin.manifest.dependsOn ?? [])].sort()) visit(dependency);
    ordered.push(plugin);
  };
  for (const name of [...names].sort()) visit(name);
  return ordered;
}

/** Plugins of the catalog that depend on `name`, directly or not. */
export function dependentsOf(catalog: PluginCatalog, name: string): string[] {
  const result = new Set<string>();
  let frontier = [name];
  while (frontier.length > 0) {
    const next = catalog.plugins.filter((p) => (p.manifest.dependsOn ?? []).some((d) => frontier.includes(d))).map((p) => p.manifest.name);
    frontier = next.filter((n) => !result.has(n));
    for (const n of frontier) result.add(n);
  }
  return [...result].sort();
}

export function pluginMigrationSource(plugin: AvailablePlugin): MigrationSourceSpec | null {
  if (!plugin.migrationsDir) return null;
  const { name } = plugin.manifest;
  return { id: `plugin:${name}`, label: `plugin ${name}`, tableName: pluginMigrationTable(name), directory: plugin.migrationsDir };
}

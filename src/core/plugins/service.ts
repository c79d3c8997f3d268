// What `shopdb plugin …` does to a site: install (dependencies first: migrations, asset types,
// seed, install hook, state), enable and disable (never leaving an enabled plugin without what
// it needs), upgrade, uninstall — which with `purge` removes every trace of the plugin — and the
// seed of the enabled plugins. Listing and holdings are in ./listing.ts, the session in ./session.ts.

import type { Knex } from 'knex';
import { eq, lt } from './versions.js';
import { inTransaction } from '../db/transaction.js';
import { encodeRow } from '../db/values.js';
import { listTables } from '../db/schema.js';
import { ConflictError, UserError } from '../errors.js';
import { FAILURES_TABLE, migrateLatest, migrateRollback, type MigrateOptions, type SourceMigrationResult } from '../migrations/service.js';
import type { MigrationSourceSpec } from '../migrations/sources.js';
import { PluginRuntime } from './runtime.js';
import {
  dependentsOf,
  findPlugin,
  pluginMigrationSource,
  usablePlugin,
  withDependencies,
  type AvailablePlugin,
  type PluginCatalog,
} from './catalog.js';
import { tablePrefixOf } from './manifest.js';
import {
  assertCoreMigrated,
  findInstalled,
  forgetInstalled,
  listInstalled,
  recordInstalled,
  recordVersion,
  setEnabled,
  type InstalledPlugin,
} from './state.js';
import { withSchemaLock } from '../migrations/schema-lock.js';
import { knownPluginNames, pluginHoldings, pluginTables, tableOwner, type PluginHoldings } from './listing.js';
import { noop, runHook, runSeed, type PluginSession } from './session.js';

export type { PluginSession } from './session.js';

/** How long a plugin install, upgrade or uninstall waits for another run changing the schema. */
const PLUGIN_SCHEMA_WAIT_SECONDS = 300;

async function syncAssetTypes(trx: Knex.Transaction, plugin: AvailablePlugin): Promise<void> {
  const { name } = plugin.manifest;
  for (const type of plugin.manifest.assetTypes ?? []) {
    const existing = (await trx('asset_types').where({ key: type.key }).first()) as { id: number; plugin: string | null } | undefined;
    const row = encodeRow({ fields: 'json' }, { label: type.label, fields: type.fields, plugin: name });
    if (!existing) await trx('asset_types').insert({ key: type.key, ...row });
    else if (existing.plugin === name) await trx('asset_types').where({ id: existing.id }).update(row);
    else {
      throw new ConflictError(
        `Plugin "${name}" contributes asset type "${type.key}", which ${existing.plugin ? `plugin "${existing.plugin}"` : 'the site'} already has`,
        {
          suggestion: existing.plugin
            ? `Uninstall plugin "${existing.plugin}" first, or do not use both.`
            : "Rename the site's own asset type (or remove it if no asset uses it), then install again.",
        },
      );
    }
  }
}

/**
 * Applies a plugin's pending migrations, then checks that every table they created is the
 * plugin's own (its prefix, not a longer prefix of another plugin). If not, exactly what this
 * run applied is rolled back — never earlier migrations, which may hold the site's data.
 */
export async function migratePlugin(
  db: Knex,
  catalog: PluginCatalog,
  plugin: AvailablePlugin,
  options: MigrateOptions = {},
): Promise<SourceMigrationResult | null> {
  const source = pluginMigrationSource(plugin);
  if (!source) return null;
  const { name } = plugin.manifest;
  const before = new Set(await listTables(db));
  const [result] = await migrateLatest(db, [source], options);
  const names = await knownPluginNames(db, catalog);
  names.add(name);
  const foreign = (await listTables(db)).filter(
    (table) => !before.has(table) && !table.startsWith(source.tableName) && tableOwner(table, names) !== name,
  );
  if (foreign.length > 0) {
    if (result!.applied.length > 0) await migrateRollback(db, source, { step: result!.applied.length });
    const prefix = tablePrefixOf(name);
    throw new UserError(`Plugin "${name}" created tables that are not its own (its prefix is "${prefix}"): ${foreign.join(', ')}`, {
      suggestion: `The migrations of this run were rolled back (${result!.applied.join(', ')}). A plugin's tables must be named ${prefix}…, and not with another plugin's prefix (docs/PLUGIN-HOOKS.md).`,
    });
  }
  return result!;
}

async function migrateForInstall(session: PluginSession, plugin: AvailablePlugin): Promise<string[]> {
  return (await migratePlugin(session.db, session.catalog, plugin))?.applied ?? [];
}

/** `shopdb migrate`'s part for plugins: every installed plugin's pending migrations, in dependency order, each checked. */
export async function migrateInstalledPlugins(
  db: Knex,
  catalog: PluginCatalog,
  options: MigrateOptions = {},
): Promise<SourceMigrationResult[]> {
  if (!(await db.schema.hasTable('installed_plugins'))) return [];
  return withSchemaLock(db, 'migrate (plugins)', { waitSeconds: options.waitSeconds }, () =>
    migrateInstalledPluginsLocked(db, catalog, options),
  );
}

async function migrateInstalledPluginsLocked(db: Knex, catalog: PluginCatalog, options: MigrateOptions): Promise<SourceMigrationResult[]> {
  const { plugins } = await installedPlugins(db, catalog);
  const results: SourceMigrationResult[] = [];
  for (const { plugin } of plugins) {
    const result = await migratePlugin(db, catalog, plugin, options);
    if (result) results.push(result);
  }
  return results;
}

export interface InstallResult {
  name: string;
  version: string;
  /** installed: new on this site; enabled: was installed but disabled; upgraded: a newer version; unchanged: nothing to do. */
  action: 'installed' | 'enabled' | 'upgraded' | 'unchanged';
  migrations: string[];
}

/**
 * Installs `names` (or every usable plugin with `all`) and what they depend on, dependencies
 * first. Idempotent: an installed, enabled, current plugin is left as it is. Each plugin is one
 * unit: if a step fails, what that plugin did is undone and the plugins before it stay.
 */
export async function installPlugins(session: PluginSession, request: { names: string[]; all?: boolean }): Promise<InstallResult[]> {
  await assertCoreMigrated(session.db);
  const what = `plugin install ${request.all ? '--all' : request.names.join(' ')}`;
  return withSchemaLock(session.db, what, { waitSeconds: PLUGIN_SCHEMA_WAIT_SECONDS }, () => installPluginsLocked(session, request));
}

async function installPluginsLocked(session: PluginSession, request: { names: string[]; all?: boolean }): Promise<InstallResult[]> {
  const names = request.all ? session.catalog.plugins.filter((p) => p.problems.length === 0).map((p) => p.manifest.name) : request.names;
  if (names.length === 0) {
    throw new UserError(request.all ? 'There are no usable plugins to install' : 'Name the plugins to install', {
      suggestion: request.all
        ? '`shopdb plugin list` shows what is available and why a plugin cannot be used.'
        : 'Give one or more names (`shopdb plugin list` shows them), or use --all.',
    });
  }
  const results: InstallResult[] = [];
  for (const plugin of withDependencies(session.catalog, names)) results.push(await installOne(session, plugin));
  return results;
}

async function installOne(session: PluginSession, plugin: AvailablePlugin): Promise<InstallResult> {
  const { name, version } = plugin.manifest;
  const state = await findInstalled(session.db, name);
  if (state && lt(version, state.version)) {
    throw new UserError(`Plugin "${name}" ${state.version} is installed, but this shopdb has the older ${version}`, {
      suggestion:
        'Downgrading a plugin is not supported: install the newer plugin package again, or restore a backup taken before it was upgraded.',
    });
  }
  if (state?.enabled && state.version === version) {
    const migrations = await migrateForInstall(session, plugin);
    return { name, version, action: 'unchanged', migrations };
  }
  session.log?.(`${state ? 'Updating' : 'Installing'} plugin ${name} ${version}`);
  const migrations = await migrateForInstall(session, plugin);
  try {
    await inTransaction(session.db, async (trx) => {
      await syncAssetTypes(trx, plugin);
      await runSeed(session, trx, plugin, false);
      if (!state) await runHook(session, trx, plugin, 'install');
      else if (!state.enabled) await runHook(session, trx, plugin, 'enable');
      await recordInstalled(trx, name, version);
    });
  } catch (error) {
    // A fresh install leaves nothing behind: its schema goes with it.
    const source = pluginMigrationSource(plugin);
    if (!state && source) await migrateRollback(session.db, source, { all: true }).catch(noop);
    throw error;
  }
  const action = !state ? 'installed' : state.version !== version ? 'upgraded' : 'enabled';
  return { name, version, action, migrations };
}

/** Installed plugins of the site whose files are here, in dependency order. */
export async function installedPlugins(
  db: Knex,
  catalog: PluginCatalog,
): Promise<{ plugins: Array<{ plugin: AvailablePlugin; state: InstalledPlugin }>; missing: string[] }> {
  const installed = await listInstalled(db);
  const available = installed.filter((state) => catalog.plugins.some((p) => p.manifest.name === state.name && p.problems.length === 0));
  const missing = installed.filter((state) => !available.includes(state)).map((state) => state.name);
  const ordered = orderedSubset(
    catalog,
    available.map((s) => s.name),
  );
  return { plugins: ordered.map((plugin) => ({ plugin, state: available.find((s) => s.name === plugin.manifest.name)! })), missing };
}

/** `names` in dependency order, without adding their dependencies. */
function orderedSubset(catalog: PluginCatalog, names: string[]): AvailablePlugin[] {
  return withDependencies(catalog, names).filter((p) => names.includes(p.manifest.name));
}

/** The migration sources of the installed plugins, in dependency order (after the core). */
export async function installedPluginSources(db: Knex, catalog: PluginCatalog): Promise<MigrationSourceSpec[]> {
  if (!(await db.schema.hasTable('installed_plugins'))) return [];
  const { plugins } = await installedPlugins(db, catalog);
  return plugins.map(({ plugin }) => pluginMigrationSource(plugin)).filter((s): s is MigrationSourceSpec => s !== null);
}

async function requireInstalled(session: PluginSession, name: string): Promise<InstalledPlugin> {
  await assertCoreMigrated(session.db);
  const state = await findInstalled(session.db, name);
  if (!state) {
    findPlugin(session.catalog, name);
    throw new UserError(`Plugin "${name}" is not installed on this site`, {
      suggestion: `Install it with \`shopdb plugin install ${name}\`.`,
    });
  }
  return state;
}

export interface StateChange {
  name: string;
  enabled: boolean;
  changed: boolean;
}

export async function enablePlugin(session: PluginSession, name: string): Promise<StateChange> {
  const state = await requireInstalled(session, name);
  const plugin = usablePlugin(session.catalog, name);
  if (state.enabled) return { name, enabled: true, changed: false };
  const installed = await listInstalled(session.db);
  const off = (plugin.manifest.dependsOn ?? []).filter((d) => !installed.find((s) => s.name === d)?.enabled);
  if (off.length > 0) {
    throw new UserError(
      `Plugin "${name}" needs ${off.map((d) => `"${d}"`).join(', ')}, which ${off.length > 1 ? 'are' : 'is'} not enabled`,
      {
        suggestion: `Enable ${off.join(', ')} first (\`shopdb plugin enable ${off[0]}\`), or install ${off.length > 1 ? 'them' : 'it'}.`,
      },
    );
  }
  await inTransaction(session.db, async (trx) => {
    await runHook(session, trx, plugin, 'enable');
    await setEnabled(trx, name, true);
  });
  return { name, enabled: true, changed: true };
}

export async function disablePlugin(session: PluginSession, name: string): Promise<StateChange> {
  const state = await requireInstalled(session, name);
  if (!state.enabled) return { name, enabled: false, changed: false };
  const installed = await listInstalled(session.db);
  const needing = session.catalog.plugins
    .filter((p) => (p.manifest.dependsOn ?? []).includes(name))
    .map((p) => p.manifest.name)
    .filter((dependent) => installed.find((s) => s.name === dependent)?.enabled);
  if (needing.length > 0) {
    throw new ConflictError(
      `Plugin "${name}" cannot be disabled: ${needing.map((n) => `"${n}"`).join(', ')} depend${needing.length > 1 ? '' : 's'} on it and ${needing.length > 1 ? 'are' : 'is'} enabled`,
      {
        suggestion: `Disable ${needing.join(', ')} first.`,
      },
    );
  }
  const plugin = session.catalog.plugins.find((p) => p.manifest.name === name);
  await inTransaction(session.db, async (trx) => {
    if (plugin) await runHook(session, trx, plugin, 'disable');
    await setEnabled(trx, name, false);
  });
  return { name, enabled: false, changed: true };
}

export interface UninstallOptions {
  purge?: boolean;
  /** Called before anything is removed when purging a plugin that holds data (the CLI asks, then takes a safety backup). */
  beforePurge?: (holdings: PluginHoldings) => Promise<void>;
}

export interface UninstallResult {
  name: string;
  purged: boolean;
  removed: { tables: string[]; rows: number; assets: number; migrations: string[] };
}

export async function uninstallPlugin(session: PluginSession, name: string, options: UninstallOptions = {}): Promise<UninstallResult> {
  return withSchemaLock(session.db, `plugin uninstall ${name}`, { waitSeconds: PLUGIN_SCHEMA_WAIT_SECONDS }, () =>
    uninstallPluginLocked(session, name, options),
  );
}

async function uninstallPluginLocked(session: PluginSession, name: string, options: UninstallOptions): Promise<UninstallResult> {
  await requireInstalled(session, name);
  const plugin = session.catalog.plugins.find((p) => p.manifest.name === name);
  if (!plugin) {
    throw new UserError(`Plugin "${name}" is installed, but its files are not available, so its migrations cannot be rolled back`, {
      suggestion: 'Put the plugin package back (the same version), then uninstall it.',
    });
  }
  const installed = await listInstalled(session.db);
  const dependents = dependentsOf(session.catalog, name).filter((d) => installed.some((s) => s.name === d));
  if (dependents.length > 0) {
    throw new ConflictError(
      `Plugin "${name}" cannot be uninstalled: ${dependents.map((d) => `"${d}"`).join(', ')} depend${dependents.length > 1 ? '' : 's'} on it`,
      {
        suggestion: `Uninstall ${dependents.join(', ')} first.`,
      },
    );
  }
  const holdings = await pluginHoldings(session.db, name, session.catalog);
  if (holdings.total > 0 && !options.purge) {
    const what = [
      ...holdings.tables.filter((t) => t.rows > 0).map((t) => `${t.table}: ${t.rows}`),
      ...(holdings.assets > 0 ? [`assets of its types: ${holdings.assets}`] : []),
    ];
    throw new ConflictError(`Plugin "${name}" holds data on this site (${what.join(', ')})`, {
      suggestion: `Keep it (\`shopdb plugin disable ${name}\` hides it), or remove it with its data: \`shopdb plugin uninstall ${name} --purge\` (takes a backup first).`,
    });
  }
  if (holdings.total > 0) await options.beforePurge?.(holdings);

  session.log?.(`Uninstalling plugin ${name}`);
  await runHook(session, session.db, plugin, 'uninstall');
  const source = pluginMigrationSource(plugin);
  const rolledBack = source ? (await migrateRollback(session.db, source, { all: true })).applied : [];
  await inTransaction(session.db, async (trx) => {
    const typeIds = trx('asset_types').select('id').where({ plugin: name });
    // Links and floor positions of these assets go with them (ON DELETE CASCADE); the audit log keeps its history.
    await trx('assets').whereIn('type_id', typeIds).delete();
    await trx('asset_types').where({ plugin: name }).delete();
    await forgetInstalled(trx, name);
    if (source && (await trx.schema.hasTable(FAILURES_TABLE))) await trx(FAILURES_TABLE).where({ source_id: source.id }).delete();
  });
  if (source) {
    await session.db.schema.dropTableIfExists(`${source.tableName}_lock`);
    await session.db.schema.dropTableIfExists(source.tableName);
  }
  const left = await pluginTables(session.db, name, session.catalog);
  if (left.length > 0) {
    throw new UserError(`Plugin "${name}" was uninstalled, but its migrations left tables behind: ${left.join(', ')}`, {
      suggestion:
        'Its down() migrations do not drop everything its up() created; report it to the plugin author and drop those tables by hand.',
    });
  }
  return {
    name,
    purged: holdings.total > 0,
    removed: {
      tables: holdings.tables.map((t) => t.table),
      rows: holdings.total - holdings.assets,
      assets: holdings.assets,
      migrations: rolledBack,
    },
  };
}

/** Applies what newer plugin versions bring (migrations, asset types, seed); `names` defaults to every installed plugin. */
export async function upgradePlugins(session: PluginSession, names?: string[]): Promise<InstallResult[]> {
  await assertCoreMigrated(session.db);
  return withSchemaLock(session.db, `plugin upgrade ${names?.join(' ') ?? ''}`.trim(), { waitSeconds: PLUGIN_SCHEMA_WAIT_SECONDS }, () =>
    upgradePluginsLocked(session, names),
  );
}

async function upgradePluginsLocked(session: PluginSession, names?: string[]): Promise<InstallResult[]> {
  const installed = await listInstalled(session.db);
  const targets = names && names.length > 0 ? names : installed.map((s) => s.name);
  for (const name of targets) await requireInstalled(session, name);
  const results: InstallResult[] = [];
  for (const plugin of orderedSubset(session.catalog, targets)) {
    const state = installed.find((s) => s.name === plugin.manifest.name)!;
    if (lt(plugin.manifest.version, state.version)) {
      throw new UserError(
        `Plugin "${state.name}" ${state.version} is installed, but this shopdb has the older ${plugin.manifest.version}`,
        {
          suggestion:
            'Downgrading a plugin is not supported: install the newer plugin package again, or restore a backup taken before it was upgraded.',
        },
      );
    }
    const migrations = await migrateForInstall(session, plugin);
    if (eq(plugin.manifest.version, state.version)) {
      results.push({ name: state.name, version: state.version, action: 'unchanged', migrations });
      continue;
    }
    session.log?.(`Upgrading plugin ${state.name} ${state.version} → ${plugin.manifest.version}`);
    await inTransaction(session.db, async (trx) => {
      await syncAssetTypes(trx, plugin);
      await runSeed(session, trx, plugin, false);
      await recordVersion(trx, state.name, plugin.manifest.version);
    });
    results.push({ name: state.name, version: plugin.manifest.version, action: 'upgraded', migrations });
  }
  return results;
}

/**
 * `plugins` in seed order: after what they depend on and after the installed plugins they name in
 * `seedAfter`; ties stay in the given (dependency) order.
 */
export function seedOrder(plugins: readonly AvailablePlugin[]): AvailablePlugin[] {
  const names = new Set(plugins.map((p) => p.manifest.name));
  const ordered: AvailablePlugin[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const visit = (plugin: AvailablePlugin) => {
    const { name } = plugin.manifest;
    // A seedAfter loop is only a hint gone wrong: break it rather than fail the seed.
    if (placed.has(name) || visiting.has(name)) return;
    visiting.add(name);
    for (const before of [...(plugin.manifest.dependsOn ?? []), ...(plugin.manifest.seedAfter ?? [])]) {
      if (names.has(before)) visit(plugins.find((p) => p.manifest.name === before)!);
    }
    visiting.delete(name);
    placed.add(name);
    ordered.push(plugin);
  };
  for (const plugin of plugins) visit(plugin);
  return ordered;
}

/** Runs the seed of every enabled plugin in seed order (`shopdb seed`, with or without demo data). */
export async function seedPlugins(session: PluginSession, demo: boolean): Promise<string[]> {
  const { plugins } = await installedPlugins(session.db, session.catalog);
  const enabled = plugins.filter(({ state }) => state.enabled).map(({ plugin }) => plugin);
  const assetOptions = await new PluginRuntime(session.catalog, 0).assetWriteOptions(session.db);
  const seeded: string[] = [];
  for (const plugin of seedOrder(enabled)) {
    if (!plugin.manifest.seed) continue;
    await inTransaction(session.db, (trx) => runSeed(session, trx, plugin, demo, assetOptions));
    seeded.push(plugin.manifest.name);
  }
  return seeded;
}

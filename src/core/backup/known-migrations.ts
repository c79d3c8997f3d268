// Would this shopdb understand the schema in a backup? Every migration head recorded in the
// manifest must be a migration this shopdb ships (core) or can load (plugins); a head it does not
// know was written by a newer shopdb, and restoring it would leave a schema nothing here can
// migrate or roll back.

import type { LoadedConfig } from '../config/index.js';
import type { PluginCatalog } from '../plugins/catalog.js';
import { DirectoryMigrationSource, siteMigrationSources, type MigrationSourceSpec } from '../migrations/sources.js';
import type { MigrationHead } from './manifest.js';

/**
 * The migration sources this shopdb knows: the core, and every plugin in the site's catalog
 * (bundled or installed as a package), whether or not the site has it installed.
 */
export async function defaultKnownMigrationSources(config: LoadedConfig): Promise<readonly MigrationSourceSpec[]> {
  const sources = [...siteMigrationSources().list()];
  const { pluginMigrationSource } = await import('../plugins/catalog.js');
  const catalog = await siteCatalog(config);
  for (const plugin of catalog.plugins) {
    const source = pluginMigrationSource(plugin);
    if (source) sources.push(source);
  }
  return sources;
}

const catalogs = new Map<string, Promise<PluginCatalog>>();

/** The site's plugin catalog, loaded once per process (restore needs it for its checks and for migrate). */
export async function siteCatalog(config: LoadedConfig): Promise<PluginCatalog> {
  const { catalogOptionsFromConfig, loadPluginCatalog } = await import('../plugins/catalog.js');
  const options = catalogOptionsFromConfig(config);
  const key = JSON.stringify(options);
  let catalog = catalogs.get(key);
  if (!catalog) {
    catalog = loadPluginCatalog(options);
    catalogs.set(key, catalog);
  }
  return catalog;
}

/** One line per head this shopdb does not know; empty when the backup is safe to restore. */
export async function unknownMigrationHeads(heads: readonly MigrationHead[], sources: readonly MigrationSourceSpec[]): Promise<string[]> {
  const problems: string[] = [];
  for (const head of heads) {
    if (head.head === null) continue;
    const source = sources.find((candidate) => candidate.tableName === head.table);
    if (!source) {
      problems.push(`${head.source} (table ${head.table}): this shopdb has no migrations for it (head ${head.head})`);
      continue;
    }
    const reader = new DirectoryMigrationSource(source.directory);
    const names = (await reader.getMigrations()).map((migration) => reader.getMigrationName(migration));
    if (!names.includes(head.head)) {
      problems.push(`${head.source}: ${head.head} is newer than this shopdb knows (its latest is ${names.at(-1) ?? 'none'})`);
    }
  }
  return problems;
}

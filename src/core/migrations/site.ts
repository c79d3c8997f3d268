// The migration operations of one site, as the CLI (and later `update` and `serve`) call them:
// each opens the configured database, works on the site's migration sources, and closes it.

import { existsSync } from 'node:fs';
import type { LoadedConfig } from '../config/index.js';
import { databaseTargetFromConfig, describeTarget, withDatabase, type DatabaseLogger } from '../db/connect.js';
import { UsageError } from '../errors.js';
import { migrateLatest, migrationStatus, releaseMigrationLock, type MigrationStatus, type SourceMigrationResult } from './service.js';
import { DirectoryMigrationSource, MigrationSourceRegistry, siteMigrationSources, type MigrationSourceSpec } from './sources.js';
import type { Knex } from 'knex';
import { catalogOptionsFromConfig, loadPluginCatalog, type PluginCatalog } from '../plugins/catalog.js';
import { installedPluginSources, migrateInstalledPlugins } from '../plugins/service.js';
import { listInstalled } from '../plugins/state.js';
import { releaseSchemaLock, withSchemaLock } from './schema-lock.js';

export interface SiteMigrationOptions {
  config: LoadedConfig;
  /** Defaults to the site's sources (core, then plugins). Tests pass fixtures. */
  sources?: MigrationSourceRegistry;
  /** Where installed plugins' migrations are found; defaults to the site's plugin catalog. */
  catalog?: PluginCatalog;
  logger?: DatabaseLogger;
}

/** The core source, then the installed plugins' sources in dependency order. */
async function pluginSources(db: Knex, options: SiteMigrationOptions): Promise<MigrationSourceSpec[]> {
  const catalog = options.catalog ?? (await loadPluginCatalog(catalogOptionsFromConfig(options.config)));
  return installedPluginSources(db, catalog);
}

export async function siteRegistry(db: Knex, options: SiteMigrationOptions): Promise<MigrationSourceRegistry> {
  if (options.sources) return options.sources;
  const registry = siteMigrationSources();
  for (const source of await pluginSources(db, options)) registry.register(source);
  return registry;
}

export interface MigrateResult {
  database: string;
  sources: SourceMigrationResult[];
  appliedCount: number;
}

export async function migrateSite(
  options: SiteMigrationOptions & { waitSeconds?: number; onSource?: (source: MigrationSourceSpec) => void; schemaLockHeld?: boolean },
): Promise<MigrateResult> {
  const target = databaseTargetFromConfig(options.config);
  const results = await withDatabase(target, { create: true, logger: options.logger }, (db) =>
    // One schema change at a time on the site (ADR-014): a plugin install elsewhere waits for this run.
    withSchemaLock(db, 'migrate', { waitSeconds: options.waitSeconds, alreadyHeld: options.schemaLockHeld }, async () => {
      const run = (sources: readonly MigrationSourceSpec[]) =>
        migrateLatest(db, sources, { waitSeconds: options.waitSeconds, onSource: options.onSource });
      if (options.sources) return run(options.sources.list());
      // The core first: which plugins are installed is itself in the core schema. The catalog is
      // loaded only when some plugin is installed (it imports every plugin's code).
      const core = await run(siteMigrationSources().list());
      if ((await listInstalled(db)).length === 0) return core;
      const catalog = options.catalog ?? (await loadPluginCatalog(catalogOptionsFromConfig(options.config)));
      return [...core, ...(await migrateInstalledPlugins(db, catalog, { waitSeconds: options.waitSeconds, onSource: options.onSource }))];
    }),
  );
  return { database: describeTarget(target), sources: results, appliedCount: results.reduce((n, r) => n + r.applied.length, 0) };
}

export interface SiteMigrationStatus extends MigrationStatus {
  database: string;
  /** False for an embedded SQLite file that no migrate has created yet. */
  databaseExists: boolean;
}

export async function siteMigrationStatus(options: SiteMigrationOptions): Promise<SiteMigrationStatus> {
  const target = databaseTargetFromConfig(options.config);
  const sources = (options.sources ?? siteMigrationSources()).list();
  if (target.client === 'sqlite' && !existsSync(target.filename)) {
    // Nothing applied yet: report every migration as pending instead of creating the file.
    const statuses = await Promise.all(
      sources.map(async (source) => {
        const reader = new DirectoryMigrationSource(source.directory);
        const pending = (await reader.getMigrations()).map((m) => reader.getMigrationName(m));
        return {
          id: source.id,
          label: source.label,
          table: source.tableName,
          applied: [],
          pending,
          unknown: [],
          lockHeld: false,
          lastFailure: null,
        };
      }),
    );
    return {
      database: describeTarget(target),
      databaseExists: false,
      upToDate: statuses.every((s) => s.pending.length === 0),
      sources: statuses,
    };
  }
  const status = await withDatabase(target, { logger: options.logger }, async (db) =>
    migrationStatus(db, (await siteRegistry(db, options)).list()),
  );
  return { database: describeTarget(target), databaseExists: true, ...status };
}

export function sourceById(registry: MigrationSourceRegistry, id: string): MigrationSourceSpec {
  const source = registry.get(id);
  if (!source) {
    throw new UsageError(`There is no migration source "${id}"`, {
      suggestion: `Use one of: ${registry
        .list()
        .map((s) => s.id)
        .join(', ')}.`,
    });
  }
  return source;
}

export async function unlockSite(
  options: SiteMigrationOptions & { source: string },
): Promise<{ database: string; source: string; wasLocked: boolean; schemaLockHolder: string | null }> {
  const target = databaseTargetFromConfig(options.config);
  return withDatabase(target, { logger: options.logger }, async (db) => {
    const wasLocked = await releaseMigrationLock(db, sourceById(await siteRegistry(db, options), options.source));
    // A crash can also leave the site's schema lock (plugin install, migrate) behind.
    const schemaLock = await releaseSchemaLock(db);
    return {
      database: describeTarget(target),
      source: options.source,
      wasLocked: wasLocked || schemaLock !== null,
      schemaLockHolder: schemaLock?.holder ?? null,
    };
  });
}

// The migration operations of one site, as the CLI (and later `update` and `serve`) call them:
// each opens the configured database, works on the site's migration sources, and closes it.

import { existsSync } from 'node:fs';
import type { LoadedConfig } from '../config/index.js';
import { databaseTargetFromConfig, describeTarget, withDatabase, type DatabaseLogger } from '../db/connect.js';
import { UsageError } from '../errors.js';
import {
  migrateLatest,
  migrateRollback,
  migrationStatus,
  releaseMigrationLock,
  type MigrationStatus,
  type SourceMigrationResult,
} from './service.js';
import { DirectoryMigrationSource, siteMigrationSources, type MigrationSourceRegistry, type MigrationSourceSpec } from './sources.js';

export interface SiteMigrationOptions {
  config: LoadedConfig;
  /** Defaults to the site's sources (core, then plugins). Tests pass fixtures. */
  sources?: MigrationSourceRegistry;
  logger?: DatabaseLogger;
}

export interface MigrateResult {
  database: string;
  sources: SourceMigrationResult[];
  appliedCount: number;
}

export async function migrateSite(options: SiteMigrationOptions & { waitSeconds?: number; onSource?: (source: MigrationSourceSpec) => void }): Promise<MigrateResult> {
  const target = databaseTargetFromConfig(options.config);
  const sources = (options.sources ?? siteMigrationSources()).list();
  const results = await withDatabase(target, { create: true, logger: options.logger }, (db) =>
    migrateLatest(db, sources, { waitSeconds: options.waitSeconds, onSource: options.onSource }),
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
        return { id: source.id, label: source.label, table: source.tableName, applied: [], pending, unknown: [], lockHeld: false, lastFailure: null };
      }),
    );
    return { database: describeTarget(target), databaseExists: false, upToDate: statuses.every((s) => s.pending.length === 0), sources: statuses };
  }
  const status = await withDatabase(target, { logger: options.logger }, (db) => migrationStatus(db, sources));
  return { database: describeTarget(target), databaseExists: true, ...status };
}

function sourceById(registry: MigrationSourceRegistry, id: string): MigrationSourceSpec {
  const source = registry.get(id);
  if (!source) {
    throw new UsageError(`There is no migration source "${id}"`, {
      suggestion: `Use one of: ${registry.list().map((s) => s.id).join(', ')}.`,
    });
  }
  return source;
}

export async function rollbackSite(options: SiteMigrationOptions & { source: string; step?: number; all?: boolean }): Promise<MigrateResult> {
  const registry = options.sources ?? siteMigrationSources();
  const source = sourceById(registry, options.source);
  const target = databaseTargetFromConfig(options.config);
  const result = await withDatabase(target, { logger: options.logger }, (db) => migrateRollback(db, source, { step: options.step, all: options.all }));
  return { database: describeTarget(target), sources: [result], appliedCount: result.applied.length };
}

export async function unlockSite(options: SiteMigrationOptions & { source: string }): Promise<{ database: string; source: string; wasLocked: boolean }> {
  const registry = options.sources ?? siteMigrationSources();
  const source = sourceById(registry, options.source);
  const target = databaseTargetFromConfig(options.config);
  const wasLocked = await withDatabase(target, { logger: options.logger }, (db) => releaseMigrationLock(db, source));
  return { database: describeTarget(target), source: source.id, wasLocked };
}

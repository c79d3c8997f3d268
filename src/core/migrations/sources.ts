// Migration sources: the core schema is one, and each plugin (a later issue) registers its own,
// each with its own knex history table and lock, so one source never blocks another and a
// plugin can be rolled back alone.

import { readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { coreMigrationsDir } from '../paths.js';

export interface MigrationSourceSpec {
  /** 'core', or 'plugin:<name>'. */
  id: string;
  label: string;
  /** knex's history table; its lock table is `<tableName>_lock`. */
  tableName: string;
  directory: string;
}

export interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
  config?: { transaction?: boolean };
}

interface MigrationFile {
  name: string;
  path: string;
}

/** .js and .ts, but not declarations or the tests that sit next to the migrations they test. */
const MIGRATION_FILE = /^(?!.*\.d\.ts$)(?!.*\.(test|spec)\.(js|ts)$).+\.(js|ts)$/;

/** knex MigrationSource over one folder; `.ts` (sources) and `.js` (dist) alike, named without extension. */
export class DirectoryMigrationSource implements Knex.MigrationSource<MigrationFile> {
  constructor(readonly directory: string) {}

  async getMigrations(): Promise<MigrationFile[]> {
    let entries: string[];
    try {
      entries = readdirSync(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const byName = new Map<string, MigrationFile>();
    for (const entry of entries.filter((file) => MIGRATION_FILE.test(file)).sort()) {
      const name = basename(entry, extname(entry));
      if (!byName.has(name)) byName.set(name, { name, path: join(this.directory, entry) });
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  getMigrationName(migration: MigrationFile): string {
    return migration.name;
  }

  async getMigration(migration: MigrationFile): Promise<MigrationModule> {
    return (await import(pathToFileURL(migration.path).href)) as MigrationModule;
  }
}

export const CORE_SOURCE_ID = 'core';

export function coreMigrationSource(directory = coreMigrationsDir): MigrationSourceSpec {
  return { id: CORE_SOURCE_ID, label: 'shopdb core', tableName: 'shopdb_migrations', directory };
}

/** The ordered list of sources `migrate` runs: core first, then plugins in dependency order. */
export class MigrationSourceRegistry {
  private readonly sources: MigrationSourceSpec[] = [];

  register(source: MigrationSourceSpec): this {
    if (this.sources.some((existing) => existing.id === source.id || existing.tableName === source.tableName)) {
      throw new Error(`Migration source ${source.id} (${source.tableName}) is registered twice`);
    }
    this.sources.push(source);
    return this;
  }

  list(): readonly MigrationSourceSpec[] {
    return this.sources;
  }

  get(id: string): MigrationSourceSpec | undefined {
    return this.sources.find((source) => source.id === id);
  }
}

/** The core source alone; `siteMigrationSourcesFor` adds the installed plugins' sources. */
export function siteMigrationSources(): MigrationSourceRegistry {
  return new MigrationSourceRegistry().register(coreMigrationSource());
}

/** knex history table of a plugin's migrations (its lock table is this + `_lock`). */
export function pluginMigrationTable(pluginName: string): string {
  return `shopdb_plugin_${pluginName.replace(/-/g, '_')}_migrations`;
}

/** History tables are `shopdb_migrations` (core) and `shopdb_plugin_<name>_migrations`; this matches both. */
export const MIGRATION_HISTORY_TABLE = /^shopdb(_plugin_[a-z0-9_]+)?_migrations$/;

export function knexMigratorConfig(source: MigrationSourceSpec): Knex.MigratorConfig {
  return { migrationSource: new DirectoryMigrationSource(source.directory), tableName: source.tableName };
}

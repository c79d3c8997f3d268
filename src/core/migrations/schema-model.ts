// The schema the migration records say a site has: the applied migrations of each source
// replayed, in order, on an empty in-memory SQLite database. History tables record only names,
// not what a migration created; every migration must build the same tables on every engine
// (docs/MIGRATIONS.md, proven by migrations/migrations.test.ts), so the replay says which
// tables each applied migration made (ADR-015). `migrate rollback` runs its planned down()s on
// the model first (what they drop, and whether they work at all); `doctor` compares the model
// with the real schema.

import type { Knex } from 'knex';
import { listTables } from '../db/schema.js';
import { knexMigratorConfig, MIGRATION_HISTORY_TABLE, type MigrationSourceSpec } from './sources.js';

export interface AppliedSource {
  source: MigrationSourceSpec;
  /** The source's applied migrations, in the order they were applied. */
  applied: readonly string[];
}

export interface ModelledTable {
  table: string;
  sourceId: string;
  /** The applied migration that created it. */
  migration: string;
}

/** A migration the model could not replay: the model of its source stops before it. */
export interface ReplayFailure {
  sourceId: string;
  migration: string;
  error: string;
}

export interface ModelledDown {
  migration: string;
  /** Tables this migration's down() drops. */
  dropped: string[];
}

export interface ModelledRollback {
  downs: ModelledDown[];
  /** The down() that failed on the model, if one did; the downs before it are in `downs`. */
  failure: { migration: string; error: string } | null;
}

const silentLog = { warn() {}, error() {}, deprecate() {}, debug() {} };

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function modelTables(db: Knex): Promise<string[]> {
  return (await listTables(db)).filter((table) => !MIGRATION_HISTORY_TABLE.test(table.replace(/_lock$/, '')));
}

export class SchemaModel {
  private constructor(
    private readonly db: Knex,
    private readonly createdBy: Map<string, { sourceId: string; migration: string }>,
    readonly failures: ReplayFailure[],
  ) {}

  /** Replays `sources` (core first, then plugins in dependency order). Close the model after use. */
  static async replay(sources: readonly AppliedSource[]): Promise<SchemaModel> {
    const { default: knex } = await import('knex');
    // One connection, kept open: each new connection to ':memory:' would be a new, empty database.
    const db = knex({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
      log: silentLog,
      pool: {
        min: 1,
        max: 1,
        idleTimeoutMillis: 2 ** 31 - 1,
        afterCreate(connection: { pragma(sql: string): unknown }, done: (error: Error | null, connection: unknown) => void) {
          connection.pragma('foreign_keys = ON');
          done(null, connection);
        },
      },
    });
    const createdBy = new Map<string, { sourceId: string; migration: string }>();
    const failures: ReplayFailure[] = [];
    const model = new SchemaModel(db, createdBy, failures);
    try {
      for (const { source, applied } of sources) {
        for (const migration of applied) {
          const before = new Set(await modelTables(db));
          try {
            await db.migrate.up({ ...knexMigratorConfig(source), name: migration });
          } catch (error) {
            failures.push({ sourceId: source.id, migration, error: messageOf(error) });
            break;
          }
          const after = await modelTables(db);
          for (const table of before) if (!after.includes(table)) createdBy.delete(table);
          for (const table of after) if (!before.has(table)) createdBy.set(table, { sourceId: source.id, migration });
        }
      }
    } catch (error) {
      await db.destroy();
      throw error;
    }
    return model;
  }

  /** The tables the applied migrations should have created, with the migration that created each. */
  tables(): ModelledTable[] {
    return [...this.createdBy.entries()].map(([table, by]) => ({ table, ...by })).sort((a, b) => a.table.localeCompare(b.table));
  }

  /** Whether the model of `sourceId` is complete (every applied migration replayed). */
  complete(sourceId: string): boolean {
    return !this.failures.some((failure) => failure.sourceId === sourceId);
  }

  /** Runs the down() of `migrations` (newest first) on the model, as `migrate rollback` will on the site. */
  async rollBack(source: MigrationSourceSpec, migrations: readonly string[]): Promise<ModelledRollback> {
    const downs: ModelledDown[] = [];
    for (const migration of migrations) {
      const before = await modelTables(this.db);
      try {
        await this.db.migrate.down({ ...knexMigratorConfig(source), name: migration });
      } catch (error) {
        return { downs, failure: { migration, error: messageOf(error) } };
      }
      const after = new Set(await modelTables(this.db));
      downs.push({ migration, dropped: before.filter((table) => !after.has(table)) });
    }
    return { downs, failure: null };
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

/** Builds the model, runs `work` on it, and always closes it. */
export async function withSchemaModel<T>(sources: readonly AppliedSource[], work: (model: SchemaModel) => Promise<T>): Promise<T> {
  const model = await SchemaModel.replay(sources);
  try {
    return await work(model);
  } finally {
    await model.close();
  }
}

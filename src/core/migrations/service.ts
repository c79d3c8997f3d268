// What `shopdb migrate` does, on top of knex's migrator (its runner, history table and lock):
// run every source in order, wait for or report a held lock, remember a failed migration so
// `migrate status` can explain it, and roll back one source at a time.

import type { Knex } from 'knex';
import { createTable, datetime, nowDefault } from '../db/schema.js';
import { isRetryableConflict } from '../db/transaction.js';
import { decodeValue, formatUtcDatetime } from '../db/values.js';
import { LockedError, UserError } from '../errors.js';
import { knexMigratorConfig, type MigrationSourceSpec } from './sources.js';

export const FAILURES_TABLE = 'shopdb_migration_failures';

export interface AppliedMigration {
  name: string;
  batch: number;
  appliedAt: Date | null;
}

export interface MigrationFailure {
  migration: string;
  error: string;
  failedAt: Date | null;
}

export interface SourceStatus {
  id: string;
  label: string;
  table: string;
  applied: AppliedMigration[];
  pending: string[];
  /** Recorded in the database but not shipped with this shopdb (a newer version migrated it). */
  unknown: string[];
  lockHeld: boolean;
  lastFailure: MigrationFailure | null;
}

export interface MigrationStatus {
  upToDate: boolean;
  sources: SourceStatus[];
}

export interface SourceMigrationResult {
  id: string;
  label: string;
  applied: string[];
}

export interface MigrateOptions {
  /** How long to wait for another run's lock before giving up, in seconds. 0 = do not wait. */
  waitSeconds?: number;
  /** Called as each source starts; lets the CLI show progress. */
  onSource?: (source: MigrationSourceSpec) => void;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const LOCK_POLL_MS = 250;

export function isLockError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'MigrationLocked' || /already locked/i.test(error.message));
}

function missingFilesFrom(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : '';
  const match = /the following files are missing: (.*)$/is.exec(message);
  return match?.[1]?.trim();
}

export function lockedError(source: MigrationSourceSpec, waited: number): LockedError {
  return new LockedError(
    `Another migration run holds the lock of ${source.label} (table ${source.tableName}_lock)${waited > 0 ? ` — waited ${waited}s` : ''}`,
    {
      suggestion:
        'Wait for the other `shopdb migrate` (or `shopdb update`) to finish and run again. If none is running — a crash left the lock behind — release it with `shopdb migrate unlock`.',
    },
  );
}

export function unknownMigrationsError(source: MigrationSourceSpec, files: string): UserError {
  return new UserError(`The database has ${source.label} migrations this shopdb does not know: ${files}`, {
    suggestion: 'It was migrated by a newer shopdb. Update shopdb to that version (or restore a backup taken with this one).',
  });
}

async function ensureFailuresTable(db: Knex): Promise<void> {
  if (await db.schema.hasTable(FAILURES_TABLE)) return;
  try {
    await createTable(db, FAILURES_TABLE, (table) => {
      table.string('source_id', 100).primary();
      table.string('migration', 255).notNullable();
      table.text('error').notNullable();
      datetime(table, 'failed_at').notNullable().defaultTo(nowDefault(db));
    });
  } catch (error) {
    // Two runs may race to create it; the other one won.
    if (!(await db.schema.hasTable(FAILURES_TABLE))) throw error;
  }
}

async function firstPending(db: Knex, source: MigrationSourceSpec): Promise<string | undefined> {
  const [, pending] = (await db.migrate.list(knexMigratorConfig(source))) as [unknown[], Array<{ name: string }>];
  return pending[0]?.name;
}

export async function recordFailure(db: Knex, source: MigrationSourceSpec, error: unknown, running: string | undefined): Promise<void> {
  try {
    // knex runs a whole batch in one transaction where the engine allows it (SQLite), so after a
    // failure the first pending migration is not necessarily the one that failed.
    // The tracker knows which up() ran; the first pending one is only a fallback.
    const migration = running ?? (await firstPending(db, source)) ?? '(unknown)';
    await ensureFailuresTable(db);
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 4000);
    await db(FAILURES_TABLE).where({ source_id: source.id }).delete();
    await db(FAILURES_TABLE).insert({ source_id: source.id, migration, error: message, failed_at: formatUtcDatetime(new Date()) });
  } catch {
    // Recording is best effort: the original error is what the user must see.
  }
}

async function clearFailure(db: Knex, source: MigrationSourceSpec): Promise<void> {
  if (await db.schema.hasTable(FAILURES_TABLE)) await db(FAILURES_TABLE).where({ source_id: source.id }).delete();
}

const READ_ONLY_STATEMENT = /^\s*(select|show|pragma|with|explain|describe)\b/i;

/**
 * knex's config for `source`, remembering which migration's up() or down() ran last and how many
 * statements that could change something the up()s and down()s completed.
 */
function trackingMigratorConfig(source: MigrationSourceSpec): {
  config: Knex.MigratorConfig;
  running: () => string | undefined;
  changes: () => number;
} {
  const config = knexMigratorConfig(source);
  const inner = config.migrationSource as Knex.MigrationSource<unknown>;
  let running: string | undefined;
  let changes = 0;
  const counted = (run: (knex: Knex) => PromiseLike<unknown>) => async (knex: Knex) => {
    const count = (_response: unknown, query: { sql?: string }) => {
      if (!READ_ONLY_STATEMENT.test(query?.sql ?? '')) changes++;
    };
    knex.on('query-response', count);
    try {
      return await run(knex);
    } finally {
      knex.off('query-response', count);
    }
  };
  const migrationSource: Knex.MigrationSource<unknown> = {
    getMigrations: (loadExtensions) => inner.getMigrations(loadExtensions),
    getMigrationName: (migration) => inner.getMigrationName(migration),
    async getMigration(migration) {
      const module = await inner.getMigration(migration);
      const name = inner.getMigrationName(migration);
      return {
        ...module,
        up: counted((knex) => ((running = name), module.up(knex))),
        down: module.down && counted((knex) => ((running = name), module.down!(knex))),
      };
    },
  };
  return { config: { ...config, migrationSource }, running: () => running, changes: () => changes };
}

/**
 * knex creates a source's history and lock tables on first use, and two first runs at once race
 * to do it: the loser fails with "table already exists", or both insert a lock row — and with two
 * rows knex reports the lock as held forever. Create them here, tolerating the race.
 */
async function prepareHistoryTables(db: Knex, source: MigrationSourceSpec, sleep: (ms: number) => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.migrate.currentVersion(knexMigratorConfig(source));
      break;
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(50 * attempt);
    }
  }
  const lockTable = `${source.tableName}_lock`;
  const rows = (await db(lockTable).select('index').orderBy('index')) as Array<{ index: number }>;
  if (rows.length > 1) await db(lockTable).where('index', '>', rows[0]!.index).delete();
}

/** Attempts again after a conflict that came before any migration changed anything. */
const BOOKKEEPING_CONFLICT_RETRIES = 5;

/** Applies every pending migration of every source, in order. A second run is a no-op. */
export async function migrateLatest(
  db: Knex,
  sources: readonly MigrationSourceSpec[],
  options: MigrateOptions = {},
): Promise<SourceMigrationResult[]> {
  const sleep = options.sleep ?? defaultSleep;
  const results: SourceMigrationResult[] = [];
  for (const source of sources) {
    options.onSource?.(source);
    const started = Date.now();
    await prepareHistoryTables(db, source, sleep);
    let conflicts = 0;
    for (;;) {
      const tracked = trackingMigratorConfig(source);
      try {
        const [, log] = (await db.migrate.latest(tracked.config)) as [number, string[]];
        await clearFailure(db, source);
        results.push({ id: source.id, label: source.label, applied: log });
        break;
      } catch (error) {
        const waited = Math.round((Date.now() - started) / 1000);
        if (isLockError(error)) {
          if (Date.now() - started < (options.waitSeconds ?? 0) * 1000) {
            await sleep(LOCK_POLL_MS);
            continue;
          }
          throw lockedError(source, waited);
        }
        // A cluster's certification abort (or a deadlock) before any migration changed anything,
        // so nothing was applied and the run can simply start again. Measured on Galera: knex's
        // `select max(batch)` aborted by a write replicated from another node; and knex takes its
        // lock (an UPDATE) inside the batch's transaction, which on MySQL only the first DDL's
        // implicit commit commits: when another host took the lock first, that commit fails
        // certification and the DDL never runs ("implicit commit failed" in the node's log).
        if (isRetryableConflict(error) && tracked.changes() === 0 && conflicts < BOOKKEEPING_CONFLICT_RETRIES) {
          conflicts++;
          await sleep(Math.random() * 200 * conflicts);
          continue;
        }
        const missing = missingFilesFrom(error);
        if (missing) throw unknownMigrationsError(source, missing);
        await recordFailure(db, source, error, tracked.running());
        throw new UserError(`A ${source.label} migration failed: ${error instanceof Error ? error.message : String(error)}`, {
          suggestion:
            'It and the migrations after it are not recorded as applied. Run `shopdb migrate status` to see which one; on MySQL its DDL may be partly applied (MySQL cannot roll back DDL) — see docs/MIGRATIONS.md, fix the cause, then run `shopdb migrate` again.',
          cause: error,
        });
      }
    }
  }
  return results;
}

async function lockHeld(db: Knex, source: MigrationSourceSpec): Promise<boolean> {
  const lockTable = `${source.tableName}_lock`;
  if (!(await db.schema.hasTable(lockTable))) return false;
  const row = (await db(lockTable).first('is_locked')) as { is_locked?: unknown } | undefined;
  return Boolean(row && Number(row.is_locked) === 1);
}

export async function migrationStatus(db: Knex, sources: readonly MigrationSourceSpec[]): Promise<MigrationStatus> {
  const statuses: SourceStatus[] = [];
  const failuresTable = await db.schema.hasTable(FAILURES_TABLE);
  for (const source of sources) {
    const config = knexMigratorConfig(source);
    const available = (await config.migrationSource!.getMigrations([])).map((m) => config.migrationSource!.getMigrationName(m));
    let applied: AppliedMigration[] = [];
    if (await db.schema.hasTable(source.tableName)) {
      const rows = (await db(source.tableName).select('name', 'batch', 'migration_time').orderBy('id')) as Array<{
        name: string;
        batch: number;
        migration_time: unknown;
      }>;
      applied = rows.map((row) => ({
        name: row.name,
        batch: Number(row.batch),
        appliedAt: decodeValue('date', row.migration_time) as Date | null,
      }));
    }
    const appliedNames = new Set(applied.map((m) => m.name));
    let lastFailure: MigrationFailure | null = null;
    if (failuresTable) {
      const row = (await db(FAILURES_TABLE).where({ source_id: source.id }).first()) as
        { migration: string; error: string; failed_at: unknown } | undefined;
      if (row) lastFailure = { migration: row.migration, error: row.error, failedAt: decodeValue('date', row.failed_at) as Date | null };
    }
    statuses.push({
      id: source.id,
      label: source.label,
      table: source.tableName,
      applied,
      pending: available.filter((name) => !appliedNames.has(name)),
      unknown: applied.map((m) => m.name).filter((name) => !available.includes(name)),
      lockHeld: await lockHeld(db, source),
      lastFailure,
    });
  }
  return { upToDate: statuses.every((s) => s.pending.length === 0 && s.unknown.length === 0), sources: statuses };
}

export interface RollbackOptions {
  /** Roll back this many migrations, newest first. */
  step?: number;
  /** Roll back everything of the source. */
  all?: boolean;
}

/** Rolls back one source: the last batch by default, `step` migrations, or all of them. */
export async function migrateRollback(
  db: Knex,
  source: MigrationSourceSpec,
  options: RollbackOptions = {},
): Promise<SourceMigrationResult> {
  const config = knexMigratorConfig(source);
  const rolledBack: string[] = [];
  try {
    if (options.step !== undefined) {
      for (let i = 0; i < options.step; i++) {
        const [, log] = (await db.migrate.down(config)) as [number, string[]];
        if (log.length === 0) break;
        rolledBack.push(...log);
      }
    } else {
      const [, log] = (await db.migrate.rollback(config, options.all === true)) as [number, string[]];
      rolledBack.push(...log);
    }
  } catch (error) {
    if (isLockError(error)) throw lockedError(source, 0);
    const missing = missingFilesFrom(error);
    if (missing) throw unknownMigrationsError(source, missing);
    throw new UserError(`Rolling back ${source.label} failed: ${error instanceof Error ? error.message : String(error)}`, {
      suggestion: 'Run `shopdb migrate status` to see what is applied; fix the failing down() and run the rollback again.',
      cause: error,
    });
  }
  return { id: source.id, label: source.label, applied: rolledBack };
}

/** Releases a lock left behind by a crashed run. */
export async function releaseMigrationLock(db: Knex, source: MigrationSourceSpec): Promise<boolean> {
  const held = await lockHeld(db, source);
  if (held) await db.migrate.forceFreeMigrationsLock(knexMigratorConfig(source));
  return held;
}

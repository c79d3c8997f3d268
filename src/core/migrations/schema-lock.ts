// The site's schema lock: while one run installs, upgrades or uninstalls plugins (or migrates
// their schemas), another run — from another host, through another node of a cluster — waits
// for it or stops with exit 5, instead of both failing half-way or one seeing the other's new
// tables as its own mistake. The lock is a row in `schema_lock` (ADR-014): inserting it is a
// write, so on Galera two nodes inserting at once are certified against each other and exactly
// one wins; a named lock (GET_LOCK) would be local to one node.

import { hostname } from 'node:os';
import type { Knex } from 'knex';
import { isUniqueViolation } from '../db/constraint-errors.js';
import { isRetryableConflict } from '../db/transaction.js';
import { formatUtcDatetime, parseUtcDatetime } from '../db/values.js';
import { LockedError } from '../errors.js';

export const SCHEMA_LOCK_TABLE = 'schema_lock';
const TABLE = SCHEMA_LOCK_TABLE;
const ROW_ID = 1;
const POLL_MS = 250;

export interface SchemaLockHolder {
  holder: string;
  acquiredAt: Date | null;
}

export interface SchemaLockOptions {
  /** How long to wait for another run's lock, in seconds (0: do not wait). */
  waitSeconds?: number;
  /**
   * The caller already holds the lock through another pool of this process (`update` holds it
   * from its backup to the end, and its migrate step opens a pool of its own): run without it.
   */
  alreadyHeld?: boolean;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs held by this process, per pool: nested calls (update → migrate → plugins) take the lock once. */
const heldHere = new WeakMap<Knex, number>();

export async function readSchemaLock(db: Knex): Promise<SchemaLockHolder | null> {
  if (!(await db.schema.hasTable(TABLE))) return null;
  const row = (await db(TABLE).where({ id: ROW_ID }).first('holder', 'acquired_at')) as
    { holder: string; acquired_at: unknown } | undefined;
  return row ? { holder: row.holder, acquiredAt: parseUtcDatetime(row.acquired_at) } : null;
}

/** What a stale lock left by a crash names, so `shopdb migrate unlock` can say what it cleared. */
export async function releaseSchemaLock(db: Knex): Promise<SchemaLockHolder | null> {
  const held = await readSchemaLock(db);
  if (held) await db(TABLE).where({ id: ROW_ID }).delete();
  return held;
}

/** A holder this host can prove dead: same host name, and that process is gone. */
function deadHereAfterCrash(holder: string): boolean {
  const match = /^(.+) pid (\d+):/.exec(holder);
  if (!match || match[1] !== hostname()) return false;
  try {
    process.kill(Number(match[2]), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Runs `work` holding the site's schema lock. A site whose core schema predates the lock (no
 * table yet) runs unlocked: the core's own migration lock covers that first run.
 */
export async function withSchemaLock<T>(db: Knex, what: string, options: SchemaLockOptions, work: () => Promise<T>): Promise<T> {
  const depth = heldHere.get(db) ?? 0;
  if (depth > 0 || options.alreadyHeld === true || !(await db.schema.hasTable(TABLE))) {
    heldHere.set(db, depth + 1);
    try {
      return await work();
    } finally {
      heldHere.set(db, depth);
    }
  }
  const release = await acquireSchemaLock(db, what, options);
  heldHere.set(db, 1);
  try {
    return await work();
  } finally {
    heldHere.set(db, 0);
    await release();
  }
}

/**
 * Takes the site's schema lock and returns its release, for a run that holds it across steps
 * (`update`: from before its backup to its end, so a second host's update waits for all of it and
 * then backs up a finished schema instead of one being changed under its dump). A site whose core
 * schema predates the lock gets a release that does nothing.
 */
export async function acquireSchemaLock(db: Knex, what: string, options: SchemaLockOptions = {}): Promise<() => Promise<void>> {
  if (!(await db.schema.hasTable(TABLE))) return async () => {};
  const holder = `${hostname()} pid ${process.pid}: ${what}`.slice(0, 255);
  const sleep = options.sleep ?? defaultSleep;
  const started = Date.now();
  for (;;) {
    try {
      await db(TABLE).insert({ id: ROW_ID, holder, acquired_at: formatUtcDatetime(new Date()) });
      break;
    } catch (error) {
      // Taken: a duplicate on one server, a certification failure (1213) on a cluster.
      if (!isUniqueViolation(error) && !isRetryableConflict(error)) throw error;
      const other = await readSchemaLock(db);
      if (other && deadHereAfterCrash(other.holder)) {
        await db(TABLE).where({ id: ROW_ID, holder: other.holder }).delete();
        continue;
      }
      const waited = Math.round((Date.now() - started) / 1000);
      if (Date.now() - started < (options.waitSeconds ?? 0) * 1000) {
        await sleep(POLL_MS);
        continue;
      }
      const since = other?.acquiredAt ? ` since ${other.acquiredAt.toISOString()}` : '';
      throw new LockedError(
        `Another run is changing the site's schema (${other?.holder ?? 'it has just finished'}${since})${waited > 0 ? ` — waited ${waited}s` : ''}`,
        {
          suggestion:
            'Wait for it to finish and run again (or pass --wait SECONDS where the command has it). If none is running — a crash left the lock behind — release it with `shopdb migrate unlock`.',
          cause: error,
        },
      );
    }
  }
  return async () => {
    // Rolling back the core's schema_lock migration drops the table, and the lock with it.
    if (await db.schema.hasTable(TABLE)) await db(TABLE).where({ id: ROW_ID, holder }).delete();
  };
}

/**
 * After a restore has loaded its dump: a lock row in it was taken by a run at the time of the
 * backup (a migrate or update elsewhere), which holds nothing in the restored site.
 */
export async function clearRestoredSchemaLock(db: Knex): Promise<void> {
  if (await db.schema.hasTable(TABLE)) await db(TABLE).delete();
}

// Every write of shopdb runs in `inTransaction`: one transaction that is retried as a whole when
// the database reports a collision with a concurrent writer (an InnoDB deadlock or lock-wait
// timeout, a Galera certification failure, SQLite busy), and that can serialise itself against
// every other writer of the same key — on every `serve` replica and every cluster node.
//
// Why a key row and not `SELECT … FOR UPDATE` (ADR-012): under REPEATABLE READ the first plain
// read fixes the transaction's snapshot, so a count taken after a later FOR UPDATE can still be
// stale; and on Galera a FOR UPDATE is local to one node. A write to one shared row is neither:
// the second writer waits for (or, on another node, fails certification against) the first, and
// because the key is written before anything is read, its snapshot starts after the first commit.

import type { Knex } from 'knex';
import { DatabaseBusyError } from '../errors.js';

/** A connection pool or a transaction: what a read or a write inside a larger one runs on. */
export type Db = Knex | Knex.Transaction;

/** The table of serialisation keys (one row per key ever taken; the row is only a meeting point). */
export const WRITE_LOCKS_TABLE = 'write_locks';

/** Longest key accepted: the primary key column is varchar(191). */
export const MAX_LOCK_KEY_LENGTH = 191;

export interface TransactionOptions {
  /**
   * Keys this write serialises on: any two transactions that name a common key run one after the
   * other. Taken in sorted order before `work` runs, so `work` reads what the previous holder of
   * the key committed. Name keys after what the rule protects, e.g. `software.licence:7`.
   */
  serializeOn?: readonly string[];
  /** Attempts in all (default 10). */
  attempts?: number;
  /** First backoff in ms, doubled per attempt up to MAX_BACKOFF_MS, with full jitter (default 15). */
  backoffMs?: number;
}

// Ten attempts: on a Galera cluster writers of one key on different nodes do not queue, they
// fail certification and start again, so 20 at once need more rounds than one server does
// (measured: 6 attempts left 1 in 160 PATCHes of one asset split over two nodes a 503). The
// backoff cap keeps the worst case near 4 s.
const DEFAULT_ATTEMPTS = 10;
const DEFAULT_BACKOFF_MS = 15;
const MAX_BACKOFF_MS = 1_000;

/** MySQL / MariaDB errors that say "another transaction got in the way; run yours again". */
const RETRYABLE_ERRNOS = new Set([
  1213, // ER_LOCK_DEADLOCK (also Galera's certification failure)
  1205, // ER_LOCK_WAIT_TIMEOUT
  1020, // ER_CHECKREAD: MariaDB's innodb_snapshot_isolation saw the row change under the snapshot
  3101, // ER_TRANSACTION_ROLLBACK_DURING_COMMIT: MySQL group replication's certification failure
]);
const RETRYABLE_CODES = new Set([
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CHECKREAD',
  'SQLITE_BUSY',
  'SQLITE_BUSY_SNAPSHOT',
  'SQLITE_LOCKED',
]);

/** Whether `error` (or what it wraps) is a transient collision worth retrying the whole transaction for. */
export function isRetryableConflict(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const { errno, code } = current as { errno?: unknown; code?: unknown };
    if (typeof errno === 'number' && RETRYABLE_ERRNOS.has(errno)) return true;
    if (typeof code === 'string' && RETRYABLE_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function isSqliteDb(db: Db): boolean {
  return (db.client as { config: { client: string } }).config.client === 'better-sqlite3';
}

function normalisedKeys(keys: readonly string[] | undefined): string[] {
  const unique = [...new Set(keys ?? [])].sort();
  for (const key of unique) {
    if (key.length === 0 || key.length > MAX_LOCK_KEY_LENGTH)
      throw new RangeError(`A serialisation key must be 1 to ${MAX_LOCK_KEY_LENGTH} characters: "${key.slice(0, 40)}…"`);
  }
  return unique;
}

/**
 * Writes the key rows, in order. The write (not a read) is what makes every competing
 * transaction wait for this one, on one server or across a cluster.
 */
export async function takeWriteLocks(trx: Knex.Transaction, keys: readonly string[]): Promise<void> {
  const sql = isSqliteDb(trx)
    ? `INSERT INTO ${WRITE_LOCKS_TABLE} (lock_key, version) VALUES (?, 1) ON CONFLICT (lock_key) DO UPDATE SET version = version + 1`
    : `INSERT INTO ${WRITE_LOCKS_TABLE} (lock_key, version) VALUES (?, 1) ON DUPLICATE KEY UPDATE version = version + 1`;
  for (const key of normalisedKeys(keys)) await trx.raw(sql, [key]);
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A bookkeeping write that may lose to a concurrent one without harm (a "last seen" stamp that
 * another request is setting to the same moment): one attempt, and a collision is let go instead
 * of failing the request it rides on. Anything else is still thrown.
 */
export async function writeUnlessContended(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!isRetryableConflict(error)) throw error;
  }
}

/**
 * Runs `work` in a transaction, serialised on `serializeOn`, and runs it again from the start when
 * the database reports a transient collision. After the last attempt: DatabaseBusyError (503).
 *
 * Called with a transaction (a write nested in another), it takes the keys in that transaction
 * and leaves retrying to the outermost call: a deadlock rolls back the whole transaction, so only
 * the outermost caller can start it again.
 */
export async function inTransaction<T>(db: Db, work: (trx: Knex.Transaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const keys = normalisedKeys(options.serializeOn);
  if ((db as Knex.Transaction).isTransaction) {
    const outer = db as Knex.Transaction;
    if (keys.length > 0) await takeWriteLocks(outer, keys);
    return outer.transaction((trx) => work(trx));
  }
  const attempts = Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS);
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await (db as Knex).transaction(async (trx) => {
        if (keys.length > 0) await takeWriteLocks(trx, keys);
        return work(trx);
      });
    } catch (error) {
      if (!isRetryableConflict(error)) throw error;
      if (attempt >= attempts) {
        throw new DatabaseBusyError('The database is busy with other writes to the same records; nothing was changed', {
          suggestion: 'Send the same request again in a moment.',
          cause: error,
        });
      }
      // Full jitter: competing writers spread out instead of colliding again in step.
      await pause(Math.random() * Math.min(MAX_BACKOFF_MS, backoffMs * 2 ** (attempt - 1)));
    }
  }
}

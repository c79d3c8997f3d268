// Login attempt limits that every `serve` replica shares and a restart does not clear (ADR-012):
// fixed-window counters of failed attempts in the `login_throttle` table. They lock out the
// attacker before the account:
//  - per client address: one machine trying many usernames;
//  - per username + address: one machine guessing one account;
//  - per username from anywhere: a higher bar, and it does not apply to an address the user has
//    logged in from before, nor to the server's own host (loopback) — so a password spray
//    against `admin` from elsewhere cannot lock the real admin out.
// An attempt takes its place in the counters *before* the password is checked, in one
// transaction per attempt, so N concurrent guesses get at most the limit's worth of checks; a
// successful login gives its places back, so successes never count.

import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Knex } from 'knex';
import { formatUtcDatetime, parseUtcDatetime } from '../db/values.js';
import { inTransaction } from '../db/transaction.js';
import { USERNAME_PATTERN } from '../users/rows.js';

export interface WindowLimit {
  max: number;
  windowMs: number;
}

export const LOGIN_LIMITS = {
  /** Failed attempts from one client address, whatever the username. */
  perIp: { max: 20, windowMs: 10 * 60_000 },
  /** Failed attempts at one username from one client address. */
  perUserAndIp: { max: 5, windowMs: 15 * 60_000 },
  /** Failed attempts at one username from addresses it has never logged in from. */
  perUser: { max: 25, windowMs: 15 * 60_000 },
  /** How long a successful login makes its address a known one for that user. */
  knownAddressMs: 30 * 24 * 60 * 60_000,
} as const;

export type LoginLimits = typeof LOGIN_LIMITS;

const TABLE = 'login_throttle';

/** A username as a bucket name: its lowercase form, or a hash for text no username can be. */
export function usernameKey(username: string): string {
  const lower = username.toLowerCase();
  return USERNAME_PATTERN.test(username) ? lower : `#${createHash('sha256').update(lower).digest('hex').slice(0, 40)}`;
}

function addressKey(ip: string): string {
  return ip.slice(0, 64);
}

/** The server's own host: 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(ip: string): boolean {
  const address = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  return address === '::1' || (isIP(address) === 4 && address.startsWith('127.'));
}

const buckets = (username: string, ip: string) => {
  const user = usernameKey(username);
  const address = addressKey(ip);
  return { ip: `ip:${address}`, pair: `pair:${user}|${address}`, user: `user:${user}`, known: `known:${user}|${address}` };
};

export type LoginGate =
  { allowed: true; trustedAddress: boolean } | { allowed: false; retryAfterSeconds: number; limit: 'ip' | 'user-and-ip' | 'user' };

function isSqlite(db: Knex | Knex.Transaction): boolean {
  return (db.client as { config: { client: string } }).config.client === 'better-sqlite3';
}

/**
 * Adds one hit to a bucket, starting a new window when the old one is over, and returns the
 * bucket after the change. One statement per engine: the row lock it takes is what serialises
 * concurrent attempts on the same bucket.
 */
async function hit(trx: Knex.Transaction, bucket: string, windowMs: number, now: Date): Promise<{ hits: number; windowEndsAt: Date }> {
  const at = formatUtcDatetime(now);
  const end = formatUtcDatetime(new Date(now.getTime() + windowMs));
  // MySQL evaluates ON DUPLICATE KEY assignments left to right: `hits` must be set while
  // `window_ends_at` still holds the old value.
  const sql = isSqlite(trx)
    ? `INSERT INTO ${TABLE} (bucket, hits, window_ends_at) VALUES (?, 1, ?)
       ON CONFLICT (bucket) DO UPDATE SET
         hits = CASE WHEN window_ends_at <= ? THEN 1 ELSE hits + 1 END,
         window_ends_at = CASE WHEN window_ends_at <= ? THEN ? ELSE window_ends_at END`
    : `INSERT INTO ${TABLE} (bucket, hits, window_ends_at) VALUES (?, 1, ?)
       ON DUPLICATE KEY UPDATE
         hits = CASE WHEN window_ends_at <= ? THEN 1 ELSE hits + 1 END,
         window_ends_at = CASE WHEN window_ends_at <= ? THEN ? ELSE window_ends_at END`;
  await trx.raw(sql, [bucket, end, at, at, end]);
  const row = (await trx(TABLE).where({ bucket }).first('hits', 'window_ends_at')) as { hits: number | string; window_ends_at: unknown };
  return { hits: Number(row.hits), windowEndsAt: parseUtcDatetime(row.window_ends_at)! };
}

const secondsUntil = (end: Date, now: Date) => Math.max(1, Math.ceil((end.getTime() - now.getTime()) / 1000));

async function knownAddress(db: Knex.Transaction, bucket: string, now: Date): Promise<boolean> {
  const row = (await db(TABLE).where({ bucket }).where('window_ends_at', '>', formatUtcDatetime(now)).first('bucket')) as unknown;
  return row !== undefined;
}

/**
 * Counts an attempt before its password is checked, and says whether it may go on. The caller
 * reports the outcome with `recordLoginOutcome`.
 */
export async function beginLoginAttempt(
  db: Knex,
  username: string,
  ip: string,
  now = new Date(),
  limits: LoginLimits = LOGIN_LIMITS,
): Promise<LoginGate> {
  const names = buckets(username, ip);
  return inTransaction(db, async (trx) => {
    const byIp = await hit(trx, names.ip, limits.perIp.windowMs, now);
    if (byIp.hits > limits.perIp.max) return { allowed: false, retryAfterSeconds: secondsUntil(byIp.windowEndsAt, now), limit: 'ip' };
    const byPair = await hit(trx, names.pair, limits.perUserAndIp.windowMs, now);
    if (byPair.hits > limits.perUserAndIp.max)
      return { allowed: false, retryAfterSeconds: secondsUntil(byPair.windowEndsAt, now), limit: 'user-and-ip' };
    const trustedAddress = isLoopback(ip) || (await knownAddress(trx, names.known, now));
    if (!trustedAddress) {
      const byUser = await hit(trx, names.user, limits.perUser.windowMs, now);
      if (byUser.hits > limits.perUser.max)
        return { allowed: false, retryAfterSeconds: secondsUntil(byUser.windowEndsAt, now), limit: 'user' };
    }
    return { allowed: true, trustedAddress };
  });
}

/**
 * After the password check. A success gives back the places it took (the pair's count starts
 * over, the address's and the username's lose this attempt) and makes the address a known one
 * for the user; a failure keeps them. Expired buckets are cleared now and then.
 */
export async function recordLoginOutcome(
  db: Knex,
  username: string,
  ip: string,
  gate: Extract<LoginGate, { allowed: true }>,
  success: boolean,
  now = new Date(),
  limits: LoginLimits = LOGIN_LIMITS,
): Promise<void> {
  const names = buckets(username, ip);
  if (success) {
    await inTransaction(db, async (trx) => {
      await trx(TABLE).where({ bucket: names.pair }).delete();
      await trx(TABLE).where({ bucket: names.ip }).where('hits', '>', 0).decrement('hits', 1);
      if (!gate.trustedAddress) await trx(TABLE).where({ bucket: names.user }).where('hits', '>', 0).decrement('hits', 1);
      const knownUntil = formatUtcDatetime(new Date(now.getTime() + limits.knownAddressMs));
      await trx(TABLE)
        .insert({ bucket: names.known, hits: 1, window_ends_at: knownUntil })
        .onConflict('bucket')
        .merge({ window_ends_at: knownUntil });
    });
  }
  // About one attempt in twenty sweeps the windows that are over.
  if (Math.random() < 0.05) await db(TABLE).where('window_ends_at', '<=', formatUtcDatetime(now)).delete();
}

/**
 * An attempt whose password nobody could check (the directory did not answer): it gives back
 * every place it took, so users retrying through an outage are not locked out when it ends.
 */
export async function withdrawLoginAttempt(
  db: Knex,
  username: string,
  ip: string,
  gate: Extract<LoginGate, { allowed: true }>,
): Promise<void> {
  const names = buckets(username, ip);
  await inTransaction(db, async (trx) => {
    await trx(TABLE).where({ bucket: names.pair }).where('hits', '>', 0).decrement('hits', 1);
    await trx(TABLE).where({ bucket: names.ip }).where('hits', '>', 0).decrement('hits', 1);
    if (!gate.trustedAddress) await trx(TABLE).where({ bucket: names.user }).where('hits', '>', 0).decrement('hits', 1);
  });
}

/**
 * `shopdb user unlock NAME`: clears the failed-attempt counters of a username (from every
 * address). The per-address counters and the known addresses stay. Returns how many counters
 * were cleared.
 */
export async function unlockUsername(db: Knex, username: string): Promise<number> {
  const user = usernameKey(username);
  const pairPrefix = `pair:${user}|`.replace(/[!%_]/g, (c) => `!${c}`);
  return db(TABLE)
    .where({ bucket: `user:${user}` })
    .orWhereRaw("bucket LIKE ? ESCAPE '!'", [`${pairPrefix}%`])
    .delete();
}

export interface LockStatus {
  /** Seconds until the username counter lets strangers try again; null when it is not over its limit. */
  lockedForSeconds: number | null;
  /** Addresses whose pair counter is over its limit. */
  lockedAddresses: string[];
}

/** What `shopdb user unlock` reports before it clears anything. */
export async function lockStatus(db: Knex, username: string, now = new Date(), limits: LoginLimits = LOGIN_LIMITS): Promise<LockStatus> {
  const user = usernameKey(username);
  const pairPrefix = `pair:${user}|`;
  const rows = (await db(TABLE)
    .where((w) =>
      w.where({ bucket: `user:${user}` }).orWhereRaw("bucket LIKE ? ESCAPE '!'", [`${pairPrefix.replace(/[!%_]/g, (c) => `!${c}`)}%`]),
    )
    .where('window_ends_at', '>', formatUtcDatetime(now))
    .select('bucket', 'hits', 'window_ends_at')) as Array<{ bucket: string; hits: number | string; window_ends_at: unknown }>;
  let lockedForSeconds: number | null = null;
  const lockedAddresses: string[] = [];
  for (const row of rows) {
    if (row.bucket === `user:${user}` && Number(row.hits) >= limits.perUser.max)
      lockedForSeconds = secondsUntil(parseUtcDatetime(row.window_ends_at)!, now);
    if (row.bucket.startsWith(pairPrefix) && Number(row.hits) >= limits.perUserAndIp.max)
      lockedAddresses.push(row.bucket.slice(pairPrefix.length));
  }
  return { lockedForSeconds, lockedAddresses: lockedAddresses.sort() };
}

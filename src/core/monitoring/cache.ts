// The monitoring cache every replica shares (ADR-022): one row per kind of answer from Zabbix
// ("hosts", "problems"), its JSON body, when it was fetched, and the last failure. It lives in the
// site database, like every other piece of state that replicas must agree on.

import type { Knex } from 'knex';
import { formatUtcDatetime, parseUtcDatetime } from '../db/values.js';

export type CacheKey = 'hosts' | 'problems';

export interface CacheEntry<T> {
  body: T | null;
  fetchedAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
}

const TABLE = 'monitoring_cache';

export async function readCache<T>(db: Knex, key: CacheKey): Promise<CacheEntry<T>> {
  return entryOf<T>((await db(TABLE).where('cache_key', key).first()) as Record<string, unknown> | undefined);
}

/** Both entries in one statement (the list page's warm path). */
export async function readCaches(db: Knex): Promise<{ hosts: CacheEntry<unknown>; problems: CacheEntry<unknown> }> {
  const rows = (await db(TABLE).whereIn('cache_key', ['hosts', 'problems'])) as Array<Record<string, unknown>>;
  return { hosts: entryOf(rows.find((r) => r.cache_key === 'hosts')), problems: entryOf(rows.find((r) => r.cache_key === 'problems')) };
}

function entryOf<T>(row: Record<string, unknown> | undefined): CacheEntry<T> {
  if (!row) return { body: null, fetchedAt: null, lastError: null, lastErrorAt: null };
  return {
    body: typeof row.body === 'string' ? (JSON.parse(row.body) as T) : null,
    fetchedAt: parseUtcDatetime(row.fetched_at),
    lastError: (row.last_error as string | null) ?? null,
    lastErrorAt: parseUtcDatetime(row.last_error_at),
  };
}

export async function writeCache(db: Knex, key: CacheKey, body: unknown, at: Date): Promise<void> {
  await db(TABLE)
    .insert({ cache_key: key, body: JSON.stringify(body), fetched_at: formatUtcDatetime(at), last_error: null, last_error_at: null })
    .onConflict('cache_key')
    .merge(['body', 'fetched_at', 'last_error', 'last_error_at']);
}

export async function writeCacheError(db: Knex, key: CacheKey, message: string, at: Date): Promise<void> {
  await db(TABLE)
    .insert({ cache_key: key, body: null, fetched_at: null, last_error: message.slice(0, 2000), last_error_at: formatUtcDatetime(at) })
    .onConflict('cache_key')
    .merge(['last_error', 'last_error_at']);
}

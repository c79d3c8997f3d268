// What the parts of the software plugin's service share: the computer type it installs on, the
// media kinds, the serialisation keys (ADR-012), dates as the API speaks them, and paging.

import type { Knex } from 'knex';

export type Row = Record<string, unknown>;

/** The asset type of the computers plugin: software is installed on these only. */
export const COMPUTER_TYPE = 'computer';
export const MEDIA_KINDS = ['usb', 'dvd', 'sd'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

export const REDACTED = '[redacted]';
export const TIMES = { created_at: 'date', updated_at: 'date' } as const;

/** DATE columns come back as Date (MySQL) or text (SQLite); the API speaks YYYY-MM-DD. */
export function dateOnly(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}

/** The UTC calendar day of `now`, `days` later. */
export function dayOf(now: Date, days = 0): string {
  return new Date(now.getTime() + days * 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
}

/**
 * Writes that count a licence's seats go one at a time per licence, and check-outs and
 * check-ins one at a time per medium, on every replica (ADR-012).
 */
export const licenceLockKey = (id: number) => `software.licence:${id}`;
export const mediumLockKey = (id: number) => `software.medium:${id}`;

export type Page<T> = { count: number; results: T[] };

export async function countOf(q: Knex.QueryBuilder): Promise<number> {
  const [{ count }] = (await q.clone().clearSelect().clearOrder().count({ count: '*' })) as Array<{ count: number | string }>;
  return Number(count);
}

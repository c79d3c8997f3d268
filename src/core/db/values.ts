// Values that the two engines store differently (dates, booleans, JSON) go through these
// codecs, so a row reads back identically from MySQL, MariaDB and SQLite.

import { ValidationError } from '../errors.js';

export type ColumnKind = 'date' | 'boolean' | 'json';
export type RowCodec = Record<string, ColumnKind>;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/**
 * The instants shopdb stores: what a DATETIME holds exactly on MySQL and MariaDB (years 1000 to
 * 9999), and what sorts correctly as text in SQLite (a four-digit year). The API's date-time and
 * date formats refuse anything outside (src/api/plugins/validation.ts), so a value out of range
 * never reaches a write.
 */
export const STORABLE_DATES = {
  min: new Date('1000-01-01T00:00:00.000Z'),
  max: new Date('9999-12-31T23:59:59.999Z'),
  /** In words, for error messages and the OpenAPI document. */
  text: '1000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z (UTC)',
} as const;

export function isStorableDate(date: Date): boolean {
  const time = date.getTime();
  return !Number.isNaN(time) && time >= STORABLE_DATES.min.getTime() && time <= STORABLE_DATES.max.getTime();
}

/** A date that no database column of shopdb can hold: refused before anything is written. */
export class DateOutOfRangeError extends ValidationError {
  constructor(date: Date, field = 'date') {
    const shown = Number.isNaN(date.getTime()) ? 'an invalid date' : date.toISOString();
    super(`${shown} is outside the dates shopdb stores (${STORABLE_DATES.text})`, { [field]: `must be from ${STORABLE_DATES.text}` });
  }
}

/** 'YYYY-MM-DD HH:MM:SS.mmm' in UTC: what DATETIME(3) holds and what sorts as text in SQLite. */
export function formatUtcDatetime(date: Date): string {
  if (!isStorableDate(date)) throw new DateOutOfRangeError(date);
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`
  );
}

// Date and time as either engine gives them back, with any number of year digits (rows written
// before years were padded hold e.g. "1-01-01 00:00:00.000"), an optional fraction and zone.
const STORED_DATETIME = /^(\d{1,6})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** A stored date-time as a Date; null when there is none or it cannot be read as one (never an Invalid Date). */
export function parseUtcDatetime(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'number') return Number.isFinite(value) ? new Date(value) : null;
  const text = String(value).trim();
  const match = STORED_DATETIME.exec(text);
  if (!match) {
    const parsed = new Date(text);
    return Number.isNaN(parsed.getTime()) ? null : parsed;
  }
  const [, year, month, day, hours = '0', minutes = '0', seconds = '0', fraction = '0', zone] = match;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hours), Number(minutes), Number(seconds), Math.round(Number(`0.${fraction}`) * 1000));
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const [zh, zm] = [Number(zone.slice(1, 3)), Number(zone.slice(-2))];
    date.setTime(date.getTime() - sign * (zh * 60 + zm) * 60_000);
  }
  return Number.isNaN(date.getTime()) ? null : date;
}

export function encodeValue(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  switch (kind) {
    case 'date':
      return formatUtcDatetime(
        value instanceof Date ? value : typeof value === 'number' ? new Date(value) : (parseUtcDatetime(value) ?? new Date(Number.NaN)),
      );
    case 'boolean':
      return value ? 1 : 0;
    case 'json':
      return JSON.stringify(value);
  }
}

export function decodeValue(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'date':
      return parseUtcDatetime(value);
    case 'boolean':
      return typeof value === 'boolean' ? value : Number(value) !== 0;
    case 'json':
      // MySQL 8 hands back parsed JSON; MariaDB (JSON is LONGTEXT there) and SQLite give text.
      return typeof value === 'string' ? parseStoredJson(value) : value;
  }
}

export function encodeRow<T extends Record<string, unknown>>(codec: RowCodec, row: T): Record<string, unknown> {
  const out: Record<string, unknown> = { ...row };
  for (const [column, kind] of Object.entries(codec)) {
    if (column in out) out[column] = encodeValue(kind, out[column]);
  }
  return out;
}

export function decodeRow<T>(codec: RowCodec, row: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...row };
  for (const [column, kind] of Object.entries(codec)) {
    if (column in out) out[column] = decodeValue(kind, out[column]);
  }
  return out as T;
}

/** Text of a JSON column; text that is not JSON (written by hand, say) reads as the text itself, not as a failed request. */
function parseStoredJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// Values that the two engines store differently (dates, booleans, JSON) go through these
// codecs, so a row reads back identically from MySQL, MariaDB and SQLite.

export type ColumnKind = 'date' | 'boolean' | 'json';
export type RowCodec = Record<string, ColumnKind>;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** 'YYYY-MM-DD HH:MM:SS.mmm' in UTC: what DATETIME(3) holds and what sorts as text in SQLite. */
export function formatUtcDatetime(date: Date): string {
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`
  );
}

export function parseUtcDatetime(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  const text = String(value);
  // SQLite gives back our text; treat a value without a zone as UTC.
  const iso = text.includes('T') ? text : text.replace(' ', 'T');
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
}

export function encodeValue(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  switch (kind) {
    case 'date':
      return formatUtcDatetime(value instanceof Date ? value : new Date(value as string));
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
      return typeof value === 'string' ? JSON.parse(value) : value;
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

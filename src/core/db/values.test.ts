// Database suite (SQLite and MySQL): rows written through the codecs into a table made with the
// migration helpers read back identically on both engines.

import type { Knex } from 'knex';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSite, describeEachEngine, type TestSite } from '../../../test/support/site.js';
import { isSqlite } from './connect.js';
import { createTable, datetime, timestamps } from './schema.js';
import {
  DateOutOfRangeError,
  decodeRow,
  decodeValue,
  encodeRow,
  encodeValue,
  formatUtcDatetime,
  parseUtcDatetime,
  STORABLE_DATES,
  type RowCodec,
} from './values.js';

interface Part {
  id: number;
  inspected_at: Date | null;
  certified: boolean | null;
  spec: unknown;
  label: string | null;
  created_at: Date;
  updated_at: Date;
}

const codec: RowCodec = { inspected_at: 'date', certified: 'boolean', spec: 'json', created_at: 'date', updated_at: 'date' };

const LABELS = {
  emoji: 'Wartung 🛠️✈️ fällig',
  cjk: '航空機部品',
  accents: 'Ångström · Müller · café · señor · Øresund',
  astral: '𝔘𝔫𝔦 😀 𠜎',
  mixed: 'Bohrung Ø 6,35 mm — 航空機部品 🛠️ 𝄞',
};

const SPEC = {
  partNumber: 'AB-1234/5',
  tolerances: { bore: { nominal: 6.35, plus: 0.012, minus: -0.005 }, flatness: 1e-7 },
  operations: [
    { op: 10, machine: 'DMG MORI NHX 5000', steps: ['rough', 'finish'] },
    { op: 20, machine: null, steps: [] },
  ],
  counts: { max: Number.MAX_SAFE_INTEGER, min: -2147483648, zero: 0 },
  flags: [true, false, null],
  notes: 'Prüfmaß 航空機部品 🛠️✈️ "quoted" \\ backslash',
};

describeEachEngine('values round-trip', (engine) => {
  let site: TestSite;
  let db: Knex;

  beforeEach(async () => {
    site = await createSite(engine);
    db = await site.open();
    await createTable(db, 'parts', (table) => {
      table.increments('id').primary();
      datetime(table, 'inspected_at').nullable();
      table.boolean('certified').nullable();
      table.json('spec').nullable();
      table.text('label').nullable();
      timestamps(db, table);
    });
  });

  afterEach(async () => {
    await db.destroy();
    await site.cleanup();
  });

  async function roundTrip(row: Partial<Part>): Promise<Part> {
    const [id] = await db('parts').insert(encodeRow(codec, row));
    const stored = (await db('parts').where({ id }).first()) as Record<string, unknown>;
    return decodeRow<Part>(codec, stored);
  }

  it.each([
    ['with milliseconds', '2026-11-27T08:15:30.123Z'],
    ['at the last millisecond of a year', '2025-12-31T23:59:59.999Z'],
    ['before 1970', '1969-07-20T20:17:40.001Z'],
    ['far in the past', '1000-01-01T00:00:00.007Z'],
    ['far in the future', '9999-12-31T23:59:59.998Z'],
  ])('reads back a DATETIME(3) %s as the same instant', async (_, iso) => {
    const read = await roundTrip({ inspected_at: new Date(iso) });

    expect(read.inspected_at).toBeInstanceOf(Date);
    expect(read.inspected_at!.toISOString()).toBe(iso);
  });

  it('reads back every accepted instant as the same instant: 400 random ones across 1000–9999 and the edges', async () => {
    // A fixed seed: a failure names an instant that fails again on the next run.
    let seed = 20261202;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const min = STORABLE_DATES.min.getTime();
    const max = STORABLE_DATES.max.getTime();
    const instants = [
      min,
      max,
      min + 1,
      max - 1,
      Date.UTC(1970, 0, 1),
      Date.parse('2000-02-29T12:00:00.500Z'),
      ...Array.from({ length: 400 }, () => min + Math.floor(random() * (max - min))),
    ];
    const ids: number[] = [];
    for (let i = 0; i < instants.length; i += 100) {
      for (const time of instants.slice(i, i + 100))
        ids.push(Number((await db('parts').insert(encodeRow(codec, { inspected_at: new Date(time) })))[0]));
    }

    const rows = (await db('parts').whereIn('id', ids).orderBy('id').select('inspected_at')) as Array<Record<string, unknown>>;

    expect(rows.map((row) => decodeRow<Part>(codec, row).inspected_at!.toISOString())).toEqual(
      instants.map((time) => new Date(time).toISOString()),
    );
  });

  it('orders and filters dates by instant with encoded bounds', async () => {
    const instants = ['2026-01-01T00:00:00.001Z', '2026-01-01T00:00:00.010Z', '2026-01-01T00:00:00.100Z', '2025-12-31T23:59:59.999Z'];
    for (const iso of instants) await roundTrip({ inspected_at: new Date(iso) });

    const rows = (await db('parts')
      .where('inspected_at', '>', encodeValue('date', new Date('2026-01-01T00:00:00.001Z')) as string)
      .orderBy('inspected_at', 'desc')) as Array<Record<string, unknown>>;

    expect(rows.map((row) => decodeRow<Part>(codec, row).inspected_at!.toISOString())).toEqual([
      '2026-01-01T00:00:00.100Z',
      '2026-01-01T00:00:00.010Z',
    ]);
  });

  it('fills created_at and updated_at with the current UTC time, to the millisecond', async () => {
    const before = Date.now();

    const read = await roundTrip({ label: 'defaults' });

    const after = Date.now();
    for (const value of [read.created_at, read.updated_at]) {
      expect(value).toBeInstanceOf(Date);
      expect(value.getTime()).toBeGreaterThanOrEqual(before - 2000);
      expect(value.getTime()).toBeLessThanOrEqual(after + 2000);
    }
  });

  it('reads booleans back as true and false, and null as null', async () => {
    const yes = await roundTrip({ certified: true });
    const no = await roundTrip({ certified: false });
    const unknown = await roundTrip({ certified: null });

    expect(yes.certified).toBe(true);
    expect(no.certified).toBe(false);
    expect(unknown.certified).toBeNull();
  });

  it('reads JSON back deep-equal: nested objects, arrays, unicode and numbers', async () => {
    const read = await roundTrip({ spec: SPEC });
    const list = await roundTrip({ spec: [1, 'two', { three: 3.5 }] });

    expect(read.spec).toEqual(SPEC);
    expect(list.spec).toEqual([1, 'two', { three: 3.5 }]);
  });

  it.each(Object.entries(LABELS))('stores %s text and reads it back byte-identical', async (_, text) => {
    const read = await roundTrip({ label: text });

    expect(Buffer.from(read.label!, 'utf8').equals(Buffer.from(text, 'utf8'))).toBe(true);
  });

  it('keeps the same bytes in the database as the text sent (utf8mb4, not a lossy charset)', async () => {
    const [id] = await db('parts').insert({ label: LABELS.mixed });

    const hexOf = isSqlite(db)
      ? ((await db.raw('select hex(label) as hex from parts where id = ?', [id])) as Array<{ hex: string }>)[0]!.hex
      : ((await db.raw('select hex(label) as hex from parts where id = ?', [id])) as [Array<{ hex: string }>])[0][0]!.hex;

    expect(hexOf.toLowerCase()).toBe(Buffer.from(LABELS.mixed, 'utf8').toString('hex'));
  });

  if (engine === 'mysql') {
    it('creates the table as InnoDB with utf8mb4 and a millisecond DATETIME', async () => {
      const [tables] = (await db.raw(
        'select ENGINE as engine, TABLE_COLLATION as collation from information_schema.TABLES where TABLE_SCHEMA = database() and TABLE_NAME = ?',
        ['parts'],
      )) as [Array<{ engine: string; collation: string }>];
      const [columns] = (await db.raw(
        'select COLUMN_NAME as name, CHARACTER_SET_NAME as charset, DATETIME_PRECISION as precision_ from information_schema.COLUMNS where TABLE_SCHEMA = database() and TABLE_NAME = ? order by ORDINAL_POSITION',
        ['parts'],
      )) as [Array<{ name: string; charset: string | null; precision_: number | null }>];

      expect(tables[0]).toEqual({ engine: 'InnoDB', collation: 'utf8mb4_unicode_ci' });
      expect(columns.find((c) => c.name === 'label')!.charset).toBe('utf8mb4');
      expect(Number(columns.find((c) => c.name === 'inspected_at')!.precision_)).toBe(3);
    });
  }
});

describe('value codecs', () => {
  it('formats a date as a UTC DATETIME(3) literal, whatever the local time zone', () => {
    expect(formatUtcDatetime(new Date('2026-03-29T01:30:05.007+02:00'))).toBe('2026-03-28 23:30:05.007');
  });

  it('refuses to encode an instant outside 1000–9999 (or an invalid one) with a ValidationError, before any write', () => {
    for (const date of [
      new Date('0999-12-31T23:59:59.999Z'),
      new Date('0001-01-01T00:00:00Z'),
      new Date(Date.UTC(10000, 0, 1)),
      new Date('nonsense'),
    ]) {
      expect(() => formatUtcDatetime(date)).toThrow(DateOutOfRangeError);
      expect(() => encodeValue('date', date)).toThrow(/outside the dates shopdb stores/);
    }
    expect(formatUtcDatetime(STORABLE_DATES.min)).toBe('1000-01-01 00:00:00.000');
    expect(formatUtcDatetime(STORABLE_DATES.max)).toBe('9999-12-31 23:59:59.999');
  });

  it('reads what older rows may hold without failing: an unpadded year, a two-digit year, garbage as null', () => {
    // Written before years were padded: "1-01-01" is year 1, not 2001 (Date.UTC would say 1901).
    expect(parseUtcDatetime('1-01-01 00:00:00.000')!.toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(parseUtcDatetime('99-06-15 12:00:00')!.getUTCFullYear()).toBe(99);
    expect(parseUtcDatetime('0000-00-00 00:00:00')).not.toBeNull();
    expect(parseUtcDatetime('not a date')).toBeNull();
    expect(parseUtcDatetime(new Date('nonsense'))).toBeNull();
    expect(decodeValue('json', 'not json {')).toBe('not json {');
  });

  it('reads a DATETIME literal without a zone as UTC, and one with a zone as given', () => {
    expect(parseUtcDatetime('2026-11-27 08:15:30.123')!.toISOString()).toBe('2026-11-27T08:15:30.123Z');
    expect(parseUtcDatetime('2026-11-27T08:15:30.123+01:00')!.toISOString()).toBe('2026-11-27T07:15:30.123Z');
    expect(parseUtcDatetime(null)).toBeNull();
  });

  it('encodes booleans as 1/0 and decodes the forms the drivers return', () => {
    expect([encodeValue('boolean', true), encodeValue('boolean', false)]).toEqual([1, 0]);
    expect([decodeValue('boolean', 1), decodeValue('boolean', 0), decodeValue('boolean', '0'), decodeValue('boolean', true)]).toEqual([
      true,
      false,
      false,
      true,
    ]);
  });

  it('decodes JSON given as text (MariaDB, SQLite) or already parsed (MySQL 8)', () => {
    expect(decodeValue('json', '{"a":[1,2]}')).toEqual({ a: [1, 2] });
    expect(decodeValue('json', { a: [1, 2] })).toEqual({ a: [1, 2] });
  });

  it('leaves columns outside the codec, and absent ones, untouched', () => {
    expect(encodeRow(codec, { label: 'x', certified: true })).toEqual({ label: 'x', certified: 1 });
    expect(decodeRow(codec, { id: 7, spec: null })).toEqual({ id: 7, spec: null });
  });
});

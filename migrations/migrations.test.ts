// Database suite (SQLite and MySQL): every core migration goes up, down and up again on a fresh
// database, and leaves the schema its expectation below describes. A new migration needs an
// entry here before this suite passes.

import type { Knex } from 'knex';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSite, describeEachEngine, type TestSite } from '../test/support/site.js';
import { isSqlite } from '../src/core/db/connect.js';
import { migrateLatest, migrateRollback } from '../src/core/migrations/service.js';
import { coreMigrationSource, DirectoryMigrationSource, knexMigratorConfig } from '../src/core/migrations/sources.js';

interface TableExpectation {
  columns: string[];
  primaryKey: string[];
}

/** What each core migration creates, by migration name. */
const EXPECTED: Record<string, Record<string, TableExpectation>> = {
  '20261127A-create-settings': {
    settings: { columns: ['key', 'value', 'updated_at', 'updated_by'], primaryKey: ['key'] },
  },
};

const source = coreMigrationSource();
const KNEX_TABLES = [source.tableName, `${source.tableName}_lock`];

async function coreMigrationNames(): Promise<string[]> {
  const reader = new DirectoryMigrationSource(source.directory);
  return (await reader.getMigrations()).map((m) => reader.getMigrationName(m));
}

async function tables(db: Knex): Promise<string[]> {
  if (isSqlite(db)) {
    const rows = (await db.raw("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")) as Array<{ name: string }>;
    return rows.map((row) => row.name).sort();
  }
  const [rows] = (await db.raw('select TABLE_NAME as name from information_schema.TABLES where TABLE_SCHEMA = database()')) as [Array<{ name: string }>];
  return rows.map((row) => row.name).sort();
}

async function primaryKey(db: Knex, table: string): Promise<string[]> {
  if (isSqlite(db)) {
    const rows = (await db.raw(`pragma table_info(${JSON.stringify(table)})`)) as Array<{ name: string; pk: number }>;
    return rows.filter((row) => row.pk > 0).sort((a, b) => a.pk - b.pk).map((row) => row.name);
  }
  const [rows] = (await db.raw(
    "select COLUMN_NAME as name from information_schema.KEY_COLUMN_USAGE where TABLE_SCHEMA = database() and TABLE_NAME = ? and CONSTRAINT_NAME = 'PRIMARY' order by ORDINAL_POSITION",
    [table],
  )) as [Array<{ name: string }>];
  return rows.map((row) => row.name);
}

async function expectSchema(db: Knex, expected: Record<string, TableExpectation>): Promise<void> {
  for (const [table, expectation] of Object.entries(expected)) {
    expect(await db.schema.hasTable(table), table).toBe(true);
    expect(Object.keys(await db(table).columnInfo()).sort(), table).toEqual([...expectation.columns].sort());
    expect(await primaryKey(db, table), table).toEqual(expectation.primaryKey);
    if (!isSqlite(db)) {
      const [rows] = (await db.raw(
        'select TABLE_COLLATION as collation, ENGINE as engine from information_schema.TABLES where TABLE_SCHEMA = database() and TABLE_NAME = ?',
        [table],
      )) as [Array<{ collation: string; engine: string }>];
      expect(rows[0]?.collation, table).toMatch(/^utf8mb4_/);
      expect(rows[0]?.engine, table).toBe('InnoDB');
    }
  }
}

it('has an expectation for every core migration', async () => {
  expect(Object.keys(EXPECTED).sort()).toEqual(await coreMigrationNames());
});

describeEachEngine('core migrations', (engine) => {
  let site: TestSite;
  let db: Knex;

  beforeEach(async () => {
    site = await createSite(engine);
    db = await site.open();
  });

  afterEach(async () => {
    await db.destroy();
    await site.cleanup();
  });

  it('runs each migration up, down and up again, leaving its tables', async () => {
    const config = knexMigratorConfig(source);
    for (const name of await coreMigrationNames()) {
      const expected = EXPECTED[name] ?? {};

      const [, up] = (await db.migrate.up(config)) as [number, string[]];
      expect(up).toEqual([name]);
      await expectSchema(db, expected);

      const [, down] = (await db.migrate.down(config)) as [number, string[]];
      expect(down).toEqual([name]);
      for (const table of Object.keys(expected)) expect(await db.schema.hasTable(table), `${table} after ${name} down`).toBe(false);

      await db.migrate.up(config);
      await expectSchema(db, expected);
    }
  });

  it('leaves only knex history tables after rolling everything back', async () => {
    await migrateLatest(db, [source]);
    const created = Object.values(EXPECTED).flatMap((byTable) => Object.keys(byTable));
    expect(await tables(db)).toEqual(expect.arrayContaining(created));

    await migrateRollback(db, source, { all: true });

    expect(await tables(db)).toEqual([...KNEX_TABLES].sort());
  });

  it('stores settings values as JSON with a default updated_at', async () => {
    await migrateLatest(db, [source]);

    await db('settings').insert({ key: 'site.label', value: JSON.stringify({ name: 'Halle 3 — 航空機部品 🛠️' }) });
    const row = (await db('settings').where({ key: 'site.label' }).first()) as { value: unknown; updated_at: unknown; updated_by: unknown };

    const value = typeof row.value === 'string' ? JSON.parse(row.value) : row.value;
    expect(value).toEqual({ name: 'Halle 3 — 航空機部品 🛠️' });
    expect(row.updated_at).not.toBeNull();
    expect(row.updated_by).toBeNull();
    await expect(db('settings').insert({ key: 'site.label', value: '1' })).rejects.toThrow();
  });
});

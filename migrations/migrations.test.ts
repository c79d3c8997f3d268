// Database suite (SQLite and MySQL): every core migration goes up, down and up again on a fresh
// database, and leaves the schema its expectation below describes. A new migration needs an
// entry here (EXPECTED for tables it creates, EXPECTED_INDEXES for indexes it adds to existing
// tables) before this suite passes.

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
  '20261127B-create-asset-model': {
    locations: { columns: ['id', 'parent_id', 'kind', 'code', 'name', 'path', 'notes', 'created_at', 'updated_at'], primaryKey: ['id'] },
    manufacturers: { columns: ['id', 'name', 'url', 'notes', 'created_at', 'updated_at'], primaryKey: ['id'] },
    asset_models: {
      columns: ['id', 'manufacturer_id', 'name', 'part_number', 'category', 'end_of_life', 'created_at', 'updated_at'],
      primaryKey: ['id'],
    },
    status_labels: { columns: ['id', 'name', 'color', 'kind', 'created_at', 'updated_at'], primaryKey: ['id'] },
    asset_types: { columns: ['id', 'key', 'label', 'plugin', 'fields', 'created_at', 'updated_at'], primaryKey: ['id'] },
    assets: {
      columns: [
        'id',
        'uuid',
        'asset_tag',
        'name',
        'hostname',
        'serial',
        'type_id',
        'model_id',
        'status_id',
        'location_id',
        'notes',
        'custom_data',
        'created_at',
        'updated_at',
        'deleted_at',
      ],
      primaryKey: ['id'],
    },
    asset_positions: { columns: ['asset_id', 'location_id', 'x', 'y', 'created_at', 'updated_at'], primaryKey: ['asset_id'] },
    asset_links: {
      columns: ['id', 'source_asset_id', 'target_asset_id', 'link_type', 'note', 'created_at', 'updated_at'],
      primaryKey: ['id'],
    },
  },
  '20261127C-create-users-and-audit': {
    roles: { columns: ['name', 'description', 'rank'], primaryKey: ['name'] },
    users: {
      columns: [
        'id',
        'username',
        'display_name',
        'email',
        'password_hash',
        'role',
        'auth_source',
        'disabled',
        'last_login_at',
        'created_at',
        'updated_at',
      ],
      primaryKey: ['id'],
    },
    api_tokens: {
      columns: [
        'id',
        'user_id',
        'name',
        'token_prefix',
        'token_hash',
        'scope',
        'expires_at',
        'last_used_at',
        'revoked_at',
        'created_at',
        'updated_at',
      ],
      primaryKey: ['id'],
    },
    audit_log: {
      columns: ['id', 'at', 'user_id', 'username', 'action', 'object_type', 'object_id', 'before', 'after', 'request_id'],
      primaryKey: ['id'],
    },
    installed_plugins: { columns: ['name', 'version', 'enabled', 'installed_at', 'updated_at'], primaryKey: ['name'] },
  },
  '20261202A-create-write-locks': {
    write_locks: { columns: ['lock_key', 'version', 'created_at'], primaryKey: ['lock_key'] },
  },
  '20261202B-create-sessions': {
    sessions: {
      columns: [
        'id',
        'sid_hash',
        'user_id',
        'created_at',
        'expires_at',
        'last_seen_at',
        'revoked_at',
        'revoked_reason',
        'ip',
        'user_agent',
      ],
      primaryKey: ['id'],
    },
  },
  '20261202C-create-login-throttle': {
    login_throttle: { columns: ['bucket', 'hits', 'window_ends_at'], primaryKey: ['bucket'] },
  },
  '20261203A-create-schema-lock': {
    schema_lock: { columns: ['id', 'holder', 'acquired_at'], primaryKey: ['id'] },
  },
  '20261204A-create-monitoring': {
    monitoring_pins: { columns: ['asset_id', 'hostid', 'host', 'matched_how', 'matched_at', 'matched_by'], primaryKey: ['asset_id'] },
    monitoring_cache: { columns: ['cache_key', 'body', 'fetched_at', 'last_error', 'last_error_at'], primaryKey: ['cache_key'] },
  },
  '20261204B-create-imports': {
    imports: {
      columns: [
        'id',
        'status',
        'file_name',
        'file_sha256',
        'format',
        'source',
        'plan_fingerprint',
        'username',
        'counts',
        'started_at',
        'finished_at',
      ],
      primaryKey: ['id'],
    },
    import_legacy_ids: { columns: ['source', 'legacy_id', 'asset_id', 'import_id'], primaryKey: ['source', 'legacy_id'] },
  },
  '20261203B-directory-login': {
    scheduled_rounds: {
      columns: ['name', 'next_run_at', 'claimed_by', 'last_started_at', 'last_finished_at', 'last_outcome'],
      primaryKey: ['name'],
    },
  },
};

/** Columns a migration adds to tables that already exist, by table. */
const EXPECTED_COLUMNS: Record<string, Record<string, string[]>> = {
  // Widens api_tokens.scope on MySQL only; no column comes or goes.
  '20261203S-api-token-summary-scope': {},
  '20261204D-audit-asset-id': { audit_log: ['asset_id'] },
  '20261202D-unique-text-keys': {
    assets: ['asset_tag_key'],
    locations: ['code_key'],
    manufacturers: ['name_key'],
    asset_models: ['name_key'],
    status_labels: ['name_key'],
    users: ['username_key'],
  },
  '20261203B-directory-login': {
    users: ['ldap_dn', 'ldap_checked_at', 'ldap_refusal'],
  },
};

/** Indexes a migration adds to tables that already exist, by engine, table and index name. */
const EXPECTED_INDEXES: Record<string, Record<'sqlite' | 'mysql', Record<string, string[]>>> = {
  // MySQL's column indexes of 20261127B already serve a case-insensitive prefix LIKE (ADR-007).
  '20261127D-asset-search-indexes': {
    sqlite: {
      assets: ['assets_asset_tag_nocase_index', 'assets_name_nocase_index', 'assets_serial_nocase_index', 'assets_hostname_nocase_index'],
    },
    mysql: {},
  },
  '20261204D-audit-asset-id': {
    sqlite: { audit_log: ['audit_log_asset_id_id_index'] },
    mysql: { audit_log: ['audit_log_asset_id_id_index'] },
  },
};

/** The unique indexes 20261202D puts on the key columns (both engines), and the raw unique indexes it removes. */
const TEXT_KEY_INDEXES: Record<string, { added: string[]; removed: string[] }> = {
  assets: { added: ['assets_asset_tag_key_unique', 'assets_asset_tag_index'], removed: ['assets_asset_tag_unique'] },
  locations: { added: ['locations_code_key_unique'], removed: ['locations_code_unique'] },
  manufacturers: { added: ['manufacturers_name_key_unique'], removed: ['manufacturers_name_unique'] },
  asset_models: { added: ['asset_models_manufacturer_id_name_key_unique'], removed: ['asset_models_manufacturer_id_name_unique'] },
  status_labels: { added: ['status_labels_name_key_unique'], removed: ['status_labels_name_unique'] },
  users: { added: ['users_username_key_unique'], removed: ['users_username_unique'] },
};
for (const engine of ['sqlite', 'mysql'] as const) {
  EXPECTED_INDEXES['20261202D-unique-text-keys'] ??= { sqlite: {}, mysql: {} };
  for (const [table, { added }] of Object.entries(TEXT_KEY_INDEXES)) EXPECTED_INDEXES['20261202D-unique-text-keys'][engine][table] = added;
}

const source = coreMigrationSource();
const KNEX_TABLES = [source.tableName, `${source.tableName}_lock`];

async function coreMigrationNames(): Promise<string[]> {
  const reader = new DirectoryMigrationSource(source.directory);
  return (await reader.getMigrations()).map((m) => reader.getMigrationName(m));
}

async function tables(db: Knex): Promise<string[]> {
  if (isSqlite(db)) {
    const rows = (await db.raw("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")) as Array<{
      name: string;
    }>;
    return rows.map((row) => row.name).sort();
  }
  const [rows] = (await db.raw('select TABLE_NAME as name from information_schema.TABLES where TABLE_SCHEMA = database()')) as [
    Array<{ name: string }>,
  ];
  return rows.map((row) => row.name).sort();
}

async function primaryKey(db: Knex, table: string): Promise<string[]> {
  if (isSqlite(db)) {
    const rows = (await db.raw(`pragma table_info(${JSON.stringify(table)})`)) as Array<{ name: string; pk: number }>;
    return rows
      .filter((row) => row.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((row) => row.name);
  }
  const [rows] = (await db.raw(
    "select COLUMN_NAME as name from information_schema.KEY_COLUMN_USAGE where TABLE_SCHEMA = database() and TABLE_NAME = ? and CONSTRAINT_NAME = 'PRIMARY' order by ORDINAL_POSITION",
    [table],
  )) as [Array<{ name: string }>];
  return rows.map((row) => row.name);
}

async function indexNames(db: Knex, table: string): Promise<string[]> {
  if (isSqlite(db)) {
    const rows = (await db.raw(`pragma index_list(${JSON.stringify(table)})`)) as Array<{ name: string }>;
    return rows.map((row) => row.name);
  }
  const [rows] = (await db.raw(
    'select distinct INDEX_NAME as name from information_schema.STATISTICS where TABLE_SCHEMA = database() and TABLE_NAME = ?',
    [table],
  )) as [Array<{ name: string }>];
  return rows.map((row) => row.name);
}

/** Each expected index is there (`present`) or gone. */
async function expectIndexes(db: Knex, migration: string, present: boolean): Promise<void> {
  const byTable = EXPECTED_INDEXES[migration]?.[isSqlite(db) ? 'sqlite' : 'mysql'] ?? {};
  for (const [table, names] of Object.entries(byTable)) {
    const actual = await indexNames(db, table);
    for (const name of names) expect(actual.includes(name), `${table}.${name} after ${migration} ${present ? 'up' : 'down'}`).toBe(present);
  }
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
  expect([...new Set([...Object.keys(EXPECTED), ...Object.keys(EXPECTED_INDEXES), ...Object.keys(EXPECTED_COLUMNS)])].sort()).toEqual(
    await coreMigrationNames(),
  );
});

/** Each added column is there (`present`) or gone. */
async function expectColumns(db: Knex, migration: string, present: boolean): Promise<void> {
  for (const [table, columns] of Object.entries(EXPECTED_COLUMNS[migration] ?? {})) {
    for (const column of columns)
      expect(await db.schema.hasColumn(table, column), `${table}.${column} after ${migration} ${present ? 'up' : 'down'}`).toBe(present);
  }
}

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
      await expectIndexes(db, name, true);
      await expectColumns(db, name, true);

      const [, down] = (await db.migrate.down(config)) as [number, string[]];
      expect(down).toEqual([name]);
      for (const table of Object.keys(expected)) expect(await db.schema.hasTable(table), `${table} after ${name} down`).toBe(false);
      await expectIndexes(db, name, false);
      await expectColumns(db, name, false);
      if (name === '20261202D-unique-text-keys') {
        for (const [table, { removed }] of Object.entries(TEXT_KEY_INDEXES))
          expect(await indexNames(db, table), `${table} after ${name} down`).toEqual(expect.arrayContaining(removed));
      }

      await db.migrate.up(config);
      await expectSchema(db, expected);
      await expectIndexes(db, name, true);
      await expectColumns(db, name, true);
      if (name === '20261202D-unique-text-keys') {
        for (const [table, { removed }] of Object.entries(TEXT_KEY_INDEXES))
          for (const index of removed) expect(await indexNames(db, table), table).not.toContain(index);
      }
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

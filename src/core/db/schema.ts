// Helpers for migrations, so that one migration file produces the same schema on MySQL 8,
// MariaDB and SQLite: utf8mb4 tables, millisecond UTC timestamps, portable defaults.

import type { Knex } from 'knex';

/** `CURRENT_TIMESTAMP` with milliseconds, in the format the engine stores DATETIME(3) in. */
export function nowDefault(knex: Knex): Knex.Raw {
  return knex.client.config.client === 'better-sqlite3'
    ? knex.raw("(strftime('%Y-%m-%d %H:%M:%f', 'now'))")
    : knex.raw('CURRENT_TIMESTAMP(3)');
}

/** Creates a table that stores any Unicode text (emoji, CJK) on MySQL, and InnoDB for foreign keys. */
export async function createTable(knex: Knex, name: string, build: (table: Knex.CreateTableBuilder) => void): Promise<void> {
  await knex.schema.createTable(name, (table) => {
    if (knex.client.config.client !== 'better-sqlite3') {
      table.engine('InnoDB');
      table.charset('utf8mb4');
      table.collate('utf8mb4_unicode_ci');
    }
    build(table);
  });
}

/** A DATETIME(3) column holding UTC. */
export function datetime(table: Knex.CreateTableBuilder, name: string): Knex.ColumnBuilder {
  return table.datetime(name, { precision: 3 });
}

/** created_at / updated_at, both defaulting to now. */
export function timestamps(knex: Knex, table: Knex.CreateTableBuilder): void {
  datetime(table, 'created_at').notNullable().defaultTo(nowDefault(knex));
  datetime(table, 'updated_at').notNullable().defaultTo(nowDefault(knex));
}

/** The tables of the connected database (SQLite's own bookkeeping tables left out), sorted. */
export async function listTables(knex: Knex | Knex.Transaction): Promise<string[]> {
  const client = (knex.client as { config: { client: string } }).config.client;
  const rows =
    client === 'better-sqlite3' || client === 'sqlite3'
      ? ((await knex.raw("select name from sqlite_master where type = 'table' and name not like 'sqlite\\_%' escape '\\'")) as Array<{
          name: string;
        }>)
      : (
          (await knex.raw('select table_name as name from information_schema.tables where table_schema = database()')) as unknown as [
            Array<{ name: string }>,
          ]
        )[0];
  return rows.map((row) => row.name).sort();
}

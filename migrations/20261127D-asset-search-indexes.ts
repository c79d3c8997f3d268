// Asset search is a case-insensitive prefix match on the tag, name, serial and hostname
// (ADR-007); every one of those columns needs an index that such a LIKE can use.
//
// On MySQL and MariaDB the column indexes of 20261127B already can: the columns are
// utf8mb4_unicode_ci, so `LIKE 'abc%'` is a range on them. SQLite uses an index for LIKE only
// when the index folds case like LIKE does (COLLATE NOCASE); its column indexes are BINARY
// (and stay, for ORDER BY), so SQLite gets a NOCASE index per column.

import type { Knex } from 'knex';

const SEARCH_COLUMNS = ['asset_tag', 'name', 'serial', 'hostname'];

const indexName = (column: string) => `assets_${column}_nocase_index`;

function isSqlite(knex: Knex): boolean {
  return knex.client.config.client === 'better-sqlite3';
}

export async function up(knex: Knex): Promise<void> {
  if (!isSqlite(knex)) return;
  for (const column of SEARCH_COLUMNS) await knex.raw(`CREATE INDEX ${indexName(column)} ON assets (${column} COLLATE NOCASE)`);
}

export async function down(knex: Knex): Promise<void> {
  if (!isSqlite(knex)) return;
  for (const column of SEARCH_COLUMNS) await knex.raw(`DROP INDEX ${indexName(column)}`);
}

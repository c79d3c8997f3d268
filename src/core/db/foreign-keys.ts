// The foreign keys of the connected database, read from the engine itself (information_schema on
// MySQL/MariaDB, PRAGMA foreign_key_list on SQLite), so a table about to be dropped can be checked
// for tables that still point at it.

import type { Knex } from 'knex';
import { isSqlite } from './connect.js';
import { listTables } from './schema.js';

export interface ForeignKey {
  /** The referencing table and column. */
  table: string;
  column: string;
  referencedTable: string;
}

export async function listForeignKeys(db: Knex): Promise<ForeignKey[]> {
  if (isSqlite(db)) {
    const keys: ForeignKey[] = [];
    for (const table of await listTables(db)) {
      const rows = (await db.raw('pragma foreign_key_list(??)', [table])) as Array<{ table: string; from: string }>;
      for (const row of rows) keys.push({ table, column: row.from, referencedTable: row.table });
    }
    return keys;
  }
  const [rows] = (await db.raw(
    'select TABLE_NAME as tableName, COLUMN_NAME as columnName, REFERENCED_TABLE_NAME as referencedTable from information_schema.KEY_COLUMN_USAGE where TABLE_SCHEMA = database() and REFERENCED_TABLE_SCHEMA = database() and REFERENCED_TABLE_NAME is not null order by TABLE_NAME, COLUMN_NAME',
  )) as unknown as [Array<{ tableName: string; columnName: string; referencedTable: string }>];
  return rows.map((row) => ({ table: row.tableName, column: row.columnName, referencedTable: row.referencedTable }));
}

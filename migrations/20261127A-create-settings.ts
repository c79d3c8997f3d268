// Site settings: a key/value store for what an administrator changes at run time (the .env
// holds what is fixed at deploy time).

import type { Knex } from 'knex';
import { createTable, datetime, nowDefault } from '../src/core/db/schema.js';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'settings', (table) => {
    table.string('key', 191).primary();
    table.json('value').notNullable();
    datetime(table, 'updated_at').notNullable().defaultTo(nowDefault(knex));
    table.string('updated_by', 191).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('settings');
}

// Login attempt counters shared by every replica and kept across restarts (ADR-012): per client
// address, per username and address, per username, and the addresses a user has logged in from.

import type { Knex } from 'knex';
import { createTable, datetime } from '../src/core/db/schema.js';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'login_throttle', (table) => {
    // e.g. "ip:10.1.2.3", "pair:alice|10.1.2.3", "user:alice", "known:alice|10.1.2.3"
    table.string('bucket', 191).primary();
    table.integer('hits').unsigned().notNullable();
    // The counter starts again from zero after this moment (a fixed window).
    datetime(table, 'window_ends_at').notNullable();
    table.index(['window_ends_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('login_throttle');
}

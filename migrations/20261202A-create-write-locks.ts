// Serialisation keys (src/core/db/transaction.ts, ADR-012): a write that checks a rule before it
// writes (seats of a licence, a counter that never goes down, a tree without cycles) first bumps
// the row of its key here, so competing writers on any replica or cluster node go one at a time.

import type { Knex } from 'knex';
import { createTable, datetime, nowDefault } from '../src/core/db/schema.js';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'write_locks', (table) => {
    table.string('lock_key', 191).primary();
    // Bumped by every holder: the write is the point, the number only shows the traffic.
    table.bigInteger('version').unsigned().notNullable().defaultTo(0);
    datetime(table, 'created_at').notNullable().defaultTo(nowDefault(knex));
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('write_locks');
}

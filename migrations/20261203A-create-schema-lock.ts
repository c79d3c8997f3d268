// The site's schema lock (src/core/migrations/schema-lock.ts, ADR-014): one row while a run
// changes plugins' schemas (plugin install, upgrade, uninstall; the plugins' part of migrate), so
// two such runs from two hosts — on two nodes of a cluster — go one at a time. A row, not a
// server-side named lock: GET_LOCK is local to one Galera node, an insert is certified cluster-wide.

import type { Knex } from 'knex';
import { createTable, datetime } from '../src/core/db/schema.js';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'schema_lock', (table) => {
    table.integer('id').primary();
    table.string('holder', 255).notNullable();
    datetime(table, 'acquired_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('schema_lock');
}

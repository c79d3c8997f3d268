// Zabbix monitoring (issue 16, ADR-022): which Zabbix host each asset is pinned to, with when and
// how the pin was made, and the cache every replica shares of what Zabbix said last (the host
// map, the open problems), with when it was fetched and the last failure.

import type { Knex } from 'knex';
import { createTable, datetime } from '../src/core/db/schema.js';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'monitoring_pins', (table) => {
    table.bigInteger('asset_id').unsigned().primary().references('id').inTable('assets').onDelete('CASCADE');
    // Zabbix ids are unsigned 64-bit numbers: kept as their decimal text.
    table.string('hostid', 20).notNullable();
    // The host's technical name when it was pinned, for people reading the pin.
    table.string('host', 128).notNullable();
    // hostname | short-name | ip | manual
    table.string('matched_how', 16).notNullable();
    datetime(table, 'matched_at').notNullable();
    table.string('matched_by', 128).notNullable();
    table.unique(['hostid']);
  });
  await createTable(knex, 'monitoring_cache', (table) => {
    // "hosts" or "problems"
    table.string('cache_key', 32).primary();
    // JSON; null until the first successful fetch.
    table.text('body', 'mediumtext').nullable();
    datetime(table, 'fetched_at').nullable();
    table.text('last_error').nullable();
    datetime(table, 'last_error_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('monitoring_cache');
  await knex.schema.dropTable('monitoring_pins');
}

// The computers plugin's schema: one row of host details per computer asset (1:1 with assets,
// gone with it; the hostname stays the core's assets.hostname), and each PC's network interfaces.
// Which machines a PC drives is not here: it is the core's asset_links (`controls`).

import type { Knex } from 'knex';
import { createTable, datetime, timestamps } from 'shopdb/sdk';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'computers_hosts', (table) => {
    table.bigInteger('asset_id').unsigned().primary().references('id').inTable('assets').onDelete('CASCADE');
    table.string('os_name', 100).nullable();
    table.string('os_version', 64).nullable();
    table.boolean('domain_joined').notNullable().defaultTo(false);
    table.string('domain_name', 191).nullable();
    datetime(table, 'last_seen_at').nullable();
    table.date('warranty_end').nullable();
    timestamps(knex, table);
    table.index(['os_name']);
  });

  await createTable(knex, 'computers_interfaces', (table) => {
    table.increments('id').primary();
    table.bigInteger('asset_id').unsigned().notNullable().references('id').inTable('assets').onDelete('CASCADE');
    table.string('name', 64).notNullable();
    table.string('ip', 45).nullable();
    // Normalised aa:bb:cc:dd:ee:ff: one network card belongs to one PC.
    table.string('mac', 17).notNullable().unique();
    table.integer('vlan').unsigned().nullable();
    timestamps(knex, table);
    table.unique(['asset_id', 'name']);
    table.index(['ip']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('computers_interfaces');
  await knex.schema.dropTable('computers_hosts');
}

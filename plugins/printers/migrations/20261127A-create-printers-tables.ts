// The printers plugin's schema: one detail row per printer asset, the page-counter readings taken
// from it over time, and the levels of its consumables (toner, drum, fuser, waste box).

import type { Knex } from 'knex';
import { createTable, datetime, timestamps } from 'shopdb/sdk';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'printers_devices', (table) => {
    table.bigInteger('asset_id').unsigned().primary().references('id').inTable('assets').onDelete('CASCADE');
    table.string('ip_address', 45).nullable();
    table.string('queue_name', 100).nullable();
    table.string('driver', 191).nullable();
    table.boolean('colour').notNullable().defaultTo(false);
    table.boolean('duplex').notNullable().defaultTo(false);
    timestamps(knex, table);
    table.index(['ip_address']);
  });

  await createTable(knex, 'printers_page_counts', (table) => {
    table.bigIncrements('id').primary();
    table.bigInteger('asset_id').unsigned().notNullable().references('id').inTable('assets').onDelete('CASCADE');
    datetime(table, 'recorded_at').notNullable();
    table.bigInteger('total_pages').unsigned().notNullable();
    table.bigInteger('colour_pages').unsigned().nullable();
    // The meter was replaced before this reading: it may be lower than the one before.
    table.boolean('meter_reset').notNullable().defaultTo(false);
    timestamps(knex, table);
    table.index(['asset_id', 'recorded_at', 'id']);
  });

  await createTable(knex, 'printers_consumables', (table) => {
    table.bigIncrements('id').primary();
    table.bigInteger('asset_id').unsigned().notNullable().references('id').inTable('assets').onDelete('CASCADE');
    // toner | drum | fuser | waste | other
    table.string('kind', 16).notNullable();
    // '' for a consumable without a colour (a fuser, a mono toner): both engines treat NULLs as
    // distinct in a unique index, which would let the same fuser be listed twice. The API says null.
    table.string('colour', 32).notNullable().defaultTo('');
    table.string('part_number', 100).nullable();
    table.tinyint('level_percent').unsigned().notNullable();
    datetime(table, 'updated_at').notNullable();
    table.unique(['asset_id', 'kind', 'colour']);
    table.index(['level_percent']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const name of ['printers_consumables', 'printers_page_counts', 'printers_devices']) await knex.schema.dropTable(name);
}

// The notices of the shop floor and who has dismissed which. A notice targets the whole site, a
// location (and so everything under it) or one asset; it goes with its location or asset when
// that row is deleted.

import type { Knex } from 'knex';
import { createTable, datetime, timestamps } from 'shopdb/sdk';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'notifications_notices', (table) => {
    table.increments('id').primary();
    table.string('title', 191).notNullable();
    table.text('body').nullable();
    // info | warning | critical
    table.string('severity', 16).notNullable();
    datetime(table, 'starts_at').notNullable();
    datetime(table, 'ends_at').nullable();
    // site | location | asset; exactly the matching id column is set.
    table.string('target_kind', 16).notNullable();
    table.integer('location_id').unsigned().nullable().references('id').inTable('locations').onDelete('CASCADE');
    table.bigInteger('asset_id').unsigned().nullable().references('id').inTable('assets').onDelete('CASCADE');
    table.boolean('dismissable').notNullable().defaultTo(true);
    table.integer('created_by').unsigned().nullable().references('id').inTable('users').onDelete('SET NULL');
    timestamps(knex, table);
    // "Active now" reads notices by start; the targets are looked up by id.
    table.index(['starts_at']);
    table.index(['target_kind']);
    table.index(['location_id']);
    table.index(['asset_id']);
  });

  await createTable(knex, 'notifications_dismissals', (table) => {
    table.integer('notice_id').unsigned().notNullable().references('id').inTable('notifications_notices').onDelete('CASCADE');
    table.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    datetime(table, 'dismissed_at').notNullable();
    table.primary(['notice_id', 'user_id']);
    table.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notifications_dismissals');
  await knex.schema.dropTable('notifications_notices');
}

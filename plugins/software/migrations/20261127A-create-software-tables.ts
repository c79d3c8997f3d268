// The software plugin's schema: titles, their licences (with the licence key, a secret only an
// admin may read back), installations of a title on a computer asset, and removable media with
// their checkouts.

import type { Knex } from 'knex';
import { createTable, datetime, timestamps } from 'shopdb/sdk';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'software_titles', (table) => {
    table.increments('id').primary();
    table.string('name', 191).notNullable();
    table.string('vendor', 191).nullable();
    table.string('version', 64).notNullable();
    timestamps(knex, table);
    table.unique(['name', 'version']);
  });

  await createTable(knex, 'software_licences', (table) => {
    table.increments('id').primary();
    table.integer('title_id').unsigned().notNullable().references('id').inTable('software_titles').onDelete('RESTRICT');
    // Secret: read only by the admin-only reveal, never listed, logged or audited.
    table.string('licence_key', 500).nullable();
    table.integer('seats').unsigned().notNullable();
    table.date('expires_on').nullable();
    table.text('notes').nullable();
    timestamps(knex, table);
    table.index(['title_id']);
    table.index(['expires_on']);
  });

  await createTable(knex, 'software_installations', (table) => {
    table.increments('id').primary();
    table.integer('title_id').unsigned().notNullable().references('id').inTable('software_titles').onDelete('RESTRICT');
    table.bigInteger('asset_id').unsigned().notNullable().references('id').inTable('assets').onDelete('CASCADE');
    table.integer('licence_id').unsigned().nullable().references('id').inTable('software_licences').onDelete('SET NULL');
    table.date('installed_on').notNullable();
    timestamps(knex, table);
    table.unique(['title_id', 'asset_id']);
    table.index(['asset_id']);
    table.index(['licence_id']);
  });

  await createTable(knex, 'software_media', (table) => {
    table.increments('id').primary();
    table.string('label', 64).notNullable().unique();
    // usb | dvd | sd
    table.string('kind', 8).notNullable();
    table.string('capacity', 32).nullable();
    table.text('notes').nullable();
    timestamps(knex, table);
  });

  await createTable(knex, 'software_media_checkouts', (table) => {
    table.increments('id').primary();
    table.integer('media_id').unsigned().notNullable().references('id').inTable('software_media').onDelete('CASCADE');
    table.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('RESTRICT');
    datetime(table, 'checked_out_at').notNullable();
    table.date('expected_back_on').notNullable();
    datetime(table, 'checked_in_at').nullable();
    // The medium's id while the checkout is open, null once checked in: a unique index (which
    // ignores nulls on both engines) allows one open checkout per medium.
    table.integer('open_media_id').unsigned().nullable().unique();
    timestamps(knex, table);
    table.index(['media_id']);
    table.index(['user_id']);
    table.index(['expected_back_on']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['software_media_checkouts', 'software_media', 'software_installations', 'software_licences', 'software_titles']) {
    await knex.schema.dropTable(table);
  }
}

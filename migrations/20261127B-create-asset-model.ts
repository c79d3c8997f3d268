// The core asset model (ADR-001): one shared `assets` table that plugins extend with 1:1 detail
// tables, plus the reference tables it points at and the location tree it lives in.

import type { Knex } from 'knex';
import { createTable, datetime, timestamps } from '../src/core/db/schema.js';

export async function up(knex: Knex): Promise<void> {
  // site → building → area/bay → cell. `path` is the chain of ids ("/1/4/9/") so that "this
  // location and everything under it" is one indexed prefix match.
  await createTable(knex, 'locations', (table) => {
    table.increments('id').primary();
    table.integer('parent_id').unsigned().nullable().references('id').inTable('locations').onDelete('RESTRICT');
    table.string('kind', 16).notNullable();
    table.string('code', 64).notNullable().unique();
    table.string('name', 191).notNullable();
    table.string('path', 255).notNullable().defaultTo('/');
    table.text('notes').nullable();
    timestamps(knex, table);
    table.index(['path']);
    table.index(['parent_id']);
  });

  await createTable(knex, 'manufacturers', (table) => {
    table.increments('id').primary();
    table.string('name', 191).notNullable().unique();
    table.string('url', 255).nullable();
    table.text('notes').nullable();
    timestamps(knex, table);
  });

  await createTable(knex, 'asset_models', (table) => {
    table.increments('id').primary();
    table.integer('manufacturer_id').unsigned().notNullable().references('id').inTable('manufacturers').onDelete('RESTRICT');
    table.string('name', 191).notNullable();
    table.string('part_number', 100).nullable();
    table.string('category', 64).nullable();
    table.date('end_of_life').nullable();
    timestamps(knex, table);
    table.unique(['manufacturer_id', 'name']);
  });

  await createTable(knex, 'status_labels', (table) => {
    table.increments('id').primary();
    table.string('name', 64).notNullable().unique();
    table.string('color', 7).notNullable();
    // deployable | pending | archived | broken
    table.string('kind', 16).notNullable();
    timestamps(knex, table);
  });

  // Contributed by the core (plugin null) or by a plugin; `fields` defines the custom fields
  // that assets of this type carry in assets.custom_data.
  await createTable(knex, 'asset_types', (table) => {
    table.increments('id').primary();
    table.string('key', 64).notNullable().unique();
    table.string('label', 191).notNullable();
    table.string('plugin', 64).nullable();
    table.json('fields').notNullable();
    timestamps(knex, table);
  });

  await createTable(knex, 'assets', (table) => {
    table.bigIncrements('id').primary();
    table.string('uuid', 36).notNullable().unique();
    table.string('asset_tag', 64).notNullable().unique();
    table.string('name', 191).notNullable();
    table.string('hostname', 191).nullable();
    table.string('serial', 191).nullable();
    table.integer('type_id').unsigned().notNullable().references('id').inTable('asset_types').onDelete('RESTRICT');
    table.integer('model_id').unsigned().nullable().references('id').inTable('asset_models').onDelete('RESTRICT');
    table.integer('status_id').unsigned().notNullable().references('id').inTable('status_labels').onDelete('RESTRICT');
    table.integer('location_id').unsigned().nullable().references('id').inTable('locations').onDelete('RESTRICT');
    table.text('notes').nullable();
    table.json('custom_data').nullable();
    timestamps(knex, table);
    datetime(table, 'deleted_at').nullable();
    // The list query filters live rows by one of these and pages by id.
    table.index(['deleted_at', 'status_id', 'id']);
    table.index(['deleted_at', 'type_id', 'id']);
    table.index(['deleted_at', 'location_id', 'id']);
    table.index(['model_id']);
    table.index(['name']);
    table.index(['hostname']);
    table.index(['serial']);
  });

  await createTable(knex, 'asset_positions', (table) => {
    table.bigInteger('asset_id').unsigned().primary().references('id').inTable('assets').onDelete('CASCADE');
    table.integer('location_id').unsigned().notNullable().references('id').inTable('locations').onDelete('CASCADE');
    table.decimal('x', 10, 3).notNullable();
    table.decimal('y', 10, 3).notNullable();
    timestamps(knex, table);
    table.index(['location_id']);
  });

  await createTable(knex, 'asset_links', (table) => {
    table.bigIncrements('id').primary();
    table.bigInteger('source_asset_id').unsigned().notNullable().references('id').inTable('assets').onDelete('CASCADE');
    table.bigInteger('target_asset_id').unsigned().notNullable().references('id').inTable('assets').onDelete('CASCADE');
    // controls | connected-to | part-of | …
    table.string('link_type', 32).notNullable();
    table.string('note', 500).nullable();
    timestamps(knex, table);
    table.unique(['source_asset_id', 'target_asset_id', 'link_type']);
    table.index(['target_asset_id', 'link_type']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const name of [
    'asset_links',
    'asset_positions',
    'assets',
    'asset_types',
    'status_labels',
    'asset_models',
    'manufacturers',
    'locations',
  ]) {
    await knex.schema.dropTable(name);
  }
}

// The equipment plugin's schema: one row of machine details per equipment asset (1:1 with
// assets, gone with it), and the maintenance history of each machine.

import type { Knex } from 'knex';
import { createTable, datetime, timestamps } from 'shopdb/sdk';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'equipment_machines', (table) => {
    table.bigInteger('asset_id').unsigned().primary().references('id').inTable('assets').onDelete('CASCADE');
    // Each site has its own database, so unique here is unique per site. NULL until it is set
    // (both engines allow many NULLs under a unique index).
    table.string('machine_number', 32).nullable().unique();
    table.string('builder', 191).nullable();
    table.string('controller_make', 16).nullable();
    table.string('controller_version', 64).nullable();
    table.integer('axes').unsigned().nullable();
    table.integer('spindles').unsigned().nullable();
    table.string('dnc_ip', 45).nullable();
    table.integer('dnc_port').unsigned().nullable();
    table.boolean('dnc_transfer_enabled').notNullable().defaultTo(false);
    table.string('criticality', 8).nullable();
    table.date('next_pm_due').nullable();
    timestamps(knex, table);
    table.index(['next_pm_due']);
    table.index(['controller_make']);
    table.index(['criticality']);
  });

  await createTable(knex, 'equipment_maintenance', (table) => {
    table.increments('id').primary();
    table.bigInteger('asset_id').unsigned().notNullable().references('id').inTable('assets').onDelete('CASCADE');
    // preventive | corrective | calibration | inspection
    table.string('type', 16).notNullable();
    datetime(table, 'started_at').notNullable();
    datetime(table, 'completed_at').nullable();
    table.string('vendor', 191).nullable();
    table.decimal('cost', 12, 2).nullable();
    table.boolean('under_warranty').notNullable().defaultTo(false);
    table.text('notes').nullable();
    timestamps(knex, table);
    table.index(['asset_id', 'started_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('equipment_maintenance');
  await knex.schema.dropTable('equipment_machines');
}

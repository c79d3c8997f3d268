// The history of `shopdb import` (docs/IMPORT.md, ADR-023): one row per dry run or apply, with the
// file's digest, the plan's fingerprint and the reconciliation counts; and, per legacy source, the
// map from a legacy system's record id to the asset it became, so a migration run again updates
// the same assets instead of creating new ones.

import type { Knex } from 'knex';
import { createTable, datetime } from '../src/core/db/schema.js';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'imports', (table) => {
    // The import id (a UUID): what every audit entry of the import carries as its request id.
    table.string('id', 36).primary();
    // dry-run | applying | completed | failed
    table.string('status', 16).notNullable();
    table.string('file_name', 255).notNullable();
    table.string('file_sha256', 64).notNullable();
    table.string('format', 8).notNullable();
    table.string('source', 64).nullable();
    table.string('plan_fingerprint', 64).nullable();
    table.string('username', 191).nullable();
    table.text('counts').notNullable();
    datetime(table, 'started_at').notNullable();
    datetime(table, 'finished_at').nullable();
    table.index(['started_at']);
  });

  await createTable(knex, 'import_legacy_ids', (table) => {
    table.string('source', 64).notNullable();
    table.string('legacy_id', 191).notNullable();
    table.bigInteger('asset_id').unsigned().notNullable().references('id').inTable('assets').onDelete('CASCADE');
    table.string('import_id', 36).notNullable();
    table.primary(['source', 'legacy_id']);
    table.index(['asset_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('import_legacy_ids');
  await knex.schema.dropTable('imports');
}

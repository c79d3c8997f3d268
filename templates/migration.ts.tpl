// {{name}}: say in one line why the schema changes (see docs/MIGRATIONS.md for the policy:
// additive first, and every destructive step has a working down()).

import type { Knex } from 'knex';
import { createTable, timestamps } from '{{schemaHelpers}}';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'example_things', (table) => {
    table.increments('id').primary();
    table.string('name', 191).notNullable();
    timestamps(knex, table);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('example_things');
}

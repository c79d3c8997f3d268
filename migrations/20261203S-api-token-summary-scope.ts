// Room for the `summary:read` API token scope (12 characters; the column held 8). SQLite does
// not enforce a varchar's length, so only MySQL's column changes; the tables stay the same on
// both engines. Going down removes the summary tokens, which the narrower column cannot hold.

import type { Knex } from 'knex';
const isSqlite = (knex: Knex) => knex.client.config.client === 'better-sqlite3';

export async function up(knex: Knex): Promise<void> {
  if (isSqlite(knex)) return;
  await knex.schema.alterTable('api_tokens', (table) => {
    table.string('scope', 16).notNullable().alter();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex('api_tokens').where('scope', 'summary:read').delete();
  if (isSqlite(knex)) return;
  await knex.schema.alterTable('api_tokens', (table) => {
    table.string('scope', 8).notNullable().alter();
  });
}

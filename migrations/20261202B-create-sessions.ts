// Login sessions (ADR-012): each session JWT names a row here, so a session can be ended —
// logout, a password reset, a role change, a disabled account, `shopdb user logout-all` — on every
// replica at once. Only a hash of the session id is stored; the id travels inside the signed JWT.

import type { Knex } from 'knex';
import { createTable, datetime, nowDefault } from '../src/core/db/schema.js';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'sessions', (table) => {
    table.increments('id').primary();
    table.string('sid_hash', 64).notNullable().unique();
    table.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    datetime(table, 'created_at').notNullable().defaultTo(nowDefault(knex));
    datetime(table, 'expires_at').notNullable();
    datetime(table, 'last_seen_at').nullable();
    datetime(table, 'revoked_at').nullable();
    // logout | logout-all | password-reset | role-change | disabled | admin | restore
    table.string('revoked_reason', 32).nullable();
    table.string('ip', 45).nullable();
    table.string('user_agent', 255).nullable();
    table.index(['user_id', 'revoked_at']);
    table.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sessions');
}

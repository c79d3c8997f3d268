// Who may do what (roles, users, API tokens), what they did (the audit log), and which plugins
// a site has installed.

import type { Knex } from 'knex';
import { createTable, datetime, nowDefault, timestamps } from '../src/core/db/schema.js';

export async function up(knex: Knex): Promise<void> {
  // admin > editor > viewer; `rank` orders them so "at least editor" is one comparison.
  await createTable(knex, 'roles', (table) => {
    table.string('name', 16).primary();
    table.string('description', 191).notNullable();
    table.integer('rank').notNullable();
  });

  await createTable(knex, 'users', (table) => {
    table.increments('id').primary();
    table.string('username', 64).notNullable().unique();
    table.string('display_name', 191).nullable();
    table.string('email', 191).nullable();
    // Null for directory (LDAP) users: their password is checked by the directory.
    table.string('password_hash', 255).nullable();
    table.string('role', 16).notNullable().references('name').inTable('roles').onDelete('RESTRICT');
    // local | ldap
    table.string('auth_source', 8).notNullable().defaultTo('local');
    table.boolean('disabled').notNullable().defaultTo(false);
    datetime(table, 'last_login_at').nullable();
    timestamps(knex, table);
  });

  // Only a hash of each token is stored; the token itself is shown once, at creation.
  await createTable(knex, 'api_tokens', (table) => {
    table.increments('id').primary();
    table.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.string('name', 100).notNullable();
    table.string('token_prefix', 16).notNullable();
    table.string('token_hash', 64).notNullable().unique();
    // read | write
    table.string('scope', 8).notNullable();
    datetime(table, 'expires_at').nullable();
    datetime(table, 'last_used_at').nullable();
    datetime(table, 'revoked_at').nullable();
    timestamps(knex, table);
    table.index(['user_id']);
  });

  await createTable(knex, 'audit_log', (table) => {
    table.bigIncrements('id').primary();
    datetime(table, 'at').notNullable().defaultTo(nowDefault(knex));
    table.integer('user_id').unsigned().nullable();
    // Kept as written, so the entry still names the user after the account is gone.
    table.string('username', 64).nullable();
    table.string('action', 32).notNullable();
    table.string('object_type', 64).notNullable();
    table.string('object_id', 64).nullable();
    table.json('before').nullable();
    table.json('after').nullable();
    table.string('request_id', 64).nullable();
    table.index(['object_type', 'object_id']);
    table.index(['user_id']);
    table.index(['at']);
  });

  await createTable(knex, 'installed_plugins', (table) => {
    table.string('name', 64).primary();
    table.string('version', 32).notNullable();
    table.boolean('enabled').notNullable().defaultTo(true);
    datetime(table, 'installed_at').notNullable().defaultTo(nowDefault(knex));
    datetime(table, 'updated_at').notNullable().defaultTo(nowDefault(knex));
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const name of ['installed_plugins', 'audit_log', 'api_tokens', 'users', 'roles']) {
    await knex.schema.dropTable(name);
  }
}

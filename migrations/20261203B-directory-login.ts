// Directory login (LDAP / Active Directory): what shopdb remembers about each directory user
// between logins, and the rounds of work that one `serve` replica at a time does on a schedule
// (the directory re-check of signed-in users first).

import type { Knex } from 'knex';
import { createTable, datetime } from '../src/core/db/schema.js';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (table) => {
    // The entry's DN at the last login or re-check: the re-check reads the entry again by it.
    table.string('ldap_dn', 1024).nullable();
    datetime(table, 'ldap_checked_at').nullable();
    // Set when the directory, not an admin, shut the user out (disabled there, no granting group,
    // entry gone): a later login the directory allows again enables the account; an admin's
    // `shopdb user disable` (this column null) stays.
    table.string('ldap_refusal', 191).nullable();
  });

  // One row per scheduled job. A replica takes a round by moving `next_run_at` forward in a single
  // UPDATE … WHERE next_run_at <= now: only one replica's update matches, on every engine and on
  // every node of a cluster (the write is certified cluster-wide).
  await createTable(knex, 'scheduled_rounds', (table) => {
    table.string('name', 64).primary();
    datetime(table, 'next_run_at').notNullable();
    table.string('claimed_by', 191).nullable();
    datetime(table, 'last_started_at').nullable();
    datetime(table, 'last_finished_at').nullable();
    table.string('last_outcome', 191).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('scheduled_rounds');
  await knex.schema.alterTable('users', (table) => {
    table.dropColumn('ldap_refusal');
    table.dropColumn('ldap_checked_at');
    table.dropColumn('ldap_dn');
  });
}

// The `users` table as login, API tokens and the user service read it: one codec so both engines
// read back the same values, case-insensitive username lookups on every engine, and the public
// record that never carries the password hash.

import type { Knex } from 'knex';
import { textKey } from '../db/text-keys.js';
import { decodeRow, type RowCodec } from '../db/values.js';
import { UserError } from '../errors.js';
import type { AuthenticatedUser, RoleName } from '../auth/types.js';

/** 1 to 64 of letters, digits, dot, underscore, hyphen: safe in a URL, a log line and a shell. */
export const USERNAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export const USER_CODEC: RowCodec = {
  disabled: 'boolean',
  last_login_at: 'date',
  created_at: 'date',
  updated_at: 'date',
  ldap_checked_at: 'date',
};

/** A users row as decoded; only login and the user service ever see `password_hash`. */
export interface UserRow {
  id: number;
  username: string;
  display_name: string | null;
  email: string | null;
  password_hash: string | null;
  role: RoleName;
  auth_source: 'local' | 'ldap';
  disabled: boolean;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
  /** Directory users: the entry's DN, when the directory last looked at them, why it shut them out. */
  ldap_dn?: string | null;
  ldap_checked_at?: Date | null;
  ldap_refusal?: string | null;
}

/** A user as the CLI, the API and the audit log show it: never a password hash. */
export interface UserRecord {
  id: number;
  username: string;
  displayName: string | null;
  email: string | null;
  role: RoleName;
  authSource: 'local' | 'ldap';
  disabled: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export function decodeUserRow(raw: Record<string, unknown>): UserRow {
  const row = decodeRow<UserRow>(USER_CODEC, raw);
  return { ...row, id: Number(row.id) };
}

export function toUserRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    role: row.role,
    authSource: row.auth_source,
    disabled: row.disabled,
    lastLoginAt: row.last_login_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toAuthenticatedUser(row: Pick<UserRow, 'id' | 'username' | 'display_name' | 'role' | 'auth_source'>): AuthenticatedUser {
  return { id: Number(row.id), username: row.username, displayName: row.display_name, role: row.role, authSource: row.auth_source };
}

/**
 * Usernames match case-insensitively everywhere, through their unique key (ADR-013): "Alice"
 * and "alice" are one account on every engine.
 */
export async function findUserRow(db: Knex | Knex.Transaction, username: string): Promise<UserRow | null> {
  const raw = (await db('users').where('username_key', textKey(username)).first()) as Record<string, unknown> | undefined;
  return raw === undefined ? null : decodeUserRow(raw);
}

export async function findUserRowById(db: Knex | Knex.Transaction, id: number): Promise<UserRow | null> {
  const raw = (await db('users').where('id', id).first()) as Record<string, unknown> | undefined;
  return raw === undefined ? null : decodeUserRow(raw);
}

/** A migrated-but-not-yet site answers with this instead of "no such table: users". */
export async function assertUsersSchema(db: Knex): Promise<void> {
  if (!(await db.schema.hasTable('users'))) {
    throw new UserError('This site database has no users yet: its schema has not been created', {
      suggestion: 'Run `shopdb migrate` first.',
    });
  }
}

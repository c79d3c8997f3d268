// The shapes shared by login, API tokens, the CLI user commands and the HTTP API. Local
// passwords are one AuthProvider; LDAP / Active Directory (a later issue) will be another.

import type { Knex } from 'knex';

export const ROLES = ['admin', 'editor', 'viewer'] as const;
export type RoleName = (typeof ROLES)[number];

/** admin > editor > viewer: `atLeast(role, 'editor')` is true for editor and admin. */
export const ROLE_RANK: Record<RoleName, number> = { viewer: 1, editor: 2, admin: 3 };
export function atLeast(role: RoleName, required: RoleName): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[required];
}

export interface AuthenticatedUser {
  id: number;
  username: string;
  displayName: string | null;
  role: RoleName;
  authSource: 'local' | 'ldap';
}

/** Who is calling the API, and how they proved it. */
export interface Principal {
  user: AuthenticatedUser;
  via: 'session' | 'token';
  /** API tokens only: a read token may not write, whatever the user's role; a summary:read token reads /api/summary only. */
  tokenScope?: 'read' | 'write' | 'summary:read';
  tokenId?: number;
  /** Sessions only: the `sessions` row. */
  sessionId?: number;
}

/** One way of checking a username and password (local table, LDAP, …). */
export interface AuthProvider {
  readonly name: 'local' | 'ldap';
  /** The user when the password is right and the account enabled; null otherwise (never throws for a wrong password). */
  authenticate(db: Knex, username: string, password: string): Promise<AuthenticatedUser | null>;
}

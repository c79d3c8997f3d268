// The shapes shared by login, API tokens, the CLI user commands and the HTTP API. Local
// passwords are one AuthProvider; LDAP / Active Directory (src/core/auth/directory) is another.

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

/** Where a provider tells the admin why a login failed (pino's shape; never given a password). */
export interface LoginLog {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

export interface LoginContext {
  log?: LoginLog;
  /** The API request, for the audit log. */
  requestId?: string | null;
}

/** One way of checking a username and password (local table, LDAP, …). */
export interface AuthProvider {
  readonly name: 'local' | 'ldap';
  /**
   * The user when the password is right and the account enabled; null otherwise (never throws for
   * a wrong password). May throw a UserError with an httpStatus when the check itself cannot be
   * made (the directory is down: 503) or the user must be told something they can act on (403).
   */
  authenticate(db: Knex, username: string, password: string, context?: LoginContext): Promise<AuthenticatedUser | null>;
}

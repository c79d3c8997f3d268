// Creates a site's MySQL database and its least-privilege user, with the administrator
// credentials `shopdb init --create-database` was given. The administrator password is used for
// this connection only and never written anywhere.

import type { Knex } from 'knex';
import { DatabaseUnavailableError, UsageError } from '../errors.js';
import { openDatabase, type DatabaseTarget } from './connect.js';

/** What the shopdb user may do: its own schema, including what mysqldump needs; nothing global. */
export const SITE_USER_PRIVILEGES = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'CREATE',
  'DROP',
  'ALTER',
  'INDEX',
  'REFERENCES',
  'CREATE TEMPORARY TABLES',
  'LOCK TABLES',
  'CREATE VIEW',
  'SHOW VIEW',
  'TRIGGER',
  'EXECUTE',
] as const;

export interface CreateSiteDatabaseOptions {
  server: { host: string; port: number; socketPath?: string; connectTimeoutMs: number };
  admin: { user: string; password: string };
  database: string;
  user: string;
  /** Host part of the account, e.g. '%' or 'localhost' or '10.1.2.%'. */
  userHost: string;
  userPassword: string;
  /**
   * When the user exists already: keep the account, set `userPassword` on it and grant it the
   * database (a re-run after an init that created the user but never wrote its .env).
   * Otherwise an existing user is refused before anything is created.
   */
  reuseUser?: boolean;
}

export interface CreatedSiteDatabase {
  databaseCreated: boolean;
  userCreated: boolean;
  userReused: boolean;
}

async function scalar(db: Knex, sql: string, bindings: readonly Knex.RawBinding[]): Promise<number> {
  const [rows] = (await db.raw(sql, bindings)) as [Array<Record<string, unknown>>];
  return Number(Object.values(rows[0] ?? {})[0] ?? 0);
}

export async function createSiteDatabase(options: CreateSiteDatabaseOptions): Promise<CreatedSiteDatabase> {
  const target: DatabaseTarget = {
    client: 'mysql',
    ...options.server,
    database: '',
    user: options.admin.user,
    password: options.admin.password,
    poolMax: 1,
  };
  let db: Knex;
  try {
    db = await openDatabase(target);
  } catch (error) {
    if (error instanceof DatabaseUnavailableError && /denied access/.test(error.message)) {
      throw new DatabaseUnavailableError(`MySQL denied access to the administrator "${options.admin.user}"`, {
        suggestion:
          'Pass the administrator with --mysql-admin-user and its password through SHOPDB_MYSQL_ADMIN_PASSWORD or --mysql-admin-password-stdin.',
        cause: error,
      });
    }
    throw error;
  }
  try {
    const databaseExists =
      (await scalar(db, 'SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [options.database])) > 0;
    const userExists =
      (await scalar(db, 'SELECT COUNT(*) FROM mysql.user WHERE User = ? AND Host = ?', [options.user, options.userHost])) > 0;
    if (userExists && !options.reuseUser) {
      throw new UsageError(`The MySQL user '${options.user}'@'${options.userHost}' already exists; nothing was created`, {
        suggestion:
          `Pass --reuse-user to keep that account, give it a new generated password and grant it ${options.database} (anything else logging in as it must then use the new password); ` +
          `or choose another --db-user; or leave out --create-database and give that user's password (DB_PASSWORD or --db-password-stdin).`,
      });
    }
    await db.raw('CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [options.database]);
    if (userExists) await db.raw('ALTER USER ?@? IDENTIFIED BY ?', [options.user, options.userHost, options.userPassword]);
    else await db.raw('CREATE USER ?@? IDENTIFIED BY ?', [options.user, options.userHost, options.userPassword]);
    await db.raw(`GRANT ${SITE_USER_PRIVILEGES.join(', ')} ON ??.* TO ?@?`, [options.database, options.user, options.userHost]);
    return { databaseCreated: !databaseExists, userCreated: !userExists, userReused: userExists };
  } finally {
    await db.destroy();
  }
}

// The one database factory: a knex instance for the configured engine (MySQL 8 / MariaDB
// through mysql2, or the embedded SQLite file through better-sqlite3). Connection failures come
// back as DatabaseUnavailableError with plain advice, never as a driver stack trace.

import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Knex } from 'knex';
import type { LoadedConfig } from '../config/index.js';
import { DatabaseUnavailableError } from '../errors.js';

export type DatabaseTarget =
  | { client: 'sqlite'; filename: string }
  | {
      client: 'mysql';
      host: string;
      port: number;
      socketPath?: string;
      database: string;
      user: string;
      password?: string;
      poolMax: number;
      connectTimeoutMs: number;
    };

export interface DatabaseLogger {
  warn(message: string): void;
  debug(message: string): void;
}

export interface OpenDatabaseOptions {
  /** SQLite: create the file (and its folder) when missing. Otherwise a missing file is an error. */
  create?: boolean;
  /** Run a trivial query first so connection problems surface here, translated. */
  verify?: boolean;
  logger?: DatabaseLogger;
}

/** The SQL mode every MySQL session runs with: the strict defaults of MySQL 8, valid on MariaDB. */
const MYSQL_SQL_MODE =
  'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

export function databaseTargetFromConfig(config: LoadedConfig): DatabaseTarget {
  const v = config.values;
  if (v.DB_CLIENT === 'sqlite') return { client: 'sqlite', filename: v.DB_SQLITE_PATH };
  return {
    client: 'mysql',
    host: v.DB_HOST,
    port: v.DB_PORT,
    socketPath: v.DB_SOCKET,
    database: v.DB_NAME,
    user: v.DB_USER,
    password: v.DB_PASSWORD,
    poolMax: v.DB_POOL_MAX,
    connectTimeoutMs: Math.round(v.DB_CONNECT_TIMEOUT * 1000),
  };
}

/** A one-line, password-free description such as mysql://shopdb@db:3306/shopdb. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.client === 'sqlite') return `sqlite:${target.filename}`;
  const where = target.socketPath ? `unix:${target.socketPath}` : `${target.host}:${target.port}`;
  return `mysql://${target.user}@${where}/${target.database}`;
}

const silentLogger: DatabaseLogger = { warn: () => {}, debug: () => {} };

export async function openDatabase(target: DatabaseTarget, options: OpenDatabaseOptions = {}): Promise<Knex> {
  const logger = options.logger ?? silentLogger;
  // knex and its drivers are heavy: load them only when a command needs the database.
  const { default: knex } = await import('knex');
  // knex warns with driver stacks (e.g. on every failed connection attempt); the errors that
  // matter are thrown and translated, so its own chatter is debug output (--verbose).
  const log = {
    warn: (message: unknown) => logger.debug(`knex: ${String(message)}`),
    error: (message: unknown) => logger.debug(`knex: ${String(message)}`),
    deprecate: (method: unknown, alternative: unknown) => logger.debug(`knex: ${String(method)} is deprecated, use ${String(alternative)}`),
    debug: (message: unknown) => logger.debug(typeof message === 'string' ? message : JSON.stringify(message)),
  };

  let db: Knex;
  let newSqliteFile: string | undefined;
  if (target.client === 'sqlite') {
    if (!existsSync(target.filename)) {
      if (!options.create) {
        throw new DatabaseUnavailableError(`No SQLite database at ${target.filename}`, {
          suggestion: 'Create it with `shopdb migrate`, or check DB_SQLITE_PATH in the .env.',
        });
      }
      // The database will hold password and token hashes: keep it to this user.
      mkdirSync(dirname(target.filename), { recursive: true, mode: 0o700 });
      newSqliteFile = target.filename;
    }
    db = knex({
      client: 'better-sqlite3',
      connection: { filename: target.filename },
      useNullAsDefault: true,
      log,
      pool: {
        afterCreate(connection: { pragma(sql: string): unknown }, done: (error: Error | null, connection: unknown) => void) {
          try {
            // WAL lets readers (the API) work during a write; foreign keys are off by default in SQLite.
            connection.pragma('journal_mode = WAL');
            connection.pragma('foreign_keys = ON');
            connection.pragma('busy_timeout = 5000');
            done(null, connection);
          } catch (error) {
            done(error as Error, connection);
          }
        },
      },
    });
  } else {
    db = knex({
      client: 'mysql2',
      connection: {
        host: target.host,
        port: target.port,
        socketPath: target.socketPath,
        user: target.user,
        password: target.password,
        database: target.database || undefined,
        charset: 'utf8mb4',
        // Store and read every DATETIME as UTC, whatever the server's time zone.
        timezone: 'Z',
        connectTimeout: target.connectTimeoutMs,
        supportBigNumbers: true,
      },
      acquireConnectionTimeout: target.connectTimeoutMs,
      log,
      pool: {
        min: 0,
        max: target.poolMax,
        afterCreate(connection: MysqlCallbackConnection, done: (error: Error | null, connection: unknown) => void) {
          connection.query(`SET SESSION time_zone = '+00:00', SESSION sql_mode = '${MYSQL_SQL_MODE}'`, (error) => {
            if (error) return done(error, connection);
            // On a Galera node a read waits until the node has applied what the cluster committed
            // before it, so a logout or a password reset through one node holds at once through
            // every other (ADR-014). MySQL has no wsrep_on: the probe finds nothing and sets nothing.
            connection.query("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'", (probeError, rows) => {
              const on =
                !probeError && Array.isArray(rows) && String((rows[0] as { Value?: unknown } | undefined)?.Value).toUpperCase() === 'ON';
              if (!on) return done(null, connection);
              connection.query('SET SESSION wsrep_sync_wait = 1', (setError) => done(setError, connection));
            });
          });
        },
      },
    });
  }

  if (options.verify !== false || newSqliteFile !== undefined) {
    try {
      await db.raw('select 1 as ok');
      // SQLite gives its -wal and -shm files the mode of the database file.
      if (newSqliteFile !== undefined) chmodSync(newSqliteFile, 0o600);
    } catch (error) {
      await db.destroy().catch(() => {});
      throw translateConnectionError(error, target);
    }
  }
  return db;
}

/** Opens, runs `work`, and always closes the pool so the process can exit (cron!). */
export async function withDatabase<T>(target: DatabaseTarget, options: OpenDatabaseOptions, work: (db: Knex) => Promise<T>): Promise<T> {
  const db = await openDatabase(target, options);
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

/** The server's product and version, e.g. "MariaDB 10.11.19" or "MySQL 8.0.40" or "SQLite 3.53.2". */
export async function serverVersion(db: Knex): Promise<{ product: 'MySQL' | 'MariaDB' | 'SQLite'; version: string }> {
  if (isSqlite(db)) {
    const rows = (await db.raw('select sqlite_version() as version')) as Array<{ version: string }>;
    return { product: 'SQLite', version: rows[0]?.version ?? 'unknown' };
  }
  const [rows] = (await db.raw('select version() as version')) as [Array<{ version: string }>];
  const full = rows[0]?.version ?? 'unknown';
  return { product: /mariadb/i.test(full) ? 'MariaDB' : 'MySQL', version: full.split('-')[0] ?? full };
}

/** The slice of a mysql2 callback connection that the pool's set-up uses. */
interface MysqlCallbackConnection {
  query(sql: string, cb: (error: Error | null, rows?: unknown) => void): void;
}

export function isSqlite(db: Knex): boolean {
  return db.client.config.client === 'better-sqlite3';
}

function errorCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return error instanceof Error && error.name === 'KnexTimeoutError' ? 'KnexTimeoutError' : undefined;
}

/** Turns a driver error into advice a site IT person can act on. */
export function translateConnectionError(error: unknown, target: DatabaseTarget): DatabaseUnavailableError {
  const code = errorCode(error);
  const where = describeTarget(target);
  const raw = error instanceof Error ? error.message : String(error);
  if (target.client === 'sqlite') {
    return new DatabaseUnavailableError(`Cannot open the SQLite database ${target.filename} (${code ?? raw})`, {
      suggestion:
        code === 'SQLITE_NOTADB'
          ? 'The file is not a SQLite database: check DB_SQLITE_PATH.'
          : 'Check that DB_SQLITE_PATH points at a file this user can read and write.',
      cause: error,
    });
  }
  const server = target.socketPath ? `the socket ${target.socketPath} (DB_SOCKET)` : `${target.host}:${target.port} (DB_HOST/DB_PORT)`;
  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOENT':
      return new DatabaseUnavailableError(`MySQL refused the connection at ${server}`, {
        suggestion: `Is MySQL running and listening there? Start it (in the compose stack: \`shopdb up\`), or fix DB_HOST / DB_PORT${target.socketPath ? ' / DB_SOCKET' : ''} in the .env.`,
        cause: error,
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new DatabaseUnavailableError(`The MySQL host "${target.host}" cannot be resolved`, {
        suggestion: 'Check DB_HOST in the .env (a typo, or a compose service name used outside the stack).',
        cause: error,
      });
    case 'ETIMEDOUT':
    case 'KnexTimeoutError':
      return new DatabaseUnavailableError(`MySQL at ${server} did not answer in time`, {
        suggestion: 'Check that the host is reachable (firewall, VPN) and that MySQL is up; DB_CONNECT_TIMEOUT sets the wait.',
        cause: error,
      });
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
      return new DatabaseUnavailableError(`MySQL denied access to user "${target.user}" (${where})`, {
        suggestion: `Check DB_USER and DB_PASSWORD in the .env; the account must exist for the host shopdb connects from (e.g. '${target.user}'@'%').`,
        cause: error,
      });
    case 'ER_DBACCESS_DENIED_ERROR':
      return new DatabaseUnavailableError(`User "${target.user}" may not use database "${target.database}"`, {
        suggestion: `Grant it: GRANT ALL ON \`${target.database}\`.* TO '${target.user}'@'%'; or let \`shopdb init --db mysql --create-database\` set it up.`,
        cause: error,
      });
    case 'ER_BAD_DB_ERROR':
      return new DatabaseUnavailableError(`The database "${target.database}" does not exist on ${server}`, {
        suggestion: `Create it: CREATE DATABASE \`${target.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; or run \`shopdb init --db mysql --create-database\`.`,
        cause: error,
      });
    default:
      return new DatabaseUnavailableError(`Cannot connect to ${where}: ${raw}`, {
        suggestion: 'Check the DB_* settings in the .env and that the server is up; run `shopdb doctor` for details.',
        cause: error,
      });
  }
}

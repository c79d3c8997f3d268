// A throwaway shopdb site for a test: a temp folder with a .env, on SQLite (a real file) or on
// MySQL (a real throwaway database on the server of SHOPDB_TEST_MYSQL_URL).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, inject } from 'vitest';
import { loadConfig, type LoadedConfig } from '../../src/core/config/index.js';
import { databaseTargetFromConfig, openDatabase } from '../../src/core/db/connect.js';
import type { Knex } from 'knex';
import { createThrowawayDatabase, dropDatabase, parseMysqlUrl, type MysqlServer } from './mysql.js';

export type EngineName = 'sqlite' | 'mysql';

export interface TestSite {
  engine: EngineName;
  dir: string;
  envFile: string;
  /** The .env values as written. */
  vars: Record<string, string>;
  /** MySQL only: the throwaway database and the server it lives on. */
  database?: string;
  server?: MysqlServer;
  config(): LoadedConfig;
  open(): Promise<Knex>;
  cleanup(): Promise<void>;
}

export function tempDir(prefix = 'shopdb-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeEnvFile(path: string, vars: Record<string, string>): void {
  writeFileSync(
    path,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
    { mode: 0o600 },
  );
}

/** Creates a site. `extra` adds or overrides .env lines. */
export interface CreateSiteOptions {
  /** MySQL: the server to make the throwaway database on (default: SHOPDB_TEST_MYSQL_URL's). */
  mysqlServer?: MysqlServer;
}

/** Runs `work` on a fresh connection pool to the site's database, closed afterwards. */
export async function withSiteDb<T>(site: TestSite, work: (db: Knex) => Promise<T>): Promise<T> {
  const db = await site.open();
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

export async function createSite(
  engine: EngineName,
  extra: Record<string, string> = {},
  options: CreateSiteOptions = {},
): Promise<TestSite> {
  const dir = tempDir();
  const envFile = join(dir, '.env');
  const vars: Record<string, string> = { SHOPDB_ENV: 'development', SHOPDB_SITE_NAME: 'test-site' };
  let database: string | undefined;
  let server: MysqlServer | undefined;
  if (engine === 'mysql') {
    const url = inject('mysql').url;
    if (!url && !options.mysqlServer) throw new Error('MySQL site requested but SHOPDB_TEST_MYSQL_URL is not set');
    server = options.mysqlServer ?? parseMysqlUrl(url!);
    database = await createThrowawayDatabase(server);
    Object.assign(vars, {
      DB_CLIENT: 'mysql',
      DB_HOST: server.host,
      DB_PORT: String(server.port),
      DB_USER: server.user,
      DB_NAME: database,
    });
    if (server.password) vars.DB_PASSWORD = server.password;
  } else {
    vars.DB_CLIENT = 'sqlite';
  }
  Object.assign(vars, extra);
  writeEnvFile(envFile, vars);
  const config = () => loadConfig({ envFile, cwd: dir, env: {} });
  return {
    engine,
    dir,
    envFile,
    vars,
    database,
    server,
    config,
    open: () => openDatabase(databaseTargetFromConfig(config()), { create: true }),
    async cleanup() {
      if (server && database) await dropDatabase(server, database);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Declares the same suite once per engine. SQLite always runs; the MySQL copy is skipped, with
 * the reason in its name, when no server is configured.
 */
export function describeEachEngine(title: string, body: (engine: EngineName) => void): void {
  describe(`${title} [sqlite]`, () => body('sqlite'));
  const probe = inject('mysql');
  if (probe.available) describe(`${title} [mysql]`, () => body('mysql'));
  else describe.skip(`${title} [mysql — skipped: ${probe.reason}]`, () => body('mysql'));
}

export function mysqlAvailable(): boolean {
  return inject('mysql').available;
}

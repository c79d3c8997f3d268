// Database suite (SQLite and MySQL): opening the configured database, its session settings, and
// the advice shopdb gives when it cannot — against real files, a real server and a closed port.

import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { parseMysqlUrl } from '../../../test/support/mysql.js';
import { createSite, describeEachEngine, mysqlAvailable, tempDir, type TestSite } from '../../../test/support/site.js';
import { DatabaseUnavailableError, ExitCode } from '../errors.js';
import { databaseTargetFromConfig, describeTarget, openDatabase, serverVersion, withDatabase, type DatabaseTarget } from './connect.js';

const PASSWORD = 'Pa55-w0rd-that-must-not-leak';

async function openError(
  target: DatabaseTarget,
  options: { create?: boolean } = {},
): Promise<{ error: DatabaseUnavailableError; ms: number }> {
  const started = Date.now();
  try {
    const db = await openDatabase(target, options);
    await db.destroy();
  } catch (error) {
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    return { error: error as DatabaseUnavailableError, ms: Date.now() - started };
  }
  throw new Error(`expected opening ${describeTarget(target)} to fail`);
}

function everythingShown(error: DatabaseUnavailableError): string {
  return [error.message, error.suggestion ?? '', ...error.details, JSON.stringify(error.toJSON())].join('\n');
}

function mysqlTarget(overrides: Partial<Extract<DatabaseTarget, { client: 'mysql' }>>): Extract<DatabaseTarget, { client: 'mysql' }> {
  return {
    client: 'mysql',
    host: '127.0.0.1',
    port: 3306,
    database: 'shopdb',
    user: 'shopdb',
    password: PASSWORD,
    poolMax: 2,
    connectTimeoutMs: 30_000,
    ...overrides,
  };
}

describeEachEngine('openDatabase', (engine) => {
  let site: TestSite;
  let db: Knex | undefined;

  afterEach(async () => {
    await db?.destroy();
    db = undefined;
    await site.cleanup();
  });

  it('connects to the configured database and names it without a password', async () => {
    site = await createSite(engine, engine === 'mysql' ? {} : { DB_SQLITE_PATH: './var/site.sqlite' });
    const target = databaseTargetFromConfig(site.config());

    db = await openDatabase(target, { create: true });
    const version = await serverVersion(db);

    if (engine === 'sqlite') {
      expect(describeTarget(target)).toBe(`sqlite:${join(site.dir, 'var', 'site.sqlite')}`);
      expect(version.product).toBe('SQLite');
      expect(existsSync(join(site.dir, 'var', 'site.sqlite'))).toBe(true);
    } else {
      expect(describeTarget(target)).toBe(`mysql://${site.server!.user}@${site.server!.host}:${site.server!.port}/${site.database}`);
      expect(['MySQL', 'MariaDB']).toContain(version.product);
    }
    expect(version.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('sets up every session the same way (UTC and strict mode on MySQL, WAL and foreign keys on SQLite)', async () => {
    site = await createSite(engine);

    db = await site.open();

    if (engine === 'sqlite') {
      const [foreignKeys] = (await db.raw('pragma foreign_keys')) as Array<{ foreign_keys: number }>;
      const [journal] = (await db.raw('pragma journal_mode')) as Array<{ journal_mode: string }>;
      expect(foreignKeys!.foreign_keys).toBe(1);
      expect(journal!.journal_mode).toBe('wal');
    } else {
      const [[session]] = (await db.raw(
        'select @@session.time_zone as tz, @@session.sql_mode as mode, @@character_set_connection as charset',
      )) as [Array<{ tz: string; mode: string; charset: string }>];
      expect(session!.tz).toBe('+00:00');
      expect(session!.mode).toContain('STRICT_TRANS_TABLES');
      expect(session!.charset).toBe('utf8mb4');
      await db.schema.createTable('short_codes', (table) => table.string('code', 4));
      await expect(db('short_codes').insert({ code: 'TOO-LONG' })).rejects.toThrow(/too long/i);
    }
  });

  it('closes the pool after the work, even when the work fails', async () => {
    site = await createSite(engine);
    let used: Knex | undefined;

    await expect(
      withDatabase(databaseTargetFromConfig(site.config()), { create: true }, async (opened) => {
        used = opened;
        await opened.raw('select 1');
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');

    await expect(used!.raw('select 1')).rejects.toThrow();
  });
});

describe('openDatabase creating a SQLite file', () => {
  it('keeps the new file (it will hold password hashes) to this user: file 0600, folder 0700', async () => {
    const dir = tempDir();
    const filename = join(dir, 'data', 'shopdb.sqlite');

    const db = await openDatabase({ client: 'sqlite', filename }, { create: true, verify: false });
    await db.raw('create table t (x integer)');
    await db.destroy();

    expect(statSync(filename).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('openDatabase on SQLite, when it cannot', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a missing file without create, pointing at `shopdb migrate`, and creates nothing', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const filename = join(dir, 'data', 'shopdb.sqlite');

    const { error } = await openError({ client: 'sqlite', filename });

    expect(error.exitCode).toBe(ExitCode.DATABASE_UNAVAILABLE);
    expect(error.message).toContain(filename);
    expect(error.suggestion).toContain('shopdb migrate');
    expect(error.suggestion).toContain('DB_SQLITE_PATH');
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('says clearly that a file is not a SQLite database, quickly, and leaves it alone', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const filename = join(dir, 'notes.sqlite');
    const content = 'These are the shift notes, not a database.\n'.repeat(200);
    writeFileSync(filename, content);

    const { error, ms } = await openError({ client: 'sqlite', filename });

    expect(error.exitCode).toBe(ExitCode.DATABASE_UNAVAILABLE);
    expect(error.message).toContain(filename);
    expect(error.suggestion).toMatch(/not a SQLite database/);
    expect(error.suggestion).toContain('DB_SQLITE_PATH');
    expect(ms).toBeLessThan(5000);
    expect(readFileSync(filename, 'utf8')).toBe(content);
  });
});

describe('openDatabase on MySQL, when it cannot', () => {
  it('reports a closed port at once, naming DB_HOST/DB_PORT and not the password', async () => {
    const { error, ms } = await openError(mysqlTarget({ port: 1 }));

    expect(error.exitCode).toBe(ExitCode.DATABASE_UNAVAILABLE);
    expect(error.message).toContain('127.0.0.1:1');
    expect(error.message).toContain('DB_HOST/DB_PORT');
    expect(error.suggestion).toMatch(/DB_HOST \/ DB_PORT/);
    expect(ms).toBeLessThan(5000);
    expect(everythingShown(error)).not.toContain(PASSWORD);
  });

  it('reports a missing socket file, naming DB_SOCKET', async () => {
    const { error, ms } = await openError(mysqlTarget({ socketPath: '/nonexistent/shopdb-test/mysqld.sock' }));

    expect(error.message).toContain('/nonexistent/shopdb-test/mysqld.sock');
    expect(error.message).toContain('DB_SOCKET');
    expect(ms).toBeLessThan(5000);
    expect(everythingShown(error)).not.toContain(PASSWORD);
  });

  describe.skipIf(!mysqlAvailable())('with a server', () => {
    const server = () => parseMysqlUrl(inject('mysql').url!);

    it('names the user and DB_PASSWORD when the password is wrong, without printing it', async () => {
      const { host, port, user } = server();

      const { error } = await openError(mysqlTarget({ host, port, user, password: PASSWORD, database: '' }));

      expect(error.exitCode).toBe(ExitCode.DATABASE_UNAVAILABLE);
      expect(error.message).toContain(`"${user}"`);
      expect(error.message).toMatch(/denied access/);
      expect(error.suggestion).toContain('DB_PASSWORD');
      expect(everythingShown(error)).not.toContain(PASSWORD);
    });

    it('says how to create a database that does not exist', async () => {
      const { host, port, user, password } = server();

      const { error } = await openError(mysqlTarget({ host, port, user, password, database: 'shopdb_t_no_such_db' }));

      expect(error.exitCode).toBe(ExitCode.DATABASE_UNAVAILABLE);
      expect(error.message).toContain('"shopdb_t_no_such_db" does not exist');
      expect(error.suggestion).toContain('CREATE DATABASE `shopdb_t_no_such_db` CHARACTER SET utf8mb4');
      expect(error.suggestion).toContain('shopdb init --db mysql --create-database');
      if (password) expect(everythingShown(error)).not.toContain(password);
    });
  });
});

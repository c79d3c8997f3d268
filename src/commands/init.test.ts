import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { runBin, runCommand } from '../../test/support/cli.js';
import { adminQuery, parseMysqlUrl, throwawayName, type MysqlServer } from '../../test/support/mysql.js';
import { mysqlAvailable, tempDir } from '../../test/support/site.js';
import { SITE_USER_PRIVILEGES } from '../core/db/mysql-admin.js';
import { initSite } from '../core/init/service.js';
import ConfigCheck from './config/check.js';
import Init from './init.js';

const readEnv = (path: string): Record<string, string> => parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
const modeOf = (path: string): number => statSync(path).mode & 0o777;
const PIPED_PASSWORD = "Shop floor #7 pa55'word";

let dir: string;
let envFile: string;

beforeEach(() => {
  dir = tempDir();
  envFile = join(dir, '.env');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('shopdb init', () => {
  it('writes a 0600 .env with a generated JWT_SECRET that passes `config check` in production mode', async () => {
    const init = await runCommand(Init, ['--yes', '--env-file', envFile]);

    expect(init.exitCode, init.stderr).toBe(0);
    expect(modeOf(envFile)).toBe(0o600);
    const written = readEnv(envFile);
    expect(written.JWT_SECRET!.length).toBeGreaterThanOrEqual(32);
    expect(init.stdout).toContain('shopdb migrate');
    const check = await runCommand(ConfigCheck, ['--env-file', envFile, '--json']);
    expect(check.exitCode, check.stderr).toBe(0);
    expect(check.json).toEqual({ valid: true, mode: 'production', envFile });
  });

  it('generates a different secret on every run', async () => {
    const other = join(tempDir(), '.env');
    try {
      await runCommand(Init, ['--yes', '--env-file', envFile]);
      await runCommand(Init, ['--yes', '--env-file', other]);

      expect(readEnv(envFile).JWT_SECRET).not.toBe(readEnv(other).JWT_SECRET);
    } finally {
      rmSync(join(other, '..'), { recursive: true, force: true });
    }
  });

  it('works through bin/run.js in the site folder', async () => {
    const init = await runBin(['init', '--yes', '--site-name', 'plant3'], { cwd: dir });

    expect(init.exitCode, init.stderr).toBe(0);
    expect(readEnv(envFile).SHOPDB_SITE_NAME).toBe('plant3');
    const check = await runBin(['config', 'check'], { cwd: dir });
    expect(check.exitCode, check.stderr).toBe(0);
    expect(check.stdout).toContain('valid for production mode');
  });

  // Node claims `--env-file <path>` even after the script name and exits 9 when the file is
  // missing (nodejs/node#54232); bin/run.js's `node --` shebang keeps the flag shopdb's.
  it('writes a new file named by --env-file through bin/run.js (Node itself does not claim --env-file)', async () => {
    const init = await runBin(['init', '--yes', '--env-file', envFile]);

    expect(init.exitCode, init.stderr).toBe(0);
    expect(readEnv(envFile).JWT_SECRET?.length).toBeGreaterThanOrEqual(32);
  });

  describe('an existing .env', () => {
    const OLD = '# hand-edited\nSHOPDB_SITE_NAME=original\nJWT_SECRET=old-secret-that-someone-relies-on-123456\n';

    beforeEach(() => {
      writeFileSync(envFile, OLD, { mode: 0o600 });
    });

    it('is left byte-identical without --force (exit 2)', async () => {
      const result = await runCommand(Init, ['--yes', '--env-file', envFile, '--json']);

      expect(result.exitCode).toBe(2);
      expect(result.json.error).toMatchObject({ code: 'USAGE', exitCode: 2 });
      expect(result.json.error.message).toContain('already exists');
      expect(result.json.error.suggestion).toContain('--force');
      expect(readFileSync(envFile, 'utf8')).toBe(OLD);
      expect(readdirSync(dir)).toEqual(['.env']);
    });

    it('is replaced with --force and kept as .env.bak-<time>, mode 0600', async () => {
      const result = await runCommand(Init, ['--yes', '--force', '--env-file', envFile, '--json']);

      expect(result.exitCode, result.stderr).toBe(0);
      const backup = result.json.previousEnvFile as string;
      expect(backup).toMatch(/\/\.env\.bak-\d{8}T\d{6}Z$/);
      expect(readFileSync(backup, 'utf8')).toBe(OLD);
      expect(modeOf(backup)).toBe(0o600);
      expect(result.stderr).toContain(`Kept the previous file as ${backup}`);
      expect(readEnv(envFile).SHOPDB_SITE_NAME).toBeUndefined();
      expect(readEnv(envFile).JWT_SECRET).not.toBe(readEnv(backup).JWT_SECRET);
    });

    it('keeps every earlier file when it is replaced twice within one second', async () => {
      await initSite({ envFile, force: true, answers: {}, now: new Date('2026-11-27T09:00:00.100Z') });
      await initSite({ envFile, force: true, answers: {}, now: new Date('2026-11-27T09:00:00.900Z') });

      const backups = readdirSync(dir)
        .filter((name) => name.startsWith('.env.bak-'))
        .sort();
      expect(backups).toEqual(['.env.bak-20261127T090000Z', '.env.bak-20261127T090000Z-2']);
      expect(readFileSync(join(dir, backups[0]!), 'utf8')).toBe(OLD);
    });
  });

  describe('refuses before writing anything (exit 2)', () => {
    it('an invalid flag value, listing every invalid answer', async () => {
      const result = await runCommand(Init, ['--yes', '--env-file', envFile, '--http-port', '99999', '--site-name', 'plant 3']);

      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('HTTP_PORT: 99999 is out of range');
      expect(result.stderr).toContain('--http-port');
      expect(result.stderr).toContain('SHOPDB_SITE_NAME');
      expect(existsSync(envFile)).toBe(false);
    });

    it.each([
      ['an unknown flag', ['--bogus'], 'Nonexistent flag: --bogus'],
      ['a value outside a flag’s choices', ['--db', 'postgres'], '--db'],
    ])('%s', async (_what, argv, message) => {
      const result = await runCommand(Init, ['--yes', '--env-file', envFile, ...argv]);

      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain('shopdb init --help');
      expect(existsSync(envFile)).toBe(false);
    });

    it('no terminal and no --yes, naming --yes', async () => {
      const result = await runBin(['init'], { cwd: dir });

      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('there is no terminal to ask on');
      expect(result.stderr).toContain('--yes');
      expect(existsSync(envFile)).toBe(false);
    });

    it('no --yes in --json mode, with the error as JSON', async () => {
      const result = await runBin(['init', '--json'], { cwd: dir });

      expect(result.exitCode).toBe(2);
      expect(result.json.error.message).toContain('--json never prompts');
      expect(result.json.error.suggestion).toContain('--yes');
    });

    it('a password on the command line, pointing at --db-password-stdin', async () => {
      const result = await runCommand(Init, ['--yes', '--env-file', envFile, '--db', 'mysql', '--db-password', 'something-visible-in-ps']);

      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('--db-password-stdin');
      expect(result.stderr).not.toContain('something-visible-in-ps');
      expect(existsSync(envFile)).toBe(false);
    });

    it('CORS_ORIGINS=* in production, through the binary, naming the flag', async () => {
      const result = await runBin(['init', '--yes', '--cors-origins', '*', '--json'], { cwd: dir });

      expect(result.exitCode).toBe(2);
      expect(result.json.error).toMatchObject({
        code: 'CONFIG_INVALID',
        message: 'The .env that init would write is not valid in production mode; nothing was written or created',
      });
      expect(result.json.error.details).toEqual([
        'CORS_ORIGINS: allows every origin (*) — list the exact origins, e.g. https://shopdb.plant.example (--cors-origins)',
      ]);
      expect(result.json.error.suggestion).toContain('--mode development');
      expect(readdirSync(dir)).toEqual([]);
    });

    it('CORS_ORIGINS=* in production with --force: the existing .env stays byte-identical and is not moved aside', async () => {
      const good = '# the good one\nSHOPDB_ENV=development\nJWT_SECRET=old-secret-that-someone-relies-on-123456\n';
      writeFileSync(envFile, good, { mode: 0o600 });

      const inProcess = await runCommand(Init, ['--yes', '--force', '--env-file', envFile, '--cors-origins', '*']);
      const bin = await runBin(['init', '--yes', '--force', '--cors-origins', 'https://shopdb.plant.example,*'], { cwd: dir });

      for (const result of [inProcess, bin]) {
        expect(result.exitCode).toBe(2);
        expect(result.stderr).toContain('CORS_ORIGINS: allows every origin (*)');
        expect(result.stderr).toContain('nothing was written or created');
      }
      expect(readFileSync(envFile, 'utf8')).toBe(good);
      expect(modeOf(envFile)).toBe(0o600);
      expect(readdirSync(dir)).toEqual(['.env']);
    });

    it('accepts CORS_ORIGINS=* in development mode, where the rule does not apply', async () => {
      const result = await runBin(['init', '--yes', '--mode', 'development', '--cors-origins', '*'], { cwd: dir });

      expect(result.exitCode, result.stderr).toBe(0);
      expect(readEnv(envFile)).toMatchObject({ SHOPDB_ENV: 'development', CORS_ORIGINS: '*' });
    });

    it('a piped MySQL password that production would refuse', async () => {
      const result = await runBin(['init', '--yes', '--db', 'mysql', '--db-password-stdin'], { cwd: dir, input: 'short\n' });

      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('DB_PASSWORD: is shorter than 12 characters');
      expect(result.stderr).not.toContain('short\n');
      expect(existsSync(envFile)).toBe(false);
    });
  });

  it('reads the MySQL password from stdin into DB_PASSWORD and prints no secret', async () => {
    const result = await runBin(['init', '--yes', '--json', '--db', 'mysql', '--db-password-stdin'], {
      cwd: dir,
      input: `${PIPED_PASSWORD}\n`,
    });

    expect(result.exitCode, result.stderr).toBe(0);
    const written = readEnv(envFile);
    expect(written.DB_PASSWORD).toBe(PIPED_PASSWORD);
    expect(written.DB_CLIENT).toBe('mysql');
    expect(result.json).toMatchObject({ client: 'mysql', generatedSecrets: ['JWT_SECRET', 'MYSQL_ROOT_PASSWORD'] });
    const output = result.stdout + result.stderr;
    for (const secret of [written.DB_PASSWORD, written.JWT_SECRET!, written.MYSQL_ROOT_PASSWORD!]) expect(output).not.toContain(secret);
    const check = await runBin(['config', 'check'], { cwd: dir });
    expect(check.exitCode, check.stderr).toBe(0);
  });

  describe('directory login (--ldap true)', () => {
    const ROLE_MAP =
      '{"CN=ShopDB Admins,OU=Groups,DC=plant,DC=example":"admin","CN=Hangar 2\\\\, all staff,OU=Groups,DC=plant,DC=example":"viewer"}';
    const ldapFlags = [
      '--ldap',
      'true',
      '--ldap-url',
      'ldaps://dc01.plant.example:636,ldaps://dc02.plant.example:636',
      '--ldap-bind-dn',
      'CN=svc-shopdb,OU=Service Accounts,DC=plant,DC=example',
      '--ldap-base-dn',
      'OU=Staff,DC=plant,DC=example',
      '--ldap-group-role-map',
      ROLE_MAP,
    ];

    it('writes the directory settings and the service password from LDAP_BIND_PASSWORD, which `config check` accepts in production (in-process)', async () => {
      const result = await runCommand(Init, ['--yes', '--env-file', envFile, ...ldapFlags], {
        env: { LDAP_BIND_PASSWORD: PIPED_PASSWORD },
      });

      expect(result.exitCode, result.stderr).toBe(0);
      const written = readEnv(envFile);
      expect(written).toMatchObject({
        LDAP_ENABLED: 'true',
        LDAP_URL: 'ldaps://dc01.plant.example:636,ldaps://dc02.plant.example:636',
        LDAP_BIND_DN: 'CN=svc-shopdb,OU=Service Accounts,DC=plant,DC=example',
        LDAP_BIND_PASSWORD: PIPED_PASSWORD,
      });
      expect(JSON.parse(written.LDAP_GROUP_ROLE_MAP!)).toEqual(JSON.parse(ROLE_MAP));
      expect(modeOf(envFile)).toBe(0o600);
      expect(result.stdout + result.stderr).not.toContain(PIPED_PASSWORD);
      expect(result.stdout).toContain('shopdb ldap test');
      const check = await runCommand(ConfigCheck, ['--env-file', envFile, '--json']);
      expect(check.exitCode, check.stdout + check.stderr).toBe(0);
    });

    it('reads the service password from stdin and prints no secret (through bin/run.js)', async () => {
      const result = await runBin(['init', '--yes', '--json', ...ldapFlags, '--ldap-bind-password-stdin'], {
        cwd: dir,
        input: `${PIPED_PASSWORD}\n`,
      });

      expect(result.exitCode, result.stderr).toBe(0);
      expect(readEnv(envFile).LDAP_BIND_PASSWORD).toBe(PIPED_PASSWORD);
      expect(result.stdout + result.stderr).not.toContain(PIPED_PASSWORD);
      expect((await runBin(['config', 'check'], { cwd: dir })).exitCode).toBe(0);
    });

    it('without the password writes the rest and says to set LDAP_BIND_PASSWORD (through bin/run.js)', async () => {
      const result = await runBin(['init', '--yes', ...ldapFlags], { cwd: dir });

      expect(result.exitCode, result.stderr).toBe(0);
      expect(readEnv(envFile).LDAP_BIND_PASSWORD).toBeUndefined();
      expect(result.stdout).toContain('Set LDAP_BIND_PASSWORD in');
    });

    it('refuses production answers without a server or any rule, naming their flags, and writes nothing (through bin/run.js)', async () => {
      const result = await runBin(['init', '--yes', '--ldap', 'true', '--ldap-bind-dn', 'CN=svc,DC=plant', '--ldap-base-dn', 'DC=plant'], {
        cwd: dir,
      });

      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('--ldap-url');
      expect(result.stderr).toContain('--ldap-group-role-map');
      expect(existsSync(envFile)).toBe(false);
    });

    it('refuses --ldap-bind-password-stdin without --ldap true (exit 2)', async () => {
      const result = await runCommand(Init, ['--yes', '--env-file', envFile, '--ldap-bind-password-stdin']);

      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('--ldap true');
      expect(existsSync(envFile)).toBe(false);
    });
  });

  it('accepts a short piped password in development mode', async () => {
    const result = await runBin(['init', '--yes', '--mode', 'development', '--db', 'mysql', '--db-password-stdin'], {
      cwd: dir,
      input: 'devpass',
    });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(readEnv(envFile)).toMatchObject({ SHOPDB_ENV: 'development', DB_PASSWORD: 'devpass' });
  });

  it('returns its result as JSON without any secret value', async () => {
    const result = await runCommand(Init, ['--yes', '--json', '--env-file', envFile, '--site-name', 'plant3']);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json).toEqual({
      envFile,
      previousEnvFile: null,
      client: 'sqlite',
      mode: 'production',
      generatedSecrets: ['JWT_SECRET'],
      databaseCreated: false,
      userCreated: false,
      userReused: false,
      nextSteps: expect.arrayContaining([expect.stringContaining('shopdb migrate')]),
    });
    expect(result.stdout + result.stderr).not.toContain(readEnv(envFile).JWT_SECRET);
  });
});

describe.skipIf(!mysqlAvailable())('shopdb init --create-database [mysql]', () => {
  let server: MysqlServer;
  let database: string;
  let user: string;

  beforeEach(() => {
    server = parseMysqlUrl(inject('mysql').url!);
    database = throwawayName('shopdb_init');
    user = throwawayName('shopdb_u');
  });

  afterEach(async () => {
    await adminQuery(server, 'DROP USER IF EXISTS ?@?', [user, '%']);
    await adminQuery(server, `DROP DATABASE IF EXISTS \`${database}\``);
  });

  const createArgs = (): string[] => [
    'init',
    '--yes',
    '--json',
    '--db',
    'mysql',
    '--db-host',
    server.host,
    '--db-port',
    String(server.port),
    '--db-name',
    database,
    '--db-user',
    user,
    '--create-database',
    '--mysql-admin-user',
    server.user,
  ];
  const adminEnv = (): Record<string, string> => (server.password ? { SHOPDB_MYSQL_ADMIN_PASSWORD: server.password } : {});

  it('creates a utf8mb4 database and a user with exactly the site privileges, which can migrate', async () => {
    const argv = createArgs();
    const init = await runBin(argv, { cwd: dir, env: adminEnv() });

    expect(init.exitCode, init.stderr).toBe(0);
    expect(init.json).toMatchObject({
      client: 'mysql',
      databaseCreated: true,
      userCreated: true,
      generatedSecrets: ['JWT_SECRET', 'MYSQL_ROOT_PASSWORD', 'DB_PASSWORD'],
    });
    const written = readEnv(envFile);
    expect(written).toMatchObject({ DB_CLIENT: 'mysql', DB_NAME: database, DB_USER: user });
    for (const secret of [written.DB_PASSWORD!, written.JWT_SECRET!]) {
      expect(argv.join(' ')).not.toContain(secret);
      expect(init.stdout + init.stderr).not.toContain(secret);
    }

    const [schema] = await adminQuery<Array<{ charset: string; collation: string }>>(
      server,
      'SELECT DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [database],
    );
    expect(schema).toEqual({ charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' });
    const grantee = `'${user}'@'%'`;
    const onDatabase = await adminQuery<Array<{ privilege: string; schemaName: string }>>(
      server,
      'SELECT PRIVILEGE_TYPE AS privilege, TABLE_SCHEMA AS schemaName FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ?',
      [grantee],
    );
    expect(onDatabase.map((row) => row.privilege).sort()).toEqual([...SITE_USER_PRIVILEGES].sort());
    expect(new Set(onDatabase.map((row) => row.schemaName))).toEqual(new Set([database]));
    const global = await adminQuery<Array<{ privilege: string }>>(
      server,
      'SELECT PRIVILEGE_TYPE AS privilege FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ?',
      [grantee],
    );
    expect(global.map((row) => row.privilege)).toEqual(['USAGE']);

    const migrate = await runBin(['migrate', '--env-file', envFile], { cwd: dir });
    expect(migrate.exitCode, migrate.stderr).toBe(0);
    const [tables] = await adminQuery<Array<{ n: number }>>(
      server,
      'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
      [database],
    );
    expect(Number(tables!.n)).toBeGreaterThan(0);
  });

  const userCount = async (): Promise<number> =>
    Number((await adminQuery<Array<{ n: number }>>(server, 'SELECT COUNT(*) AS n FROM mysql.user WHERE User = ?', [user]))[0]!.n);
  const databaseCount = async (): Promise<number> =>
    Number(
      (
        await adminQuery<Array<{ n: number }>>(server, 'SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [
          database,
        ])
      )[0]!.n,
    );

  it('refuses CORS_ORIGINS=* in production before creating the user or the database', async () => {
    const result = await runBin([...createArgs(), '--cors-origins', '*'], { cwd: dir, env: adminEnv() });

    expect(result.exitCode).toBe(2);
    expect(result.json.error.details).toEqual([expect.stringMatching(/^CORS_ORIGINS: allows every origin/)]);
    expect(await userCount()).toBe(0);
    expect(await databaseCount()).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  describe('a user left behind by an earlier run that never wrote its .env', () => {
    const LEFT_BEHIND_PASSWORD = 'lost-password-nobody-knows-1';
    beforeEach(async () => {
      await adminQuery(server, 'CREATE USER ?@? IDENTIFIED BY ?', [user, '%', LEFT_BEHIND_PASSWORD]);
    });

    it('is refused without --reuse-user: no database created, no .env written (exit 2)', async () => {
      const result = await runBin(createArgs(), { cwd: dir, env: adminEnv() });

      expect(result.exitCode).toBe(2);
      expect(result.json.error.suggestion).toContain('--reuse-user');
      expect(await databaseCount()).toBe(0);
      expect(readdirSync(dir)).toEqual([]);
    });

    it('is kept with --reuse-user: a new generated password that works, the site privileges, and the database', async () => {
      const result = await runBin([...createArgs(), '--reuse-user'], { cwd: dir, env: adminEnv() });

      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.json).toMatchObject({ databaseCreated: true, userCreated: false, userReused: true });
      expect(result.stderr).toContain('Kept the existing MySQL user');
      const written = readEnv(envFile);
      expect(written.DB_PASSWORD).not.toBe(LEFT_BEHIND_PASSWORD);
      expect(result.stdout + result.stderr).not.toContain(written.DB_PASSWORD);
      expect(await userCount()).toBe(1);
      const granted = await adminQuery<Array<{ privilege: string }>>(
        server,
        'SELECT PRIVILEGE_TYPE AS privilege FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ? AND TABLE_SCHEMA = ?',
        [`'${user}'@'%'`, database],
      );
      expect(granted.map((row) => row.privilege).sort()).toEqual([...SITE_USER_PRIVILEGES].sort());
      const migrate = await runBin(['migrate', '--env-file', envFile], { cwd: dir });
      expect(migrate.exitCode, migrate.stderr).toBe(0);
    });

    it('is only reused on request: --reuse-user needs --create-database (exit 2)', async () => {
      const result = await runBin(['init', '--yes', '--db', 'mysql', '--reuse-user'], { cwd: dir });

      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('--create-database');
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('refuses clearly when the user already exists, and writes nothing', async () => {
    const first = await runBin(createArgs(), { cwd: dir, env: adminEnv() });
    expect(first.exitCode, first.stderr).toBe(0);
    const secondDir = tempDir();
    try {
      const second = await runBin(createArgs(), { cwd: secondDir, env: adminEnv() });

      expect(second.exitCode).toBe(2);
      expect(second.json.error.message).toBe(`The MySQL user '${user}'@'%' already exists; nothing was created`);
      expect(second.json.error.suggestion).toContain('--db-user');
      expect(second.json.error.suggestion).toContain('--reuse-user');
      expect(existsSync(join(secondDir, '.env'))).toBe(false);
    } finally {
      rmSync(secondDir, { recursive: true, force: true });
    }
  });
});

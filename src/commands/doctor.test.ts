import { appendFileSync } from 'node:fs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { runBin, runCommand } from '../../test/support/cli.js';
import { createSite, describeEachEngine, mysqlAvailable, type TestSite } from '../../test/support/site.js';
import { configCheck, coreDoctorRegistry } from '../core/doctor/checks.js';
import { DoctorRegistry, runDoctor, type CheckReport, type DoctorCheck } from '../core/doctor/index.js';
import Doctor from './doctor.js';
import Migrate from './migrate/index.js';

const byId = (checks: CheckReport[]): Record<string, CheckReport> => Object.fromEntries(checks.map((check) => [check.id, check]));

let site: TestSite | undefined;

afterEach(async () => {
  await site?.cleanup();
  site = undefined;
});

describeEachEngine('shopdb doctor', (engine) => {
  it('passes the start pre-flight on a migrated site (exit 0)', async () => {
    site = await createSite(engine);
    expect((await runCommand(Migrate, ['--env-file', site.envFile])).exitCode).toBe(0);

    const result = await runCommand(Doctor, ['--env-file', site.envFile, '--tag', 'start', '--json']);

    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.json.ok).toBe(true);
    const checks = byId(result.json.checks);
    expect(Object.keys(checks)).toEqual([
      'node-version',
      'config',
      'restore',
      'database',
      'cluster',
      'migrations',
      'schema',
      'plugins',
      'directory',
      'zabbix',
    ]);
    expect(checks.database!.status).toBe('pass');
    // This machine's MariaDB is a single server; SQLite never is a cluster.
    expect(checks.cluster!.status).toBe('skip');
    expect(checks.migrations!.status).toBe('pass');
    expect(checks.plugins).toMatchObject({ status: 'pass', message: 'no plugin installed' });
    expect(checks.migrations!.message).toMatch(/^\d+ applied, none pending$/);
    expect(checks.schema!.status).toBe('pass');
    expect(checks.schema!.message).toMatch(/^the \d+ tables of \d+ applied migrations are there$/);
  });

  it('shows when each live summary:read token was last used, and skips when there is none', async () => {
    site = await createSite(engine);
    expect((await runCommand(Migrate, ['--env-file', site.envFile])).exitCode).toBe(0);
    const before = byId((await runCommand(Doctor, ['--env-file', site.envFile, '--json'])).json.checks);
    const db = await site.open();
    try {
      const { createApiToken, resolveApiToken } = await import('../core/auth/api-tokens.js');
      const { createUser } = await import('../core/users/service.js');
      const { cliActor } = await import('../core/audit/log.js');
      const { user } = await createUser(db, cliActor('test'), {
        username: 'central',
        role: 'viewer',
        password: 'correct-horse-battery-staple',
      });
      const polled = await createApiToken(db, cliActor('test'), { userId: user.id, name: 'corporate', scope: 'summary:read' });
      await createApiToken(db, cliActor('test'), { userId: user.id, name: 'spare', scope: 'summary:read' });
      await createApiToken(db, cliActor('test'), { userId: user.id, name: 'script', scope: 'read' });
      await resolveApiToken(db, polled.token);
    } finally {
      await db.destroy();
    }

    const result = await runCommand(Doctor, ['--env-file', site.envFile, '--json']);

    expect(before['summary-tokens']).toMatchObject({ status: 'skip' });
    const check = byId(result.json.checks)['summary-tokens']!;
    expect(check.status).toBe('pass');
    expect(check.message).toMatch(/^2 live\n.*corporate \(central\): last used 0 min ago\n.*spare \(central\): never used$/);
    expect(
      (check.data as { tokens: Array<{ name: string; lastUsedAt: string | null }> }).tokens.map((t) => [t.name, t.lastUsedAt === null]),
    ).toEqual([
      ['corporate', false],
      ['spare', true],
    ]);
  });

  it('fails the plugins check when an installed plugin is not available, naming it (exit 1)', async () => {
    site = await createSite(engine);
    expect((await runCommand(Migrate, ['--env-file', site.envFile])).exitCode).toBe(0);
    const db = await site.open();
    await db('installed_plugins').insert({ name: 'ghost', version: '2.0.0', enabled: true });
    await db.destroy();

    const result = await runCommand(Doctor, ['--env-file', site.envFile, '--tag', 'start', '--json']);

    expect(result.exitCode).toBe(1);
    expect(byId(result.json.checks).plugins).toMatchObject({
      status: 'fail',
      message: 'installed but not usable: ghost (installed on this site, but its files are not available to this shopdb)',
    });
  });

  it('fails the migrations check while migrations are pending (exit 1)', async () => {
    site = await createSite(engine);
    await (await site.open()).destroy();

    const result = await runCommand(Doctor, ['--env-file', site.envFile, '--json']);

    expect(result.exitCode).toBe(1);
    expect(result.json.ok).toBe(false);
    const migrations = byId(result.json.checks).migrations!;
    expect(migrations.status).toBe('fail');
    expect(migrations.message).toMatch(/^\d+ migrations? pending$/);
    expect(migrations.suggestion).toContain('shopdb migrate');
    expect(byId(result.json.checks).database!.status).toBe('pass');
  });

  it('fails when a table of an applied migration is missing, naming the table and its migration (bin)', async () => {
    site = await createSite(engine);
    expect((await runCommand(Migrate, ['--env-file', site.envFile])).exitCode).toBe(0);
    const db = await site.open();
    await db.schema.dropTable('login_throttle');
    await db.destroy();

    const human = await runBin(['doctor', '--tag', 'start', '--env-file', site.envFile]);
    const json = await runBin(['doctor', '--tag', 'start', '--json', '--env-file', site.envFile]);

    expect(human.exitCode).toBe(1);
    expect(human.stdout).toContain(
      'FAIL  Schema matches the migration records: recorded as applied, but their tables are missing: login_throttle (core 20261202C-create-login-throttle)',
    );
    expect(json.exitCode).toBe(1);
    expect(byId(json.json.checks).schema).toMatchObject({
      status: 'fail',
      data: { missing: [{ table: 'login_throttle', source: 'core', migration: '20261202C-create-login-throttle' }] },
    });
    expect(byId(json.json.checks).migrations!.status).toBe('pass');
  });

  it('fails, not only warns, while a migration lock or the schema lock is held (bin)', async () => {
    site = await createSite(engine);
    expect((await runCommand(Migrate, ['--env-file', site.envFile])).exitCode).toBe(0);
    const db = await site.open();
    await db('shopdb_migrations_lock').update({ is_locked: 1 });
    await db('schema_lock').insert({ id: 1, holder: 'other-host pid 7: plugin install printers', acquired_at: '2026-12-03 10:00:00.000' });
    await db.destroy();

    const result = await runBin(['doctor', '--tag', 'start', '--json', '--env-file', site.envFile]);

    expect(result.exitCode).toBe(1);
    expect(byId(result.json.checks).migrations).toMatchObject({
      status: 'fail',
      message: 'migration lock held (core, site schema lock: other-host pid 7: plugin install printers)',
      suggestion: expect.stringContaining('shopdb migrate unlock'),
    });
  });
});

describe('shopdb doctor', () => {
  it('passes every check on a healthy migrated SQLite site (exit 0)', async () => {
    site = await createSite('sqlite');
    await runCommand(Migrate, ['--env-file', site.envFile]);

    const result = await runCommand(Doctor, ['--env-file', site.envFile]);

    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ok {4}Migrations current: \d+ applied, none pending/);
    expect(result.stdout).toContain('skip  Backup tool (mysqldump / mariadb-dump): not needed');
    expect(result.stdout).toContain('skip  Cluster node: SQLite is a single file, never a cluster');
    expect(result.stdout).toMatch(/\d+ passed, \d+ warnings, 0 failed, 6 skipped\./);
  });

  it('fails the config check on a bad configuration and skips the checks that need it', async () => {
    site = await createSite('sqlite', { DB_HOTS: 'db01.plant.example' });

    const result = await runCommand(Doctor, ['--env-file', site.envFile, '--json']);

    expect(result.exitCode).toBe(1);
    const checks = byId(result.json.checks);
    expect(checks.config!.status).toBe('fail');
    expect(checks.config!.message).toContain('DB_HOTS');
    expect(checks.config!.message).toContain('did you mean DB_HOST?');
    expect(checks['node-version']!.status).toBe('pass');
    for (const id of [
      'restore',
      'database',
      'cluster',
      'migrations',
      'schema',
      'directory',
      'zabbix',
      'summary-tokens',
      'dump-tool',
      'backup-dir',
      'backup-copy-dir',
      'backup-option-files',
      'backup-scratch-schemas',
    ]) {
      expect(checks[id], id).toMatchObject({ status: 'skip', message: 'skipped: the configuration did not load' });
    }
    expect(result.json.counts).toEqual({ pass: 1, warn: 0, fail: 1, skip: 14 });
  });

  it('fails the config check on a production configuration that is not safe', async () => {
    site = await createSite('sqlite', { SHOPDB_ENV: 'production', JWT_SECRET: 'change-me', CORS_ORIGINS: '*' });
    await runCommand(Migrate, ['--env-file', site.envFile]);

    const result = await runCommand(Doctor, ['--env-file', site.envFile, '--json']);

    expect(result.exitCode).toBe(1);
    const config = byId(result.json.checks).config!;
    expect(config.status).toBe('fail');
    expect(config.message).toContain('2 problems in production mode');
    expect(config.message).toContain('JWT_SECRET: still has a placeholder value');
    expect(config.message).toContain('CORS_ORIGINS: allows every origin (*)');
  });

  it('lists the production rules in the same failure as an unknown name and a line without "="', async () => {
    site = await createSite('sqlite', { SHOPDB_ENV: 'production', JWT_SECRET: 'a'.repeat(36), CORS_ORIGINS: '*', DB_HOTS: 'db01' });
    appendFileSync(site.envFile, 'BACKUP_KEEP\n');

    const inProcess = await runCommand(Doctor, ['--env-file', site.envFile, '--json']);
    const bin = await runBin(['doctor', '--env-file', site.envFile]);

    expect(inProcess.exitCode).toBe(1);
    const lines = byId(inProcess.json.checks).config!.message.split('\n');
    expect(lines[0]).toBe('4 problems in production mode (2 stop the configuration loading):');
    expect(lines.slice(1).map((line: string) => line.split(':')[0])).toEqual([
      'BACKUP_KEEP (line 7)',
      'DB_HOTS',
      'JWT_SECRET',
      'CORS_ORIGINS',
    ]);
    expect(bin.exitCode).toBe(1);
    expect(bin.stdout).toContain('JWT_SECRET: is too predictable');
    expect(bin.stdout).toContain('CORS_ORIGINS: allows every origin (*)');
    expect(bin.stdout).toContain('BACKUP_KEEP (line 7): has no "="');
  });

  it('runs only the backup checks with --tag backup', async () => {
    site = await createSite('sqlite');
    await runCommand(Migrate, ['--env-file', site.envFile]);

    const result = await runCommand(Doctor, ['--env-file', site.envFile, '--tag', 'backup', '--json']);

    expect(result.exitCode, result.stdout).toBe(0);
    expect(result.json.tags).toEqual(['backup']);
    expect(result.json.checks.map((check: CheckReport) => check.id)).toEqual([
      'config',
      'restore',
      'database',
      'cluster',
      'dump-tool',
      'backup-dir',
      'backup-copy-dir',
      'backup-option-files',
      'backup-scratch-schemas',
    ]);
    for (const check of result.json.checks as CheckReport[]) expect(check.tags).toContain('backup');
  });

  it('reports a closed MySQL port as the database check failing, quickly, with advice on DB_HOST/DB_PORT', async () => {
    site = await createSite('sqlite', { DB_CLIENT: 'mysql', DB_HOST: '127.0.0.1', DB_PORT: '1', DB_NAME: 'shopdb', DB_USER: 'shopdb' });
    const started = Date.now();

    const result = await runCommand(Doctor, ['--env-file', site.envFile, '--json']);

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.exitCode).toBe(1);
    const checks = byId(result.json.checks);
    expect(checks.config!.status).toBe('pass');
    expect(checks.database!.status).toBe('fail');
    expect(checks.database!.message).toBe('MySQL refused the connection at 127.0.0.1:1 (DB_HOST/DB_PORT)');
    expect(checks.database!.suggestion).toContain('DB_HOST / DB_PORT');
    expect(checks.migrations!.status).toBe('fail');
  });

  it('shows the failure and its fix to a person, and exits 1 from the real binary', async () => {
    site = await createSite('sqlite', { DB_CLIENT: 'mysql', DB_HOST: '127.0.0.1', DB_PORT: '1' });

    const result = await runBin(['doctor', '--env-file', site.envFile]);

    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('FAIL  Database reachable: MySQL refused the connection at 127.0.0.1:1');
    expect(result.stdout).toContain('Fix: Is MySQL running and listening there?');
  });

  it.skipIf(!mysqlAvailable())('names the server product and version of a MySQL site', async () => {
    const server = inject('mysql').server!;
    site = await createSite('mysql');
    await runCommand(Migrate, ['--env-file', site.envFile]);

    const result = await runCommand(Doctor, ['--env-file', site.envFile, '--tag', 'start', '--json']);

    const product = /mariadb/i.test(server) ? 'MariaDB' : 'MySQL';
    const database = byId(result.json.checks).database!;
    expect(database.status).toBe('pass');
    expect(database.message).toBe(
      `mysql://${site.vars.DB_USER}@${site.vars.DB_HOST}:${site.vars.DB_PORT}/${site.database}: ${product} ${server.split('-')[0]}`,
    );
  });

  it('keeps its JSON shape stable', async () => {
    site = await createSite('sqlite');

    const result = await runCommand(Doctor, ['--env-file', site.envFile, '--json']);

    expect(Object.keys(result.json).sort()).toEqual(['checks', 'counts', 'ok', 'tags']);
    expect(result.json.tags).toBe('all');
    expect(Object.keys(result.json.counts).sort()).toEqual(['fail', 'pass', 'skip', 'warn']);
    expect(result.json.checks.map((check: CheckReport) => check.id)).toEqual([
      'node-version',
      'config',
      'restore',
      'database',
      'cluster',
      'migrations',
      'schema',
      'plugins',
      'directory',
      'zabbix',
      'summary-tokens',
      'dump-tool',
      'backup-dir',
      'backup-copy-dir',
      'backup-option-files',
      'backup-scratch-schemas',
    ]);
    for (const check of result.json.checks) {
      expect(check).toMatchObject({
        id: expect.any(String),
        title: expect.any(String),
        tags: expect.any(Array),
        status: expect.stringMatching(/^(pass|warn|fail|skip)$/),
        message: expect.any(String),
      });
    }
    const total = Object.values(result.json.counts as Record<string, number>).reduce((sum, n) => sum + n, 0);
    expect(total).toBe(result.json.checks.length);
  });
});

describe('the doctor registry', () => {
  const siteNameCheck: DoctorCheck = {
    id: 'plugin-site-name',
    title: 'Site name (a plugin check)',
    tags: ['backup'],
    async run(context) {
      return context.config
        ? {
            status: 'warn',
            message: `site ${context.config.values.SHOPDB_SITE_NAME}`,
            data: { site: context.config.values.SHOPDB_SITE_NAME },
          }
        : { status: 'skip', message: 'no configuration' };
    },
  };
  const throwingCheck: DoctorCheck = {
    id: 'plugin-broken',
    title: 'A check with a bug',
    tags: ['start'],
    async run() {
      throw new Error('boom');
    },
  };

  it('runs registered checks in order, and reports one that throws as failed', async () => {
    site = await createSite('sqlite');
    const registry = new DoctorRegistry().register(configCheck).register(siteNameCheck).register(throwingCheck);

    const report = await runDoctor({ loadConfig: () => site!.config(), path: '', registry });

    expect(report.checks.map((check) => [check.id, check.status])).toEqual([
      ['config', 'pass'],
      ['plugin-site-name', 'warn'],
      ['plugin-broken', 'fail'],
    ]);
    expect(report.checks[1]).toMatchObject({ message: 'site test-site', data: { site: 'test-site' } });
    expect(report.checks[2]!.message).toBe('Unexpected error: boom');
    expect(report).toMatchObject({ ok: false, tags: 'all', counts: { pass: 1, warn: 1, fail: 1, skip: 0 } });
  });

  it('selects a plugin check by its tags like the core ones', async () => {
    site = await createSite('sqlite');
    const registry = coreDoctorRegistry().register(siteNameCheck).register(throwingCheck);

    const report = await runDoctor({ loadConfig: () => site!.config(), path: '', registry, tags: ['backup'] });

    expect(report.checks.map((check) => check.id)).toEqual([
      'config',
      'restore',
      'database',
      'cluster',
      'dump-tool',
      'backup-dir',
      'backup-copy-dir',
      'backup-option-files',
      'backup-scratch-schemas',
      'plugin-site-name',
    ]);
  });

  it('refuses to register two checks with the same id', () => {
    expect(() => coreDoctorRegistry().register({ ...siteNameCheck, id: 'database' })).toThrow('Doctor check database is registered twice');
  });
});

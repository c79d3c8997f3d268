import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runBin, runCommand } from '../../../test/support/cli.js';
import { createSite, describeEachEngine, tempDir, writeEnvFile, type TestSite } from '../../../test/support/site.js';
import { coreMigrationSource, DirectoryMigrationSource } from '../../core/migrations/sources.js';
import Migrate from './index.js';
import MigrateStatus from './status.js';
import MigrateRollback from './rollback.js';
import MigrateUnlock from './unlock.js';

async function coreMigrationNames(): Promise<string[]> {
  const reader = new DirectoryMigrationSource(coreMigrationSource().directory);
  return (await reader.getMigrations()).map((m) => reader.getMigrationName(m));
}

async function holdCoreLock(site: TestSite): Promise<void> {
  const db = await site.open();
  try {
    await db('shopdb_migrations_lock').update({ is_locked: 1 });
  } finally {
    await db.destroy();
  }
}

describeEachEngine('shopdb migrate', (engine) => {
  let site: TestSite;
  afterEach(async () => site?.cleanup());

  it('applies, is a no-op the second time, rolls back and re-applies (in-process)', async () => {
    site = await createSite(engine);
    const first = await runCommand(Migrate, ['--env-file', site.envFile, '--json']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.json.appliedCount).toBeGreaterThan(0);

    const second = await runCommand(Migrate, ['--env-file', site.envFile, '--json']);
    expect(second.json.appliedCount).toBe(0);

    const rollback = await runCommand(MigrateRollback, ['--env-file', site.envFile, '--yes', '--no-backup', '--json']);
    expect(rollback.exitCode).toBe(0);
    expect(rollback.json.appliedCount).toBe(first.json.appliedCount);

    const status = await runCommand(MigrateStatus, ['--env-file', site.envFile, '--json']);
    expect(status.json.upToDate).toBe(false);

    const again = await runCommand(Migrate, ['--env-file', site.envFile, '--json']);
    expect(again.json.appliedCount).toBe(first.json.appliedCount);
  });

  it('works through bin/run.js', async () => {
    site = await createSite(engine);
    const result = await runBin(['migrate', '--env-file', site.envFile]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('up to date');
    const status = await runBin(['migrate', 'status', '--env-file', site.envFile, '--json']);
    expect(status.json.upToDate).toBe(true);
  });

  it('releases a stale lock with `migrate unlock`, and says when none was held (in-process)', async () => {
    site = await createSite(engine);
    await runCommand(Migrate, ['--env-file', site.envFile]);
    await holdCoreLock(site);
    const locked = await runCommand(MigrateStatus, ['--env-file', site.envFile, '--json']);

    const unlock = await runCommand(MigrateUnlock, ['--env-file', site.envFile, '--json']);
    const again = await runCommand(MigrateUnlock, ['--env-file', site.envFile]);

    expect(locked.json.sources[0].lockHeld).toBe(true);
    expect(unlock.exitCode, unlock.stderr).toBe(0);
    expect(unlock.json).toMatchObject({ source: 'core', wasLocked: true });
    expect(unlock.json.database).not.toContain('password');
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('The core migration lock was not held.');
    const status = await runCommand(MigrateStatus, ['--env-file', site.envFile, '--json']);
    expect(status.json.sources[0].lockHeld).toBe(false);
  });

  it('stops with exit code 5 on a held lock, and runs again after `migrate unlock` (bin)', async () => {
    site = await createSite(engine);
    await runBin(['migrate', '--env-file', site.envFile]);
    await holdCoreLock(site);

    const blocked = await runBin(['migrate', '--env-file', site.envFile, '--wait', '0']);
    const unlock = await runBin(['migrate', 'unlock', '--env-file', site.envFile]);
    const after = await runBin(['migrate', '--env-file', site.envFile, '--wait', '0']);

    expect(blocked.exitCode).toBe(5);
    expect(blocked.stderr).toMatch(/^Error: Another migration run holds the lock of shopdb core/m);
    expect(blocked.stderr).toMatch(/^Fix: .*shopdb migrate unlock/m);
    expect(unlock.exitCode, unlock.stderr).toBe(0);
    expect(unlock.stdout).toContain('Released the core migration lock.');
    expect(after.exitCode, after.stderr).toBe(0);
  });

  it('rolls back one migration with --step 1 and every one with --all', async () => {
    site = await createSite(engine);
    const names = await coreMigrationNames();
    await runCommand(Migrate, ['--env-file', site.envFile]);

    const step = await runCommand(MigrateRollback, ['--env-file', site.envFile, '--step', '1', '--yes', '--no-backup', '--json']);
    const afterStep = await runCommand(MigrateStatus, ['--env-file', site.envFile, '--json']);

    expect(step.exitCode, step.stderr).toBe(0);
    expect(step.json.sources[0].applied).toEqual([names.at(-1)]);
    expect(afterStep.json.sources[0].pending).toEqual([names.at(-1)]);

    await runCommand(Migrate, ['--env-file', site.envFile]);
    const all = await runCommand(MigrateRollback, ['--env-file', site.envFile, '--all', '--yes', '--no-backup', '--json']);
    const afterAll = await runCommand(MigrateStatus, ['--env-file', site.envFile, '--json']);
    const nothing = await runCommand(MigrateRollback, ['--env-file', site.envFile, '--all', '--yes', '--no-backup']);

    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.json.sources[0].applied).toEqual([...names].reverse());
    expect(afterAll.json.sources[0].applied).toEqual([]);
    expect(afterAll.json.sources[0].pending).toEqual(names);
    expect(nothing.exitCode).toBe(0);
    expect(nothing.stdout).toContain('Nothing to roll back.');
  });

  it('refuses --step together with --all (exit 2) and an unknown --source, rolling nothing back', async () => {
    site = await createSite(engine);
    await runCommand(Migrate, ['--env-file', site.envFile]);

    const both = await runCommand(MigrateRollback, ['--env-file', site.envFile, '--step', '1', '--all']);
    const unknownSource = await runCommand(MigrateRollback, ['--env-file', site.envFile, '--source', 'plugin:nope']);

    expect(both.exitCode).toBe(2);
    expect(both.stderr).toMatch(/^Error: /m);
    expect(both.stderr).toMatch(/^Fix: .*--help/m);
    expect(unknownSource.exitCode).toBe(2);
    expect(unknownSource.stderr).toContain('There is no migration source "plugin:nope"');
    const status = await runCommand(MigrateStatus, ['--env-file', site.envFile, '--json']);
    expect(status.json.upToDate).toBe(true);
  });
});

describe('shopdb migrate without a database', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function unreachableMysqlSite(): string {
    const dir = tempDir();
    dirs.push(dir);
    const envFile = join(dir, '.env');
    writeEnvFile(envFile, {
      SHOPDB_ENV: 'development',
      DB_CLIENT: 'mysql',
      DB_HOST: '127.0.0.1',
      DB_PORT: '1',
      DB_USER: 'shopdb',
      DB_PASSWORD: 'Pa55-w0rd-that-must-not-leak',
    });
    return envFile;
  }

  it('exits 3 against an unreachable MySQL with a one-paragraph error and a Fix line, no stack (bin)', async () => {
    const envFile = unreachableMysqlSite();

    const result = await runBin(['migrate', '--env-file', envFile]);

    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      'Error: MySQL refused the connection at 127.0.0.1:1 (DB_HOST/DB_PORT)',
      expect.stringMatching(/^Fix: .*DB_HOST \/ DB_PORT/),
    ]);
    expect(result.stderr).not.toContain('Pa55-w0rd-that-must-not-leak');
  });

  it('shows the stack trace only with --verbose, and the error as JSON with --json (bin)', async () => {
    const envFile = unreachableMysqlSite();

    const verbose = await runBin(['migrate', '--env-file', envFile, '--verbose']);
    const json = await runBin(['migrate', '--env-file', envFile, '--json']);

    expect(verbose.exitCode).toBe(3);
    expect(verbose.stderr).toMatch(/^\s+at .*openDatabase/m);
    expect(verbose.stderr).toContain('ECONNREFUSED');
    expect(json.exitCode).toBe(3);
    expect(json.json.error).toMatchObject({ code: 'DATABASE_UNAVAILABLE', exitCode: 3, suggestion: expect.stringContaining('DB_PORT') });
    expect(`${verbose.stderr}${json.stdout}`).not.toContain('Pa55-w0rd-that-must-not-leak');
  });

  it('lists every core migration as pending for a SQLite file not created yet, and does not create it', async () => {
    const site = await createSite('sqlite');
    dirs.push(site.dir);
    const filename = site.config().values.DB_SQLITE_PATH;
    const names = await coreMigrationNames();

    const status = await runCommand(MigrateStatus, ['--env-file', site.envFile, '--json']);
    const human = await runBin(['migrate', 'status', '--env-file', site.envFile]);

    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.json).toMatchObject({ databaseExists: false, upToDate: false });
    expect(status.json.sources[0]).toMatchObject({
      id: 'core',
      applied: [],
      pending: names,
      unknown: [],
      lockHeld: false,
      lastFailure: null,
    });
    expect(human.exitCode, human.stderr).toBe(0);
    expect(human.stdout).toContain('not created yet');
    expect(existsSync(filename)).toBe(false);
    expect(existsSync(dirname(filename))).toBe(false);
  });
});

import { existsSync, readdirSync, statSync, utimesSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { archivesIn, checksumTables, createDemoSite, dropSiteDatabase, exportTables, unpackArchive } from '../../../test/support/backup.js';
import { runBin, runCommand } from '../../../test/support/cli.js';
import { describeEachEngine, tempDir, writeEnvFile, type TestSite } from '../../../test/support/site.js';
import Restore from '../restore.js';
import Backup from './index.js';
import BackupList from './list.js';
import BackupVerify from './verify.js';

const NAME = /^test-site-\d{8}T\d{6}Z\.shopdb\.tar$/;

describeEachEngine('shopdb backup and restore', (engine) => {
  let site: TestSite;
  afterEach(async () => site?.cleanup());

  it('round trip: demo site with every plugin → backup → database dropped → restore → every table identical (in-process)', async () => {
    site = await createDemoSite(engine);
    const before = await exportTables(site);
    const checksums = engine === 'mysql' ? await checksumTables(site) : null;

    const backup = await runCommand(Backup, ['--env-file', site.envFile, '--json']);
    expect(backup.exitCode, backup.stderr).toBe(0);
    await dropSiteDatabase(site);
    const restore = await runCommand(Restore, [backup.json.file, '--yes', '--env-file', site.envFile, '--json']);

    expect(restore.exitCode, restore.stderr).toBe(0);
    expect(restore.json).toMatchObject({
      file: backup.json.file,
      safetyBackup: null,
      tables: backup.json.tables,
      rows: backup.json.rows,
      migrationsApplied: [],
    });
    expect(await exportTables(site)).toEqual(before);
    if (checksums) expect(await checksumTables(site)).toEqual(checksums);
    expect(Object.keys(before).length).toBeGreaterThan(30);
    expect(backup.json.manifest.migrations.map((m: { source: string }) => m.source)).toEqual(
      expect.arrayContaining(['core', 'plugin:equipment', 'plugin:computers']),
    );
  });

  it('writes one 0600 archive named by site and time, with a manifest, and prints one line under cron (bin)', async () => {
    site = await createDemoSite(engine);
    const result = await runBin(['backup', '--env-file', site.envFile]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toMatch(/^Backup written: .*test-site-\d{8}T\d{6}Z\.shopdb\.tar \(\d.* tables, \d+ rows/);
    const dir = join(site.dir, 'backups');
    const [name] = archivesIn(dir);
    expect(name).toMatch(NAME);
    expect(statSync(join(dir, name!)).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.startsWith('.') && !f.endsWith('.lock'))).toEqual([]);
    const { dumpName, manifest } = await unpackArchive(join(dir, name!));
    expect(dumpName).toBe(engine === 'mysql' ? 'dump.sql.gz' : 'database.sqlite.gz');
    expect(manifest).toMatchObject({
      format: 'shopdb-backup',
      formatVersion: 1,
      site: 'test-site',
      kind: 'backup',
      shopdb: { version: expect.any(String) },
      database: { engine, product: engine === 'mysql' ? expect.stringMatching(/MariaDB|MySQL/) : 'SQLite' },
      dump: { compression: 'gzip', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(manifest.tables.assets).toBeGreaterThan(0);
    expect(manifest.plugins.map((p: { name: string }) => p.name)).toContain('equipment');
    expect(JSON.stringify(manifest)).not.toContain(site.vars.DB_PASSWORD ?? 'no-password-here');
  });

  it('lists, verifies (--deep too) and restores through bin/run.js with --json', async () => {
    site = await createDemoSite(engine);
    const before = await exportTables(site);
    const backup = await runBin(['backup', '--env-file', site.envFile, '--json']);
    const list = await runBin(['backup', 'list', '--env-file', site.envFile, '--json']);
    const verify = await runBin(['backup', 'verify', backup.json.file, '--env-file', site.envFile, '--json']);
    const deep = await runBin(['backup', 'verify', backup.json.file, '--deep', '--env-file', site.envFile, '--json']);
    const restore = await runBin(['restore', backup.json.file, '--yes', '--env-file', site.envFile, '--json']);

    expect(backup.exitCode, backup.stderr).toBe(0);
    expect(list.json.backups).toHaveLength(1);
    expect(list.json.backups[0]).toMatchObject({
      name: backup.json.name,
      checksumOk: true,
      problem: null,
      shopdbVersion: expect.any(String),
      createdAt: backup.json.createdAt,
    });
    expect(list.json.backups[0].migrations.length).toBeGreaterThan(1);
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect(verify.json).toMatchObject({ ok: true, checksumOk: true, problems: [], deep: null });
    expect(deep.exitCode, deep.stderr).toBe(0);
    expect(deep.json.ok).toBe(true);
    expect(deep.json.deep.tables).toEqual(backup.json.manifest.tables);
    expect(restore.exitCode, restore.stderr).toBe(0);
    expect(restore.json.safetyBackup).toMatch(/test-site-\d{8}T\d{6}Z-pre-restore\.shopdb\.tar$/);
    expect(await exportTables(site)).toEqual(before);
    if (engine === 'mysql') {
      // The scratch schema of --deep is gone.
      const { adminQuery } = await import('../../../test/support/mysql.js');
      const left = await adminQuery<unknown[]>(
        site.server!,
        'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?',
        [`${site.database}_verify_%`],
      );
      expect(left).toEqual([]);
    }
  });

  it('applies --keep after a successful backup, never removing the new one, and copies to --copy-to with the checksum checked (in-process)', async () => {
    site = await createDemoSite(engine);
    const out = join(site.dir, 'backups');
    const offsite = tempDir('shopdb-offsite-');
    const first = await runCommand(Backup, ['--env-file', site.envFile, '--json']);
    // Older backups of the same site, and one of another site that must be left alone.
    for (const [name, age] of [
      ['test-site-20200101T000000Z.shopdb.tar', 5],
      ['test-site-20200102T000000Z-pre-update.shopdb.tar', 4],
      ['other-site-20200101T000000Z.shopdb.tar', 9],
    ] as const) {
      copyFileSync(first.json.file, join(out, name));
      utimesSync(join(out, name), new Date(Date.now() - age * 86_400_000), new Date(Date.now() - age * 86_400_000));
    }
    const second = await runCommand(Backup, ['--env-file', site.envFile, '--keep', '2', '--copy-to', offsite, '--json']);

    expect(second.exitCode, second.stderr).toBe(0);
    // The pre-update backup is counted on its own (the only one of its kind), not among the nightly two.
    expect(second.json.removed.map((f: string) => f.split('/').pop()).sort()).toEqual(['test-site-20200101T000000Z.shopdb.tar']);
    expect(archivesIn(out)).toEqual(
      [
        'other-site-20200101T000000Z.shopdb.tar',
        'test-site-20200102T000000Z-pre-update.shopdb.tar',
        first.json.name,
        second.json.name,
      ].sort(),
    );
    expect(second.json.copy).toBe(join(offsite, second.json.name));
    expect(statSync(second.json.copy).mode & 0o777).toBe(0o600);
    const copied = await runCommand(BackupVerify, [second.json.copy, '--env-file', site.envFile, '--json']);
    expect(copied.json.ok).toBe(true);

    // The age limit applies to safety backups too.
    const third = await runCommand(Backup, ['--env-file', site.envFile, '--keep', '1', '--keep-days', '1', '--json']);
    expect(archivesIn(out)).toEqual(['other-site-20200101T000000Z.shopdb.tar', third.json.name].sort());
  });

  it('refuses a damaged or truncated backup in verify and restore, and leaves the database untouched (bin)', async () => {
    site = await createDemoSite(engine);
    const backup = await runCommand(Backup, ['--env-file', site.envFile, '--json']);
    const before = await exportTables(site);
    const { readFileSync, writeFileSync } = await import('node:fs');
    const bytes = readFileSync(backup.json.file);
    const damaged = join(site.dir, 'damaged.shopdb.tar');
    const flipped = Buffer.from(bytes);
    flipped[700] = flipped[700]! ^ 0xff;
    writeFileSync(damaged, flipped);
    const truncated = join(site.dir, 'truncated.shopdb.tar');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));

    for (const file of [damaged, truncated]) {
      const verify = await runBin(['backup', 'verify', file, '--env-file', site.envFile, '--json']);
      const restore = await runBin(['restore', file, '--yes', '--env-file', site.envFile]);
      expect(verify.exitCode, file).toBe(1);
      expect(verify.json.ok).toBe(false);
      expect(verify.json.problems.join('\n')).toMatch(file === damaged ? /sha256/ : /truncated/);
      expect(restore.exitCode, restore.stderr).toBe(1);
      expect(restore.stderr).toMatch(/^Error: Refusing to restore: .*Nothing was changed/m);
    }
    expect(await exportTables(site)).toEqual(before);
    expect(archivesIn(join(site.dir, 'backups'))).toEqual([backup.json.name]);
    const list = await runCommand(BackupList, ['--dir', site.dir, '--env-file', site.envFile, '--json']);
    expect(list.json.backups.map((b: { name: string; checksumOk: boolean }) => [b.name, b.checksumOk])).toEqual([
      ['damaged.shopdb.tar', false],
      ['truncated.shopdb.tar', false],
    ]);
  });

  it('restore without --yes and without a terminal refuses with exit 2 and changes nothing', async () => {
    site = await createDemoSite(engine);
    const backup = await runCommand(Backup, ['--env-file', site.envFile, '--json']);
    const before = await exportTables(site);
    const inProcess = await runCommand(Restore, [backup.json.file, '--env-file', site.envFile]);
    const bin = await runBin(['restore', backup.json.file, '--env-file', site.envFile, '--json']);

    expect(inProcess.exitCode).toBe(2);
    expect(inProcess.stderr).toMatch(/^Fix: Pass --yes\./m);
    expect(bin.exitCode).toBe(2);
    expect(bin.json.error).toMatchObject({ code: 'USAGE', suggestion: 'Pass --yes.' });
    expect(await exportTables(site)).toEqual(before);
    expect(archivesIn(join(site.dir, 'backups'))).toEqual([backup.json.name]);
  });

  it('names a missing file and a missing database clearly', async () => {
    site = await createDemoSite(engine);
    const missing = await runCommand(BackupVerify, [join(site.dir, 'nope.shopdb.tar'), '--env-file', site.envFile]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/^Error: There is no backup file .*nope\.shopdb\.tar/m);
    expect(missing.stderr).toMatch(/^Fix: /m);

    await dropSiteDatabase(site);
    const backup = await runCommand(Backup, ['--env-file', site.envFile]);
    expect(backup.exitCode).toBe(3);
    expect(archivesIn(join(site.dir, 'backups'))).toEqual([]);
    expect(existsSync(join(site.dir, 'backups', '.shopdb-backup.lock'))).toBe(false);
  });
});

describe('shopdb backup list', () => {
  it('says so when there is nothing to list', async () => {
    const dir = tempDir();
    writeEnvFile(join(dir, '.env'), { SHOPDB_ENV: 'development' });
    const result = await runCommand(BackupList, ['--dir', join(dir, 'none'), '--env-file', join(dir, '.env')]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('No backups in');
  });
});

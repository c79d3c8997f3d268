// The interrupted-restore marker, in-process and through the binary (the signal tests with a real
// restore are in test/restore-interrupted.test.ts): while it stands, what touches the data
// refuses with the way back, `doctor` fails on it, /api/ready is 503, and the read-only commands
// still answer. And what `restore` says before it asks: another site, another version, the rows.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createApiSite, login, makeUser, type ApiSite } from '../../test/support/api.js';
import { packArchive, unpackArchive } from '../../test/support/backup.js';
import { runBin, runCommand } from '../../test/support/cli.js';
import { describeEachEngine } from '../../test/support/site.js';
import { clearRestoreMarker, restoreMarkerPath, writeRestoreMarker } from '../core/backup/restore-marker.js';
import ConfigShow from './config/show.js';
import Doctor from './doctor.js';
import Migrate from './migrate/index.js';
import Restore from './restore.js';
import Seed from './seed.js';

describeEachEngine('an interrupted restore refuses work', (engine) => {
  let api: ApiSite;
  const marker = {
    file: '/srv/shopdb/backups/plant7-20261201T020000Z.shopdb.tar',
    safetyBackup: '/srv/shopdb/backups/plant7-20261203T101500Z-pre-restore.shopdb.tar',
    wasEmpty: false,
    startedAt: '2026-12-03T10:15:07.000Z',
    database: 'the site',
    pid: 999_999_999,
    host: 'shopdb-test',
    processStart: null,
  };

  beforeAll(async () => {
    api = await createApiSite(engine);
  });

  afterAll(async () => {
    clearRestoreMarker(api.config());
    await api?.cleanup();
  });

  it('refuses migrate and seed with the way back (in-process and bin); config show and doctor still run, doctor fails on it', async () => {
    writeRestoreMarker(api.config(), marker);
    expect(statSync(restoreMarkerPath(api.config())).mode & 0o777).toBe(0o600);
    try {
      const migrate = await runCommand(Migrate, ['--env-file', api.site.envFile, '--json']);
      const seed = await runBin(['seed', '--env-file', api.site.envFile]);
      const show = await runCommand(ConfigShow, ['--env-file', api.site.envFile]);
      const doctor = await runCommand(Doctor, ['--env-file', api.site.envFile, '--json']);

      expect(migrate.exitCode).toBe(1);
      expect(migrate.json.error).toMatchObject({
        code: 'RESTORE_INTERRUPTED',
        message: `The restore of ${marker.file} was interrupted at ${marker.startedAt}: the database may hold only part of it`,
        suggestion: `Finish it: \`shopdb restore --resume --yes\` (restores ${marker.file} again), or go back to what was there before: \`shopdb restore ${marker.safetyBackup} --yes\`.`,
      });
      expect(seed.exitCode).toBe(1);
      expect(seed.stderr).toContain(`The restore of ${marker.file} was interrupted`);
      expect(show.exitCode, show.stderr).toBe(0);
      expect(doctor.exitCode).toBe(1);
      expect(doctor.json.checks.find((check: { id: string }) => check.id === 'restore')).toMatchObject({
        status: 'fail',
        data: { file: marker.file },
      });
    } finally {
      clearRestoreMarker(api.config());
    }
    expect((await runCommand(Seed, ['--env-file', api.site.envFile])).exitCode).toBe(0);
  });

  it('answers /api/ready 503 while the marker stands, with the reason for an admin, and 200 once it is gone', async () => {
    const app = await api.app();
    try {
      const admin = await makeUser(api.db, 'admin');
      const token = (await login(app, admin.username)).json().token as string;
      writeRestoreMarker(api.config(), marker);
      try {
        const probe = await app.inject({ method: 'GET', url: '/api/ready', headers: bearer(token) });
        expect(probe.statusCode).toBe(503);
        expect(probe.json().reason).toMatch(/^The restore of .* was interrupted at /);
      } finally {
        clearRestoreMarker(api.config());
      }
      expect((await app.inject({ method: 'GET', url: '/api/ready' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('restore --resume with nothing to resume, and restore with no file, are usage errors (exit 2); nothing changes', async () => {
    const resume = await runCommand(Restore, ['--resume', '--yes', '--env-file', api.site.envFile]);
    const bare = await runBin(['restore', '--yes', '--env-file', api.site.envFile]);

    expect(resume.exitCode).toBe(2);
    expect(resume.stderr).toMatch(/Nothing to resume: no interrupted restore is recorded beside/);
    expect(bare.exitCode).toBe(2);
    expect(bare.stderr).toMatch(/Name the backup to restore/);
    expect(existsSync(restoreMarkerPath(api.config()))).toBe(false);
  });

  it('says before it restores that the backup is of another site or another shopdb version (the terminal prompt also counts the rows it replaces: restore.tty.test.ts)', async () => {
    const backup = await runBin(['backup', '--env-file', api.site.envFile, '--json']);
    expect(backup.exitCode, backup.stderr).toBe(0);
    const env = readFileSync(api.site.envFile, 'utf8').replace(/^SHOPDB_SITE_NAME=.*$/m, 'SHOPDB_SITE_NAME=plant-9');
    const other = `${api.site.dir}/other-site.env`;
    (await import('node:fs')).writeFileSync(other, env, { mode: 0o600 });

    const restore = await runBin(['restore', backup.json.file, '--yes', '--env-file', other, '--json']);

    expect(restore.exitCode, restore.stderr).toBe(0);
    expect(restore.stderr).toContain('This backup is of the site "test-site"; this site is "plant-9".');
    expect(existsSync(restoreMarkerPath(api.config()))).toBe(false);

    // The same backup as an older shopdb would have written it (its migrations are all known here).
    const { dumpName, dump, manifest } = await unpackArchive(backup.json.file);
    const older = `${api.site.dir}/older.shopdb.tar`;
    await packArchive(older, dumpName, dump, { ...manifest, shopdb: { ...manifest.shopdb, version: '0.0.9' } });
    const fromOlder = await runBin(['restore', older, '--yes', '--env-file', api.site.envFile]);
    expect(fromOlder.exitCode, fromOlder.stderr).toBe(0);
    expect(fromOlder.stderr).toMatch(
      /This backup was made by shopdb 0\.0\.9; this is shopdb \d+\.\d+\.\d+ \(the restore migrates it to this version's schema\)\./,
    );
    expect(fromOlder.stderr).not.toContain('This backup is of the site');
  });
});

// Folders the user names (--out, --copy-to, BACKUP_DIR, BACKUP_COPY_TO) are checked before the lock
// is taken, within deadlines: a path that cannot work fails at once with exit 2, changes nothing,
// and never holds the lock that every later nightly backup would stop at (issue 12 §3).

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { archivesIn } from '../../../test/support/backup.js';
import { runBin } from '../../../test/support/cli.js';
import { createSite, type TestSite } from '../../../test/support/site.js';
import { migrateSite } from '../../core/migrations/site.js';

describe('backup paths that cannot work', () => {
  let site: TestSite;
  afterEach(async () => site?.cleanup());

  async function migratedSite(extra: Record<string, string> = {}): Promise<TestSite> {
    site = await createSite('sqlite', extra);
    await migrateSite({ config: site.config() });
    return site;
  }

  function unchanged(backups: string): void {
    expect(archivesIn(backups)).toEqual([]);
    expect(existsSync(join(backups, '.shopdb-backup.lock'))).toBe(false);
    expect(existsSync(backups) ? readdirSync(backups).filter((name) => name.startsWith('.')) : []).toEqual([]);
  }

  it('--copy-to /proc/nope and --out /proc/nope stop at once with exit 2, before the lock; the next backup runs (bin)', async () => {
    await migratedSite();
    const backups = join(site.dir, 'backups');
    const started = Date.now();

    const copy = await runBin(['backup', '--env-file', site.envFile, '--copy-to', '/proc/nope', '--json']);
    const out = await runBin(['backup', '--env-file', site.envFile, '--out', '/proc/nope/deeper']);

    expect(Date.now() - started).toBeLessThan(30_000);
    expect(copy.exitCode, copy.stderr).toBe(2);
    expect(copy.json.error).toMatchObject({
      code: 'DIRECTORY_UNUSABLE',
      message: expect.stringMatching(/^--copy-to \/proc\/nope cannot be used: it cannot be created \(ENOENT\)/),
    });
    expect(copy.json.error.suggestion).toMatch(/not \/proc or \/sys/);
    expect(out.exitCode, out.stderr).toBe(2);
    expect(out.stderr).toMatch(/^Error: --out \/proc\/nope\/deeper cannot be used/m);
    unchanged(backups);
    const next = await runBin(['backup', '--env-file', site.envFile, '--json']);
    expect(next.exitCode, next.stderr).toBe(0);
  });

  it('a --copy-to that is a file, and BACKUP_COPY_TO under /proc, are refused the same way (bin)', async () => {
    await migratedSite({ BACKUP_COPY_TO: '/proc/nope' });
    const backups = join(site.dir, 'backups');
    const file = join(site.dir, 'not-a-folder');
    writeFileSync(file, 'x');

    const fromEnv = await runBin(['backup', '--env-file', site.envFile]);
    const aFile = await runBin(['backup', '--env-file', site.envFile, '--copy-to', file]);

    expect(fromEnv.exitCode).toBe(2);
    expect(fromEnv.stderr).toMatch(/^Error: BACKUP_COPY_TO \/proc\/nope cannot be used/m);
    expect(aFile.exitCode).toBe(2);
    expect(aFile.stderr).toMatch(/cannot be used: it cannot be created \(ENOTDIR\)/);
    unchanged(backups);
  });

  it('doctor --tag backup fails the copy target and the backup folder under /proc quickly, and passes a good copy target (bin)', async () => {
    await migratedSite({ BACKUP_COPY_TO: '/proc/nope', BACKUP_DIR: '/proc/nope-either' });

    const bad = await runBin(['doctor', '--tag', 'backup', '--env-file', site.envFile, '--json']);

    expect(bad.exitCode).toBe(1);
    const checks = Object.fromEntries(bad.json.checks.map((c: { id: string }) => [c.id, c]));
    expect(checks['backup-copy-dir']).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^BACKUP_COPY_TO \/proc\/nope cannot be used/),
    });
    expect(checks['backup-dir']).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^\/proc\/nope-either is not writable \(ENOENT\)/),
    });

    const offsite = join(site.dir, 'offsite');
    writeFileSync(
      site.envFile,
      readFileSync(site.envFile, 'utf8')
        .replace('BACKUP_COPY_TO=/proc/nope', `BACKUP_COPY_TO=${offsite}`)
        .replace('BACKUP_DIR=/proc/nope-either', 'BACKUP_DIR=./backups'),
    );
    const good = await runBin(['doctor', '--tag', 'backup', '--env-file', site.envFile, '--json']);
    expect(good.exitCode, good.stdout).toBe(0);
    expect(good.json.checks.find((c: { id: string }) => c.id === 'backup-copy-dir')).toMatchObject({
      status: expect.stringMatching(/pass|warn/),
      data: { directory: offsite },
    });
    expect(readdirSync(offsite)).toEqual([]);
  });
});

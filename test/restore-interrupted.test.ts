// A real `shopdb restore` (bin/run.js, its own process) on a site big enough that a signal lands
// while the database is being replaced (checked: the marker stands, and on MySQL the live tables
// have visibly changed). SIGINT, SIGTERM and SIGHUP: the safety backup is put back, the database
// equals what it was (CHECKSUM TABLE on MySQL, every row on SQLite) and nothing is left standing.
// kill -9: the marker stays, every guarded command refuses with the way back, and the way back
// it names works (ADR-019).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { Knex } from 'knex';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LOCK_FILE } from '../src/core/backup/lock.js';
import { RESTORE_MARKER_FILE } from '../src/core/backup/restore-marker.js';
import { migrateRollback } from '../src/core/migrations/service.js';
import { coreMigrationSource } from '../src/core/migrations/sources.js';
import { checksumTables, createDemoSite, exportTables } from './support/backup.js';
import { waitUntil } from './support/api.js';
import { binPath, runBin } from './support/cli.js';
import { describeEachEngine, type TestSite } from './support/site.js';

const BULK_ASSETS = 60_000;

async function insertBulkAssets(db: Knex, count: number): Promise<void> {
  const type = (await db('asset_types').where({ key: 'other' }).first('id')) as { id: number };
  const status = (await db('status_labels').orderBy('id').first('id')) as { id: number };
  for (let start = 0; start < count; start += 2000) {
    const rows = [];
    for (let n = start; n < Math.min(count, start + 2000); n++) {
      const tag = `BULK-${String(n).padStart(6, '0')}`;
      rows.push({
        uuid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        asset_tag: tag,
        asset_tag_key: tag.toLowerCase(),
        name: `Bulk fixture ${n} with a name long enough to make the dump take a while`,
        type_id: type.id,
        status_id: status.id,
        notes: 'Loaded so that a restore takes long enough for a signal to land in the middle of it.',
        custom_data: '{}',
      });
    }
    // SQLite takes at most 500 terms in one compound insert.
    await db.batchInsert('assets', rows, 400);
  }
}

describeEachEngine('an interrupted restore (bin)', (engine) => {
  let site: TestSite;
  let bigBackup: string;
  let before: Record<string, string>;
  const marker = () => join(site.dir, RESTORE_MARKER_FILE);
  // What "as it was" is compared by: CHECKSUM TABLE on MySQL, every row on SQLite.
  const fingerprint = () => (engine === 'mysql' ? checksumTables(site) : exportTables(site));
  const tableCount = async () => {
    const db = await site.open();
    try {
      const [rows] = (await db.raw('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()')) as [
        Array<{ n: number }>,
      ];
      return Number(rows[0]!.n);
    } finally {
      await db.destroy();
    }
  };
  let tablesBefore = 0;

  /** Starts `restore <file> --yes` and waits until it is replacing the database. */
  async function restoreUnderWay(file: string): Promise<{ child: ResultPromise; stderrSoFar(): string }> {
    const child = execa(binPath, ['restore', file, '--yes', '--env-file', site.envFile], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8' },
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitUntil(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`the restore ended (${child.exitCode}) before the signal: ${String((await child).stderr)}`);
        if (!existsSync(marker())) return false;
        // MySQL: the live tables were dropped and are coming back from the dump.
        return engine === 'sqlite' || (await tableCount()) < tablesBefore;
      },
      120_000,
      'the restore to be replacing the database',
    );
    // Wrapped: an async function returning the child itself would wait for it to end.
    return { child, stderrSoFar: () => stderr };
  }

  beforeAll(async () => {
    site = await createDemoSite(engine);
    const db = await site.open();
    try {
      await insertBulkAssets(db, BULK_ASSETS);
    } finally {
      await db.destroy();
    }
    const backup = await runBin(['backup', '--env-file', site.envFile, '--json']);
    expect(backup.exitCode, backup.stderr).toBe(0);
    bigBackup = backup.json.file;
    // The site moves on after the backup: the bulk rows go, one asset is new.
    const after = await site.open();
    try {
      await after('assets').where('asset_tag', 'like', 'BULK-%').delete();
      await after('assets').update({ notes: 'changed after the backup' }).where('asset_tag', 'not like', 'BULK-%');
    } finally {
      await after.destroy();
    }
    before = await fingerprint();
    if (engine === 'mysql') tablesBefore = await tableCount();
  }, 600_000);

  afterAll(async () => {
    await site?.cleanup();
  });

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} mid-restore: the safety backup is put back and the database is as it was`, async () => {
      const { child } = await restoreUnderWay(bigBackup);

      child.kill(signal);
      const result = await child;

      // 128 + the signal's number, as a shell reports it.
      expect(result.exitCode, String(result.stderr)).toBe({ SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }[signal]);
      expect(String(result.stderr)).toMatch(new RegExp(`${signal}: stopping at the next safe point`));
      expect(String(result.stderr)).toMatch(
        new RegExp(
          `Restore interrupted by ${signal}\\. The database was put back as it was, from the safety backup \\S+-pre-restore\\.shopdb\\.tar`,
        ),
      );
      expect(await fingerprint()).toEqual(before);
      expect(existsSync(marker())).toBe(false);
      expect((await runBin(['migrate', 'status', '--env-file', site.envFile, '--json'])).json.upToDate).toBe(true);
    }, 300_000);
  }

  it('a second Ctrl-C while the safety backup goes back is ignored and says so', async () => {
    const { child, stderrSoFar } = await restoreUnderWay(bigBackup);

    child.kill('SIGINT');
    await waitUntil(() => /SIGINT: stopping/.test(stderrSoFar()), 60_000, 'the first SIGINT to be heard');
    child.kill('SIGINT');
    const result = await child;

    expect(result.exitCode, String(result.stderr)).toBe(130);
    expect(String(result.stderr)).toMatch(/SIGINT again: ignored/);
    expect(await fingerprint()).toEqual(before);
    expect(existsSync(marker())).toBe(false);
  }, 300_000);

  it('SIGTERM during `update`: the site is as it was, the pending migration still pending', async () => {
    const db = await site.open();
    try {
      await migrateRollback(db, coreMigrationSource(), { step: 1 });
    } finally {
      await db.destroy();
    }
    const pendingBefore = await fingerprint();
    const child = execa(binPath, ['update', '--env-file', site.envFile], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8' },
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
    });
    // The pre-update backup is being written: its lock stands in the backup directory.
    await waitUntil(
      () => existsSync(join(site.dir, 'backups', LOCK_FILE)) || child.exitCode !== null,
      120_000,
      'the update to be backing up',
    );
    expect(child.exitCode).toBeNull();

    child.kill('SIGTERM');
    const result = await child;

    expect(result.exitCode, String(result.stderr)).toBe(143);
    // Stopped while the pre-update backup is written (nothing changed yet), or after it (put back).
    expect(String(result.stderr)).toMatch(
      /Update interrupted by SIGTERM before the pre-update backup; nothing was changed|restored from the pre-update backup \S+-pre-update\.shopdb\.tar, so the site is as it was before the update/,
    );
    expect(await fingerprint()).toEqual(pendingBefore);
    const status = await runBin(['migrate', 'status', '--env-file', site.envFile, '--json']);
    expect(status.json.upToDate).toBe(false);
    expect((await runBin(['migrate', '--env-file', site.envFile])).exitCode).toBe(0);
  }, 300_000);

  it('kill -9 mid-restore: every guarded command refuses with the way back, and the way back works', async () => {
    // The state the way back must reach (earlier tests migrated again, so not `before`).
    const state = await fingerprint();
    const { child } = await restoreUnderWay(bigBackup);

    child.kill('SIGKILL');
    await child;

    expect(existsSync(marker())).toBe(true);
    const refusal = /^Error: The restore of \S+ was interrupted at \S+: the database may hold only part of it/m;
    for (const argv of [['migrate'], ['backup'], ['seed'], ['plugin', 'install', '--all'], ['user', 'list'], ['serve']]) {
      const run = await runBin([...argv, '--env-file', site.envFile]);
      expect(run.exitCode, `${argv.join(' ')}: ${run.stderr}`).toBe(1);
      expect(run.stderr, argv.join(' ')).toMatch(refusal);
      expect(run.stderr, argv.join(' ')).toMatch(
        /shopdb restore --resume --yes.*or go back to what was there before: `shopdb restore \S+-pre-restore\.shopdb\.tar --yes`/,
      );
    }
    const doctor = await runBin(['doctor', '--env-file', site.envFile, '--json']);
    expect(doctor.exitCode).toBe(1);
    expect(doctor.json.checks.find((check: { id: string }) => check.id === 'restore')).toMatchObject({ status: 'fail' });
    const json = await runBin(['migrate', '--env-file', site.envFile, '--json']);
    expect(json.json.error).toMatchObject({ code: 'RESTORE_INTERRUPTED', exitCode: 1 });

    if (engine === 'mysql') {
      // Finish it: the same backup again, without a new safety backup of the half-restored state.
      const resumed = await runBin(['restore', '--resume', '--yes', '--env-file', site.envFile, '--json']);
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect(resumed.json.file).toBe(bigBackup);
      expect(resumed.json.safetyBackup).toMatch(/-pre-restore\.shopdb\.tar$/);
      expect(resumed.stderr).toMatch(/Finishing the restore of \S+ interrupted at/);
      const db = await site.open();
      try {
        const bulk = (await db('assets').where('asset_tag', 'like', 'BULK-%').count({ n: '*' })) as Array<{ n: number }>;
        expect(Number(bulk[0]!.n)).toBe(BULK_ASSETS);
      } finally {
        await db.destroy();
      }
      // And back to before, through the safety backup the interrupted run took.
      const back = await runBin(['restore', resumed.json.safetyBackup, '--yes', '--env-file', site.envFile]);
      expect(back.exitCode, back.stderr).toBe(0);
    } else {
      // Go back: the safety backup the interrupted run took.
      const doctorText = await runBin(['doctor', '--env-file', site.envFile]);
      const safety = /`shopdb restore (\S+-pre-restore\.shopdb\.tar) --yes`/.exec(doctorText.stdout + doctorText.stderr)![1]!;
      const back = await runBin(['restore', safety, '--yes', '--env-file', site.envFile]);
      expect(back.exitCode, back.stderr).toBe(0);
    }
    expect(existsSync(marker())).toBe(false);
    const withoutSessions = (tables: Record<string, string>) =>
      Object.fromEntries(Object.entries(tables).filter(([table]) => table !== 'sessions'));
    expect(withoutSessions(await fingerprint())).toEqual(withoutSessions(state));
    expect(
      (await runBin(['doctor', '--env-file', site.envFile, '--json'])).json.checks.find((check: { id: string }) => check.id === 'restore'),
    ).toMatchObject({ status: 'pass' });
  }, 600_000);
});

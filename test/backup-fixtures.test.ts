// Archives written by an earlier shopdb must keep restoring. The fixtures under
// test/fixtures/backups/ were written by the hand-made tar writer that tar-stream replaced (a demo
// site with every bundled plugin, one per engine); they are read here by whatever the archive code
// is now: `backup verify` checks structure, manifest, checksum and every statement, and `restore`
// loads them into an empty site and migrates it to this shopdb's schema.

import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { exportTables } from './support/backup.js';
import { runBin, runCommand } from './support/cli.js';
import { createSite, describeEachEngine, type TestSite } from './support/site.js';
import Restore from '../src/commands/restore.js';
import BackupVerify from '../src/commands/backup/verify.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'backups');
const fixtureFor = (engine: string) => join(FIXTURES, `before-tar-stream-${engine}.shopdb.tar`);

function rowCounts(tables: Record<string, string>): Record<string, number> {
  return Object.fromEntries(Object.entries(tables).map(([name, rows]) => [name, (JSON.parse(rows) as unknown[]).length]));
}

describeEachEngine('archives written before tar-stream', (engine) => {
  let site: TestSite;
  afterEach(async () => site?.cleanup());

  it('verify accepts the fixture and restore loads it into an empty site, row for row (in-process)', async () => {
    site = await createSite(engine);
    const file = join(site.dir, 'fixture.shopdb.tar');
    copyFileSync(fixtureFor(engine), file);

    const verify = await runCommand(BackupVerify, [file, '--env-file', site.envFile, '--json']);
    const restore = await runCommand(Restore, [file, '--yes', '--env-file', site.envFile, '--json']);

    expect(verify.exitCode, verify.stderr).toBe(0);
    expect(verify.json).toMatchObject({ ok: true, checksumOk: true, problems: [] });
    expect(verify.json.dumpTables).toEqual(verify.json.manifest.tables);
    expect(restore.exitCode, restore.stderr).toBe(0);
    expect(restore.json).toMatchObject({ file, safetyBackup: null });
    const counts = rowCounts(await exportTables(site));
    // The restore migrates the old backup to this version's schema: the migration histories may
    // have grown by the migrations added since the fixture was written, and the tables those
    // migrations create are new; every other table holds exactly the backup's rows.
    for (const [table, rows] of Object.entries(verify.json.manifest.tables as Record<string, number>)) {
      if (table.endsWith('_migrations')) expect(counts[table], table).toBeGreaterThanOrEqual(rows);
      else expect(counts[table], table).toBe(rows);
    }
    expect(counts.assets).toBeGreaterThan(0);
  });

  it('verify --deep and restore accept the fixture through bin/run.js', async () => {
    site = await createSite(engine);
    const file = join(site.dir, 'fixture.shopdb.tar');
    copyFileSync(fixtureFor(engine), file);

    const deep = await runBin(['backup', 'verify', file, '--deep', '--env-file', site.envFile, '--json']);
    const restore = await runBin(['restore', file, '--yes', '--env-file', site.envFile, '--json']);

    expect(deep.exitCode, deep.stderr).toBe(0);
    expect(deep.json.ok).toBe(true);
    expect(deep.json.deep.tables).toEqual(deep.json.manifest.tables);
    expect(restore.exitCode, restore.stderr).toBe(0);
    expect(restore.json.rows).toBe(Object.values(deep.json.manifest.tables as Record<string, number>).reduce((a, b) => a + b, 0));
    expect(rowCounts(await exportTables(site)).assets).toBe(deep.json.manifest.tables.assets);
  });
});

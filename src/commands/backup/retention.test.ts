// Retention (--keep, --keep-days) counts only good backups, and each kind on its own: nightly ones,
// and each kind of safety backup (pre-update, pre-restore, pre-uninstall), so that neither a
// damaged file nor a burst of nightly runs costs the site a backup it would need (issue 12 §4).

import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { archivesIn } from '../../../test/support/backup.js';
import { runBin } from '../../../test/support/cli.js';
import { createSite, type TestSite } from '../../../test/support/site.js';
import { migrateSite } from '../../core/migrations/site.js';

const nameOf = (file: string) => file.split('/').pop()!;

describe('backup retention', () => {
  let site: TestSite;
  afterEach(async () => site?.cleanup());

  async function siteWithBackup(): Promise<{ backups: string; good: string }> {
    site = await createSite('sqlite');
    await migrateSite({ config: site.config() });
    const first = await runBin(['backup', '--env-file', site.envFile, '--json']);
    if (first.exitCode !== 0) throw new Error(first.stderr);
    const backups = join(site.dir, 'backups');
    const good = join(site.dir, 'good.shopdb.tar');
    copyFileSync(first.json.file, good);
    return { backups, good };
  }

  function place(backups: string, good: string, name: string, damaged = false): void {
    const bytes = readFileSync(good);
    if (damaged) bytes[700] = bytes[700]! ^ 0xff;
    writeFileSync(join(backups, name), bytes, { mode: 0o600 });
  }

  it('never counts a damaged backup among the kept ones: it stays while newer than the last good one kept, and goes after (bin)', async () => {
    const { backups, good } = await siteWithBackup();
    for (const name of archivesIn(backups)) copyFileSync(join(backups, name), join(site.dir, name));
    // Oldest to newest: good, good, damaged, good.
    place(backups, good, 'test-site-20200101T000000Z.shopdb.tar');
    place(backups, good, 'test-site-20200102T000000Z.shopdb.tar');
    place(backups, good, 'test-site-20200103T000000Z.shopdb.tar', true);
    place(backups, good, 'test-site-20200104T000000Z.shopdb.tar');
    const before = archivesIn(backups).filter((name) => !name.startsWith('test-site-2020'));

    const result = await runBin(['backup', '--env-file', site.envFile, '--keep', '4', '--json']);

    expect(result.exitCode, result.stderr).toBe(0);
    // Four good ones kept (the new one, the first run's, 0104, 0102), and the damaged 0103 among them; 0101 goes.
    expect(result.json.removed.map(nameOf)).toEqual(['test-site-20200101T000000Z.shopdb.tar']);
    expect(archivesIn(backups)).toEqual(
      [
        ...before,
        result.json.name,
        'test-site-20200102T000000Z.shopdb.tar',
        'test-site-20200103T000000Z.shopdb.tar',
        'test-site-20200104T000000Z.shopdb.tar',
      ].sort(),
    );
    expect(result.json.warnings).toEqual([
      expect.stringMatching(
        /test-site-20200103T000000Z\.shopdb\.tar is damaged \(the dump's sha256 is .*\); it is not counted among the 4 kept$/,
      ),
    ]);
    expect(result.stderr).toContain('test-site-20200103T000000Z.shopdb.tar is damaged');

    // Once the kept good ones are all newer than it, the damaged one goes like any other.
    const later = await runBin(['backup', '--env-file', site.envFile, '--keep', '2', '--json']);
    expect(later.exitCode, later.stderr).toBe(0);
    expect(later.json.removed.map(nameOf)).toContain('test-site-20200103T000000Z.shopdb.tar');
    expect(archivesIn(backups)).toHaveLength(2);
  });

  it('keeps safety backups under their own count per kind, and the age limit applies to them too (bin)', async () => {
    const { backups, good } = await siteWithBackup();
    const recent = (offsetDays: number, kind: string) => {
      const at = new Date(Date.now() - offsetDays * 86_400_000);
      const stamp = at
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z');
      return `test-site-${stamp}-${kind}.shopdb.tar`;
    };
    const preUpdates = [recent(3, 'pre-update'), recent(2, 'pre-update'), recent(1, 'pre-update')];
    const preRestore = recent(2, 'pre-restore');
    const oldUninstall = recent(40, 'pre-uninstall');
    for (const name of [...preUpdates, preRestore, oldUninstall]) place(backups, good, name);
    const nightly = archivesIn(backups).filter((name) => !/-pre-/.test(name));

    const result = await runBin(['backup', '--env-file', site.envFile, '--keep', '2', '--keep-days', '30', '--json']);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.removed.map(nameOf).sort()).toEqual([preUpdates[0], oldUninstall].sort());
    expect(archivesIn(backups)).toEqual([...nightly, result.json.name, preUpdates[1]!, preUpdates[2]!, preRestore].sort());
  });
});

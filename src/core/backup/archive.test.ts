import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/site.js';
import { ArchiveError, ArchiveWriter, readArchiveLayout, readManifestText, sha256Of, tarHeader } from './archive.js';
import { acquireBackupLock, LOCK_FILE } from './lock.js';
import { parseManifest } from './manifest.js';
import { backupFileName, parseBackupFileName } from './names.js';
import { LockedError } from '../errors.js';

async function writeArchive(dir: string, dump: Buffer, manifest = '{"x":1}\n'): Promise<string> {
  const writer = await ArchiveWriter.create(join(dir, 'a.shopdb.tar'), 'dump.sql.gz', new Date());
  const stream = writer.dumpStream();
  await new Promise<void>((resolve, reject) => stream.end(dump, () => resolve()).on('error', reject));
  await writer.finish(dump.length, manifest);
  return writer.commit(join(dir, 'a.shopdb.tar'), (n) => `a-${n}.shopdb.tar`);
}

describe('backup archive', () => {
  it('is a tar that tar(1) reads, with the dump first and the manifest second', async () => {
    const dir = tempDir();
    const dump = Buffer.from('x'.repeat(1000));
    const file = await writeArchive(dir, dump);

    expect(execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n')).toEqual(['dump.sql.gz', 'manifest.json']);
    const out = join(dir, 'out');
    mkdirSync(out);
    execFileSync('tar', ['-xf', file, '-C', out]);
    expect(readFileSync(join(out, 'dump.sql.gz'))).toEqual(dump);
    const layout = await readArchiveLayout(file);
    expect(layout.dump).toEqual({ name: 'dump.sql.gz', offset: 512, size: 1000 });
    expect(await readManifestText(layout)).toBe('{"x":1}\n');
    expect(await sha256Of(file, 512, 1000)).toBe(execFileSync('sha256sum', [join(out, 'dump.sql.gz')], { encoding: 'utf8' }).split(' ')[0]);
  });

  it('never overwrites an existing backup: the name moves on', async () => {
    const dir = tempDir();
    const first = await writeArchive(dir, Buffer.from('one'));
    const second = await writeArchive(dir, Buffer.from('two'));
    expect(first).toBe(join(dir, 'a.shopdb.tar'));
    expect(second).toBe(join(dir, 'a-1.shopdb.tar'));
  });

  it('writes sizes beyond 8 GiB in base-256, as GNU tar does', () => {
    const header = tarHeader('dump.sql.gz', 9 * 1024 ** 3, new Date(0));
    expect(header[124]).toBe(0x80);
    expect(header.readBigUInt64BE(128)).toBe(9n * 1024n ** 3n);
  });

  it('reports truncation, a missing manifest and foreign files plainly', async () => {
    const dir = tempDir();
    const file = await writeArchive(dir, Buffer.alloc(3000, 1));
    const bytes = readFileSync(file);
    const cut = join(dir, 'cut.tar');
    writeFileSync(cut, bytes.subarray(0, 2000));
    const foreign = join(dir, 'foreign.tar');
    writeFileSync(foreign, Buffer.alloc(4096, 7));
    const empty = join(dir, 'empty.tar');
    writeFileSync(empty, '');

    await expect(readArchiveLayout(cut)).rejects.toThrow(/truncated/);
    await expect(readArchiveLayout(foreign)).rejects.toThrow(ArchiveError);
    await expect(readArchiveLayout(empty)).rejects.toThrow(/truncated/);
    await expect(readArchiveLayout(join(dir, 'none.tar'))).rejects.toThrow(/There is no backup file/);
  });

  it('checks every manifest field and names the bad ones', () => {
    expect(() => parseManifest('not json')).toThrow(/not readable JSON/);
    expect(() => parseManifest('{"format":"shopdb-backup","formatVersion":9}')).toThrow(/manifest version 9/);
    try {
      parseManifest(JSON.stringify({ format: 'shopdb-backup', formatVersion: 1, site: 'a b', tables: { t: -1 } }));
      expect.unreachable();
    } catch (error) {
      expect((error as ArchiveError).details).toEqual(expect.arrayContaining([expect.stringMatching(/^site:/), expect.stringMatching(/^tables:/), expect.stringMatching(/^dump.sha256:/)]));
    }
  });

  it('names files by site and UTC time so they sort by time', () => {
    const name = backupFileName('plant-7', new Date(Date.UTC(2026, 10, 27, 2, 0, 5)), 'pre-update');
    expect(name).toBe('plant-7-20261127T020005Z-pre-update.shopdb.tar');
    expect(parseBackupFileName(name)).toEqual({ site: 'plant-7', time: new Date(Date.UTC(2026, 10, 27, 2, 0, 5)), kind: 'pre-update' });
    expect(parseBackupFileName('plant-7-2026.tar')).toBeNull();
  });
});

describe('backup lock', () => {
  it('lets one run in, tells the second who holds it (exit 5), and is free again after release', async () => {
    const dir = tempDir();
    const lock = await acquireBackupLock(dir, 'backup');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      // A live process of this host holds it: written as that process would.
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: child.pid, host: (await import('node:os')).hostname(), operation: 'backup', startedAt: 'now', processStart: null }));
      const second = await acquireBackupLock(dir, 'backup').catch((error: unknown) => error);
      expect(second).toBeInstanceOf(LockedError);
      expect((second as LockedError).exitCode).toBe(5);
      expect((second as LockedError).message).toContain(`pid ${child.pid}`);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((resolve) => child.once('exit', resolve));
    await lock.release();
    const third = await acquireBackupLock(dir, 'restore');
    await third.release();
  });

  it('takes over a lock whose process died (kill -9) or whose pid now belongs to another process', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => child.once('exit', resolve));
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: child.pid, host: (await import('node:os')).hostname(), operation: 'backup', startedAt: 'then', processStart: null }));
    const taken = await acquireBackupLock(dir, 'backup');
    await taken.release();

    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), operation: 'backup', startedAt: 'then', processStart: '1' }));
    const reused = await acquireBackupLock(dir, 'backup');
    await reused.release();
  });
});

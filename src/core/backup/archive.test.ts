import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/site.js';
import { pack } from 'tar-stream';
import { ArchiveError, ArchiveWriter, dumpEntryStream, entryHeaderBlock, readArchiveLayout, sha256Of } from './archive.js';
import { uncompressedDump } from './inspect.js';
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
    expect(layout.dump).toEqual({
      name: 'dump.sql.gz',
      size: 1000,
      sha256: execFileSync('sha256sum', [join(out, 'dump.sql.gz')], { encoding: 'utf8' }).split(' ')[0],
    });
    expect(layout.manifest).toEqual({ size: 8, text: '{"x":1}\n' });
    expect(Buffer.concat(await dumpEntryStream(layout).toArray())).toEqual(dump);
    expect(await sha256Of(file)).toBe(execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]);
  });

  it('reads an archive as GNU tar writes it (padded to 10 KiB records)', async () => {
    const dir = tempDir();
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'database.sqlite.gz'), Buffer.alloc(700, 3));
    writeFileSync(join(src, 'manifest.json'), '{}');
    const file = join(dir, 'gnu.shopdb.tar');
    execFileSync('tar', ['--format=ustar', '-cf', file, '-C', src, 'database.sqlite.gz', 'manifest.json']);

    const layout = await readArchiveLayout(file);
    expect(layout.fileSize).toBe(10240);
    expect(layout.dump).toMatchObject({ name: 'database.sqlite.gz', size: 700 });
    expect(layout.manifest.text).toBe('{}');
  });

  it('fails the dump stream, not hangs, when the archive changed or was cut after it was checked', async () => {
    const dir = tempDir();
    const content = randomBytes(200_000);
    const file = await writeArchive(dir, gzipSync(content));
    const layout = await readArchiveLayout(file);
    const bytes = readFileSync(file);

    writeFileSync(file, bytes.subarray(0, 2000));
    await expect(uncompressedDump(layout).toArray()).rejects.toThrow(/truncated: the first entry is cut off/);
    writeFileSync(file, Buffer.alloc(4096));
    await expect(dumpEntryStream(layout).toArray()).rejects.toThrow(/changed while it was being read/);
    writeFileSync(file, bytes);
    expect(Buffer.concat(await uncompressedDump(layout).toArray())).toEqual(content);
  });

  it('never overwrites an existing backup: the name moves on', async () => {
    const dir = tempDir();
    const first = await writeArchive(dir, Buffer.from('one'));
    const second = await writeArchive(dir, Buffer.from('two'));
    expect(first).toBe(join(dir, 'a.shopdb.tar'));
    expect(second).toBe(join(dir, 'a-1.shopdb.tar'));
  });

  it('writes sizes beyond 8 GiB in base-256, as GNU tar does', async () => {
    const header = await entryHeaderBlock('dump.sql.gz', 9 * 1024 ** 3, new Date(0));
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
    await expect(readArchiveLayout(join(dir, 'end-cut.tar'))).rejects.toThrow(/There is no backup file/);
    writeFileSync(join(dir, 'end-cut.tar'), bytes.subarray(0, bytes.length - 1024));
    await expect(readArchiveLayout(join(dir, 'end-cut.tar'))).rejects.toThrow(/end of the archive is cut off/);
    const header = Buffer.from(bytes);
    header[0] = 'x'.charCodeAt(0);
    writeFileSync(join(dir, 'header.tar'), header);
    await expect(readArchiveLayout(join(dir, 'header.tar'))).rejects.toThrow(
      /is not a shopdb archive, or is damaged: the first entry is not a valid tar header/,
    );
  });

  it('refuses entries that are not ours: other names, other types, a third entry, an oversized manifest', async () => {
    const dir = tempDir();
    const forge = async (
      name: string,
      entries: Array<{ name: string; body?: Buffer; type?: 'file' | 'directory' | 'symlink'; linkname?: string }>,
    ) => {
      const archive = pack();
      for (const { body, ...header } of entries) archive.entry({ ...header, ...(body ? {} : { size: 0 }) }, body ?? Buffer.alloc(0));
      archive.finalize();
      const file = join(dir, name);
      const chunks: Buffer[] = [];
      for await (const chunk of archive) chunks.push(chunk);
      writeFileSync(file, Buffer.concat(chunks));
      return readArchiveLayout(file);
    };
    const dump = { name: 'dump.sql.gz', body: Buffer.from('dump') };
    const manifest = { name: 'manifest.json', body: Buffer.from('{}') };

    await expect(forge('ok.tar', [dump, manifest])).resolves.toMatchObject({ manifest: { text: '{}' } });
    await expect(forge('name.tar', [{ ...dump, name: '../dump.sql.gz' }, manifest])).rejects.toThrow(
      /first entry is "..\/dump.sql.gz", not a shopdb dump/,
    );
    await expect(forge('second.tar', [dump, { ...manifest, name: 'x.json' }])).rejects.toThrow(
      /has no manifest \(second entry is "x.json"\)/,
    );
    await expect(forge('only-dump.tar', [dump])).rejects.toThrow(/manifest is missing/);
    await expect(forge('third.tar', [dump, manifest, { name: 'extra', body: Buffer.from('x') }])).rejects.toThrow(
      /unexpected data after the manifest/,
    );
    await expect(forge('dir.tar', [{ name: 'dump.sql.gz', type: 'directory' }, manifest])).rejects.toThrow(
      /is a directory entry, not a file/,
    );
    await expect(forge('link.tar', [dump, { name: 'manifest.json', type: 'symlink', linkname: '/etc/passwd' }])).rejects.toThrow(
      /is a symlink entry, not a file/,
    );
    await expect(forge('big.tar', [dump, { ...manifest, body: Buffer.alloc(5 * 1024 * 1024, 0x20) }])).rejects.toThrow(/implausibly large/);
  });

  it('checks every manifest field and names the bad ones', () => {
    expect(() => parseManifest('not json')).toThrow(/not readable JSON/);
    expect(() => parseManifest('{"format":"shopdb-backup","formatVersion":9}')).toThrow(/manifest version 9/);
    try {
      parseManifest(JSON.stringify({ format: 'shopdb-backup', formatVersion: 1, site: 'a b', tables: { t: -1 } }));
      expect.unreachable();
    } catch (error) {
      expect((error as ArchiveError).details).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^site:/),
          expect.stringMatching(/^tables:/),
          expect.stringMatching(/^dump.sha256:/),
        ]),
      );
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
      writeFileSync(
        join(dir, LOCK_FILE),
        JSON.stringify({
          pid: child.pid,
          host: (await import('node:os')).hostname(),
          operation: 'backup',
          startedAt: 'now',
          processStart: null,
        }),
      );
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
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({
        pid: child.pid,
        host: (await import('node:os')).hostname(),
        operation: 'backup',
        startedAt: 'then',
        processStart: null,
      }),
    );
    const taken = await acquireBackupLock(dir, 'backup');
    await taken.release();

    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({
        pid: process.pid,
        host: (await import('node:os')).hostname(),
        operation: 'backup',
        startedAt: 'then',
        processStart: '1',
      }),
    );
    const reused = await acquireBackupLock(dir, 'backup');
    await reused.release();
  });
});

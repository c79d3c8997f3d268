// The backup file: a plain POSIX tar (ustar) holding two entries, the gzip-compressed dump first
// and manifest.json second, so one file is one backup and `tar -xf` opens it without shopdb
// (ADR-010). It is written to a hidden temporary file in the target folder — the dump streamed
// into it behind a placeholder header that is filled in at the end — fsynced, then linked to its
// final name, which is never overwritten.

import { randomBytes } from 'node:crypto';
import { close, createReadStream, createWriteStream, fsync, open as openFd, write, type WriteStream } from 'node:fs';
import { open, link, rename, unlink, stat, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { basename, dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { syncDirectory } from '../fs/atomic.js';
import { UserError } from '../errors.js';

const BLOCK = 512;
export const MANIFEST_ENTRY = 'manifest.json';
export const DUMP_ENTRIES = ['dump.sql.gz', 'database.sqlite.gz'] as const;
export type DumpEntryName = (typeof DUMP_ENTRIES)[number];
/** A manifest is a few kilobytes; anything much larger is not ours. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Hidden temporary files: `.<final name>.tmp-<pid>-<random>`; `backup list` never shows them. */
export const TEMP_FILE = /^\..+\.tmp-(\d+)-[0-9a-f]+$/;

export class ArchiveError extends UserError {
  override readonly code: string = 'BACKUP_INVALID';
}

const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK;

function writeOctal(header: Buffer, value: number, offset: number, length: number): void {
  header.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'latin1');
}

/** An entry's size: octal up to 8 GiB, GNU base-256 beyond (GNU and bsd tar read both). */
function writeSize(header: Buffer, size: number, offset: number): void {
  if (size < 8 ** 11) return writeOctal(header, size, offset, 12);
  header[offset] = 0x80;
  let rest = BigInt(size);
  for (let k = offset + 11; k > offset; k--) {
    header[k] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}

function readSize(header: Buffer, offset: number): number {
  if ((header[offset]! & 0x80) !== 0) {
    let value = 0n;
    for (let k = offset + 1; k < offset + 12; k++) value = (value << 8n) | BigInt(header[k]!);
    return Number(value);
  }
  const text = header.toString('latin1', offset, offset + 12).replace(/\0.*$/s, '').trim();
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : NaN;
}

function checksum(header: Buffer): number {
  let sum = 0;
  for (let k = 0; k < BLOCK; k++) sum += k >= 148 && k < 156 ? 0x20 : header[k]!;
  return sum;
}

export function tarHeader(name: string, size: number, mtime: Date): Buffer {
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'utf8');
  writeOctal(header, 0o600, 100, 8);
  writeOctal(header, 0, 108, 8);
  writeOctal(header, 0, 116, 8);
  writeSize(header, size, 124);
  writeOctal(header, Math.floor(mtime.getTime() / 1000), 136, 12);
  header[156] = 0x30; // regular file
  header.write('ustar\0', 257, 6, 'latin1');
  header.write('00', 263, 2, 'latin1');
  header.write('shopdb', 265, 32, 'latin1');
  header.write('shopdb', 297, 32, 'latin1');
  header.write(checksum(header).toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return header;
}

interface EntryHeader {
  name: string;
  size: number;
}

function parseHeader(header: Buffer, what: string): EntryHeader {
  if (header.length < BLOCK) throw new ArchiveError(`The backup is truncated: ${what} is cut off`);
  const stored = parseInt(header.toString('latin1', 148, 156).replace(/\0.*$/s, '').trim(), 8);
  if (header.toString('latin1', 257, 262) !== 'ustar' || stored !== checksum(header)) {
    throw new ArchiveError(`The backup is not a shopdb archive, or is damaged: ${what} is not a valid tar header`);
  }
  const name = header.toString('utf8', 0, 100).replace(/\0.*$/s, '');
  const size = readSize(header, 124);
  if (!Number.isFinite(size) || size < 0) throw new ArchiveError(`The backup is damaged: ${what} has no valid size`);
  return { name, size };
}

/** Where the two entries of an archive lie. */
export interface ArchiveLayout {
  path: string;
  fileSize: number;
  dump: { name: DumpEntryName; offset: number; size: number };
  manifest: { offset: number; size: number };
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/** Checks the tar structure (two entries, in order, complete) without reading the dump. */
export async function readArchiveLayout(path: string): Promise<ArchiveLayout> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ArchiveError(code === 'ENOENT' ? `There is no backup file ${path}` : `Cannot read the backup ${path} (${code ?? 'error'})`, {
      suggestion: code === 'ENOENT' ? 'Check the path; `shopdb backup list` shows the backups in the backup directory.' : 'Check the file permissions.',
      cause: error,
    });
  }
  try {
    const fileSize = (await handle.stat()).size;
    const dump = parseHeader(await readAt(handle, 0, BLOCK), 'the first entry');
    if (!(DUMP_ENTRIES as readonly string[]).includes(dump.name)) {
      throw new ArchiveError(`The backup's first entry is "${dump.name}", not a shopdb dump`);
    }
    const manifestHeaderAt = BLOCK + padded(dump.size);
    if (manifestHeaderAt + BLOCK > fileSize) throw new ArchiveError('The backup is truncated: the dump is cut off and the manifest is missing');
    const manifest = parseHeader(await readAt(handle, manifestHeaderAt, BLOCK), 'the manifest entry');
    if (manifest.name !== MANIFEST_ENTRY) throw new ArchiveError(`The backup has no manifest (second entry is "${manifest.name}")`);
    if (manifest.size > MAX_MANIFEST_BYTES) throw new ArchiveError('The backup manifest is implausibly large');
    const end = manifestHeaderAt + BLOCK + padded(manifest.size);
    if (end + 2 * BLOCK > fileSize) throw new ArchiveError('The backup is truncated: the manifest or the end of the archive is cut off');
    const trailer = await readAt(handle, end, 2 * BLOCK);
    if (trailer.some((byte) => byte !== 0)) throw new ArchiveError('The backup has unexpected data after the manifest');
    return {
      path,
      fileSize,
      dump: { name: dump.name as DumpEntryName, offset: BLOCK, size: dump.size },
      manifest: { offset: manifestHeaderAt + BLOCK, size: manifest.size },
    };
  } finally {
    await handle.close();
  }
}

export async function readManifestText(layout: ArchiveLayout): Promise<string> {
  const handle = await open(layout.path, 'r');
  try {
    return (await readAt(handle, layout.manifest.offset, layout.manifest.size)).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** sha256 (hex) of `size` bytes of `path` from `offset` (a dump entry, or a whole file with offset 0). */
export async function sha256Of(path: string, offset = 0, size?: number): Promise<string> {
  const hash = createHash('sha256');
  const end = size === undefined ? undefined : offset + size - 1;
  if (size === 0) return hash.digest('hex');
  await pipeline(createReadStream(path, { start: offset, end, highWaterMark: 1 << 20 }), hash);
  return hash.digest('hex');
}

/** The compressed dump entry as a stream. */
export function dumpEntryStream(layout: ArchiveLayout) {
  return createReadStream(layout.path, { start: layout.dump.offset, end: layout.dump.offset + layout.dump.size - 1, highWaterMark: 1 << 20 });
}

/** A temporary file name beside `finalPath`, hidden and carrying our pid (stale ones are cleaned up). */
export function tempPathFor(finalPath: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

const openAsync = promisify(openFd);
const closeAsync = promisify(close);
const fsyncAsync = promisify(fsync);
const writeAsync = promisify(write);

/**
 * Writes one archive: `dumpStream()` receives the compressed dump, `finish()` appends the manifest,
 * `commit()` gives it its final name. `discard()` removes the temporary file (on any failure).
 * Plain descriptors, not FileHandles: a FileHandle lent to a stream cannot be closed afterwards.
 */
export class ArchiveWriter {
  private constructor(
    readonly tempPath: string,
    private fd: number | null,
    private readonly dumpEntry: DumpEntryName,
    private readonly createdAt: Date,
  ) {}

  static async create(finalPath: string, dumpEntry: DumpEntryName, createdAt: Date): Promise<ArchiveWriter> {
    const tempPath = tempPathFor(finalPath);
    // wx: O_CREAT|O_EXCL, never through an existing file or symlink; 0600: a backup holds password hashes.
    const fd = await openAsync(tempPath, 'wx', 0o600);
    const writer = new ArchiveWriter(tempPath, fd, dumpEntry, createdAt);
    try {
      await writeFully(fd, Buffer.alloc(BLOCK), 0);
    } catch (error) {
      await writer.discard();
      throw error;
    }
    return writer;
  }

  /** Where the compressed dump goes; the stream does not close the file. */
  dumpStream(): WriteStream {
    return createWriteStream('', { fd: this.fd!, start: BLOCK, autoClose: false, highWaterMark: 1 << 20 });
  }

  /** Pads the dump, writes the manifest, the end-of-archive blocks and the dump's header; fsyncs. */
  async finish(dumpSize: number, manifest: string): Promise<number> {
    const fd = this.fd!;
    const body = Buffer.from(manifest, 'utf8');
    const position = BLOCK + dumpSize;
    const tail = Buffer.concat([
      Buffer.alloc(padded(dumpSize) - dumpSize),
      tarHeader(MANIFEST_ENTRY, body.length, this.createdAt),
      body,
      Buffer.alloc(padded(body.length) - body.length),
      Buffer.alloc(2 * BLOCK),
    ]);
    await writeFully(fd, tail, position);
    await writeFully(fd, tarHeader(this.dumpEntry, dumpSize, this.createdAt), 0);
    await fsyncAsync(fd);
    this.fd = null;
    await closeAsync(fd);
    return position + tail.length;
  }

  /**
   * Gives the archive its final name without ever replacing a file: link(2) fails on an existing
   * name, and then the next second's name is tried. Returns the path used.
   */
  async commit(finalPath: string, nextName: (attempt: number) => string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const target = attempt === 0 ? finalPath : join(dirname(finalPath), nextName(attempt));
      try {
        await link(this.tempPath, target);
        await unlink(this.tempPath);
        syncDirectory(dirname(target));
        return target;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' && attempt < 100) continue;
        if ((code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') && !(await exists(target))) {
          // A filesystem without hard links (some network mounts): rename, after checking the name is free.
          await rename(this.tempPath, target);
          syncDirectory(dirname(target));
          return target;
        }
        throw error;
      }
    }
  }

  async discard(): Promise<void> {
    if (this.fd !== null) await closeAsync(this.fd).catch(() => {});
    this.fd = null;
    await unlink(this.tempPath).catch(() => {});
  }
}

async function writeFully(fd: number, buffer: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < buffer.length) written += (await writeAsync(fd, buffer, written, buffer.length - written, position + written)).bytesWritten;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

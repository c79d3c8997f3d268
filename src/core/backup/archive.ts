// The backup file: a POSIX tar (ustar) holding two entries, the gzip-compressed dump first and
// manifest.json second, so one file is one backup and `tar -xf` opens it without shopdb
// (ADR-010). tar-stream encodes and parses the tar; this module owns the layout and what a backup
// may be. Writing: a hidden temporary file in the target folder — the dump streamed into it behind
// a placeholder header that is filled in at the end, once its size is known — fsynced, then
// linked to its final name, which is never overwritten. Reading: one pass through tar-stream's
// parser checks the structure, hashes the dump and reads the manifest; a restore streams the dump
// through the parser again.

import { createHash, randomBytes } from 'node:crypto';
import { close, createReadStream, createWriteStream, fsync, open as openFd, write, type WriteStream } from 'node:fs';
import { open, link, rename, unlink, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { extract as tarExtract, pack as tarPack, type Entry, type Headers } from 'tar-stream';
import { syncDirectory } from '../fs/atomic.js';
import { BugError, UserError } from '../errors.js';

const BLOCK = 512;
export const MANIFEST_ENTRY = 'manifest.json';
export const DUMP_ENTRIES = ['dump.sql.gz', 'database.sqlite.gz'] as const;
export type DumpEntryName = (typeof DUMP_ENTRIES)[number];
/** A manifest is a few kilobytes; anything much larger is not ours. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Hidden temporary files: `.<final name>.tmp-<pid>-<random>`; `backup list` never shows them. */
export const TEMP_FILE = /^\..+\.tmp-(\d+)-[0-9a-f]+$/;
const READ_CHUNK = 1 << 20;

export class ArchiveError extends UserError {
  override readonly code: string = 'BACKUP_INVALID';
}

const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK;

/** How every entry of ours is stored: a regular file, mode 0600, owned by "shopdb". */
function entryHeader(name: string, size: number, mtime: Date): Headers {
  return { name, size, mtime, type: 'file', mode: 0o600, uid: 0, gid: 0, uname: 'shopdb', gname: 'shopdb' };
}

/**
 * The 512-byte header tar-stream writes for an entry of `size` bytes (sizes of 8 GiB and more in
 * GNU base-256, which GNU and bsd tar read). Only the header: the dump it describes is already in
 * the file, so the entry is opened, its header taken, and the pack thrown away.
 */
export async function entryHeaderBlock(name: string, size: number, mtime: Date): Promise<Buffer> {
  const pack = tarPack();
  pack.entry(entryHeader(name, size, mtime)).on('error', () => {});
  try {
    for await (const chunk of pack) {
      if (chunk.length !== BLOCK) throw new BugError(`tar-stream wrote a ${chunk.length}-byte header for ${name}`);
      return chunk;
    }
    throw new BugError(`tar-stream wrote no header for ${name}`);
  } finally {
    pack.destroy();
  }
}

/** The manifest entry and the end-of-archive blocks, as tar-stream packs them. */
async function manifestAndEnd(manifest: Buffer, mtime: Date): Promise<Buffer> {
  const pack = tarPack();
  pack.entry(entryHeader(MANIFEST_ENTRY, manifest.length, mtime), manifest);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** What a backup file holds, as found by reading it once. */
export interface ArchiveLayout {
  path: string;
  fileSize: number;
  /** The stored (compressed) dump entry: its name, size and sha256 (hex). */
  dump: { name: DumpEntryName; size: number; sha256: string };
  manifest: { size: number; text: string };
}

/** The entries of a tar file, parsed by tar-stream as the file is read. */
function entriesOf(path: string, handle?: FileHandle): { entries: AsyncIterator<Entry>; close(): void } {
  const source = handle ? handle.createReadStream({ highWaterMark: READ_CHUNK }) : createReadStream(path, { highWaterMark: READ_CHUNK });
  const parser = tarExtract();
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  return { entries: parser[Symbol.asyncIterator](), close: () => source.destroy() };
}

/** Which part of the archive a failure is in, for messages: the n-th entry being read. */
const PART = ['the first entry', 'the manifest entry', 'the end of the archive'] as const;

/** tar-stream's failures, and our own checks of one header, in the words of a backup. */
function parseFailure(error: unknown, part: string): unknown {
  if (error instanceof ArchiveError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string')
    return new ArchiveError(`Cannot read the backup (${code})`, { suggestion: 'Check the file and its disk.', cause: error });
  const message = error instanceof Error ? error.message : String(error);
  if (/Unexpected end of data/i.test(message)) return new ArchiveError(`The backup is truncated: ${part} is cut off`, { cause: error });
  if (/Invalid tar header/i.test(message))
    return new ArchiveError(`The backup is not a shopdb archive, or is damaged: ${part} is not a valid tar header`, { cause: error });
  return new ArchiveError(`The backup cannot be read as a tar archive: ${message}`, { cause: error });
}

function checkEntry(header: Headers, part: string): number {
  const size = header.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw new ArchiveError(`The backup is damaged: ${part} has no valid size`);
  if (header.type !== 'file')
    throw new ArchiveError(`The backup is damaged: ${part} ("${header.name}") is a ${header.type ?? 'non-file'} entry, not a file`);
  return size;
}

/**
 * Checks the tar structure — exactly a dump entry and then the manifest, regular files of valid
 * size, complete, nothing after them — hashing the dump on the way and reading the manifest
 * (never more than MAX_MANIFEST_BYTES of it).
 */
export async function readArchiveLayout(path: string): Promise<ArchiveLayout> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ArchiveError(code === 'ENOENT' ? `There is no backup file ${path}` : `Cannot read the backup ${path} (${code ?? 'error'})`, {
      suggestion:
        code === 'ENOENT'
          ? 'Check the path; `shopdb backup list` shows the backups in the backup directory.'
          : 'Check the file permissions.',
      cause: error,
    });
  }
  let fileSize: number;
  try {
    fileSize = (await handle.stat()).size;
  } catch (error) {
    await handle.close();
    throw error;
  }
  const { entries, close: closeFile } = entriesOf(path, handle);
  let index = 0;
  let dump: ArchiveLayout['dump'] | undefined;
  let manifest: ArchiveLayout['manifest'] | undefined;
  try {
    for (;;) {
      const next = await entries.next();
      if (next.done) break;
      const entry = next.value;
      const part = PART[Math.min(index, 2)];
      if (index >= 2) throw new ArchiveError(`The backup has unexpected data after the manifest (an entry "${entry.header.name}")`);
      const size = checkEntry(entry.header, part);
      if (index === 0) {
        const name = entry.header.name;
        if (!(DUMP_ENTRIES as readonly string[]).includes(name))
          throw new ArchiveError(`The backup's first entry is "${name}", not a shopdb dump`);
        const hash = createHash('sha256');
        for await (const chunk of entry) hash.update(chunk as Buffer);
        dump = { name: name as DumpEntryName, size, sha256: hash.digest('hex') };
      } else {
        if (entry.header.name !== MANIFEST_ENTRY)
          throw new ArchiveError(`The backup has no manifest (second entry is "${entry.header.name}")`);
        if (size > MAX_MANIFEST_BYTES) throw new ArchiveError('The backup manifest is implausibly large');
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        manifest = { size, text: Buffer.concat(chunks).toString('utf8') };
      }
      index++;
    }
  } catch (error) {
    throw parseFailure(error, PART[Math.min(index, 2)]);
  } finally {
    await entries.return?.();
    closeFile();
  }
  if (!dump) throw new ArchiveError('The backup is truncated or empty: it holds no dump');
  if (!manifest) throw new ArchiveError('The backup is truncated: the dump is cut off and the manifest is missing');
  // tar-stream ends quietly where the file does; the two zero blocks that close a tar must be there.
  const end = BLOCK + padded(dump.size) + BLOCK + padded(manifest.size);
  if (end + 2 * BLOCK > fileSize) throw new ArchiveError('The backup is truncated: the manifest or the end of the archive is cut off');
  return { path, fileSize, dump, manifest };
}

/** sha256 (hex) of a whole file. */
export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: READ_CHUNK }), hash);
  return hash.digest('hex');
}

/**
 * The compressed dump entry as a stream, read through tar-stream again. An archive that no longer
 * starts with the entry `readArchiveLayout` found (replaced since) fails the stream.
 */
export function dumpEntryStream(layout: ArchiveLayout): Readable {
  return Readable.from(dumpChunks(layout), { objectMode: false, highWaterMark: READ_CHUNK });
}

async function* dumpChunks(layout: ArchiveLayout): AsyncGenerator<Buffer> {
  const { entries, close: closeFile } = entriesOf(layout.path);
  try {
    const first = await entries.next().catch((error: unknown) => Promise.reject(parseFailure(error, PART[0])));
    if (first.done || first.value.header.name !== layout.dump.name || first.value.header.size !== layout.dump.size) {
      throw new ArchiveError(`The backup ${layout.path} changed while it was being read`);
    }
    try {
      for await (const chunk of first.value) yield chunk as Buffer;
    } catch (error) {
      throw parseFailure(error, PART[0]);
    }
  } finally {
    await entries.return?.();
    closeFile();
  }
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
      // The dump's header, until its size is known.
      await writeFully(fd, Buffer.alloc(BLOCK), 0);
    } catch (error) {
      await writer.discard();
      throw error;
    }
    return writer;
  }

  /** Where the compressed dump goes; the stream does not close the file. */
  dumpStream(): WriteStream {
    return createWriteStream('', { fd: this.fd!, start: BLOCK, autoClose: false, highWaterMark: READ_CHUNK });
  }

  /** Pads the dump, writes the manifest, the end-of-archive blocks and the dump's header; fsyncs. */
  async finish(dumpSize: number, manifest: string): Promise<number> {
    const fd = this.fd!;
    const body = Buffer.from(manifest, 'utf8');
    if (body.length > MAX_MANIFEST_BYTES) throw new BugError(`The manifest is ${body.length} bytes, more than a backup may hold`);
    const position = BLOCK + dumpSize;
    const tail = Buffer.concat([Buffer.alloc(padded(dumpSize) - dumpSize), await manifestAndEnd(body, this.createdAt)]);
    await writeFully(fd, tail, position);
    await writeFully(fd, await entryHeaderBlock(this.dumpEntry, dumpSize, this.createdAt), 0);
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
  while (written < buffer.length)
    written += (await writeAsync(fd, buffer, written, buffer.length - written, position + written)).bytesWritten;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

// Reading backups back: `backup list` (every archive in a folder, with its manifest and whether
// its checksum holds) and `backup verify` (structure, manifest, checksum, then the dump itself —
// and with --deep a real restore into a scratch database whose row counts must match).

import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { asShopdbError, UserError } from '../errors.js';
import { ArchiveError, dumpEntryStream, readArchiveLayout, type ArchiveLayout } from './archive.js';
import { driverContextOf, type BackupEnvironment } from './create.js';
import { backupDriverFor } from './drivers.js';
import { parseManifest, totalRows, type BackupManifest, type MigrationHead } from './manifest.js';
import { BACKUP_SUFFIX } from './names.js';
import { compareCounts } from './site-state.js';

export interface OpenedArchive {
  layout: ArchiveLayout;
  manifest: BackupManifest;
}

/** Structure and manifest, hashing the dump on the way; throws ArchiveError. */
export async function openArchive(file: string): Promise<OpenedArchive> {
  const layout = await readArchiveLayout(file);
  const manifest = parseManifest(layout.manifest.text);
  if (manifest.dump.entry !== layout.dump.name)
    throw new ArchiveError(`The manifest names ${manifest.dump.entry} but the archive holds ${layout.dump.name}`);
  return { layout, manifest };
}

/** Problems with the stored dump against its manifest: size and sha256. */
export async function checksumProblems(opened: OpenedArchive): Promise<string[]> {
  const { layout, manifest } = opened;
  if (layout.dump.size !== manifest.dump.bytes) return [`the dump is ${layout.dump.size} bytes, the manifest says ${manifest.dump.bytes}`];
  const actual = layout.dump.sha256;
  return actual === manifest.dump.sha256 ? [] : [`the dump's sha256 is ${actual}, the manifest says ${manifest.dump.sha256}`];
}

/** The dump, decompressed; a damaged gzip stream, or an archive that fails on this second read, fails it. */
export function uncompressedDump(layout: ArchiveLayout): Readable {
  const gunzip = createGunzip({ chunkSize: 1 << 16 });
  return dumpEntryStream(layout)
    .on('error', (error) => gunzip.destroy(error))
    .pipe(gunzip);
}

export interface ListedBackup {
  file: string;
  name: string;
  size: number;
  site: string | null;
  kind: string | null;
  createdAt: string | null;
  shopdbVersion: string | null;
  engine: string | null;
  migrations: MigrationHead[];
  tables: number | null;
  rows: number | null;
  /** The sha256 of the dump matches its manifest. */
  checksumOk: boolean;
  /** Why the file is not a usable backup (null when it is). */
  problem: string | null;
}

export interface BackupListing {
  directory: string;
  backups: ListedBackup[];
}

export async function listBackups(options: { directory: string }): Promise<BackupListing> {
  const directory = resolve(options.directory);
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { directory, backups: [] };
    throw new UserError(`Cannot read the backup directory ${directory} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: error,
    });
  }
  const backups: ListedBackup[] = [];
  for (const name of names.filter((n) => !n.startsWith('.') && n.endsWith(BACKUP_SUFFIX)).sort()) {
    const file = join(directory, name);
    const size = (await stat(file)).size;
    const entry: ListedBackup = {
      file,
      name,
      size,
      site: null,
      kind: null,
      createdAt: null,
      shopdbVersion: null,
      engine: null,
      migrations: [],
      tables: null,
      rows: null,
      checksumOk: false,
      problem: null,
    };
    try {
      const opened = await openArchive(file);
      const m = opened.manifest;
      Object.assign(entry, {
        site: m.site,
        kind: m.kind,
        createdAt: m.createdAt,
        shopdbVersion: m.shopdb.version,
        engine: m.database.engine,
        migrations: m.migrations,
        tables: Object.keys(m.tables).length,
        rows: totalRows(m),
      });
      const problems = await checksumProblems(opened);
      entry.checksumOk = problems.length === 0;
      entry.problem = problems[0] ?? null;
    } catch (error) {
      entry.problem = asShopdbError(error).message;
    }
    backups.push(entry);
  }
  backups.sort((a, b) => (a.createdAt ?? a.name).localeCompare(b.createdAt ?? b.name));
  return { directory, backups };
}

export interface VerifyReport {
  file: string;
  ok: boolean;
  checksumOk: boolean;
  manifest: BackupManifest | null;
  /** Row counts read from the dump itself (null when it could not be read). */
  dumpTables: Record<string, number> | null;
  deep: { database: string; tables: Record<string, number> } | null;
  problems: string[];
}

export interface VerifyOptions extends BackupEnvironment {
  file: string;
  deep?: boolean;
}

export async function verifyBackup(options: VerifyOptions): Promise<VerifyReport> {
  const file = resolve(options.file);
  const report: VerifyReport = { file, ok: false, checksumOk: false, manifest: null, dumpTables: null, deep: null, problems: [] };
  let opened: OpenedArchive;
  try {
    opened = await openArchive(file);
  } catch (error) {
    const failure = asShopdbError(error);
    if (failure instanceof ArchiveError && /There is no backup file|Cannot read the backup/.test(failure.message)) throw failure;
    report.problems.push(failure.message, ...failure.details);
    return report;
  }
  report.manifest = opened.manifest;
  const checksum = await checksumProblems(opened);
  report.checksumOk = checksum.length === 0;
  report.problems.push(...checksum);
  if (!report.checksumOk) return report;

  const context = driverContextOf(options);
  const driver = await backupDriverFor(opened.manifest.database.engine);
  const tempDir = resolve(options.config.baseDir, options.config.values.BACKUP_DIR);
  try {
    const { prepareDirectory } = await import('./create.js');
    await prepareDirectory(tempDir);
    report.dumpTables = await driver.scan(context, uncompressedDump(opened.layout), tempDir);
    report.problems.push(...compareCounts(opened.manifest.tables, report.dumpTables).map((p) => `dump: ${p}`));
  } catch (error) {
    options.signal?.throwIfAborted();
    const failure = asShopdbError(error);
    report.problems.push(`the dump cannot be read: ${failure.message}`);
    return report;
  }
  options.signal?.throwIfAborted();
  if (options.deep && report.problems.length === 0) {
    if (opened.manifest.database.engine !== context.target.client) {
      throw new UserError(
        `--deep restores into a scratch database on this site's server, but the backup is ${opened.manifest.database.engine} and the site is ${context.target.client}`,
        {
          suggestion: 'Run the deep check with a site .env of the same engine (--env-file), or without --deep.',
        },
      );
    }
    const scratch = await driver.createScratch(context, tempDir);
    try {
      const tables = await driver.load(context, uncompressedDump(opened.layout), scratch.target, tempDir);
      report.deep = { database: scratch.description, tables };
      report.problems.push(...compareCounts(opened.manifest.tables, tables).map((p) => `restored: ${p}`));
    } catch (error) {
      // Stopped by SIGINT/SIGTERM: that is the answer, not a verify failure (the scratch schema goes all the same).
      if (!options.signal?.aborted) {
        const failure = asShopdbError(error);
        report.problems.push(`restoring into ${scratch.description} failed: ${failure.message}`);
      }
    } finally {
      await scratch.drop();
    }
    options.signal?.throwIfAborted();
  }
  report.ok = report.problems.length === 0;
  return report;
}

export function describeBackup(manifest: BackupManifest, file: string): string {
  return `${basename(file)} (site ${manifest.site}, ${manifest.kind}, ${manifest.createdAt}, shopdb ${manifest.shopdb.version}, ${Object.keys(manifest.tables).length} tables, ${totalRows(manifest)} rows)`;
}

// `shopdb backup`: dump the site database into one archive (compressed in Node, checksummed,
// written to a hidden temporary file, fsynced and linked to its final name), copy it offsite and
// check the copy, then apply retention. Also the safety backups that restore and update take.
// Folders the user named are checked before the lock is taken, with every file operation on
// them bounded in time (src/core/fs/guarded.ts), so a bad or hung path never holds the lock.

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { LoadedConfig } from '../config/index.js';
import { databaseTargetFromConfig, describeTarget, type DatabaseLogger } from '../db/connect.js';
import { ExternalError, UserError } from '../errors.js';
import { ensureUsableDirectory, withDeadline } from '../fs/guarded.js';
import { shopdbVersion } from '../paths.js';
import type { TaskStep } from '../tasks.js';
import { ArchiveWriter, sha256Of, TEMP_FILE, tempPathFor } from './archive.js';
import { DumpRejectedError } from './dump-policy.js';
import { backupDriverFor, type DriverContext, type DumpFacts } from './drivers.js';
import { acquireBackupLock, pidAlive, type BackupLock } from './lock.js';
import { MANIFEST_FORMAT, MANIFEST_VERSION, totalRows, type BackupKind, type BackupManifest } from './manifest.js';
import { backupFileName, parseBackupFileName } from './names.js';
import { runStepsQuietly, type StepRunner } from './steps.js';

export interface BackupEnvironment {
  config: LoadedConfig;
  /** The PATH to find the client tools (and docker) on. */
  path: string;
  logger?: DatabaseLogger;
  /** Non-fatal remarks (stderr in the CLI). */
  warn?: (message: string) => void;
  /** Renders the steps (listr2 in the CLI); quiet by default. */
  runSteps?: StepRunner;
  /** The process environment (docker reads DOCKER_HOST, COMPOSE_FILE … from it); default: PATH only. */
  processEnv?: Readonly<Record<string, string | undefined>>;
  now?: () => Date;
  /** Aborted when the run must stop (SIGINT/SIGTERM in the CLI): children stop, cleanup runs, the reason is thrown. */
  signal?: AbortSignal;
}

export function driverContextOf(env: BackupEnvironment): DriverContext {
  return {
    config: env.config,
    target: databaseTargetFromConfig(env.config),
    path: env.path,
    logger: env.logger,
    warn: env.warn ?? (() => {}),
    signal: env.signal,
  };
}

export interface WrittenBackup {
  file: string;
  size: number;
  manifest: BackupManifest;
}

const GZIP_LEVEL = 6;

/** Counts bytes (reporting every 8 MiB) and hashes them on the way through. */
class Meter extends Transform {
  bytes = 0;
  private reported = 0;
  private readonly hash = createHash('sha256');
  constructor(
    private readonly hashing: boolean,
    private readonly onProgress?: (bytes: number) => void,
  ) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.hashing) this.hash.update(chunk);
    if (this.onProgress && this.bytes - this.reported > 8 * 1048576) {
      this.reported = this.bytes;
      this.onProgress(this.bytes);
    }
    callback(null, chunk);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

const WRITE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EACCES', 'EPERM', 'EFBIG', 'SQLITE_FULL', 'SQLITE_IOERR']);

export function writeFailure(error: unknown, directory: string): UserError | undefined {
  const raw = (error as NodeJS.ErrnoException | undefined)?.code;
  // SQLite's extended codes (SQLITE_IOERR_WRITE …) count as their primary code.
  const code = raw?.startsWith('SQLITE_') ? raw.split('_').slice(0, 2).join('_') : raw;
  if (!code || !WRITE_ERRORS.has(code)) return undefined;
  const full = code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
  return new UserError(`${full ? 'No space left' : 'Cannot write'} in ${directory} (${code}); the unfinished backup was removed`, {
    suggestion: full
      ? 'Free space there, lower BACKUP_KEEP, or point --out / BACKUP_DIR at a larger disk.'
      : 'Check that this user may write there (owner and mode of the folder).',
    cause: error,
  });
}

/**
 * Makes the folder (0700) if needed, proves a file can be written there (within deadlines: a hung
 * mount fails instead of hanging), and removes temporary files left by runs that died (kill -9,
 * power cut). `setting` names where the path came from, for the error.
 */
export async function prepareDirectory(directory: string, setting = 'BACKUP_DIR'): Promise<void> {
  await ensureUsableDirectory(directory, { setting });
  for (const entry of await withDeadline(readdir(directory), `Listing ${directory}`)) {
    const match = TEMP_FILE.exec(entry);
    if (match && !pidAlive(Number(match[1]))) await withDeadline(unlink(join(directory, entry)), `Removing ${entry}`).catch(() => {});
  }
}

/** Attempts of a dump that a concurrent schema change aborted; the waits between them, in ms. */
const DUMP_CONFLICT_WAITS_MS = [500, 1000, 2000, 4000, 8000];

/**
 * A dump the server aborted because the schema changed under it, not because anything is wrong:
 * a DDL from another cluster node kills the dump's transaction (Galera: 1213), or a table was
 * altered after the dump's snapshot began (1412). Nothing was written; the dump can start again.
 */
function isDumpConflict(error: unknown): boolean {
  return error instanceof ExternalError && /\((1213|1412)\)/.test(error.stderr);
}

/**
 * Dumps the site database into `directory` as one archive. The caller holds the lock. On any
 * failure the temporary file is removed and nothing else is left behind. A dump aborted by a
 * concurrent schema change (a plugin install or an update run from another host) starts again.
 */
export async function writeBackupArchive(
  env: BackupEnvironment,
  directory: string,
  kind: BackupKind,
  report: (line: string) => void = () => {},
): Promise<WrittenBackup> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await writeBackupArchiveOnce(env, directory, kind, report);
    } catch (error) {
      const wait = DUMP_CONFLICT_WAITS_MS[attempt];
      if (!isDumpConflict(error) || wait === undefined) throw error;
      report(
        `the dump was aborted by a schema change running elsewhere (${(error as ExternalError).stderr.trim().split('\n')[0]}); starting it again in ${wait / 1000} s`,
      );
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, wait);
        env.signal?.addEventListener('abort', () => (clearTimeout(timer), reject(env.signal!.reason)), { once: true });
      });
    }
  }
}

async function writeBackupArchiveOnce(
  env: BackupEnvironment,
  directory: string,
  kind: BackupKind,
  report: (line: string) => void,
): Promise<WrittenBackup> {
  const now = env.now ?? (() => new Date());
  const context = driverContextOf(env);
  const engine = context.target.client;
  const driver = await backupDriverFor(engine);
  const createdAt = now();
  const started = Date.now();
  const site = env.config.values.SHOPDB_SITE_NAME;
  const finalPath = join(directory, backupFileName(site, createdAt, kind));
  let session;
  try {
    session = await driver.startDump(context, directory);
  } catch (error) {
    throw writeFailure(error, directory) ?? error;
  }
  let writer: ArchiveWriter | undefined;
  try {
    writer = await ArchiveWriter.create(finalPath, driver.dumpEntry, createdAt);
    const raw = new Meter(false, (bytes) => report(`${Math.round(bytes / 1048576)} MiB dumped`));
    const stored = new Meter(true);
    let pipeError: unknown;
    try {
      await pipeline(
        session.stream,
        raw,
        createGzip({ level: GZIP_LEVEL, chunkSize: 1 << 16 }),
        stored,
        writer.dumpStream(),
        env.signal ? { signal: env.signal } : {},
      );
    } catch (error) {
      pipeError = error ?? new Error('the dump stream failed');
      session.abort();
    }
    let facts: DumpFacts | undefined;
    let dumpError: unknown;
    try {
      facts = await session.finish();
    } catch (error) {
      dumpError = error;
    }
    env.signal?.throwIfAborted();
    if (pipeError !== undefined) throw writeFailure(pipeError, directory) ?? dumpFailure(pipeError, dumpError);
    if (dumpError !== undefined || !facts) throw dumpError;
    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT,
      formatVersion: MANIFEST_VERSION,
      site,
      kind,
      createdAt: createdAt.toISOString(),
      durationMs: Date.now() - started,
      shopdb: { version: shopdbVersion() },
      database: {
        engine,
        product: facts.product,
        version: facts.version,
        name: facts.databaseName,
        ...(facts.cluster ? { cluster: facts.cluster } : {}),
      },
      dump: {
        entry: driver.dumpEntry,
        tool: facts.tool,
        compression: 'gzip',
        bytes: stored.bytes,
        sha256: stored.digest(),
        uncompressedBytes: raw.bytes,
        events: facts.events,
      },
      migrations: facts.migrations,
      plugins: facts.plugins,
      tables: facts.tables,
    };
    let size: number;
    try {
      size = await writer.finish(stored.bytes, JSON.stringify(manifest, null, 2) + '\n');
    } catch (error) {
      throw writeFailure(error, directory) ?? error;
    }
    const file = await writer.commit(finalPath, (attempt) => backupFileName(site, new Date(createdAt.getTime() + attempt * 1000), kind));
    writer = undefined;
    return { file, size, manifest };
  } finally {
    await writer?.discard();
    await session.cleanup();
  }
}

/** The error to show when the pipeline broke: the dump tool's own failure says most. */
function dumpFailure(pipeError: unknown, dumpError: unknown): unknown {
  if (pipeError instanceof DumpRejectedError) {
    return new UserError(`The dump contains something shopdb would refuse to restore, so it was not kept: ${pipeError.message}`, {
      suggestion:
        'Is something other than shopdb creating objects in this database (another schema qualified name, events, odd SET statements)? See docs/BACKUP.md.',
      cause: pipeError,
    });
  }
  if (dumpError instanceof ExternalError) return dumpError;
  return pipeError;
}

export interface RetentionRule {
  /** How many good backups of each kind to keep. */
  keep: number;
  /** 0: no age limit. */
  keepDays: number;
}

export interface RetentionPlan {
  remove: string[];
  /** Backups kept but not counted among the kept ones, because they are not usable. */
  damaged: Array<{ file: string; problem: string }>;
}

/** Why `file` is not a usable backup (structure, manifest, checksum), or null. */
async function backupProblem(file: string): Promise<string | null> {
  const { openArchive, checksumProblems } = await import('./inspect.js');
  try {
    const problems = await checksumProblems(await openArchive(file));
    return problems[0] ?? null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * The site's backups in `directory` to remove (ADR-016). Each kind is counted on its own —
 * nightly backups, and each kind of safety backup (pre-update, pre-restore, pre-uninstall), so
 * nightly runs never push out the backup an update or restore would go back to. Per kind: the
 * newest `keep` *good* ones stay; a damaged one is not counted, stays while it is newer than
 * the last good one kept (for `backup list` to show), and goes after that; anything older than
 * `keepDays` goes. `protect` (the backup just written and checked) stays and counts as good.
 */
export async function planRetention(
  directory: string,
  site: string,
  rule: RetentionRule,
  protect: string,
  now: Date,
): Promise<RetentionPlan> {
  const ours = (await withDeadline(readdir(directory), `Listing ${directory}`))
    .map((name) => ({ name, parsed: parseBackupFileName(name) }))
    .filter((entry) => entry.parsed?.site === site)
    .sort((a, b) => b.name.localeCompare(a.name));
  const plan: RetentionPlan = { remove: [], damaged: [] };
  const good = new Map<BackupKind, number>();
  for (const entry of ours) {
    const file = join(directory, entry.name);
    const kind = entry.parsed!.kind;
    const kept = good.get(kind) ?? 0;
    if (entry.name === basename(protect)) {
      good.set(kind, kept + 1);
      continue;
    }
    const tooOld = rule.keepDays > 0 && now.getTime() - entry.parsed!.time.getTime() > rule.keepDays * 86_400_000;
    if (tooOld || kept >= rule.keep) {
      plan.remove.push(file);
      continue;
    }
    const problem = await backupProblem(file);
    if (problem === null) good.set(kind, kept + 1);
    else plan.damaged.push({ file, problem });
  }
  return plan;
}

/** No byte moved for this long while copying: the copy target stopped answering. */
const COPY_STALL_MS = 120_000;
/** fsync (and reading back) of a large copy on a slow mount may take a while; longer than this, it hangs. */
const COPY_SYNC_TIMEOUT_MS = 15 * 60_000;

/**
 * Copies `file` into `directory` (temp, fsync, link) and proves the copy by its checksum. Bounded
 * in time: the copy fails when no byte moves for COPY_STALL_MS, each metadata operation after
 * the deadline of src/core/fs/guarded.ts (an offsite mount that stopped answering).
 */
export async function copyVerified(file: string, directory: string, signal?: AbortSignal, setting = '--copy-to'): Promise<string> {
  await prepareDirectory(directory, setting);
  const finalPath = join(directory, basename(file));
  const temp = tempPathFor(finalPath);
  const hash = createHash('sha256');
  const stalled = new AbortController();
  let lastProgress = Date.now();
  const watchdog = setInterval(() => {
    if (Date.now() - lastProgress > COPY_STALL_MS) {
      stalled.abort(
        new UserError(`Copying to ${directory} stalled: nothing was written for ${COPY_STALL_MS / 1000} s`, {
          suggestion: 'Check the mount behind that folder (`mount`, `df`); the backup itself was written.',
        }),
      );
    }
  }, 1000);
  watchdog.unref();
  try {
    await pipeline(
      createReadStream(file, { highWaterMark: 1 << 20 }),
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          lastProgress = Date.now();
          hash.update(chunk);
          callback(null, chunk);
        },
      }),
      createWriteStream(temp, { flags: 'wx', mode: 0o600, highWaterMark: 1 << 20 }),
      { signal: signal ? AbortSignal.any([signal, stalled.signal]) : stalled.signal },
    );
    clearInterval(watchdog);
    // fsync through a second descriptor: it flushes the file's data all the same.
    const handle = await withDeadline(open(temp, 'r'), `Opening the copy in ${directory}`);
    try {
      await withDeadline(handle.sync(), `Syncing the copy in ${directory}`, COPY_SYNC_TIMEOUT_MS);
    } finally {
      await handle.close().catch(() => {});
    }
    const expected = hash.digest('hex');
    const actual = await withDeadline(sha256Of(temp), `Reading the copy in ${directory} back`, COPY_SYNC_TIMEOUT_MS);
    if (actual !== expected)
      throw new UserError(`The copy in ${directory} does not match the backup (checksum differs); it was removed`, {
        suggestion: 'Check the disk or mount behind that folder.',
      });
    await withDeadline(link(temp, finalPath), `Naming the copy in ${directory}`).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPERM' && error.code !== 'ENOTSUP' && error.code !== 'EOPNOTSUPP') throw error;
      await withDeadline(rename(temp, finalPath), `Naming the copy in ${directory}`);
    });
    await withDeadline(unlink(temp), `Removing the temporary copy in ${directory}`).catch(() => {});
    return finalPath;
  } catch (error) {
    // The run's own stop (SIGINT/SIGTERM) and a stall say more than the stream's AbortError.
    const reason = signal?.aborted ? signal.reason : stalled.signal.aborted ? stalled.signal.reason : error;
    await withDeadline(unlink(temp), `Removing the unfinished copy in ${directory}`).catch(() => {});
    throw writeFailure(reason, directory) ?? reason;
  } finally {
    clearInterval(watchdog);
  }
}

export interface CreateBackupOptions extends BackupEnvironment {
  /** --out; default BACKUP_DIR. */
  directory?: string;
  keep?: number;
  keepDays?: number;
  /** --copy-to; default BACKUP_COPY_TO (null: none). */
  copyTo?: string | null;
}

export interface BackupResult {
  file: string;
  name: string;
  directory: string;
  kind: BackupKind;
  size: number;
  createdAt: string;
  durationMs: number;
  engine: string;
  database: string;
  tables: number;
  rows: number;
  sha256: string;
  copy: string | null;
  removed: string[];
  warnings: string[];
  manifest: BackupManifest;
}

interface BackupContext {
  lock?: BackupLock;
  written?: WrittenBackup;
  copy: string | null;
  removed: string[];
}

export async function createBackup(options: CreateBackupOptions): Promise<BackupResult> {
  const values = options.config.values;
  const directory = resolve(options.config.baseDir, options.directory ?? values.BACKUP_DIR);
  const copyDir = options.copyTo === undefined ? (values.BACKUP_COPY_TO ?? null) : options.copyTo;
  const copyTo = copyDir ? resolve(options.config.baseDir, copyDir) : null;
  const rule: RetentionRule = { keep: options.keep ?? values.BACKUP_KEEP, keepDays: options.keepDays ?? values.BACKUP_KEEP_DAYS };
  const warnings: string[] = [];
  const env: BackupEnvironment = { ...options, warn: (message) => (warnings.push(message), options.warn?.(message)) };
  const now = options.now ?? (() => new Date());
  const target = databaseTargetFromConfig(options.config);
  const outSetting = options.directory === undefined ? 'BACKUP_DIR' : '--out';
  const copySetting = options.copyTo === undefined ? 'BACKUP_COPY_TO' : '--copy-to';
  const signal = options.signal;
  const steps: Array<TaskStep<BackupContext>> = [
    {
      title: `Check ${directory}${copyTo ? ` and ${copyTo}` : ''}, then lock ${directory}`,
      task: async (ctx) => {
        // Both folders first: a path that cannot work must fail before the lock, never while holding it.
        await prepareDirectory(directory, outSetting);
        if (copyTo) await ensureUsableDirectory(copyTo, { setting: copySetting });
        signal?.throwIfAborted();
        ctx.lock = await acquireBackupLock(directory, 'backup');
      },
    },
    {
      title: `Dump ${describeTarget(target)}`,
      task: async (ctx, report) => {
        ctx.written = await writeBackupArchive(env, directory, 'backup', report);
      },
    },
    {
      title: `Copy to ${copyTo ?? '(no --copy-to)'} and check the copy`,
      skip: () => (copyTo ? false : 'no copy directory'),
      task: async (ctx) => {
        signal?.throwIfAborted();
        ctx.copy = await copyVerified(ctx.written!.file, copyTo!, signal, copySetting);
      },
    },
    {
      title: `Keep the newest ${rule.keep} good ones of each kind${rule.keepDays > 0 ? `, none older than ${rule.keepDays} days` : ''}`,
      task: async (ctx) => {
        signal?.throwIfAborted();
        const site = values.SHOPDB_SITE_NAME;
        for (const [folder, protect] of [[directory, ctx.written!.file], ...(ctx.copy ? [[copyTo!, ctx.copy]] : [])] as Array<
          [string, string]
        >) {
          const plan = await planRetention(folder, site, rule, protect, now());
          for (const { file, problem } of plan.damaged)
            env.warn!(`${file} is damaged (${problem}); it is not counted among the ${rule.keep} kept`);
          for (const file of plan.remove) {
            await withDeadline(unlink(file), `Removing ${file}`);
            ctx.removed.push(file);
          }
        }
      },
    },
  ];
  const ctx: BackupContext = { copy: null, removed: [] };
  try {
    await (options.runSteps ?? runStepsQuietly)(steps, ctx);
  } finally {
    await ctx.lock?.release();
  }
  const { file, size, manifest } = ctx.written!;
  return {
    file,
    name: basename(file),
    directory,
    kind: manifest.kind,
    size,
    createdAt: manifest.createdAt,
    durationMs: manifest.durationMs,
    engine: manifest.database.engine,
    database: describeTarget(target),
    tables: Object.keys(manifest.tables).length,
    rows: totalRows(manifest),
    sha256: manifest.dump.sha256,
    copy: ctx.copy,
    removed: ctx.removed,
    warnings,
    manifest,
  };
}

/**
 * A safety backup before a destructive step (`plugin uninstall --purge`, `migrate rollback`):
 * BACKUP_DIR, under the backup lock, named `<site>-<time>-<kind>.shopdb.tar`. Returns the file.
 */
export async function takeSafetyBackup(
  env: BackupEnvironment,
  kind: 'pre-uninstall' | 'pre-rollback',
  report: (line: string) => void = () => {},
): Promise<string> {
  const directory = resolve(env.config.baseDir, env.config.values.BACKUP_DIR);
  await prepareDirectory(directory);
  const lock = await acquireBackupLock(directory, kind === 'pre-rollback' ? 'rollback' : 'uninstall');
  try {
    return (await writeBackupArchive(env, directory, kind, report)).file;
  } finally {
    await lock.release();
  }
}

// `shopdb restore`: everything that can refuse a backup is checked first, before the database is
// touched — the archive's structure, its manifest, the checksum, the engine, migration heads this
// shopdb does not know, and every statement of the dump. Then a safety backup of the current
// database, the restore itself (only into the configured database), and `migrate`, so an older
// backup comes up to the current schema. If anything fails after the database was touched, the
// safety backup is put back and the error says so — also when the run is interrupted (SIGINT,
// SIGTERM, SIGHUP: `signal`). From the first change to the end a marker stands beside the .env
// (restore-marker.ts), so a run killed outright leaves a site that refuses work and says how back.

import { basename, resolve } from 'node:path';
import type { MigrationSourceRegistry } from '../migrations/sources.js';
import { databaseTargetFromConfig, describeTarget } from '../db/connect.js';
import type { LoadedConfig } from '../config/index.js';
import { asShopdbError, DatabaseUnavailableError, InterruptedError, stopSignalOf, UsageError, UserError } from '../errors.js';
import { shopdbVersion } from '../paths.js';
import type { TaskStep } from '../tasks.js';
import { ArchiveError } from './archive.js';
import { DumpRejectedError } from './dump-policy.js';
import { driverContextOf, prepareDirectory, writeBackupArchive, type BackupEnvironment } from './create.js';
import { backupDriverFor, type SiteDatabaseState } from './drivers.js';
import { checksumProblems, openArchive, uncompressedDump, type OpenedArchive } from './inspect.js';
import { defaultKnownMigrationSources, siteCatalog, unknownMigrationHeads } from './known-migrations.js';
import { acquireBackupLock, type BackupLock } from './lock.js';
import type { BackupManifest } from './manifest.js';
import {
  clearRestoreMarker,
  FINISHING_RESTORE_ENV,
  readRestoreMarker,
  restoreAdvice,
  restoreOwner,
  writeRestoreMarker,
  type RestoreMarker,
} from './restore-marker.js';
import { compareCounts } from './site-state.js';
import { runStepsQuietly } from './steps.js';

export interface RestorePlan {
  file: string;
  archive: OpenedArchive;
  /** The configured database, password-free (mysql://user@host/db or sqlite:path). */
  database: string;
  current: SiteDatabaseState;
  /** What the user should know before saying yes: another site, another shopdb version, an interrupted restore. */
  differences: string[];
}

/** The backup to restore: the one named, or with `resume` the one the interrupted restore was restoring. */
export function resumeTarget(config: LoadedConfig, options: { file?: string; resume?: boolean }): string {
  const marker = readRestoreMarker(config);
  if (options.resume) {
    if (!marker)
      throw new UsageError(`Nothing to resume: no interrupted restore is recorded beside ${config.envFile}`, {
        suggestion: 'Name the backup to restore: shopdb restore <file>.',
      });
    if (options.file && resolve(options.file) !== marker.file) {
      throw new UsageError(`--resume restores ${marker.file}, the backup the interrupted restore was restoring, not ${options.file}`, {
        suggestion: 'Drop --resume to restore another backup instead.',
      });
    }
    return marker.file;
  }
  if (!options.file)
    throw new UsageError('Name the backup to restore', {
      suggestion: 'shopdb restore <file> (`shopdb backup list` shows them), or --resume to finish an interrupted restore.',
    });
  return options.file;
}

export interface PrepareRestoreOptions extends BackupEnvironment {
  file: string;
  /** Migration sources this shopdb knows (the manifest's heads must be among them). Default: core. */
  knownSources?: Parameters<typeof unknownMigrationHeads>[1];
}

function refused(
  reason: string,
  details: string[] = [],
  suggestion = 'Use another backup; `shopdb backup list` shows which ones are valid.',
  cause?: unknown,
): ArchiveError {
  return new ArchiveError(`Refusing to restore: ${reason}. Nothing was changed`, { details, suggestion, cause });
}

/** Every check that can refuse the backup; touches nothing. */
export async function prepareRestore(options: PrepareRestoreOptions): Promise<RestorePlan> {
  const file = resolve(options.file);
  let archive: OpenedArchive;
  try {
    archive = await openArchive(file);
  } catch (error) {
    const failure = asShopdbError(error);
    if (/There is no backup file|Cannot read the backup/.test(failure.message)) throw failure;
    throw refused(failure.message.replace(/\.$/, ''), failure.details, undefined, error);
  }
  const checksum = await checksumProblems(archive);
  if (checksum.length > 0) throw refused('the backup is damaged (its checksum does not match)', checksum);
  const context = driverContextOf(options);
  const { manifest } = archive;
  if (manifest.database.engine !== context.target.client) {
    throw refused(
      `the backup is of a ${manifest.database.engine} database and this site uses ${context.target.client}`,
      [],
      'Restore it into a site of the same engine (DB_CLIENT), or use a backup of this one.',
    );
  }
  const unknown = await unknownMigrationHeads(
    manifest.migrations,
    options.knownSources ?? (await defaultKnownMigrationSources(options.config)),
  );
  if (unknown.length > 0) {
    throw refused(
      'the backup was made by a newer shopdb (its migration heads are unknown here)',
      unknown,
      `Update shopdb to ${manifest.shopdb.version} or newer first, then restore.`,
    );
  }
  const driver = await backupDriverFor(manifest.database.engine);
  const tempDir = resolve(options.config.baseDir, options.config.values.BACKUP_DIR);
  await prepareDirectory(tempDir);
  const current = await driver.inspect(context);
  // With data to lose, every statement is checked before anything is touched. An empty database
  // has nothing to lose: the same checks run on the bytes on their way to the client, and a
  // refusal there empties it again (restoreBackup) — one pass over a large dump instead of two.
  if (current.tables > 0) {
    let counts: Record<string, number>;
    try {
      counts = await driver.scan(context, uncompressedDump(archive.layout), tempDir);
    } catch (error) {
      const failure = asShopdbError(error);
      throw refused(failure.message.replace(/\.$/, ''), failure.details, failure.suggestion, error);
    }
    const mismatch = compareCounts(manifest.tables, counts);
    if (mismatch.length > 0) throw refused('the dump does not hold the rows its manifest lists', mismatch);
  }
  const differences: string[] = [];
  const siteName = options.config.values.SHOPDB_SITE_NAME;
  if (manifest.site !== siteName) differences.push(`This backup is of the site "${manifest.site}"; this site is "${siteName}".`);
  if (manifest.shopdb.version !== shopdbVersion()) {
    differences.push(
      `This backup was made by shopdb ${manifest.shopdb.version}; this is shopdb ${shopdbVersion()} (the restore migrates it to this version's schema).`,
    );
  }
  const marker = readRestoreMarker(options.config);
  if (marker) {
    differences.push(
      `Finishing the restore of ${marker.file} interrupted at ${marker.startedAt}: no new safety backup is taken; the way back stays ${marker.safetyBackup ?? 'an empty database'}.`,
    );
  }
  return { file, archive, database: describeTarget(context.target), current, differences };
}

export interface RestoreOptions extends BackupEnvironment {
  /** Take a safety backup first (default true; update's rollback restores without one). */
  safetyBackup?: boolean;
  /** Run migrate afterwards (default true; update's rollback must not). */
  migrate?: boolean;
  /** Migration sources for the migrate step (tests pass fixtures). */
  sources?: MigrationSourceRegistry;
  /** The caller already holds the backup-directory lock (update). */
  lockHeld?: boolean;
  /** Aborted on SIGINT/SIGTERM/SIGHUP: the restore stops and puts the safety backup back. */
  signal?: AbortSignal;
}

export interface RestoreResult {
  file: string;
  database: string;
  safetyBackup: string | null;
  tables: number;
  rows: number;
  migrationsApplied: string[];
  /** Live login sessions the restore ended (null when the database could not be reached from here). */
  sessionsEnded: number | null;
  durationMs: number;
  backup: { site: string; kind: string; createdAt: string; shopdbVersion: string };
}

interface RestoreContext {
  lock?: BackupLock;
  safety: string | null;
  /** A restore that was interrupted before this one: its safety backup is the state to go back to. */
  earlier: RestoreMarker | null;
  /** The database has been changed (a failure now needs the safety backup put back). */
  touched: boolean;
  counts?: Record<string, number>;
  applied: string[];
  sessionsEnded: number | null;
}

async function loadArchive(
  env: BackupEnvironment,
  archive: OpenedArchive,
  tempDir: string,
  signal?: AbortSignal,
): Promise<Record<string, number>> {
  const driver = await backupDriverFor(archive.manifest.database.engine);
  return driver.load({ ...driverContextOf(env), signal }, uncompressedDump(archive.layout), { kind: 'site' }, tempDir);
}

export async function restoreBackup(plan: RestorePlan, options: RestoreOptions): Promise<RestoreResult> {
  const started = Date.now();
  const directory = resolve(options.config.baseDir, options.config.values.BACKUP_DIR);
  const manifest: BackupManifest = plan.archive.manifest;
  // A standing marker: the database holds part of an interrupted restore. Its safety backup is
  // still the way back, and a new one would only save the half-restored state.
  const earlier = readRestoreMarker(options.config);
  const wantSafety = options.safetyBackup !== false && earlier === null && plan.current.exists && plan.current.tables > 0;
  // Between steps: once the run was asked to stop, the next step does not start.
  const stopIfAsked = () => options.signal?.throwIfAborted();
  const steps: Array<TaskStep<RestoreContext>> = [
    {
      title: `Lock ${directory}`,
      skip: () => (options.lockHeld ? 'held by the caller' : false),
      task: async (ctx) => {
        await prepareDirectory(directory);
        ctx.lock = await acquireBackupLock(directory, 'restore');
      },
    },
    {
      title: `Safety backup of ${plan.database}`,
      skip: () =>
        options.safetyBackup === false
          ? 'not requested'
          : earlier
            ? `an interrupted restore is being finished; the backup of before is ${earlier.safetyBackup ?? 'none (the database was empty)'}`
            : wantSafety
              ? false
              : 'the database is empty',
      task: async (ctx, report) => {
        stopIfAsked();
        ctx.safety = (await writeBackupArchive(options, directory, 'pre-restore', report)).file;
      },
    },
    {
      title: `Restore ${basename(plan.file)} into ${plan.database}`,
      task: async (ctx) => {
        stopIfAsked();
        // Durable before the first change: a kill -9 from here on leaves this behind.
        writeRestoreMarker(options.config, {
          file: plan.file,
          safetyBackup: earlier ? earlier.safetyBackup : ctx.safety,
          wasEmpty: earlier ? earlier.wasEmpty : plan.current.tables === 0,
          startedAt: (options.now?.() ?? new Date()).toISOString(),
          database: plan.database,
          ...restoreOwner(),
        });
        ctx.touched = true;
        ctx.counts = await loadArchive(options, plan.archive, directory, options.signal);
        stopIfAsked();
        const mismatch = compareCounts(manifest.tables, ctx.counts);
        if (mismatch.length > 0)
          throw new UserError('The restored database does not hold the rows the backup lists', { details: mismatch });
        await clearSchemaLockAfterRestore(options);
      },
    },
    {
      title: 'Migrate to the current schema',
      skip: () => (options.migrate === false ? 'not requested' : false),
      task: async (ctx) => {
        stopIfAsked();
        ctx.applied = await migrateAfterRestore(options);
        stopIfAsked();
      },
    },
    {
      // A session ended after the backup was taken (a logout, a password reset) is live again in
      // the restored rows: every session ends, and everyone logs in again.
      title: 'End every login session (everyone logs in again)',
      skip: () => (options.migrate === false ? 'not requested' : false),
      task: async (ctx) => {
        ctx.sessionsEnded = await endSessionsAfterRestore(options);
      },
    },
  ];
  const ctx: RestoreContext = { safety: null, earlier, touched: false, applied: [], sessionsEnded: null };
  try {
    await (options.runSteps ?? runStepsQuietly)(steps, ctx);
    clearRestoreMarker(options.config);
  } catch (error) {
    const interrupted = stopSignalOf(options.signal);
    if (!ctx.touched) {
      if (interrupted) {
        throw new InterruptedError(
          interrupted,
          `Restore interrupted by ${interrupted} before the database was touched; nothing was changed`,
          { cause: error, suggestion: earlier ? restoreAdvice(earlier) : undefined },
        );
      }
      throw error;
    }
    const before = earlier ? earlier.safetyBackup : ctx.safety;
    const wasEmpty = earlier ? earlier.wasEmpty : plan.current.tables === 0;
    const outcome = await putBack(options, before, wasEmpty, error, directory, interrupted);
    if (outcome.whole) clearRestoreMarker(options.config);
    throw outcome.error;
  } finally {
    await ctx.lock?.release();
  }
  return {
    file: plan.file,
    database: plan.database,
    // Finishing an interrupted restore: the backup of before is still that restore's.
    safetyBackup: earlier ? earlier.safetyBackup : ctx.safety,
    tables: Object.keys(ctx.counts ?? {}).length,
    rows: Object.values(ctx.counts ?? {}).reduce((a, b) => a + b, 0),
    migrationsApplied: ctx.applied,
    sessionsEnded: ctx.sessionsEnded,
    durationMs: Date.now() - started,
    backup: { site: manifest.site, kind: manifest.kind, createdAt: manifest.createdAt, shopdbVersion: manifest.shopdb.version },
  };
}

/**
 * `migrate`, here; or, when the database lives in the compose stack and cannot be reached from
 * here (its port is not published), inside the api container as `shopdb up` runs it (ADR-011).
 */
async function migrateAfterRestore(options: RestoreOptions): Promise<string[]> {
  const { migrateSite } = await import('../migrations/site.js');
  try {
    const catalog = options.sources ? undefined : await siteCatalog(options.config);
    const result = await migrateSite({ config: options.config, sources: options.sources, catalog, logger: options.logger });
    return result.sources.flatMap((source) => source.applied.map((name) => `${source.id}: ${name}`));
  } catch (error) {
    if (options.config.values.BACKUP_DUMP_VIA !== 'compose' || !(error instanceof DatabaseUnavailableError)) throw error;
  }
  const [{ ComposeRunner }, { composeProjectOf, shopdbInStack, stackCommandError }] = await Promise.all([
    import('../deploy/compose.js'),
    import('../deploy/stack.js'),
  ]);
  const runner = new ComposeRunner(composeProjectOf(options.config, options.processEnv ?? { PATH: options.path }));
  const result = await shopdbInStack(runner, ['migrate'], { env: { [FINISHING_RESTORE_ENV]: '1' } });
  if (!result.ok) throw stackCommandError('shopdb migrate', result);
  const sources = (result.json as { sources?: Array<{ id: string; applied: string[] }> } | undefined)?.sources ?? [];
  return sources.flatMap((source) => source.applied.map((name) => `${source.id}: ${name}`));
}

/** Ends the restored live sessions; null when the database lives in the compose stack out of reach (its api container restarts anyway). */
/**
 * A backup taken while a migrate or an update ran holds that run's schema lock row; in the
 * restored site nobody holds it, and left there it would make the next migrate wait for a ghost.
 */
async function clearSchemaLockAfterRestore(options: RestoreOptions): Promise<void> {
  const [{ withDatabase }, { clearRestoredSchemaLock }] = await Promise.all([
    import('../db/connect.js'),
    import('../migrations/schema-lock.js'),
  ]);
  try {
    await withDatabase(databaseTargetFromConfig(options.config), { logger: options.logger }, (db) => clearRestoredSchemaLock(db));
  } catch (error) {
    if (options.config.values.BACKUP_DUMP_VIA === 'compose' && error instanceof DatabaseUnavailableError) return;
    throw error;
  }
}

async function endSessionsAfterRestore(options: RestoreOptions): Promise<number | null> {
  const [{ withDatabase }, { endAllSessions }] = await Promise.all([import('../db/connect.js'), import('../auth/sessions.js')]);
  try {
    return await withDatabase(databaseTargetFromConfig(options.config), { logger: options.logger }, (db) => endAllSessions(db, 'restore'));
  } catch (error) {
    if (options.config.values.BACKUP_DUMP_VIA === 'compose' && error instanceof DatabaseUnavailableError) return null;
    throw error;
  }
}

/**
 * After a failed or interrupted restore: the safety backup goes back in (or a database that was
 * empty is emptied again), and the error says what happened. `whole`: the database is as it was.
 * Not interruptible itself: stopping half-way through the way back would leave nothing to stand on.
 */
async function putBack(
  env: BackupEnvironment,
  safety: string | null,
  wasEmpty: boolean,
  error: unknown,
  tempDir: string,
  interrupted: InterruptedError['signal'] | null,
): Promise<{ error: UserError; whole: boolean }> {
  const failure = asShopdbError(error);
  const target = describeTarget(databaseTargetFromConfig(env.config));
  // A dump refused on its way to the client is a refusal like the ones before anything was touched.
  const rejected = !interrupted && (failure instanceof DumpRejectedError || failure instanceof ArchiveError);
  const what = interrupted
    ? `Restore interrupted by ${interrupted}`
    : rejected
      ? `Refusing to restore: ${failure.message.replace(/\.$/, '')}`
      : `The restore failed: ${failure.message.replace(/\.$/, '')}`;
  const make = (message: string, suggestion?: string) =>
    interrupted
      ? new InterruptedError(interrupted, message, { suggestion, cause: error })
      : rejected
        ? new ArchiveError(message, { details: failure.details, suggestion: suggestion ?? failure.suggestion, cause: error })
        : new UserError(message, {
            details: failure.details,
            suggestion: suggestion ?? failure.suggestion ?? 'Fix the cause and run the restore again.',
            cause: error,
          });
  if (!safety) {
    if (wasEmpty) {
      try {
        await (await backupDriverFor(databaseTargetFromConfig(env.config).client)).clear(driverContextOf(env));
        return { error: make(`${what}. ${target} was empty before and is empty again`), whole: true };
      } catch {
        // fall through: say what may be left
      }
    }
    return { error: make(`${what}. ${target} may now hold part of the backup`, 'Fix the cause and run the restore again.'), whole: false };
  }
  try {
    const archive = await openArchive(safety);
    await loadArchive(env, archive, tempDir);
  } catch (putBackError) {
    return {
      error: make(
        `${what}, and putting back the safety backup failed too (${asShopdbError(putBackError).message}). ${target} may be incomplete`,
        `Restore the safety backup by hand: shopdb restore ${safety} --yes`,
      ),
      whole: false,
    };
  }
  return { error: make(`${what}. The database was put back as it was, from the safety backup ${basename(safety)}`), whole: true };
}

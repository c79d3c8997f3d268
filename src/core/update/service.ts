// `shopdb update`: pre-flight (the doctor checks tagged `update`) → a pre-update backup →
// migrate core and plugins → wait until the site is ready. Any failure after the backup puts the
// pre-update backup back, undoes the steps that know how (newest first), and says so plainly.
// The steps are a list that others extend: the compose stack inserts "pull the new image and
// restart" after the backup (with an undo that goes back to the previous image) — see
// `UpdateStepList.insertAfter` and `UpdateOptions.extendSteps`.

import { resolve } from 'node:path';
import { asShopdbError, InterruptedError, stopSignalOf, UserError } from '../errors.js';
import type { TaskStep } from '../tasks.js';
import { prepareDirectory, writeBackupArchive, type BackupEnvironment } from '../backup/create.js';
import { acquireBackupLock, type BackupLock } from '../backup/lock.js';
import { defaultKnownMigrationSources } from '../backup/known-migrations.js';
import { prepareRestore, restoreBackup } from '../backup/restore.js';
import { runStepsQuietly } from '../backup/steps.js';
import type { CheckTag, DoctorRegistry } from '../doctor/registry.js';
import type { MigrationSourceRegistry } from '../migrations/sources.js';

export interface UpdateContext {
  options: UpdateOptions;
  /** The backup-directory lock, held from the backup to the end (a nightly backup waits its turn). */
  lock?: BackupLock;
  /**
   * The site's schema lock, held from before the backup to the end: an update started on another
   * host at the same time waits for this one (then finds nothing to apply), instead of dumping a
   * schema this one is changing.
   */
  schemaLock?: { release(): Promise<void> };
  /** The pre-update backup, once taken: from here on a failure rolls back. */
  backup: string | null;
  applied: string[];
  /** Ids of the steps that finished, in order. */
  done: string[];
}

export interface UpdateStep {
  id: string;
  title: string;
  /** What --dry-run says this step would do. */
  plan(ctx: UpdateContext): Promise<string[]> | string[];
  run(ctx: UpdateContext, report: (line: string) => void): Promise<void>;
  /** Puts back what run() changed outside the database (which the pre-update backup restores). */
  undo?(ctx: UpdateContext, report: (line: string) => void): Promise<void>;
}

/** The ordered steps of an update; extensions insert theirs relative to the core ones. */
export class UpdateStepList {
  private readonly steps: UpdateStep[] = [];

  add(step: UpdateStep): this {
    if (this.steps.some((existing) => existing.id === step.id)) throw new Error(`Update step ${step.id} is added twice`);
    this.steps.push(step);
    return this;
  }

  insertAfter(id: string, step: UpdateStep): this {
    const at = this.steps.findIndex((existing) => existing.id === id);
    if (at < 0) throw new Error(`No update step ${id} to insert ${step.id} after`);
    this.steps.splice(at + 1, 0, step);
    return this;
  }

  list(): readonly UpdateStep[] {
    return this.steps;
  }
}

export interface ReadinessProbe {
  title: string;
  /** Resolves with null when ready, or with what is still missing. */
  check(ctx: UpdateContext): Promise<string | null>;
}

export interface UpdateOptions extends BackupEnvironment {
  /** Migration sources (tests pass fixtures); default: what `shopdb migrate` runs. */
  sources?: MigrationSourceRegistry;
  /** Seconds to wait for another run's migration lock. */
  waitSeconds?: number;
  /** How long the site may take to become ready after migrating. */
  readinessTimeoutMs?: number;
  /** Extra readiness probes (the compose stack: the API container answers /health). */
  readinessProbes?: ReadinessProbe[];
  /** Adds steps (e.g. the compose stack's image update) to the core list. */
  extendSteps?: (steps: UpdateStepList) => void;
  /** Doctor registry for the pre-flight (default: the core checks). */
  doctorRegistry?: DoctorRegistry;
  /** Aborted on SIGINT/SIGTERM/SIGHUP: the update stops before its next step and rolls back like a failure. */
  signal?: AbortSignal;
}

const UPDATE_TAG: CheckTag = 'update';

function backupDirectory(options: UpdateOptions): string {
  return resolve(options.config.baseDir, options.config.values.BACKUP_DIR);
}

/** A lock that cannot be released (the database went away) is reported, not thrown over the outcome. */
async function releaseSchemaLockOf(ctx: UpdateContext): Promise<void> {
  await ctx.schemaLock?.release().catch((error: unknown) => {
    ctx.options.warn?.(
      `The site's schema lock could not be released (${asShopdbError(error).message}); if a later migrate waits for it, run \`shopdb migrate unlock\`.`,
    );
  });
  ctx.schemaLock = undefined;
}

/** Opens a pool of its own for the lock (the steps open and close theirs) and keeps it until release. */
async function holdSchemaLock(options: UpdateOptions, report: (line: string) => void): Promise<{ release(): Promise<void> }> {
  const [{ databaseTargetFromConfig, openDatabase }, { acquireSchemaLock, readSchemaLock }] = await Promise.all([
    import('../db/connect.js'),
    import('../migrations/schema-lock.js'),
  ]);
  const db = await openDatabase(databaseTargetFromConfig(options.config), { logger: options.logger });
  try {
    const other = await readSchemaLock(db);
    if (other) report(`waiting for another run to finish changing the schema (${other.holder})`);
    const release = await acquireSchemaLock(db, 'update', { waitSeconds: options.waitSeconds });
    return {
      async release() {
        try {
          await release();
        } finally {
          await db.destroy();
        }
      },
    };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

async function pendingMigrations(options: UpdateOptions): Promise<Array<{ source: string; name: string }>> {
  const { siteMigrationStatus } = await import('../migrations/site.js');
  const status = await siteMigrationStatus({ config: options.config, sources: options.sources, logger: options.logger });
  return status.sources.flatMap((source) => source.pending.map((name) => ({ source: source.id, name })));
}

const databaseReady: ReadinessProbe = {
  title: 'database reachable and migrations current',
  async check(ctx) {
    const { siteMigrationStatus } = await import('../migrations/site.js');
    const status = await siteMigrationStatus({ config: ctx.options.config, sources: ctx.options.sources, logger: ctx.options.logger });
    if (status.upToDate) return null;
    const pending = status.sources.flatMap((s) => s.pending);
    const unknown = status.sources.flatMap((s) => s.unknown);
    return pending.length > 0 ? `${pending.length} migration(s) still pending` : `unknown migrations: ${unknown.join(', ')}`;
  },
};

/** The core steps: pre-flight, backup, migrate, readiness. */
export function coreUpdateSteps(): UpdateStepList {
  return new UpdateStepList()
    .add({
      id: 'preflight',
      title: 'Pre-flight checks (doctor --tag update)',
      plan: () => [
        'run the doctor checks tagged "update" (Node.js, configuration, database, backup tool, backup directory); stop if any fails',
      ],
      async run(ctx) {
        const { runDoctor } = await import('../doctor/index.js');
        const report = await runDoctor({
          loadConfig: () => ctx.options.config,
          tags: [UPDATE_TAG],
          path: ctx.options.path,
          logger: ctx.options.logger,
          registry: ctx.options.doctorRegistry,
        });
        const failed = report.checks.filter((check) => check.status === 'fail');
        if (failed.length > 0) {
          throw new UserError(`${failed.length} pre-flight check${failed.length === 1 ? '' : 's'} failed; nothing was changed`, {
            details: failed.map(
              (check) => `${check.title}: ${check.message.split('\n').join(' ')}${check.suggestion ? ` — ${check.suggestion}` : ''}`,
            ),
            suggestion: 'Fix them (`shopdb doctor --tag update` shows the details), then run `shopdb update` again.',
          });
        }
      },
    })
    .add({
      id: 'backup',
      title: 'Back up the database (pre-update)',
      plan: (ctx) => [`write a pre-update backup to ${backupDirectory(ctx.options)}; on any later failure it is restored`],
      async run(ctx, report) {
        const directory = backupDirectory(ctx.options);
        await prepareDirectory(directory);
        ctx.lock = await acquireBackupLock(directory, 'update');
        ctx.schemaLock = await holdSchemaLock(ctx.options, report);
        ctx.backup = (await writeBackupArchive(ctx.options, directory, 'pre-update', report)).file;
      },
    })
    .add({
      id: 'migrate',
      title: 'Migrate core and plugins',
      async plan(ctx) {
        const pending = await pendingMigrations(ctx.options);
        return pending.length === 0 ? ['no pending migrations'] : pending.map((m) => `apply ${m.source}: ${m.name}`);
      },
      async run(ctx, report) {
        const { migrateSite } = await import('../migrations/site.js');
        const result = await migrateSite({
          config: ctx.options.config,
          sources: ctx.options.sources,
          logger: ctx.options.logger,
          waitSeconds: ctx.options.waitSeconds,
          onSource: (source) => report(`migrating ${source.label}`),
          schemaLockHeld: ctx.schemaLock !== undefined,
        });
        ctx.applied = result.sources.flatMap((source) => source.applied.map((name) => `${source.id}: ${name}`));
      },
    })
    .add({
      id: 'ready',
      title: 'Wait until the site is ready',
      plan: (ctx) => [
        `wait up to ${Math.round((ctx.options.readinessTimeoutMs ?? 60_000) / 1000)}s for: ${[databaseReady, ...(ctx.options.readinessProbes ?? [])].map((p) => p.title).join('; ')}`,
      ],
      async run(ctx, report) {
        const probes = [databaseReady, ...(ctx.options.readinessProbes ?? [])];
        const deadline = Date.now() + (ctx.options.readinessTimeoutMs ?? 60_000);
        for (;;) {
          const missing: string[] = [];
          for (const probe of probes) {
            const problem = await probe.check(ctx).catch((error: unknown) => asShopdbError(error).message);
            if (problem) missing.push(`${probe.title}: ${problem}`);
          }
          if (missing.length === 0) return;
          if (Date.now() > deadline) throw new UserError('The site did not become ready after the update', { details: missing });
          report(missing[0]!);
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      },
    });
}

function stepList(options: UpdateOptions): readonly UpdateStep[] {
  const list = coreUpdateSteps();
  options.extendSteps?.(list);
  return list.list();
}

export interface UpdateStepReport {
  id: string;
  title: string;
  status: 'planned' | 'done';
  detail: string[];
}

export interface UpdateResult {
  dryRun: boolean;
  steps: UpdateStepReport[];
  /** Pending before the update (what --dry-run would apply). */
  pendingMigrations: Array<{ source: string; name: string }>;
  applied: string[];
  backup: string | null;
  durationMs: number;
}

/** --dry-run: the steps and the pending migrations; changes nothing. */
export async function planUpdate(options: UpdateOptions): Promise<UpdateResult> {
  const started = Date.now();
  const ctx: UpdateContext = { options, backup: null, applied: [], done: [] };
  const steps: UpdateStepReport[] = [];
  for (const step of stepList(options)) steps.push({ id: step.id, title: step.title, status: 'planned', detail: await step.plan(ctx) });
  return {
    dryRun: true,
    steps,
    pendingMigrations: await pendingMigrations(options),
    applied: [],
    backup: null,
    durationMs: Date.now() - started,
  };
}

export async function runUpdate(options: UpdateOptions): Promise<UpdateResult> {
  const started = Date.now();
  const runSteps = options.runSteps ?? runStepsQuietly;
  const pending = await pendingMigrations(options);
  const ctx: UpdateContext = { options, backup: null, applied: [], done: [] };
  const steps = stepList(options);
  const details = new Map<string, string[]>();
  const tasks: Array<TaskStep<UpdateContext>> = steps.map((step) => ({
    title: step.title,
    task: async (context, report) => {
      // Between steps: once the run was asked to stop, the next step does not start.
      options.signal?.throwIfAborted();
      const lines: string[] = [];
      details.set(step.id, lines);
      await step.run(context, (line) => (lines.push(line), report(line)));
      context.done.push(step.id);
      options.signal?.throwIfAborted();
    },
  }));
  try {
    await runSteps(tasks, ctx);
  } catch (error) {
    try {
      const interrupted = stopSignalOf(options.signal);
      if (ctx.backup === null) {
        if (interrupted)
          throw new InterruptedError(
            interrupted,
            `Update interrupted by ${interrupted} before the pre-update backup; nothing was changed`,
            { cause: error },
          );
        throw error;
      }
      const rolledBack = await rollBack(ctx, steps, error);
      // Interrupted: the same account of what was put back, with the exit code of an interruption.
      if (interrupted)
        throw new InterruptedError(interrupted, rolledBack.message, {
          details: rolledBack.details,
          suggestion: 'Run `shopdb update` again when you are ready.',
          cause: error,
        });
      throw rolledBack;
    } finally {
      await releaseSchemaLockOf(ctx);
      await ctx.lock?.release();
    }
  }
  await releaseSchemaLockOf(ctx);
  await ctx.lock?.release();
  return {
    dryRun: false,
    steps: steps.map((step) => ({ id: step.id, title: step.title, status: 'done', detail: details.get(step.id) ?? [] })),
    pendingMigrations: pending,
    applied: ctx.applied,
    backup: ctx.backup,
    durationMs: Date.now() - started,
  };
}

/** Restores the pre-update backup, then undoes the finished steps newest first; returns the error to show. */
async function rollBack(ctx: UpdateContext, steps: readonly UpdateStep[], cause: unknown): Promise<UserError> {
  const failure = asShopdbError(cause);
  const failedStep = steps.find((step) => !ctx.done.includes(step.id));
  const where = failedStep ? `at "${failedStep.title}"` : '';
  const backup = ctx.backup!;
  const options = ctx.options;
  const undone: string[] = [];
  const undoProblems: string[] = [];
  const rollbackSteps: Array<TaskStep<UpdateContext>> = [
    {
      title: `Restore the pre-update backup ${backup}`,
      task: async () => {
        // The backup was just taken by this shopdb: every source the site or the test passes is known.
        const knownSources = [...(await defaultKnownMigrationSources(options.config)), ...(options.sources?.list() ?? [])];
        const plan = await prepareRestore({ ...options, file: backup, knownSources });
        // Not interruptible: the way back must run to its end.
        await restoreBackup(plan, {
          ...options,
          signal: undefined,
          runSteps: undefined,
          safetyBackup: false,
          migrate: false,
          lockHeld: true,
        });
      },
    },
    ...steps
      .filter((step) => step.undo && ctx.done.includes(step.id))
      .reverse()
      .map((step) => ({
        title: `Undo: ${step.title}`,
        task: async (context: UpdateContext, report: (line: string) => void) => {
          try {
            await step.undo!(context, report);
            undone.push(step.title);
          } catch (error) {
            undoProblems.push(`${step.title}: ${asShopdbError(error).message}`);
          }
        },
      })),
  ];
  try {
    await (options.runSteps ?? runStepsQuietly)(rollbackSteps, ctx);
  } catch (restoreError) {
    return new UserError(
      `The update failed ${where}: ${failure.message}. Restoring the pre-update backup failed too: ${asShopdbError(restoreError).message}`,
      {
        details: failure.details,
        suggestion: `The database may be half-migrated. Restore the pre-update backup by hand: shopdb restore ${backup} --yes`,
        cause,
      },
    );
  }
  const undoText = undone.length > 0 ? ` Undone: ${undone.join('; ')}.` : '';
  return new UserError(
    `The update failed ${where}: ${failure.message}. The database was restored from the pre-update backup ${backup}, so the site is as it was before the update.${undoText}`,
    {
      details: [...failure.details, ...undoProblems.map((p) => `undo failed — ${p}`)],
      suggestion: failure.suggestion ?? 'Fix the cause (see the error above), then run `shopdb update` again.',
      cause,
    },
  );
}

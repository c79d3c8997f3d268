// The stack operations behind `shopdb up | down | status | logs`. Each takes a ComposeRunner (the
// site's compose project) and a typed options object; the commands only parse flags and render.

import type { MigrateResult, SiteMigrationStatus } from '../migrations/site.js';
import type { TaskStep } from '../tasks.js';
import type { ComposeRunner, DockerVersions } from './compose.js';
import { API_SERVICE, listServices, shopdbInStack, stackCommandError, waitForServices, type ServiceState } from './stack.js';

export { ComposeRunner } from './compose.js';
export { composeProjectOf, type ServiceState } from './stack.js';

// ── up ────────────────────────────────────────────────────────────────────────────────────

export interface UpOptions {
  runner: ComposeRunner;
  timeoutSeconds: number;
  migrate: boolean;
  build: boolean;
  pollMs?: number;
}

export interface UpContext {
  versions?: DockerVersions;
  services: ServiceState[];
  migrate: MigrateResult | null;
}

export function upSteps(options: UpOptions): TaskStep<UpContext>[] {
  const { runner } = options;
  const wait = (runningIsEnough: string[], report: (line: string) => void) =>
    waitForServices(runner, { timeoutSeconds: options.timeoutSeconds, runningIsEnough, pollMs: options.pollMs, report });
  return [
    {
      title: 'Check docker, the compose plugin and the daemon',
      task: async (ctx, report) => {
        ctx.versions = await runner.preflight();
        report(`compose ${ctx.versions.compose}, engine ${ctx.versions.server}`);
      },
    },
    {
      title: options.build
        ? 'Build the image and start the stack (docker compose up -d --build)'
        : 'Start the stack (docker compose up -d)',
      task: async (_ctx, report) => {
        report('the first start builds the image and pulls MySQL: this can take a few minutes');
        await runner.compose(['up', '--detach', ...(options.build ? ['--build'] : [])]);
      },
    },
    {
      // The api's health check is the readiness endpoint, which fails until the schema is current:
      // it only has to run before the migrations.
      title: 'Wait for the database to be healthy',
      task: async (ctx, report) => {
        ctx.services = await wait(options.migrate ? [API_SERVICE] : [], report);
      },
      skip: () => (options.migrate ? false : 'waiting for every service in the last step'),
    },
    {
      title: 'Apply migrations in the api container (shopdb migrate)',
      skip: () => (options.migrate ? false : '--no-migrate'),
      task: async (ctx, report) => {
        const result = await shopdbInStack(runner, ['migrate']);
        if (!result.ok) throw stackCommandError('shopdb migrate', result);
        ctx.migrate = result.json as MigrateResult;
        report(`${ctx.migrate.appliedCount ?? 0} migration(s) applied`);
      },
    },
    {
      // Without migrations the api may rightly stay unready (pending migrations): it must run.
      title: options.migrate ? 'Wait for every service to be healthy' : 'Wait for the database to be healthy and the api to run',
      task: async (ctx, report) => {
        ctx.services = await wait(options.migrate ? [] : [API_SERVICE], report);
      },
    },
  ];
}

// ── down ──────────────────────────────────────────────────────────────────────────────────

export interface DownResult {
  stopped: boolean;
  volumesRemoved: boolean;
}

/** Stops and removes the containers; the data and backups volumes only when `volumes` is true. */
export async function stackDown(runner: ComposeRunner, options: { volumes: boolean }): Promise<DownResult> {
  await runner.compose(['down', ...(options.volumes ? ['--volumes'] : [])]);
  return { stopped: true, volumesRemoved: options.volumes };
}

// ── status ────────────────────────────────────────────────────────────────────────────────

export interface MigrationState {
  state: 'current' | 'pending' | 'unknown';
  pending: number | null;
  reason: string | null;
}

export interface BackupState {
  state: 'found' | 'none' | 'unknown';
  file: string | null;
  createdAt: string | null;
  ageSeconds: number | null;
  reason: string | null;
}

export interface StackStatus {
  directory: string;
  compose: string;
  engine: string;
  services: ServiceState[];
  /** Every service runs and passes its health check. */
  healthy: boolean;
  migrations: MigrationState;
  lastBackup: BackupState;
}

export async function stackStatus(runner: ComposeRunner, options: { now?: () => number } = {}): Promise<StackStatus> {
  const versions = await runner.preflight();
  const services = await listServices(runner);
  const api = services.find((s) => s.service === API_SERVICE);
  const apiRunning = api?.state === 'running';
  const notRunning = api ? `the api container is ${api.state}` : 'the stack is not started (`shopdb up`)';
  return {
    directory: runner.project.directory,
    compose: versions.compose,
    engine: versions.server,
    services,
    healthy: services.length > 0 && services.every((s) => s.state === 'running' && (s.health === '' || s.health === 'healthy')),
    migrations: apiRunning ? await migrationState(runner) : { state: 'unknown', pending: null, reason: notRunning },
    lastBackup: apiRunning ? await backupState(runner, (options.now ?? Date.now)()) : unknownBackup(notRunning),
  };
}

async function migrationState(runner: ComposeRunner): Promise<MigrationState> {
  const result = await shopdbInStack(runner, ['migrate', 'status'], { timeoutMs: 60_000 });
  const status = result.json as Partial<SiteMigrationStatus> | undefined;
  if (!result.ok || !status || !Array.isArray(status.sources))
    return { state: 'unknown', pending: null, reason: stackCommandError('shopdb migrate status', result).message };
  const pending = status.sources.reduce((n, source) => n + (source.pending?.length ?? 0), 0);
  return {
    state: status.upToDate ? 'current' : 'pending',
    pending,
    reason: status.upToDate ? null : 'run `shopdb up` (or `docker compose exec api shopdb migrate`)',
  };
}

const unknownBackup = (reason: string): BackupState => ({ state: 'unknown', file: null, createdAt: null, ageSeconds: null, reason });

/** Reads `shopdb backup list --json` in the api container; any shape with a list of dated files will do. */
async function backupState(runner: ComposeRunner, now: number): Promise<BackupState> {
  const result = await shopdbInStack(runner, ['backup', 'list'], { timeoutMs: 60_000 });
  if (!result.ok) {
    const inner = (result.json as { error?: { message?: string } } | undefined)?.error?.message ?? '';
    if (/is not a shopdb command/.test(inner)) return unknownBackup('this image has no `shopdb backup list` (older shopdb)');
    return unknownBackup(stackCommandError('shopdb backup list', result).message);
  }
  const newest = newestBackup(result.json);
  if (newest === undefined) return unknownBackup('`shopdb backup list --json` printed no list of backups shopdb status can read');
  if (newest === null)
    return {
      state: 'none',
      file: null,
      createdAt: null,
      ageSeconds: null,
      reason: 'no backup yet: `docker compose exec api shopdb backup`',
    };
  return {
    state: 'found',
    file: newest.file,
    createdAt: newest.createdAt,
    ageSeconds: Math.max(0, Math.round((now - Date.parse(newest.createdAt)) / 1000)),
    reason: null,
  };
}

const FILE_KEYS = ['file', 'path', 'name', 'filename'];
const TIME_KEYS = ['createdAt', 'created', 'finishedAt', 'startedAt', 'time', 'mtime', 'date'];

/** The newest entry of a backup list; null for an empty list, undefined when there is no list. */
export function newestBackup(json: unknown): { file: string; createdAt: string } | null | undefined {
  const list = Array.isArray(json)
    ? json
    : Array.isArray((json as { backups?: unknown })?.backups)
      ? (json as { backups: unknown[] }).backups
      : undefined;
  if (!list) return undefined;
  const dated = list
    .map((entry) => {
      const record = (entry ?? {}) as Record<string, unknown>;
      const file = FILE_KEYS.map((key) => record[key]).find((value) => typeof value === 'string') as string | undefined;
      const time = TIME_KEYS.map((key) => record[key]).find((value) => typeof value === 'string' && !Number.isNaN(Date.parse(value))) as
        string | undefined;
      return file && time ? { file, createdAt: new Date(time).toISOString() } : undefined;
    })
    .filter((entry): entry is { file: string; createdAt: string } => entry !== undefined);
  if (dated.length === 0) return list.length === 0 ? null : undefined;
  return dated.reduce((a, b) => (Date.parse(b.createdAt) > Date.parse(a.createdAt) ? b : a));
}

// ── logs ──────────────────────────────────────────────────────────────────────────────────

export interface LogsOptions {
  service?: string;
  follow: boolean;
  since?: string;
  tail?: number;
  /** Return the lines (for --json) instead of passing docker's output straight through. */
  capture: boolean;
}

export interface LogsResult {
  service: string | null;
  lines: string[];
}

export async function stackLogs(runner: ComposeRunner, options: LogsOptions): Promise<LogsResult> {
  const args = ['logs', '--no-color'];
  if (options.follow) args.push('--follow');
  if (options.since) args.push('--since', options.since);
  if (options.tail !== undefined) args.push('--tail', String(options.tail));
  if (options.service) args.push(options.service);
  const result = await runner.compose(args, { inherit: !options.capture });
  return { service: options.service ?? null, lines: options.capture ? result.stdout.split('\n').filter((line) => line !== '') : [] };
}

// A site's compose stack as shopdb sees it: which services run and how healthy they are (from
// `docker compose ps --format json`), waiting for them, and running shopdb itself inside the api
// container (`docker compose exec -T api shopdb … --json`), which is how migrations, backups and
// restores reach the stack's database from the host (docs/adr/ADR-011).

import type { LoadedConfig } from '../config/index.js';
import { ExitCode, ServiceUnhealthyError, StackCommandError, UsageError, type ExitCodeValue } from '../errors.js';
import { ComposeRunner, type ComposeProject } from './compose.js';

/** The service that runs shopdb; the compose file names it so. */
export const API_SERVICE = 'api';

export interface ServiceState {
  service: string;
  container: string;
  /** created, running, restarting, exited, dead, paused … */
  state: string;
  /** healthy, unhealthy, starting, or '' when the service has no health check. */
  health: string;
  image: string;
  /** Docker's own words, e.g. "Up 2 minutes (healthy)". */
  status: string;
  exitCode: number | null;
  ports: string[];
}

/** The site's stack: the folder of its .env, where docker-compose.yml must be. */
export function composeProjectOf(config: LoadedConfig, env: Readonly<Record<string, string | undefined>>): ComposeProject {
  if (!config.envFileFound) {
    throw new UsageError(`There is no site .env at ${config.envFile}`, {
      suggestion:
        'Create it first: `shopdb init --db mysql --db-password-stdin` in the shopdb checkout (docs/DEPLOY.md), or pass --env-file.',
    });
  }
  const composeFile = env.COMPOSE_FILE || config.values.COMPOSE_FILE;
  return { directory: config.baseDir, envFile: config.envFile, env: composeFile ? { ...env, COMPOSE_FILE: composeFile } : env };
}

interface PsRow {
  Service?: string;
  Name?: string;
  State?: string;
  Health?: string;
  Image?: string;
  Status?: string;
  ExitCode?: number;
  Publishers?: Array<{ URL?: string; PublishedPort?: number; TargetPort?: number; Protocol?: string }> | null;
}

/** Compose prints one JSON object per line; versions before 2.21 printed one JSON array. */
export function parsePs(stdout: string): ServiceState[] {
  const text = stdout.trim();
  if (!text) return [];
  const rows: PsRow[] = text.startsWith('[')
    ? (JSON.parse(text) as PsRow[])
    : text
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as PsRow);
  return rows
    .map((row) => ({
      service: row.Service ?? row.Name ?? '?',
      container: row.Name ?? '',
      state: (row.State ?? '').toLowerCase(),
      health: (row.Health ?? '').toLowerCase(),
      image: row.Image ?? '',
      status: row.Status ?? '',
      exitCode: typeof row.ExitCode === 'number' ? row.ExitCode : null,
      ports: (row.Publishers ?? [])
        .filter((p) => p.PublishedPort)
        .map((p) => `${p.URL ?? '0.0.0.0'}:${p.PublishedPort}->${p.TargetPort}/${p.Protocol ?? 'tcp'}`),
    }))
    .sort((a, b) => a.service.localeCompare(b.service));
}

export async function listServices(runner: ComposeRunner): Promise<ServiceState[]> {
  const { stdout } = await runner.compose(['ps', '--all', '--format', 'json']);
  try {
    return parsePs(stdout);
  } catch (error) {
    throw new UsageError('`docker compose ps --format json` printed something shopdb cannot read', {
      suggestion: 'Update the compose plugin to 2.x (`docker compose version`).',
      cause: error,
    });
  }
}

export const isHealthy = (s: ServiceState): boolean => s.state === 'running' && (s.health === '' || s.health === 'healthy');

export interface WaitOptions {
  timeoutSeconds: number;
  /** Services that only need to run, not pass their health check yet (the api before its migrations). */
  runningIsEnough?: readonly string[];
  pollMs?: number;
  report?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `ps` until every service is up; stops at once when one has exited, else at the timeout. */
export async function waitForServices(runner: ComposeRunner, options: WaitOptions): Promise<ServiceState[]> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const deadline = now() + options.timeoutSeconds * 1000;
  const enough = new Set(options.runningIsEnough ?? []);
  for (;;) {
    const services = await listServices(runner);
    const stopped = services.filter((s) => s.state === 'exited' || s.state === 'dead');
    if (stopped.length > 0) {
      throw new ServiceUnhealthyError(
        `${stopped.map((s) => `${s.service} stopped${s.exitCode === null ? '' : ` with exit code ${s.exitCode}`}`).join(', ')}`,
        {
          suggestion: `See why with \`shopdb logs ${stopped[0]!.service}\`, fix it, then \`shopdb up\` again.`,
          details: stopped.map((s) => `${s.service}: ${s.status}`),
        },
      );
    }
    const waiting = services.filter((s) => !(enough.has(s.service) ? s.state === 'running' : isHealthy(s)));
    if (services.length > 0 && waiting.length === 0) return services;
    const what = services.length === 0 ? ['no containers yet'] : waiting.map((s) => `${s.service} ${s.health || s.state}`);
    options.report?.(`waiting for ${what.join(', ')}`);
    const left = deadline - now();
    if (left <= 0) throw await unhealthyError(runner, waiting, options.timeoutSeconds);
    await sleep(Math.min(options.pollMs ?? 2000, left));
  }
}

async function unhealthyError(runner: ComposeRunner, waiting: ServiceState[], timeoutSeconds: number): Promise<ServiceUnhealthyError> {
  const details: string[] = [];
  for (const s of waiting) {
    details.push(`${s.service}: ${s.status || s.state}`);
    if (!s.container) continue;
    const inspect = await runner.dockerCommand(['inspect', '--format', '{{json .State.Health}}', s.container]);
    const probe = lastProbe(inspect.exitCode === 0 ? inspect.stdout : '');
    if (probe) details.push(`${s.service} health check said: ${probe}`);
  }
  const names = waiting.map((s) => s.service);
  return new ServiceUnhealthyError(`${names.join(' and ') || 'The stack'} did not become healthy within ${timeoutSeconds} s`, {
    suggestion: names.includes('db')
      ? 'A first start of MySQL takes a minute or more: wait, or raise --timeout. Otherwise see `shopdb logs db`.'
      : `See \`shopdb logs ${names[0] ?? API_SERVICE}\` and \`shopdb status\`; raise --timeout if it is only slow.`,
    details,
  });
}

function lastProbe(healthJson: string): string | undefined {
  try {
    const health = JSON.parse(healthJson) as { Log?: Array<{ Output?: string }> } | null;
    return health?.Log?.at(-1)?.Output?.trim().split('\n')[0];
  } catch {
    return undefined;
  }
}

export interface StackCommandResult {
  ok: boolean;
  exitCode: number;
  /** The command's --json document (its result, or `{error}`), when it printed one. */
  json: unknown;
  stderr: string;
}

/** `docker compose exec -T api shopdb <argv> --json`: shopdb inside the stack, on its database. */
export async function shopdbInStack(
  runner: ComposeRunner,
  argv: string[],
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<StackCommandResult> {
  const env = Object.entries(options.env ?? {}).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
  const result = await runner.composeAllowFailure(['exec', '-T', ...env, API_SERVICE, 'shopdb', ...argv, '--json'], {
    timeoutMs: options.timeoutMs,
  });
  let json: unknown;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    json = undefined;
  }
  return { ok: result.exitCode === 0, exitCode: result.exitCode, json, stderr: result.stderr };
}

/** The error of a failed `shopdbInStack`, keeping the inner command's code and exit code. */
export function stackCommandError(what: string, result: StackCommandResult): StackCommandError {
  const inner = (
    result.json as
      { error?: { code?: string; message?: string; suggestion?: string | null; details?: string[]; exitCode?: number } } | undefined
  )?.error;
  if (inner?.message) {
    return new StackCommandError(
      inner.code ?? 'STACK_COMMAND_FAILED',
      validExitCode(inner.exitCode ?? result.exitCode),
      `${what} failed in the api container: ${inner.message}`,
      {
        suggestion: inner.suggestion ?? undefined,
        details: inner.details ?? [],
      },
    );
  }
  const notRunning = /is not running|no container found|service "?api"? is not running/i.test(result.stderr);
  return new StackCommandError(
    'STACK_COMMAND_FAILED',
    ExitCode.FAILED,
    `${what} failed in the api container (exit code ${result.exitCode})`,
    {
      suggestion: notRunning
        ? 'The api container is not running: `shopdb up` starts it.'
        : 'See `shopdb logs api`, and run again with --verbose.',
      details: result.stderr.split('\n').filter(Boolean).slice(-3),
    },
  );
}

function validExitCode(code: number): ExitCodeValue {
  return (Object.values(ExitCode) as number[]).includes(code) ? (code as ExitCodeValue) : ExitCode.FAILED;
}

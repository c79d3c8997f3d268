// The one error hierarchy of shopdb. Core code throws these; only the CLI's base command
// (and later the HTTP error handler) renders them. Each carries the exit code it maps to.

import { clusterUnavailableReason } from './db/cluster.js';

/** The documented exit codes (README "Exit codes"). Changing one is a breaking change. */
export const ExitCode = {
  /** Everything worked. */
  OK: 0,
  /** The operation failed (a check failed, a child process failed, a bug). */
  FAILED: 1,
  /** Usage or configuration error: a bad flag, a bad .env, a missing input. Nothing was changed. */
  USAGE: 2,
  /** The database could not be reached (refused, access denied, unknown database). */
  DATABASE_UNAVAILABLE: 3,
  /** Another shopdb run holds the lock (migrations, later backups). Try again later. */
  LOCKED: 5,
  /** Stopped by SIGHUP (the terminal went away); what was started was cleaned up. */
  HANGUP: 129,
  /** Interrupted by the user (Ctrl-C, at a prompt or while working); what was started was cleaned up. */
  INTERRUPTED: 130,
  /** Stopped by SIGTERM (systemd, `kill`, `docker stop`); what was started was cleaned up. */
  TERMINATED: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ShopdbErrorOptions {
  /** What the user can do about it, one or two sentences. */
  suggestion?: string;
  /** Extra lines (one per problem) shown under the message. */
  details?: string[];
  cause?: unknown;
}

/** Base class: a message, a stable machine-readable code, an exit code and a suggestion. */
export abstract class ShopdbError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: ExitCodeValue;
  readonly suggestion?: string;
  readonly details: string[];

  constructor(message: string, options: ShopdbErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.suggestion = options.suggestion;
    this.details = options.details ?? [];
  }

  /** The shape printed by `--json` and, later, sent by the API. Never includes a stack. */
  toJSON(): { code: string; message: string; suggestion: string | null; details: string[]; exitCode: number } {
    return {
      code: this.code,
      message: this.message,
      suggestion: this.suggestion ?? null,
      details: this.details,
      exitCode: this.exitCode,
    };
  }
}

/** Something the user can fix: bad input, a refused operation. */
export class UserError extends ShopdbError {
  readonly code: string = 'USER_ERROR';
  readonly exitCode: ExitCodeValue = ExitCode.FAILED;
}

/** A flag, argument or missing input problem. */
export class UsageError extends UserError {
  override readonly code: string = 'USAGE';
  override readonly exitCode: ExitCodeValue = ExitCode.USAGE;
}

/** One problem found in the configuration, tied to the variable that causes it. */
export interface ConfigProblem {
  variable: string;
  problem: string;
  fix: string;
}

/** The configuration is invalid; every problem is reported at once. */
export class ConfigError extends UserError {
  override readonly code: string = 'CONFIG_INVALID';
  override readonly exitCode: ExitCodeValue = ExitCode.USAGE;
  readonly problems: ConfigProblem[];

  constructor(message: string, problems: ConfigProblem[], options: ShopdbErrorOptions = {}) {
    super(message, {
      ...options,
      details: problems.map((p) => `${p.variable}: ${p.problem} — ${p.fix}`),
    });
    this.problems = problems;
  }
}

/** The database refused us or is not there. */
export class DatabaseUnavailableError extends UserError {
  override readonly code: string = 'DATABASE_UNAVAILABLE';
  override readonly exitCode: ExitCodeValue = ExitCode.DATABASE_UNAVAILABLE;
}

/** Another run holds a lock we need. */
export class LockedError extends UserError {
  override readonly code: string = 'LOCKED';
  override readonly exitCode: ExitCodeValue = ExitCode.LOCKED;
}

/** A record that does not exist (or is soft-deleted). HTTP 404. */
export class NotFoundError extends UserError {
  override readonly code: string = 'NOT_FOUND';
  readonly httpStatus = 404;
}

/**
 * For `.catch` on a lookup of something a request refers to: a NotFoundError becomes
 * `replacement()` (a reference to nothing is the caller's mistake); any other error, a deadlock
 * to retry above all, goes on as it is.
 */
export function notFoundAs(replacement: () => Error): (error: unknown) => never {
  return (error) => {
    throw error instanceof NotFoundError ? replacement() : error;
  };
}

/** The request clashes with existing data (a duplicate asset tag, a link cycle). HTTP 409. */
export class ConflictError extends UserError {
  override readonly code: string = 'CONFLICT';
  readonly httpStatus = 409;
}

/** Input that breaks a rule the schema cannot express; `fields` names each bad field. HTTP 400. */
export class ValidationError extends UserError {
  override readonly code: string = 'VALIDATION_FAILED';
  override readonly exitCode: ExitCodeValue = ExitCode.USAGE;
  readonly httpStatus = 400;
  readonly fields: Record<string, string>;

  constructor(message: string, fields: Record<string, string>, options: ShopdbErrorOptions = {}) {
    super(message, { ...options, details: options.details ?? Object.entries(fields).map(([field, problem]) => `${field}: ${problem}`) });
    this.fields = fields;
  }
}

/**
 * A write kept colliding with concurrent writes (deadlocks, lock waits, a cluster's certification
 * failures) after every retry. Nothing was written; the same request can simply be sent again.
 * HTTP 503 with Retry-After.
 */
export class DatabaseBusyError extends UserError {
  override readonly code: string = 'DATABASE_BUSY';
  override readonly exitCode: ExitCodeValue = ExitCode.LOCKED;
  readonly httpStatus = 503;
}

/** Not allowed for this user or token. HTTP 403. */
export class ForbiddenError extends UserError {
  override readonly code: string = 'FORBIDDEN';
  readonly httpStatus = 403;
}

/** The user cancelled (Ctrl-C at a prompt). */
export class CancelledError extends UserError {
  override readonly code: string = 'CANCELLED';
  override readonly exitCode: ExitCodeValue = ExitCode.INTERRUPTED;
}

/** A signal stopped the run (SIGINT, SIGTERM, SIGHUP); exits 128 + the signal's number, like a shell. */
export class InterruptedError extends UserError {
  override readonly code: string = 'INTERRUPTED';
  override readonly exitCode: ExitCodeValue;
  readonly signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP';

  constructor(signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP', message: string, options: ShopdbErrorOptions = {}) {
    super(message, options);
    this.signal = signal;
    this.exitCode = signal === 'SIGINT' ? ExitCode.INTERRUPTED : signal === 'SIGTERM' ? ExitCode.TERMINATED : ExitCode.HANGUP;
  }
}

/** The signal that stopped a run, when its AbortSignal was aborted by one (see src/cli/signals.ts). */
export function stopSignalOf(signal: AbortSignal | undefined): InterruptedError['signal'] | null {
  if (!signal?.aborted) return null;
  return signal.reason instanceof InterruptedError ? signal.reason.signal : 'SIGINT';
}

/** A child process (mysqldump, docker, …) failed. stderr is shown under --verbose only. */
export class ExternalError extends ShopdbError {
  readonly code = 'EXTERNAL_COMMAND_FAILED';
  readonly exitCode: ExitCodeValue = ExitCode.FAILED;
  readonly command: string;
  readonly childExitCode: number | undefined;
  readonly stderr: string;

  constructor(message: string, command: string, childExitCode: number | undefined, stderr: string, options: ShopdbErrorOptions = {}) {
    super(message, options);
    this.command = command;
    this.childExitCode = childExitCode;
    this.stderr = stderr;
  }
}

/** What `shopdb up | down | status | logs` found missing: the docker CLI, its compose plugin, or a reachable daemon. */
export type DockerProblem = 'DOCKER_MISSING' | 'COMPOSE_MISSING' | 'DOCKER_DAEMON_UNREACHABLE';

/** Docker cannot be driven at all; the suggestion names what to install or start. */
export class DockerUnavailableError extends UserError {
  override readonly code: DockerProblem;

  constructor(code: DockerProblem, message: string, options: ShopdbErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }
}

/** A service of the compose stack did not become healthy in time (or stopped). */
export class ServiceUnhealthyError extends UserError {
  override readonly code: string = 'SERVICE_UNHEALTHY';
}

/**
 * A shopdb command run inside the stack (`docker compose exec api shopdb …`) failed: carries that
 * command's own error code and exit code, so `shopdb up` stops with 5 when the migration lock is held.
 */
export class StackCommandError extends ShopdbError {
  readonly code: string;
  readonly exitCode: ExitCodeValue;

  constructor(code: string, exitCode: ExitCodeValue, message: string, options: ShopdbErrorOptions = {}) {
    super(message, options);
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Our fault. The message asks the user to report it. */
export class BugError extends ShopdbError {
  readonly code = 'BUG';
  readonly exitCode: ExitCodeValue = ExitCode.FAILED;
}

/** Wraps anything thrown into a ShopdbError so renderers handle one type. */
export function asShopdbError(error: unknown): ShopdbError {
  if (error instanceof ShopdbError) return error;
  const clusterReason = clusterUnavailableReason(error);
  if (clusterReason !== null) {
    return new DatabaseUnavailableError(`The database is unavailable: ${clusterReason}`, {
      suggestion:
        "Point DB_HOST at a node that is synced with its cluster (`shopdb doctor` shows the node's state), or wait until this one rejoins.",
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new BugError(`Unexpected error: ${message}`, {
    suggestion: 'Run again with --verbose to see the stack trace, and report it to the shopdb maintainers.',
    cause: error,
  });
}

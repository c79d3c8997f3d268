// File operations on paths a user typed (--out, --copy-to, BACKUP_DIR, BACKUP_COPY_TO), made so
// they cannot hang a nightly backup: a folder is created one component at a time (Node's
// recursive mkdir loops forever at full CPU where mkdir answers ENOENT under an existing parent,
// as in /proc or /sys), and every operation that can block on a dead network mount gets a
// deadline. A deadline cannot cancel the blocked system call; it lets shopdb say so and stop.

import { randomBytes } from 'node:crypto';
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ExitCode, UserError, type ExitCodeValue } from '../errors.js';

/** A stat, mkdir, open or unlink that takes longer than this is stuck (a hung NFS/CIFS mount). */
export const FILE_OPERATION_TIMEOUT_MS = 30_000;

/** The operation did not finish in time; the path is probably on a mount that stopped answering. */
export class FileOperationTimeoutError extends UserError {
  override readonly code: string = 'FILE_OPERATION_TIMEOUT';
}

/** `operation`, or a FileOperationTimeoutError after `ms`. The timer never keeps the process alive. */
export function withDeadline<T>(operation: Promise<T>, what: string, ms = FILE_OPERATION_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new FileOperationTimeoutError(`${what} did not finish within ${Math.ceil(ms / 1000)} s`, {
            suggestion:
              'Is that path on a network mount that stopped answering? Check the mount (`mount`, `df`), or point the setting at a local folder.',
          }),
        ),
      ms,
    );
    timer.unref();
  });
  // A late rejection of the abandoned operation must not become an unhandled rejection.
  operation.catch(() => {});
  return Promise.race([operation, deadline]).finally(() => clearTimeout(timer));
}

/** A user-given folder cannot be created or written: a bad flag or setting (exit 2), nothing was changed. */
export class UnusableDirectoryError extends UserError {
  override readonly code: string = 'DIRECTORY_UNUSABLE';
  override readonly exitCode: ExitCodeValue = ExitCode.USAGE;
}

/** Answers that say the path itself is wrong (rather than the disk being full or failing). */
const PATH_PROBLEMS = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'EEXIST', 'ELOOP', 'ENAMETOOLONG', 'EINVAL', 'EISDIR']);

function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? 'error';
}

/**
 * Creates `directory` and any missing parents (mode `mode`), each component with one plain
 * mkdir: bounded work whatever the file system answers. Returns the folders it created.
 */
export async function makeDirectory(directory: string, mode = 0o700, ms = FILE_OPERATION_TIMEOUT_MS): Promise<string[]> {
  const target = resolve(directory);
  const missing: string[] = [];
  for (let path = target; ; path = dirname(path)) {
    const found = await withDeadline(stat(path), `Looking at ${path}`, ms).then(
      (stats) => stats,
      (error: unknown) => {
        if (error instanceof FileOperationTimeoutError || errnoOf(error) !== 'ENOENT') throw error;
        return null;
      },
    );
    if (found) {
      if (!found.isDirectory()) throw Object.assign(new Error(`${path} is not a directory`), { code: 'ENOTDIR', path });
      break;
    }
    missing.unshift(path);
    if (dirname(path) === path) break;
  }
  for (const path of missing) {
    await withDeadline(mkdir(path, { mode }), `Creating ${path}`, ms).catch((error: unknown) => {
      if (errnoOf(error) !== 'EEXIST') throw error;
    });
  }
  return missing;
}

export interface UsableDirectoryOptions {
  /** The flag or variable the path came from, for the message: "--copy-to", "BACKUP_DIR". */
  setting: string;
  mode?: number;
  timeoutMs?: number;
}

/**
 * Makes sure `directory` exists (creating it) and that a file can be created, written, synced and
 * removed there, within deadlines. Throws UnusableDirectoryError naming the setting.
 */
export async function ensureUsableDirectory(directory: string, options: UsableDirectoryOptions): Promise<void> {
  const ms = options.timeoutMs ?? FILE_OPERATION_TIMEOUT_MS;
  const target = resolve(directory);
  const unusable = (reason: string, suggestion: string, cause: unknown): UserError => {
    const message = `${options.setting} ${target} cannot be used: ${reason}`;
    if (cause instanceof FileOperationTimeoutError) return new FileOperationTimeoutError(message, { suggestion: cause.suggestion, cause });
    return PATH_PROBLEMS.has(errnoOf(cause))
      ? new UnusableDirectoryError(message, { suggestion, cause })
      : new UserError(message, { suggestion, cause });
  };
  try {
    await makeDirectory(target, options.mode ?? 0o700, ms);
  } catch (error) {
    if (error instanceof FileOperationTimeoutError) throw unusable(error.message, '', error);
    throw unusable(
      `it cannot be created (${errnoOf(error)})`,
      `Point ${options.setting} at a folder on a real, writable file system that this user may write to (not /proc or /sys).`,
      error,
    );
  }
  const probe = join(target, `.shopdb-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await withDeadline(open(probe, 'wx', 0o600), `Creating a file in ${target}`, ms);
    try {
      await withDeadline(handle.writeFile('probe'), `Writing in ${target}`, ms);
      await withDeadline(handle.sync(), `Syncing a file in ${target}`, ms);
    } finally {
      await handle.close().catch(() => {});
    }
    await withDeadline(unlink(probe), `Removing a file in ${target}`, ms);
  } catch (error) {
    await unlink(probe).catch(() => {});
    if (error instanceof FileOperationTimeoutError) throw unusable(error.message, '', error);
    if (PATH_PROBLEMS.has(errnoOf(error))) {
      throw unusable(
        `this user cannot write there (${errnoOf(error)})`,
        `Give this user write access (chown/chmod), or point ${options.setting} elsewhere.`,
        error,
      );
    }
    throw unusable(
      `writing a file there failed (${errnoOf(error)})`,
      'Check the disk behind that folder (free space: `df`; errors: `dmesg`).',
      error,
    );
  }
}

// One backup, restore or update at a time per backup directory. The lock is a file created with
// O_EXCL that holds the owner's pid, host and process start time; it does not outlive its
// process in practice: a lock whose process is gone (kill -9, power cut) is taken over by the
// next run, so a crash never blocks the nightly backup. The takeover itself is serialised by an
// atomic mkdir, so two runs that both find a dead owner cannot both win.

import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rmdir, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LockedError, UserError } from '../errors.js';

export const LOCK_FILE = '.shopdb-backup.lock';
export type LockedOperation = 'backup' | 'restore' | 'update' | 'verify' | 'uninstall' | 'rollback';

interface LockOwner {
  pid: number;
  host: string;
  operation: LockedOperation;
  startedAt: string;
  /** Linux: the process start time in clock ticks, so a reused pid is not mistaken for the owner. */
  processStart: string | null;
}

export interface BackupLock {
  path: string;
  release(): Promise<void>;
}

export function processStartOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command name, which is in parentheses and may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Is the process that wrote `owner` still running? Unknown hosts count as running. */
export function ownerAlive(owner: Pick<LockOwner, 'pid' | 'host' | 'processStart'>): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (owner.processStart !== null) {
    const now = processStartOf(owner.pid);
    if (now !== null && now !== owner.processStart) return false;
  }
  return true;
}

/** True when the pid is ours or a live process (for temporary files named after their writer). */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function parseOwner(text: string): LockOwner | null {
  try {
    const value = JSON.parse(text) as LockOwner;
    return typeof value.pid === 'number' && typeof value.host === 'string' ? value : null;
  } catch {
    return null;
  }
}

const GUARD_STALE_MS = 30_000;
/** A lock file still empty this long after its creation belongs to a run that died creating it. */
const EMPTY_LOCK_STALE_MS = 10_000;

async function tryCreate(path: string, owner: LockOwner): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(JSON.stringify(owner));
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/** Removes `path` if it still holds the dead owner we saw, under the takeover guard. */
async function takeOver(path: string, seen: string): Promise<void> {
  const guard = `${path}.takeover`;
  try {
    await mkdir(guard, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const age =
      Date.now() -
      (await stat(guard).then(
        (s) => s.mtimeMs,
        () => Date.now(),
      ));
    if (age > GUARD_STALE_MS) await rmdir(guard).catch(() => {});
    return;
  }
  try {
    const now = await readFile(path, 'utf8').catch(() => null);
    if (now === seen) await unlink(path).catch(() => {});
  } finally {
    await rmdir(guard).catch(() => {});
  }
}

function describeOwner(owner: LockOwner | null): string {
  if (!owner) return 'another shopdb run';
  return `a shopdb ${owner.operation} (pid ${owner.pid}${owner.host === hostname() ? '' : ` on ${owner.host}`}, started ${owner.startedAt})`;
}

export async function acquireBackupLock(directory: string, operation: LockedOperation): Promise<BackupLock> {
  const path = join(directory, LOCK_FILE);
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    operation,
    startedAt: new Date().toISOString(),
    processStart: processStartOf(process.pid),
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await tryCreate(path, owner)) {
      const mine = JSON.stringify(owner);
      return {
        path,
        async release() {
          // Only ever remove our own lock.
          const now = await readFile(path, 'utf8').catch(() => null);
          if (now === mine) await unlink(path).catch(() => {});
        },
      };
    }
    const seen = await readFile(path, 'utf8').catch(() => null);
    if (seen === null) continue; // released meanwhile
    const current = parseOwner(seen);
    const age =
      Date.now() -
      (await stat(path).then(
        (s) => s.mtimeMs,
        () => Date.now(),
      ));
    const stale = current ? !ownerAlive(current) : age > EMPTY_LOCK_STALE_MS;
    if (!stale) {
      throw new LockedError(`The backup directory ${directory} is in use by ${describeOwner(current)}`, {
        suggestion: `Wait for it to finish and run again. If no shopdb is running there, delete ${path}.`,
      });
    }
    await takeOver(path, seen);
    await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
  }
  throw new UserError(`Could not take the backup lock ${path}`, { suggestion: `If no shopdb is running, delete ${path} and try again.` });
}

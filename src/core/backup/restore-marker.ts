// The durable trace of a restore in progress (ADR-019). Written beside the site's .env before the
// restore touches the database, removed once the database is whole again (restored and migrated,
// or put back as it was). If the process dies in between (kill -9, a power cut), the marker is
// what is left: every command that would read or change the site data refuses while it stands,
// and says how to get the site back. It is a file and not a row because a MySQL restore drops
// every table of the database first.

import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/index.js';
import { UserError } from '../errors.js';
import { syncDirectory, writeFileAtomic } from '../fs/atomic.js';
import { ownerAlive, processStartOf } from './lock.js';

export const RESTORE_MARKER_FILE = '.shopdb-restore-in-progress.json';

/**
 * Set by a restore on the `shopdb migrate` it runs in the api container: that migrate is part of
 * the restore, so the marker (which the container may see through a mounted site folder) does not stop it.
 */
export const FINISHING_RESTORE_ENV = 'SHOPDB_FINISHING_RESTORE';

export interface RestoreMarker {
  /** The backup being restored (absolute). */
  file: string;
  /** The backup of what was there before (absolute), or null when none was taken. */
  safetyBackup: string | null;
  /** The database held no table before the restore (then the way back is to empty it). */
  wasEmpty: boolean;
  /** ISO time the database was first touched. */
  startedAt: string;
  /** The database, password-free (mysql://user@host/db or sqlite:path). */
  database: string;
  /** The restoring process, as a backup lock names its owner (a reused pid is not taken for it). */
  pid: number;
  host: string;
  processStart: string | null;
}

export function restoreMarkerPath(config: LoadedConfig): string {
  return join(config.baseDir, RESTORE_MARKER_FILE);
}

export function readRestoreMarker(config: LoadedConfig): RestoreMarker | null {
  const path = restoreMarkerPath(config);
  if (!existsSync(path)) return null;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<RestoreMarker>;
    if (typeof parsed.file !== 'string' || typeof parsed.startedAt !== 'string') throw new Error('fields missing');
    return {
      file: parsed.file,
      safetyBackup: parsed.safetyBackup ?? null,
      wasEmpty: parsed.wasEmpty === true,
      startedAt: parsed.startedAt,
      database: String(parsed.database ?? ''),
      pid: Number(parsed.pid ?? 0),
      host: String(parsed.host ?? ''),
      processStart: parsed.processStart ?? null,
    };
  } catch {
    // A marker we cannot read still means a restore did not finish: refuse all the same.
    return {
      file: '(unreadable marker)',
      safetyBackup: null,
      wasEmpty: false,
      startedAt: 'an unknown time',
      database: '',
      pid: 0,
      host: '',
      processStart: null,
    };
  }
}

export function writeRestoreMarker(config: LoadedConfig, marker: RestoreMarker): void {
  writeFileAtomic(restoreMarkerPath(config), `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o600 });
}

export function clearRestoreMarker(config: LoadedConfig): void {
  const path = restoreMarkerPath(config);
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return;
  }
  syncDirectory(config.baseDir);
}

/** The one-line way back from an interrupted restore, as every refusal and `doctor` say it. */
export function restoreAdvice(marker: RestoreMarker): string {
  const back = marker.safetyBackup
    ? `or go back to what was there before: \`shopdb restore ${marker.safetyBackup} --yes\``
    : marker.wasEmpty
      ? 'the database was empty before it'
      : 'or restore another backup (no backup of what was there before was taken)';
  return `Finish it: \`shopdb restore --resume --yes\` (restores ${marker.file} again), ${back}.`;
}

/** The site database may hold part of a backup: nothing may read or change it but a restore. */
export class RestoreInterruptedError extends UserError {
  override readonly code: string = 'RESTORE_INTERRUPTED';
  readonly httpStatus = 503;

  constructor(readonly marker: RestoreMarker) {
    const running = restoreRunning(marker);
    super(
      running
        ? `A restore of ${marker.file} is running (pid ${marker.pid}, since ${marker.startedAt}): the database holds only part of it until it ends`
        : `The restore of ${marker.file} was interrupted at ${marker.startedAt}: the database may hold only part of it`,
      { suggestion: running ? 'Wait for that restore to finish, then run this again.' : restoreAdvice(marker) },
    );
  }
}

/**
 * Whether the restore that wrote the marker still runs. Only one on this host can be known to;
 * a marker from elsewhere (a copied site folder) is an interrupted restore, with its way back.
 */
function restoreRunning(marker: RestoreMarker): boolean {
  if (marker.pid <= 0 || marker.pid === process.pid || marker.host !== hostname()) return false;
  return ownerAlive(marker);
}

/** The restoring process's entries for its marker. */
export function restoreOwner(): Pick<RestoreMarker, 'pid' | 'host' | 'processStart'> {
  return { pid: process.pid, host: hostname(), processStart: processStartOf(process.pid) };
}

/** Throws RestoreInterruptedError while a marker stands beside the site's .env. */
export function assertNoInterruptedRestore(config: LoadedConfig): void {
  const marker = readRestoreMarker(config);
  if (marker) throw new RestoreInterruptedError(marker);
}

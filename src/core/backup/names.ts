// Backup file names: `<site>-<YYYYMMDD>T<HHMMSS>Z[-<kind>].shopdb.tar`, UTC, so that a plain
// `ls` sorts a site's backups by time and names the site; safety backups say what they are
// (`-pre-restore`, `-pre-update`, `-pre-uninstall`, `-pre-rollback`).

import type { BackupKind } from './manifest.js';

export const BACKUP_SUFFIX = '.shopdb.tar';
const NAME =
  /^(?<site>[A-Za-z0-9][A-Za-z0-9_-]*?)-(?<date>\d{8})T(?<time>\d{6})Z(?:-(?<kind>pre-restore|pre-update|pre-uninstall|pre-rollback))?\.shopdb\.tar$/;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function timestampOf(date: Date): string {
  return (
    `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}T` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`
  );
}

export function backupFileName(site: string, createdAt: Date, kind: BackupKind): string {
  return `${site}-${timestampOf(createdAt)}${kind === 'backup' ? '' : `-${kind}`}${BACKUP_SUFFIX}`;
}

export interface ParsedBackupName {
  site: string;
  /** From the name: second precision. */
  time: Date;
  kind: BackupKind;
}

export function parseBackupFileName(name: string): ParsedBackupName | null {
  const match = NAME.exec(name);
  if (!match?.groups) return null;
  const { site, date, time, kind } = match.groups as { site: string; date: string; time: string; kind?: BackupKind };
  const at = new Date(
    Date.UTC(
      Number(date.slice(0, 4)),
      Number(date.slice(4, 6)) - 1,
      Number(date.slice(6, 8)),
      Number(time.slice(0, 2)),
      Number(time.slice(2, 4)),
      Number(time.slice(4, 6)),
    ),
  );
  if (Number.isNaN(at.getTime())) return null;
  return { site, time: at, kind: kind ?? 'backup' };
}

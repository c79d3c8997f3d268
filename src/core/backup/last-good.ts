// The site's newest usable backup in a folder, for the site summary: the file names say the site
// and the time (names.ts); the newest one that passes the checksum check is the last good one.
// Archives never change once written, so a verdict is kept per file (name, size, mtime) for the
// life of the process and a summary does not read a whole archive each time.

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseBackupFileName } from './names.js';

export type LastGoodBackup = { state: 'found'; file: string; createdAt: Date } | { state: 'none' | 'unknown'; reason: string };

const verdicts = new Map<string, boolean>();

async function isGood(file: string): Promise<boolean> {
  const info = await stat(file);
  const key = `${file}\0${info.size}\0${info.mtimeMs}`;
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  const { checksumProblems, openArchive } = await import('./inspect.js');
  let good: boolean;
  try {
    good = (await checksumProblems(await openArchive(file))).length === 0;
  } catch {
    good = false;
  }
  verdicts.set(key, good);
  return good;
}

/** Any kind counts (nightly or a safety backup): each is a full copy the site can go back to. */
export async function findLastGoodBackup(directory: string, site: string): Promise<LastGoodBackup> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'none', reason: `no backup folder (${directory})` };
    return { state: 'unknown', reason: `cannot list ${directory}: ${code ?? (error as Error).message}` };
  }
  const ours = names
    .map((name) => ({ name, parsed: parseBackupFileName(name) }))
    .filter((entry) => entry.parsed?.site === site)
    .sort((a, b) => b.parsed!.time.getTime() - a.parsed!.time.getTime());
  for (const entry of ours) {
    const file = join(directory, entry.name);
    if (await isGood(file).catch(() => false)) return { state: 'found', file: entry.name, createdAt: entry.parsed!.time };
  }
  return { state: 'none', reason: ours.length === 0 ? 'no backup yet' : `none of the ${ours.length} backups passes its checksum check` };
}

// What an interrupted MySQL backup, restore or `verify --deep` can leave behind, and how the next
// run (and `shopdb doctor`) tells a dead run's leftovers from a running one's (ADR-016):
//   option folders — `<tmp>/shopdb-mysql-<pid>-<start>-XXXXXX`, holding the 0600 client.cnf for
//     the microseconds between writing it and unlinking it (the tools read it through an
//     inherited descriptor). Older shopdb versions kept `shopdb-mysql-XXXXXX/client.cnf` for the
//     whole run; those carry no owner and count as stale once no process names them in its argv.
//   scratch schemas — `<DB_NAME[:28]>_verify_<host>_<pid>_<start>_<ms>`: host tag, pid and process
//     start time of the run that made it, creation time in ms (base 36). Older versions named
//     them `<DB_NAME[:45]>_verify_<8 hex>`; those count as stale when no connection uses them.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processStartOf } from '../lock.js';
import { quoteId, type SqlRow } from '../site-state.js';
import { quoteText } from './session.js';

type Query = (sql: string) => Promise<SqlRow[]>;
type Run = (sql: string) => Promise<void>;

export const OPTION_FOLDER_PREFIX = 'shopdb-mysql-';
const OPTION_FOLDER = /^shopdb-mysql-(?:(\d+)-([0-9a-z]+)-)?[A-Za-z0-9]{6}$/;
/** An untagged (older shopdb) option folder younger than this may be a run between mkdtemp and spawning its tool. */
const UNTAGGED_GRACE_MS = 60_000;

/** Pid and process start time of this process, as they go into names: `<pid>-<start base 36>`. */
export function ownerTag(): string {
  return `${process.pid}-${startTag(process.pid)}`;
}

function startTag(pid: number): string {
  const start = processStartOf(pid);
  return start === null ? '0' : BigInt(start).toString(36);
}

/** Is `pid` (started at `start`, base 36; '0' when unknown) still the process that made the name? */
function ownerRunning(pid: number, start: string): boolean {
  if (pid === process.pid) return start === '0' || start === startTag(pid);
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const now = processStartOf(pid);
  return start === '0' || now === null || BigInt(now).toString(36) === start;
}

/** Does any live process name `path` in its argv (a client tool of an older shopdb reading it)? */
function namedInSomeArgv(path: string): boolean {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return true; // no /proc: cannot tell, so assume it is in use
  }
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path)) return true;
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return false;
}

export interface StaleOptionFolder {
  path: string;
  /** The pid that made it, when the name records one (older shopdb versions did not). */
  pid: number | null;
}

/** Option folders in `tmp` whose run is gone: only this user's, only folders holding nothing but client.cnf. */
export async function findStaleOptionFolders(tmp: string, now = Date.now()): Promise<StaleOptionFolder[]> {
  let names: string[];
  try {
    names = await readdir(tmp);
  } catch {
    return [];
  }
  const stale: StaleOptionFolder[] = [];
  const uid = process.getuid?.();
  for (const name of names) {
    const match = OPTION_FOLDER.exec(name);
    if (!match) continue;
    const path = join(tmp, name);
    const stats = await lstat(path).catch(() => null);
    if (!stats?.isDirectory() || (uid !== undefined && stats.uid !== uid)) continue;
    const entries = await readdir(path).catch(() => null);
    if (!entries || entries.some((entry) => entry !== 'client.cnf')) continue;
    if (match[1] !== undefined) {
      if (!ownerRunning(Number(match[1]), match[2]!)) stale.push({ path, pid: Number(match[1]) });
    } else if (now - stats.mtimeMs > UNTAGGED_GRACE_MS && !namedInSomeArgv(path)) {
      stale.push({ path, pid: null });
    }
  }
  return stale;
}

/** Removes the stale option folders of `tmp`; returns the ones removed. */
export async function sweepOptionFolders(tmp: string): Promise<string[]> {
  const removed: string[] = [];
  for (const folder of await findStaleOptionFolders(tmp)) {
    try {
      await unlink(join(folder.path, 'client.cnf')).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      await rmdir(folder.path);
      removed.push(folder.path);
    } catch {
      // another run removed it, or it is not ours to remove: doctor reports what stays
    }
  }
  return removed;
}

// ── scratch schemas ────────────────────────────────────────────────────────────────────

/** MySQL names are at most 64 characters; the suffix takes up to 36 of them. */
export const SCRATCH_PREFIX_LENGTH = 28;
const LEGACY_PREFIX_LENGTH = 45;

function hostTag(host = hostname()): string {
  return createHash('sha256').update(host).digest('hex').slice(0, 4);
}

/** The database name's part of its scratch schemas' names (the GRANT in docs/BACKUP.md uses it). */
export function scratchPrefix(database: string): string {
  return `${database.slice(0, SCRATCH_PREFIX_LENGTH)}_verify_`;
}

export function scratchSchemaName(database: string, now = Date.now()): string {
  return `${scratchPrefix(database)}${hostTag()}_${process.pid.toString(36)}_${startTag(process.pid)}_${now.toString(36)}`;
}

export type ScratchOwner = 'running' | 'dead' | 'other-host';

export interface ScratchSchema {
  name: string;
  owner: ScratchOwner;
  /** From the name (null for names of older shopdb versions). */
  createdAt: string | null;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The scratch schemas of `database` this user can see, each with whether its run still goes. */
export async function findScratchSchemas(query: Query, database: string): Promise<ScratchSchema[]> {
  const prefix = scratchPrefix(database);
  const current = new RegExp(`^${escapeRegExp(prefix)}([0-9a-f]{4})_([0-9a-z]+)_([0-9a-z]+)_([0-9a-z]+)$`);
  const legacy = new RegExp(`^${escapeRegExp(`${database.slice(0, LEGACY_PREFIX_LENGTH)}_verify_`)}[0-9a-f]{8}$`);
  const rows = await query(
    `SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ${quoteText(`${escapeLike(prefix)}%`)}`,
  );
  const found: ScratchSchema[] = [];
  for (const name of rows.map((row) => String(row.name))) {
    const match = current.exec(name);
    if (match) {
      const [, host, pid, start, ms] = match as unknown as [string, string, string, string, string];
      const createdAt = new Date(parseInt(ms, 36));
      const owner: ScratchOwner = host !== hostTag() ? 'other-host' : ownerRunning(parseInt(pid, 36), start) ? 'running' : 'dead';
      found.push({ name, owner, createdAt: Number.isNaN(createdAt.getTime()) ? null : createdAt.toISOString() });
    } else if (legacy.test(name)) {
      // No owner in the name: a run of an older shopdb loading into it has a connection on it.
      const users = await query(`SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ${quoteText(name)}`);
      found.push({ name, owner: users.length > 0 ? 'running' : 'dead', createdAt: null });
    }
  }
  return found;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface ScratchSweep {
  dropped: string[];
  /** Left by a run on another machine: not ours to judge, reported by doctor. */
  otherHost: ScratchSchema[];
  failed: Array<{ name: string; reason: string }>;
}

/** Drops the scratch schemas of `database` whose run is gone. */
export async function sweepScratchSchemas(query: Query, run: Run, database: string): Promise<ScratchSweep> {
  const sweep: ScratchSweep = { dropped: [], otherHost: [], failed: [] };
  for (const schema of await findScratchSchemas(query, database)) {
    if (schema.owner === 'other-host') sweep.otherHost.push(schema);
    if (schema.owner !== 'dead') continue;
    try {
      await run(`DROP DATABASE IF EXISTS ${quoteId(schema.name)}`);
      sweep.dropped.push(schema.name);
    } catch (error) {
      sweep.failed.push({ name: schema.name, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return sweep;
}

/** For messages: what a leftover schema is. */
export function describeScratchSchema(schema: ScratchSchema): string {
  return `${schema.name}${schema.createdAt ? ` (made ${schema.createdAt})` : ''}`;
}

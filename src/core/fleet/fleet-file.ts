// The fleet file of a central instance (ADR-021): the sites `shopdb fleet` pulls, each with its
// summary:read token. JSON, mode 0600, never printed whole: listings show a token's prefix only.
// Every change writes a new file beside the old one (0600 from its first byte), syncs it and
// renames it over the old one, so a crash at any moment leaves the old file or the new, whole.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { TOKEN_PATTERN, TOKEN_PREFIX_LENGTH } from '../auth/api-tokens.js';
import type { LoadedConfig } from '../config/index.js';
import { ownerAlive, pidAlive, processStartOf } from '../backup/lock.js';
import { ConfigError, ConflictError, LockedError, NotFoundError, ValidationError } from '../errors.js';

export const FLEET_FILE_FORMAT = 'shopdb-fleet';
export const FLEET_FILE_VERSION = 1;
/** Like SHOPDB_SITE_NAME: what a site is called in every listing and report. */
export const FLEET_SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export interface FleetSite {
  name: string;
  /** The site's base URL, e.g. https://shopdb.plant2.example (no path, no credentials). */
  url: string;
  /** A summary:read API token of that site. */
  token: string;
  addedAt: string;
}

/** A site as listings show it: the token's prefix only. */
export interface FleetSiteListing {
  name: string;
  url: string;
  tokenPrefix: string;
  addedAt: string;
}

interface FleetFileContent {
  format: typeof FLEET_FILE_FORMAT;
  version: typeof FLEET_FILE_VERSION;
  sites: FleetSite[];
}

export interface FleetSites {
  sites: FleetSite[];
  /** Problems worth a warning that do not stop the read (permissions wider than 0600). */
  warnings: string[];
}

/** FLEET_FILE, relative to the .env's folder like every path setting. */
export function fleetFileOf(config: LoadedConfig): string {
  return resolve(config.baseDir, config.values.FLEET_FILE);
}

/** The last-known store lives beside the fleet file: `fleet.json` → `fleet.last-known.sqlite`. */
export function lastKnownStorePath(fleetFile: string): string {
  const base = basename(fleetFile, extname(fleetFile));
  return join(dirname(fleetFile), `${base}.last-known.sqlite`);
}

function unreadable(fleetFile: string, problem: string): ConfigError {
  return new ConfigError(`The fleet file ${fleetFile} cannot be used: ${problem}`, [
    { variable: 'FLEET_FILE', problem, fix: 'restore it from a backup, or move it away and add the sites again with `shopdb fleet add`' },
  ]);
}

function checkSite(raw: unknown, index: number, fleetFile: string): FleetSite {
  const site = raw as Partial<FleetSite> | null;
  const where = `sites[${index}]`;
  if (site === null || typeof site !== 'object') throw unreadable(fleetFile, `${where} is not an object`);
  if (typeof site.name !== 'string' || !FLEET_SITE_NAME.test(site.name)) throw unreadable(fleetFile, `${where}.name is not a site name`);
  if (typeof site.url !== 'string' || urlProblem(site.url) !== undefined)
    throw unreadable(fleetFile, `${where}.url is not an http(s) base URL`);
  if (typeof site.token !== 'string' || !TOKEN_PATTERN.test(site.token))
    throw unreadable(fleetFile, `${where}.token is not a shopdb API token`);
  return {
    name: site.name,
    url: site.url,
    token: site.token,
    addedAt: typeof site.addedAt === 'string' ? site.addedAt : new Date(0).toISOString(),
  };
}

/** The sites of the fleet file; none when there is no file yet. */
export async function readFleetFile(fleetFile: string): Promise<FleetSites> {
  let text: string;
  const warnings: string[] = [];
  try {
    text = await readFile(fleetFile, 'utf8');
    const mode = (await stat(fleetFile)).mode & 0o777;
    if ((mode & 0o077) !== 0)
      warnings.push(`${fleetFile} holds API tokens and is readable by others (mode ${mode.toString(8)}): chmod 600 ${fleetFile}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { sites: [], warnings };
    throw unreadable(fleetFile, (error as Error).message);
  }
  let parsed: Partial<FleetFileContent>;
  try {
    parsed = JSON.parse(text) as Partial<FleetFileContent>;
  } catch {
    throw unreadable(fleetFile, 'it is not JSON');
  }
  if (parsed?.format !== FLEET_FILE_FORMAT) throw unreadable(fleetFile, `it is not a shopdb fleet file (format "${FLEET_FILE_FORMAT}")`);
  if (parsed.version !== FLEET_FILE_VERSION)
    throw unreadable(
      fleetFile,
      `version ${String(parsed.version)} is not one this shopdb reads (${FLEET_FILE_VERSION}); a newer shopdb wrote it`,
    );
  if (!Array.isArray(parsed.sites)) throw unreadable(fleetFile, 'it has no list of sites');
  return { sites: parsed.sites.map((site, index) => checkSite(site, index, fleetFile)), warnings };
}

function unwritableFolder(fleetFile: string, error: NodeJS.ErrnoException): ConfigError {
  return new ConfigError(`Cannot write the fleet file in ${dirname(fleetFile)}: ${error.code ?? error.message}`, [
    {
      variable: 'FLEET_FILE',
      problem: `its folder ${dirname(fleetFile)} is missing or not writable`,
      fix: 'create the folder, or point FLEET_FILE at a writable place',
    },
  ]);
}

const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** Temp files of writers that died (kill -9 between create and rename): they may hold tokens. */
async function sweepDeadTemps(fleetFile: string): Promise<void> {
  for (const name of await readdir(dirname(fleetFile)).catch(() => [] as string[])) {
    const match = TEMP_NAME.exec(name);
    if (match?.[1] === basename(fleetFile) && !pidAlive(Number(match[2]))) await unlink(join(dirname(fleetFile), name)).catch(() => {});
  }
}

/** How long `fleet add` / `fleet remove` wait for another one to finish. */
const LOCK_WAIT_MS = 5_000;

function parseLockOwner(text: string | null): { pid: number; host: string; processStart: string | null } | null {
  try {
    return text === null ? null : (JSON.parse(text) as { pid: number; host: string; processStart: string | null });
  } catch {
    return null;
  }
}

/**
 * Removes a dead owner's lock, one taker at a time, and only while it is still the lock that was
 * judged dead: two waiters that both saw it could otherwise each remove it, the second removing
 * the first one's new, live lock — and both would write. False when another taker is at it.
 */
async function removeDeadLock(lockFile: string, deadText: string): Promise<boolean> {
  const guard = `${lockFile}.takeover`;
  let handle;
  try {
    handle = await open(guard, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A taker holds the guard for milliseconds; one that died there leaves it: clear old ones.
    const age = await stat(guard).then(
      (info) => Date.now() - info.mtimeMs,
      () => 0,
    );
    if (age > 10_000) await unlink(guard).catch(() => {});
    return false;
  }
  try {
    if ((await readFile(lockFile, 'utf8').catch(() => null)) === deadText) await unlink(lockFile).catch(() => {});
    return true;
  } finally {
    await handle.close();
    await unlink(guard).catch(() => {});
  }
}

/**
 * One change of the fleet file at a time (read, change, write): two `fleet add` at once would
 * otherwise each write the list it read, and one site would be lost. A lock file beside it names
 * its owner; a dead owner's lock is taken over, as a backup lock is (ADR-016).
 */
async function withFleetFileLock<T>(fleetFile: string, work: () => Promise<T>): Promise<T> {
  const lockFile = `${fleetFile}.lock`;
  const owner = JSON.stringify({
    pid: process.pid,
    host: hostname(),
    processStart: processStartOf(process.pid),
    startedAt: new Date().toISOString(),
  });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      await handle.writeFile(owner, 'utf8');
      await handle.close();
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES' || code === 'EROFS') throw unwritableFolder(fleetFile, error as NodeJS.ErrnoException);
      if (code !== 'EEXIST') throw error;
      const text = await readFile(lockFile, 'utf8').catch(() => null);
      const holder = parseLockOwner(text);
      if (text !== null && holder !== null && !ownerAlive(holder)) {
        if (!(await removeDeadLock(lockFile, text))) await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      if (Date.now() > deadline) {
        throw new LockedError(`Another shopdb is changing ${fleetFile}${holder ? ` (pid ${holder.pid} on ${holder.host})` : ''}`, {
          suggestion: `Try again when it is done; if no shopdb runs, remove ${lockFile}.`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    return await work();
  } finally {
    await unlink(lockFile).catch(() => {});
  }
}

/** Temp file (0600 from creation), fsync, rename over the old one, fsync the folder. */
export async function writeFleetFile(fleetFile: string, sites: readonly FleetSite[]): Promise<void> {
  const content: FleetFileContent = { format: FLEET_FILE_FORMAT, version: FLEET_FILE_VERSION, sites: [...sites] };
  await sweepDeadTemps(fleetFile);
  const temp = join(dirname(fleetFile), `.${basename(fleetFile)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
    throw unwritableFolder(fleetFile, error);
  });
  try {
    await handle.writeFile(`${JSON.stringify(content, null, 2)}\n`, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => {});
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, fleetFile);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  const folder = await open(dirname(fleetFile), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** Why `url` is not a site's base URL, or undefined. */
export function urlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must start with http:// or https://';
  if (parsed.username || parsed.password) return 'must not carry credentials (the token goes through --token-stdin)';
  if (parsed.search || parsed.hash) return 'must not have a query or fragment';
  if (parsed.pathname !== '/' && parsed.pathname !== '') return "must be the site's base URL, without a path (the API is under /api)";
  return undefined;
}

export function listingOf(site: FleetSite): FleetSiteListing {
  return { name: site.name, url: site.url, tokenPrefix: site.token.slice(0, TOKEN_PREFIX_LENGTH), addedAt: site.addedAt };
}

export interface AddFleetSiteInput {
  fleetFile: string;
  name: string;
  url: string;
  token: string;
  now?: Date;
}

export async function addFleetSite(input: AddFleetSiteInput): Promise<FleetSiteListing> {
  const fields: Record<string, string> = {};
  if (!FLEET_SITE_NAME.test(input.name)) fields.name = 'must be letters, digits, - and _ (at most 63), starting with a letter or digit';
  const problem = urlProblem(input.url);
  if (problem) fields.url = problem;
  const token = input.token.trim();
  if (!TOKEN_PATTERN.test(token))
    fields.token =
      'is not a shopdb API token (shopdb_ and 43 characters); create one on the site with `shopdb user token create <user> --name … --scope summary:read`';
  if (Object.keys(fields).length > 0) throw new ValidationError(`Cannot add the site: ${Object.keys(fields).join(', ')}`, fields);
  const site: FleetSite = { name: input.name, url: new URL(input.url).origin, token, addedAt: (input.now ?? new Date()).toISOString() };
  await withFleetFileLock(input.fleetFile, async () => {
    const { sites } = await readFleetFile(input.fleetFile);
    if (sites.some((known) => known.name === input.name)) {
      throw new ConflictError(`The fleet already has a site named "${input.name}"`, {
        suggestion: `Remove it first (\`shopdb fleet remove ${input.name}\`), then add it again.`,
      });
    }
    await writeFleetFile(input.fleetFile, [...sites, site]);
  });
  return listingOf(site);
}

/** Takes the site out of the fleet file, then its last-known summary out of the store. */
export async function removeFleetSite(fleetFile: string, name: string): Promise<FleetSiteListing> {
  const site = await withFleetFileLock(fleetFile, async () => {
    const { sites } = await readFleetFile(fleetFile);
    const found = sites.find((candidate) => candidate.name === name);
    if (!found) throw new NotFoundError(`The fleet has no site named "${name}"`, { suggestion: '`shopdb fleet list` shows the sites.' });
    await writeFleetFile(
      fleetFile,
      sites.filter((candidate) => candidate !== found),
    );
    return found;
  });
  const storeFile = lastKnownStorePath(fleetFile);
  if (
    await stat(storeFile).then(
      () => true,
      () => false,
    )
  ) {
    const { LastKnownStore } = await import('./last-known-store.js');
    const store = await LastKnownStore.open(storeFile);
    try {
      await store.forget(name);
    } finally {
      await store.close();
    }
  }
  return listingOf(site);
}

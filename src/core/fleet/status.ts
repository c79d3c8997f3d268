// `shopdb fleet status`: pulls every site of the fleet file at once (up to `concurrency` at a
// time) within one deadline, keeps each good summary in the last-known store, and accounts for
// every site — fresh, stale (shown from the store, with why the pull failed), or failing.

import { setMaxListeners } from 'node:events';
import { ExitCode, UsageError, type ExitCodeValue } from '../errors.js';
import { CORE_SOURCE_ID, DirectoryMigrationSource, pluginMigrationTable, type MigrationSourceSpec } from '../migrations/sources.js';
import { SUMMARY_FORMAT, type SiteSummary } from '../summary/site-summary.js';
import { lastKnownStorePath, readFleetFile, type FleetSite } from './fleet-file.js';
import { LastKnownStore } from './last-known-store.js';
import { pullSummary, type PullFailure, type PullOutcome } from './pull.js';

export type SiteStatusName = 'ok' | 'stale' | PullFailure;
export const SITE_STATUSES: readonly SiteStatusName[] = ['ok', 'stale', 'timeout', 'refused', 'auth_failed', 'incompatible', 'error'];

/** Every site of the fleet once, pulled at the same time: one wave covers the fleet (ADR-021). */
export const DEFAULT_CONCURRENCY = 64;
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;

export interface SiteStatus {
  name: string;
  url: string;
  status: SiteStatusName;
  /** Why this pull failed (also for a stale site); null when it worked. */
  failure: PullFailure | null;
  problem: string | null;
  /** When the data shown was pulled (now for ok, earlier for stale); null when there is none. */
  fetchedAt: string | null;
  /** How old the data shown is, from the site's own generatedAt. */
  dataAgeSeconds: number | null;
  shopdbVersion: string | null;
  coreSchema: string | null;
  backupAgeSeconds: number | null;
  assets: number | null;
  durationMs: number;
  /** The summary shown (fresh or last known); null when there is none. */
  summary: SiteSummary | null;
}

export interface FleetTotals {
  sites: number;
  byStatus: Record<SiteStatusName, number>;
  /** Over the sites with data (fresh or stale). */
  assets: number;
  assetsByType: Array<{ key: string; label: string; count: number }>;
  headlines: Array<{ plugin: string; key: string; label: string; value: number }>;
}

export interface FleetStatusReport {
  generatedAt: string;
  durationMs: number;
  timeoutMs: number;
  concurrency: number;
  sites: SiteStatus[];
  totals: FleetTotals;
  /** 0 every site fresh, 1 some stale or failing, 3 none answered with a summary. */
  exitCode: ExitCodeValue;
  warnings: string[];
}

export interface FleetStatusOptions {
  fleetFile: string;
  timeoutMs?: number;
  connectTimeoutMs?: number;
  concurrency?: number;
  /** The migration sources this shopdb knows (core and every plugin of its catalog): a head outside them is a newer site. */
  knownSources: readonly MigrationSourceSpec[];
  version: string;
  /** Ctrl-C and friends; the run ends at once, like at its deadline. */
  signal?: AbortSignal;
  now?: () => Date;
}

/** Heads this shopdb cannot know: a site whose core, or a plugin we have, is newer than ours. */
async function newerHeads(
  summary: SiteSummary,
  known: readonly MigrationSourceSpec[],
  names: Map<string, Promise<string[]>>,
): Promise<string[]> {
  const problems: string[] = [];
  for (const head of summary.schema) {
    if (head.head === null) continue;
    const table = head.source === CORE_SOURCE_ID ? 'shopdb_migrations' : pluginMigrationTable(head.source.replace(/^plugin:/, ''));
    const source = known.find((candidate) => candidate.tableName === table);
    // A plugin this shopdb does not have: its figures are self-describing, so it is no reason to refuse the site.
    if (!source) continue;
    let list = names.get(source.directory);
    if (!list) {
      const reader = new DirectoryMigrationSource(source.directory);
      list = reader.getMigrations().then((migrations) => migrations.map((m) => reader.getMigrationName(m)));
      names.set(source.directory, list);
    }
    if (!(await list).includes(head.head)) problems.push(`${head.source} ${head.head}`);
  }
  return problems;
}

async function judge(outcome: PullOutcome, summaryCheck: (summary: SiteSummary) => Promise<string[]>): Promise<PullOutcome> {
  if (!outcome.ok) return outcome;
  if (outcome.summary.format !== SUMMARY_FORMAT) {
    return {
      ok: false,
      failure: 'incompatible',
      message: `summary format ${outcome.summary.format}; this shopdb reads ${SUMMARY_FORMAT} (update the central shopdb)`,
      durationMs: outcome.durationMs,
    };
  }
  const newer = await summaryCheck(outcome.summary);
  if (newer.length > 0) {
    return {
      ok: false,
      failure: 'incompatible',
      message: `schema newer than this shopdb knows (${newer.join(', ')}): update the central shopdb`,
      durationMs: outcome.durationMs,
    };
  }
  return outcome;
}

/** Runs `work` over `items` with at most `limit` at a time, in order of the items. */
async function eachLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

function statusOf(
  site: FleetSite,
  outcome: PullOutcome,
  shown: { summary: SiteSummary; fetchedAt: Date } | undefined,
  now: Date,
): SiteStatus {
  const summary = shown?.summary ?? null;
  const backup = summary?.backup.ageSeconds ?? null;
  const dataAge = summary ? Math.max(0, Math.round((now.getTime() - Date.parse(summary.generatedAt)) / 1000)) : null;
  return {
    name: site.name,
    url: site.url,
    status: outcome.ok ? 'ok' : shown ? 'stale' : outcome.failure,
    failure: outcome.ok ? null : outcome.failure,
    problem: outcome.ok ? null : outcome.message,
    fetchedAt: shown?.fetchedAt.toISOString() ?? null,
    dataAgeSeconds: dataAge,
    shopdbVersion: summary?.shopdbVersion ?? null,
    coreSchema: summary?.schema.find((head) => head.source === CORE_SOURCE_ID)?.head ?? null,
    // The site measured its backup's age when it made the summary; the summary has aged since.
    backupAgeSeconds: backup === null || dataAge === null ? null : backup + dataAge,
    assets: summary?.assets.total ?? null,
    durationMs: outcome.durationMs,
    summary,
  };
}

export function fleetTotals(sites: readonly SiteStatus[]): FleetTotals {
  const byStatus = Object.fromEntries(SITE_STATUSES.map((status) => [status, 0])) as Record<SiteStatusName, number>;
  const types = new Map<string, { key: string; label: string; count: number }>();
  const headlines = new Map<string, { plugin: string; key: string; label: string; value: number }>();
  let assets = 0;
  for (const site of sites) {
    byStatus[site.status] += 1;
    if (!site.summary) continue;
    assets += site.summary.assets.total;
    for (const type of site.summary.assets.byType) {
      const key = type.key ?? '';
      const entry = types.get(key) ?? { key, label: type.label, count: 0 };
      entry.count += type.count;
      types.set(key, entry);
    }
    for (const plugin of site.summary.plugins) {
      for (const headline of plugin.headlines) {
        const id = `${plugin.name}/${headline.key}`;
        const entry = headlines.get(id) ?? { plugin: plugin.name, key: headline.key, label: headline.label, value: 0 };
        entry.value += headline.value;
        headlines.set(id, entry);
      }
    }
  }
  return {
    sites: sites.length,
    byStatus,
    assets,
    assetsByType: [...types.values()].sort((a, b) => b.count - a.count || a.key.localeCompare(b.key)),
    headlines: [...headlines.values()].sort((a, b) => a.plugin.localeCompare(b.plugin) || a.key.localeCompare(b.key)),
  };
}

export function fleetExitCode(sites: readonly SiteStatus[]): ExitCodeValue {
  const fresh = sites.filter((site) => site.status === 'ok').length;
  if (fresh === sites.length) return ExitCode.OK;
  // 3 as for a database that cannot be reached: nothing usable came back from any site.
  return fresh === 0 ? ExitCode.DATABASE_UNAVAILABLE : ExitCode.FAILED;
}

export async function fleetStatus(options: FleetStatusOptions): Promise<FleetStatusReport> {
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const connectTimeoutMs = Math.min(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, timeoutMs);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new UsageError(`--concurrency must be a whole number of at least 1 (got ${concurrency})`);
  if (!(timeoutMs > 0)) throw new UsageError('--timeout must be more than 0 seconds');

  const { sites, warnings } = await readFleetFile(options.fleetFile);
  if (sites.length === 0) {
    throw new UsageError(`The fleet file ${options.fleetFile} lists no site`, {
      suggestion:
        'Add one: shopdb user token create … --scope summary:read on the site, then `shopdb fleet add NAME URL --token-stdin` here.',
    });
  }
  const started = Date.now();
  // One deadline for the whole run: a site that never answers costs this much and no more.
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  // Every request in flight listens on it: as many listeners as sites pulled at once, by design.
  setMaxListeners(Math.max(10, concurrency + 1), signal);
  const store = await LastKnownStore.open(lastKnownStorePath(options.fleetFile));
  try {
    const known = await store.all();
    const migrationNames = new Map<string, Promise<string[]>>();
    const check = (summary: SiteSummary) => newerHeads(summary, options.knownSources, migrationNames);
    const results = await eachLimited(sites, concurrency, async (site) => {
      const outcome = await judge(
        await pullSummary({ url: site.url, token: site.token, connectTimeoutMs, signal, userAgent: `shopdb-fleet/${options.version}` }),
        check,
      );
      const at = now();
      if (outcome.ok) {
        // Saved as each site answers, so a run killed half-way keeps what it had got.
        await store.save(site.name, outcome.summary, at);
        return statusOf(site, outcome, { summary: outcome.summary, fetchedAt: at }, at);
      }
      return statusOf(site, outcome, known.get(site.name), at);
    });
    options.signal?.throwIfAborted();
    return {
      generatedAt: now().toISOString(),
      durationMs: Date.now() - started,
      timeoutMs,
      concurrency,
      sites: results,
      totals: fleetTotals(results),
      exitCode: fleetExitCode(results),
      warnings,
    };
  } finally {
    await store.close();
  }
}

// Monitoring status per asset from the site's Zabbix (issue 16, ADR-022). Reads go through the
// shared cache in the site database: the host map (names, IPs, enabled) for hours, refreshed in
// the background, and the site's open problems for at most ZABBIX_PROBLEM_TTL, fetched with one
// problem.get (and one trigger.get to map them to hosts) for every pinned host at once — so a list
// page, however long, costs Zabbix at most those two calls, and usually none. A Zabbix that is down
// or slow makes the status `unknown` with the reason; it never fails the caller, and it costs at
// most one timeout before the client's breaker answers at once.

import type { Knex } from 'knex';
import { parseUtcDatetime } from '../db/values.js';
import { asShopdbError } from '../errors.js';
import { readCache, readCaches, writeCache, writeCacheError, type CacheEntry } from './cache.js';
import { ZabbixClient, type ZabbixClientOptions } from './zabbix/client.js';
import type { ZabbixSettings } from './zabbix/settings.js';

export const MONITORING_STATES = ['ok', 'problem', 'unknown', 'unmatched', 'disabled'] as const;
export type MonitoringState = (typeof MONITORING_STATES)[number];
export const SEVERITIES = ['not-classified', 'information', 'warning', 'average', 'high', 'disaster'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface ZabbixHost {
  hostid: string;
  /** The technical host name (unique in Zabbix). */
  host: string;
  /** The visible name. */
  name: string;
  enabled: boolean;
  ips: string[];
}

export interface OpenProblem {
  eventid: string;
  hostid: string;
  name: string;
  severity: Severity;
  /** ISO time the problem started. */
  since: string;
  acknowledged: boolean;
}

export interface MonitoringPin {
  assetId: number;
  hostid: string;
  host: string;
  matchedHow: 'hostname' | 'short-name' | 'ip' | 'manual';
  matchedAt: Date;
  matchedBy: string;
}

export interface MonitoringStatus {
  state: MonitoringState;
  /** Why the state is unknown, unmatched or disabled; null otherwise. */
  reason: string | null;
  hostid: string | null;
  host: string | null;
  problems: OpenProblem[];
  /** When Zabbix was last asked successfully for these problems; null if never. */
  checkedAt: string | null;
  ageSeconds: number | null;
  /** The problems are older than ZABBIX_PROBLEM_TTL (Zabbix could not be asked). */
  stale: boolean;
}

interface ProblemsBody {
  /** The pinned hostids the problems were asked for. */
  hostids: string[];
  problems: OpenProblem[];
}

const NOT_CONFIGURED = 'Zabbix monitoring is not configured (ZABBIX_URL is empty)';

export function pinFromRow(row: Record<string, unknown>): MonitoringPin {
  return {
    assetId: Number(row.asset_id),
    hostid: String(row.hostid),
    host: String(row.host),
    matchedHow: row.matched_how as MonitoringPin['matchedHow'],
    matchedAt: parseUtcDatetime(row.matched_at) ?? new Date(0),
    matchedBy: String(row.matched_by),
  };
}

export async function pinsFor(db: Knex, assetIds?: readonly number[]): Promise<Map<number, MonitoringPin>> {
  const q = db('monitoring_pins').select('*');
  if (assetIds) q.whereIn('asset_id', assetIds as number[]);
  return new Map(((await q) as Record<string, unknown>[]).map((row) => [Number(row.asset_id), pinFromRow(row)]));
}

interface RawHost {
  hostid: string;
  host: string;
  name: string;
  status: string;
  interfaces?: Array<{ ip: string }>;
}

interface RawProblem {
  eventid: string;
  objectid: string;
  name: string;
  severity: string;
  clock: string;
  acknowledged: string;
}

/**
 * One per process (the API app) or per command: it holds the Zabbix client, whose breaker and
 * session are this process's, and the refreshes under way, which concurrent callers share.
 */
export class Monitoring {
  readonly client: ZabbixClient;
  private hostRefresh: Promise<ZabbixHost[]> | null = null;
  private problemRefresh: Promise<CacheEntry<ProblemsBody>> | null = null;

  constructor(
    readonly settings: ZabbixSettings,
    options: ZabbixClientOptions & { now?: () => number } = {},
    private readonly now: () => number = options.now ?? Date.now,
  ) {
    this.client = new ZabbixClient(settings, options);
  }

  /** Every host the credentials can read, with its interface IPs. */
  async fetchHosts(): Promise<ZabbixHost[]> {
    const hosts = await this.client.call<RawHost[]>('host.get', { output: ['hostid', 'host', 'name', 'status'], selectInterfaces: ['ip'] });
    return hosts.map((h) => ({
      hostid: h.hostid,
      host: h.host,
      name: h.name,
      enabled: h.status === '0',
      ips: [...new Set((h.interfaces ?? []).map((i) => i.ip).filter((ip) => ip !== ''))],
    }));
  }

  /** Asks Zabbix for the host map now and stores it; concurrent callers share one call. */
  refreshHosts(db: Knex): Promise<ZabbixHost[]> {
    this.hostRefresh ??= (async () => {
      try {
        const hosts = await this.fetchHosts();
        await writeCache(db, 'hosts', hosts, new Date(this.now()));
        return hosts;
      } catch (error) {
        await writeCacheError(db, 'hosts', asShopdbError(error).message, new Date(this.now())).catch(() => {});
        throw error;
      }
    })().finally(() => {
      this.hostRefresh = null;
    });
    return this.hostRefresh;
  }

  /** The cached host map; when it is older than its TTL, a refresh starts in the background. */
  async cachedHosts(db: Knex, read?: CacheEntry<ZabbixHost[]>): Promise<CacheEntry<ZabbixHost[]>> {
    const entry = read ?? (await readCache<ZabbixHost[]>(db, 'hosts'));
    const age = entry.fetchedAt ? this.now() - entry.fetchedAt.getTime() : Infinity;
    const failedRecently = entry.lastErrorAt !== null && this.now() - entry.lastErrorAt.getTime() < this.settings.problemTtlMs;
    if (age > this.settings.hostMapTtlMs && !failedRecently && !this.client.breakerOpen) void this.refreshHosts(db).catch(() => {});
    return entry;
  }

  private async fetchProblems(hostids: string[]): Promise<OpenProblem[]> {
    if (hostids.length === 0) return [];
    const raw = await this.client.call<RawProblem[]>('problem.get', {
      hostids,
      source: 0,
      object: 0,
      output: ['eventid', 'objectid', 'name', 'severity', 'clock', 'acknowledged'],
      sortfield: ['eventid'],
      sortorder: 'DESC',
    });
    if (raw.length === 0) return [];
    const triggers = await this.client.call<Array<{ triggerid: string; hosts: Array<{ hostid: string }> }>>('trigger.get', {
      triggerids: [...new Set(raw.map((p) => p.objectid))],
      output: ['triggerid'],
      selectHosts: ['hostid'],
    });
    const wanted = new Set(hostids);
    const hostsOf = new Map(triggers.map((t) => [t.triggerid, t.hosts.map((h) => h.hostid).filter((id) => wanted.has(id))]));
    return raw.flatMap((p) =>
      (hostsOf.get(p.objectid) ?? []).map((hostid) => ({
        eventid: p.eventid,
        hostid,
        name: p.name,
        severity: SEVERITIES[Number(p.severity)] ?? 'not-classified',
        since: new Date(Number(p.clock) * 1000).toISOString(),
        acknowledged: p.acknowledged === '1',
      })),
    );
  }

  /**
   * The open problems of every pinned host: from the cache while it is younger than the problem
   * TTL and covers the pins, else asked from Zabbix (one call shared by concurrent callers). On a
   * failure the last known problems come back with the error.
   */
  async problems(db: Knex, read?: CacheEntry<ProblemsBody>): Promise<{ entry: CacheEntry<ProblemsBody>; error: string | null }> {
    const pinned = ((await db('monitoring_pins').distinct('hostid')) as Array<{ hostid: string }>).map((r) => String(r.hostid)).sort();
    const entry = read ?? (await readCache<ProblemsBody>(db, 'problems'));
    const fresh = entry.fetchedAt !== null && this.now() - entry.fetchedAt.getTime() < this.settings.problemTtlMs;
    const covers = entry.body !== null && pinned.every((id) => entry.body!.hostids.includes(id));
    if (fresh && covers) return { entry, error: null };
    // Another replica failed a moment ago: do not pile on; answer with what is known.
    if (
      entry.lastErrorAt !== null &&
      this.now() - entry.lastErrorAt.getTime() < Math.min(this.settings.problemTtlMs, 5_000) &&
      (entry.fetchedAt === null || entry.lastErrorAt > entry.fetchedAt)
    ) {
      return { entry, error: entry.lastError };
    }
    this.problemRefresh ??= (async () => {
      const fetchedAt = new Date(this.now());
      const body: ProblemsBody = { hostids: pinned, problems: await this.fetchProblems(pinned) };
      await writeCache(db, 'problems', body, fetchedAt);
      return { body, fetchedAt, lastError: null, lastErrorAt: null };
    })().finally(() => {
      this.problemRefresh = null;
    });
    try {
      return { entry: await this.problemRefresh, error: null };
    } catch (error) {
      const message = asShopdbError(error).message;
      await writeCacheError(db, 'problems', message, new Date(this.now())).catch(() => {});
      return { entry, error: message };
    }
  }

  /** The status of each asset, from the cache or at most two Zabbix calls for all of them. */
  async statusFor(db: Knex, assetIds: readonly number[]): Promise<Map<number, MonitoringStatus>> {
    const result = new Map<number, MonitoringStatus>();
    if (assetIds.length === 0) return result;
    const [pins, cached] = await Promise.all([pinsFor(db, assetIds), readCaches(db)]);
    const [hosts, { entry, error }] = await Promise.all([
      this.cachedHosts(db, cached.hosts as CacheEntry<ZabbixHost[]>),
      pins.size > 0 ? this.problems(db, cached.problems as CacheEntry<ProblemsBody>) : Promise.resolve({ entry: null, error: null }),
    ]);
    const hostById = new Map((hosts.body ?? []).map((h) => [h.hostid, h]));
    const byHost = new Map<string, OpenProblem[]>();
    for (const problem of entry?.body?.problems ?? []) byHost.set(problem.hostid, [...(byHost.get(problem.hostid) ?? []), problem]);
    const checkedAt = entry?.fetchedAt ?? null;
    const ageSeconds = checkedAt ? Math.max(0, Math.round((this.now() - checkedAt.getTime()) / 1000)) : null;
    const stale = checkedAt === null || this.now() - checkedAt.getTime() >= this.settings.problemTtlMs;
    for (const id of assetIds) {
      const pin = pins.get(id);
      if (!pin) {
        result.set(id, {
          state: 'unmatched',
          reason: 'not pinned to a Zabbix host (`shopdb zabbix match`, or pin it)',
          hostid: null,
          host: null,
          problems: [],
          checkedAt: null,
          ageSeconds: null,
          stale: false,
        });
        continue;
      }
      const host = hostById.get(pin.hostid);
      const problems = byHost.get(pin.hostid) ?? [];
      const known = entry !== null && entry.body !== null && entry.body.hostids.includes(pin.hostid);
      const base = {
        hostid: pin.hostid,
        host: host?.host ?? pin.host,
        problems: known ? problems : [],
        checkedAt: checkedAt?.toISOString() ?? null,
        ageSeconds,
        stale,
      };
      if (error !== null || !known)
        result.set(id, { ...base, state: 'unknown', reason: error ?? 'Zabbix has not been asked yet', stale: true });
      else if (host && !host.enabled) result.set(id, { ...base, state: 'disabled', reason: 'the host is disabled in Zabbix' });
      else result.set(id, { ...base, state: problems.length > 0 ? 'problem' : 'ok', reason: null });
    }
    return result;
  }
}

/** For a site without ZABBIX_URL: every asset's status says so. */
export function notConfiguredStatus(): MonitoringStatus {
  return {
    state: 'unknown',
    reason: NOT_CONFIGURED,
    hostid: null,
    host: null,
    problems: [],
    checkedAt: null,
    ageSeconds: null,
    stale: false,
  };
}

export async function statusesFor(
  monitoring: Monitoring | null,
  db: Knex,
  assetIds: readonly number[],
): Promise<Map<number, MonitoringStatus>> {
  if (monitoring === null) return new Map(assetIds.map((id) => [id, notConfiguredStatus()]));
  return monitoring.statusFor(db, assetIds);
}

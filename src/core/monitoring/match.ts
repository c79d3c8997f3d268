// Matching assets to Zabbix hosts, reviewable (`shopdb zabbix match`). For each asset with no pin:
// its hostname = a host's technical name, then the hostname without its domain, then an IP the
// inventory knows for it (through the plugins' monitoringAddresses hook) = a host interface IP.
// Nothing is guessed: two candidate hosts are ambiguous, two assets for one host (or a host that is
// pinned already) are duplicates, and a name that is a prefix of another host's name (vcenter /
// vcenter8, the collision prefix matching makes) is a collision. Those are listed, not pinned.
// `apply` stores the proposals, each audited, in one transaction.

import type { Knex } from 'knex';
import type { Actor } from '../audit/log.js';
import { recordAudit } from '../audit/log.js';
import { inTransaction } from '../db/transaction.js';
import { formatUtcDatetime } from '../db/values.js';
import { asShopdbError } from '../errors.js';
import type { AvailablePlugin } from '../plugins/catalog.js';
import { listInstalled } from '../plugins/state.js';
import type { Monitoring, MonitoringPin, ZabbixHost } from './service.js';

export type MatchHow = Exclude<MonitoringPin['matchedHow'], 'manual'>;

export interface MatchAsset {
  assetId: number;
  assetTag: string;
  hostname: string | null;
}

export interface MatchCandidate {
  hostid: string;
  host: string;
}

export interface MatchProposal extends MatchAsset, MatchCandidate {
  how: MatchHow;
  /** What matched: the name or the IP. */
  on: string;
}

export interface MatchIssue extends MatchAsset {
  kind: 'ambiguous' | 'duplicate' | 'prefix-collision';
  how: MatchHow;
  on: string;
  candidates: MatchCandidate[];
  /** One sentence for the terminal. */
  reason: string;
}

export interface MatchReport {
  applied: boolean;
  hostsInZabbix: number;
  alreadyPinned: number;
  proposals: MatchProposal[];
  issues: MatchIssue[];
  /** Assets with no pin and nothing that matched. */
  unmatched: number;
  /** Plugins whose addresses could not be read (their error). */
  addressErrors: Array<{ plugin: string; error: string }>;
}

export interface MatchOptions {
  db: Knex;
  monitoring: Monitoring;
  plugins: readonly AvailablePlugin[];
  actor: Actor;
  apply: boolean;
}

const shortName = (name: string) => name.toLowerCase().split('.')[0]!;

/** Another host whose name starts with this one and goes on with a digit, - or _ (vcenter / vcenter8). */
function prefixRivals(hosts: readonly ZabbixHost[], matched: ZabbixHost, name: string): ZabbixHost[] {
  const base = name.toLowerCase();
  return hosts.filter((h) => {
    if (h.hostid === matched.hostid) return false;
    const other = shortName(h.host);
    return (
      (other.length > base.length && other.startsWith(base) && /^[0-9_-]/.test(other.slice(base.length))) ||
      (base.length > other.length && base.startsWith(other) && /^[0-9_-]/.test(base.slice(other.length)))
    );
  });
}

async function knownAddresses(
  db: Knex,
  plugins: readonly AvailablePlugin[],
  errors: MatchReport['addressErrors'],
): Promise<Map<number, string[]>> {
  const enabled = new Set((await listInstalled(db)).filter((s) => s.enabled).map((s) => s.name));
  const byAsset = new Map<number, string[]>();
  for (const plugin of plugins) {
    const hook = plugin.manifest.monitoringAddresses;
    if (!hook || !enabled.has(plugin.manifest.name)) continue;
    try {
      for (const { assetId, ip } of await hook({ db, plugin: { name: plugin.manifest.name, version: plugin.manifest.version } })) {
        byAsset.set(assetId, [...(byAsset.get(assetId) ?? []), ip]);
      }
    } catch (error) {
      errors.push({ plugin: plugin.manifest.name, error: asShopdbError(error).message });
    }
  }
  return byAsset;
}

export async function matchAssets(options: MatchOptions): Promise<MatchReport> {
  const { db } = options;
  const hosts = await options.monitoring.refreshHosts(db);
  const addressErrors: MatchReport['addressErrors'] = [];
  const addresses = await knownAddresses(db, options.plugins, addressErrors);
  const pinnedRows = (await db('monitoring_pins').select('asset_id', 'hostid')) as Array<{ asset_id: number; hostid: string }>;
  const pinnedAssets = new Set(pinnedRows.map((r) => Number(r.asset_id)));
  const pinnedHosts = new Set(pinnedRows.map((r) => String(r.hostid)));
  const assets = (
    (await db('assets').whereNull('deleted_at').select('id', 'asset_tag', 'hostname').orderBy('id')) as Array<{
      id: number;
      asset_tag: string;
      hostname: string | null;
    }>
  )
    .map((a) => ({ assetId: Number(a.id), assetTag: a.asset_tag, hostname: a.hostname }))
    .filter((a) => !pinnedAssets.has(a.assetId));

  const byTechnical = new Map<string, ZabbixHost[]>();
  const byShort = new Map<string, ZabbixHost[]>();
  const byIp = new Map<string, ZabbixHost[]>();
  const add = (map: Map<string, ZabbixHost[]>, key: string, host: ZabbixHost) => map.set(key, [...(map.get(key) ?? []), host]);
  for (const host of hosts) {
    add(byTechnical, host.host.toLowerCase(), host);
    add(byShort, shortName(host.host), host);
    for (const ip of host.ips) add(byIp, ip, host);
  }

  const proposals: MatchProposal[] = [];
  const issues: MatchIssue[] = [];
  let unmatched = 0;
  const candidate = (h: ZabbixHost): MatchCandidate => ({ hostid: h.hostid, host: h.host });
  for (const asset of assets) {
    const hostname = asset.hostname?.trim().toLowerCase() || null;
    const attempts: Array<{ how: MatchHow; on: string; found: ZabbixHost[] }> = [];
    if (hostname) attempts.push({ how: 'hostname', on: hostname, found: byTechnical.get(hostname) ?? [] });
    if (hostname && shortName(hostname) !== hostname)
      attempts.push({ how: 'short-name', on: shortName(hostname), found: byShort.get(shortName(hostname)) ?? [] });
    else if (hostname)
      attempts.push({
        how: 'short-name',
        on: hostname,
        found: (byShort.get(hostname) ?? []).filter((h) => h.host.toLowerCase() !== hostname),
      });
    for (const ip of addresses.get(asset.assetId) ?? []) attempts.push({ how: 'ip', on: ip, found: byIp.get(ip) ?? [] });
    const hit = attempts.find((a) => a.found.length > 0);
    if (!hit) {
      unmatched += 1;
      continue;
    }
    const unique = [...new Map(hit.found.map((h) => [h.hostid, h])).values()];
    if (unique.length > 1) {
      issues.push({
        ...asset,
        kind: 'ambiguous',
        how: hit.how,
        on: hit.on,
        candidates: unique.map(candidate),
        reason: `${hit.on} matches ${unique.length} Zabbix hosts: ${unique.map((h) => h.host).join(', ')}`,
      });
      continue;
    }
    const host = unique[0]!;
    if (hit.how !== 'ip') {
      const rivals = prefixRivals(hosts, host, hit.on);
      if (rivals.length > 0) {
        issues.push({
          ...asset,
          kind: 'prefix-collision',
          how: hit.how,
          on: hit.on,
          candidates: [host, ...rivals].map(candidate),
          reason: `${hit.on} matches ${host.host}, but ${rivals.map((h) => h.host).join(', ')} share its prefix: pin it by hand if ${host.host} is right`,
        });
        continue;
      }
    }
    if (pinnedHosts.has(host.hostid)) {
      issues.push({
        ...asset,
        kind: 'duplicate',
        how: hit.how,
        on: hit.on,
        candidates: [candidate(host)],
        reason: `${host.host} is already pinned to another asset`,
      });
      continue;
    }
    proposals.push({ ...asset, ...candidate(host), how: hit.how, on: hit.on });
  }

  // Two assets for one host: neither is pinned.
  const perHost = new Map<string, MatchProposal[]>();
  for (const p of proposals) perHost.set(p.hostid, [...(perHost.get(p.hostid) ?? []), p]);
  const kept: MatchProposal[] = [];
  for (const group of perHost.values()) {
    if (group.length === 1) kept.push(group[0]!);
    else {
      for (const p of group) {
        const others = group.filter((o) => o !== p).map((o) => o.assetTag);
        issues.push({
          assetId: p.assetId,
          assetTag: p.assetTag,
          hostname: p.hostname,
          kind: 'duplicate',
          how: p.how,
          on: p.on,
          candidates: [{ hostid: p.hostid, host: p.host }],
          reason: `${p.host} also matches ${others.join(', ')}`,
        });
      }
    }
  }
  kept.sort((a, b) => a.assetId - b.assetId);
  issues.sort((a, b) => a.assetId - b.assetId);

  if (options.apply && kept.length > 0) {
    await inTransaction(
      db,
      async (trx) => {
        const now = formatUtcDatetime(new Date());
        for (const p of kept) {
          // A pin made meanwhile (by an editor, or another match) wins: skip it.
          const exists = await trx('monitoring_pins').where('asset_id', p.assetId).orWhere('hostid', p.hostid).first('asset_id');
          if (exists) continue;
          const row = {
            asset_id: p.assetId,
            hostid: p.hostid,
            host: p.host,
            matched_how: p.how,
            matched_at: now,
            matched_by: options.actor.username ?? 'unknown',
          };
          await trx('monitoring_pins').insert(row);
          await recordAudit(trx, options.actor, {
            action: 'monitoring.pin',
            objectType: 'asset',
            objectId: p.assetId,
            after: { hostid: p.hostid, host: p.host, how: p.how, on: p.on },
          });
        }
      },
      { serializeOn: ['monitoring:pins'] },
    );
  }
  return {
    applied: options.apply,
    hostsInZabbix: hosts.length,
    alreadyPinned: pinnedAssets.size,
    proposals: kept,
    issues,
    unmatched,
    addressErrors,
  };
}

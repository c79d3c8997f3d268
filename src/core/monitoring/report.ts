// What `shopdb zabbix status` and GET /api/monitoring/problems show: one asset's status, the
// site's counts per state, and the open problems mapped to their assets and locations.

import type { Knex } from 'knex';
import { pathPrefixPattern } from '../inventory/locations.js';
import { NotFoundError, ValidationError } from '../errors.js';
import {
  SEVERITIES,
  statusesFor,
  type Monitoring,
  type MonitoringState,
  type MonitoringStatus,
  type OpenProblem,
  type Severity,
} from './service.js';

export interface AssetRef {
  id: number;
  assetTag: string;
  name: string;
  location: { id: number; name: string } | null;
}

export interface SiteMonitoringReport {
  configured: boolean;
  /** One asset when an asset tag was given; else every pinned asset. */
  assets: Array<AssetRef & { monitoring: MonitoringStatus }>;
  counts: Record<MonitoringState, number>;
  unpinned: number;
}

async function assetRefs(db: Knex, where: (q: Knex.QueryBuilder) => void): Promise<AssetRef[]> {
  const q = db({ a: 'assets' })
    .leftJoin({ l: 'locations' }, 'l.id', 'a.location_id')
    .whereNull('a.deleted_at')
    .select('a.id', 'a.asset_tag', 'a.name', 'l.id as location_id', 'l.name as location_name')
    .orderBy('a.id');
  where(q);
  return ((await q) as Array<Record<string, unknown>>).map((r) => ({
    id: Number(r.id),
    assetTag: String(r.asset_tag),
    name: String(r.name),
    location: r.location_id === null || r.location_id === undefined ? null : { id: Number(r.location_id), name: String(r.location_name) },
  }));
}

export async function siteMonitoringReport(db: Knex, monitoring: Monitoring | null, assetTag?: string): Promise<SiteMonitoringReport> {
  const assets =
    assetTag === undefined
      ? await assetRefs(db, (q) => q.whereIn('a.id', db('monitoring_pins').select('asset_id')))
      : await assetRefs(db, (q) => q.where('a.asset_tag', assetTag));
  if (assetTag !== undefined && assets.length === 0) throw new NotFoundError(`There is no asset with tag ${assetTag}`);
  const statuses = await statusesFor(
    monitoring,
    db,
    assets.map((a) => a.id),
  );
  const counts = Object.fromEntries(['ok', 'problem', 'unknown', 'unmatched', 'disabled'].map((s) => [s, 0])) as Record<
    MonitoringState,
    number
  >;
  const rows = assets.map((a) => ({ ...a, monitoring: statuses.get(a.id)! }));
  for (const row of rows) counts[row.monitoring.state] += 1;
  const [{ live }] = (await db('assets').whereNull('deleted_at').count({ live: '*' })) as Array<{ live: number | string }>;
  const [{ pinned }] = (await db('monitoring_pins').count({ pinned: '*' })) as Array<{ pinned: number | string }>;
  return { configured: monitoring !== null, assets: rows, counts, unpinned: Math.max(0, Number(live) - Number(pinned)) };
}

export interface ProblemListing {
  results: Array<OpenProblem & { asset: AssetRef }>;
  checkedAt: string | null;
  ageSeconds: number | null;
  stale: boolean;
  /** Why the problems could not be asked (Zabbix down, not configured); null when they are fresh. */
  reason: string | null;
}

export async function listOpenProblems(
  db: Knex,
  monitoring: Monitoring | null,
  filter: { locationId?: number; minSeverity?: Severity } = {},
): Promise<ProblemListing> {
  if (monitoring === null)
    return {
      results: [],
      checkedAt: null,
      ageSeconds: null,
      stale: false,
      reason: 'Zabbix monitoring is not configured (ZABBIX_URL is empty)',
    };
  let path: string | undefined;
  if (filter.locationId !== undefined) {
    const location = (await db('locations').where('id', filter.locationId).first('path')) as { path: string } | undefined;
    if (!location) throw new ValidationError(`There is no location with id ${filter.locationId}`, { location: 'no such location' });
    path = location.path;
  }
  const assets = await assetRefs(db, (q) => {
    q.whereIn('a.id', db('monitoring_pins').select('asset_id'));
    if (path !== undefined) q.whereIn('a.location_id', db('locations').select('id').where('path', 'like', pathPrefixPattern(path)));
  });
  const statuses = await monitoring.statusFor(
    db,
    assets.map((a) => a.id),
  );
  const minimum = filter.minSeverity ? SEVERITIES.indexOf(filter.minSeverity) : 0;
  const results = assets.flatMap((asset) =>
    (statuses.get(asset.id)?.problems ?? []).filter((p) => SEVERITIES.indexOf(p.severity) >= minimum).map((p) => ({ ...p, asset })),
  );
  results.sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || b.since.localeCompare(a.since));
  const any = [...statuses.values()][0];
  const unknown = [...statuses.values()].find((s) => s.state === 'unknown');
  return {
    results,
    checkedAt: any?.checkedAt ?? null,
    ageSeconds: any?.ageSeconds ?? null,
    stale: any?.stale ?? false,
    reason: unknown?.reason ?? null,
  };
}

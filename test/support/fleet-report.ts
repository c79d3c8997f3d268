// Fleet status reports built from a few facts per site, for the report's renderers: real
// summaries and real fleet totals (fleetTotals), without starting a site.

import { fleetTotals, type FleetStatusReport, type SiteStatus, type SiteStatusName } from '../../src/core/fleet/status.js';
import { SUMMARY_FORMAT, type SiteSummary } from '../../src/core/summary/site-summary.js';

export const ASSET_TYPE_LABELS: Record<string, string> = {
  cnc: 'CNC machine',
  pc: 'Shop-floor PC',
  printer: 'Printer',
  switch: 'Network switch',
  cmm: 'Coordinate measuring machine',
};

export interface FleetSiteFacts {
  name: string;
  status?: SiteStatusName;
  /** Asset counts by type key; leave out for a site without figures (a failure with nothing known). */
  byType?: Record<string, number>;
  /** When its figures were pulled (for a stale site, its last good summary). */
  fetchedAt?: string;
  headlines?: Array<{ plugin: string; key: string; label: string; value: number }>;
}

export const REPORT_TIME = '2026-12-03T12:00:00.000Z';

function summaryOf(site: FleetSiteFacts, generatedAt: string): SiteSummary {
  const byType = Object.entries(site.byType ?? {}).map(([key, count]) => ({ key, label: ASSET_TYPE_LABELS[key] ?? key, count }));
  const plugins = new Map<string, SiteSummary['plugins'][number]>();
  for (const h of site.headlines ?? []) {
    const plugin = plugins.get(h.plugin) ?? { name: h.plugin, version: '1.0.0', enabled: true, headlines: [], error: null };
    plugin.headlines.push({ key: h.key, label: h.label, value: h.value });
    plugins.set(h.plugin, plugin);
  }
  return {
    format: SUMMARY_FORMAT,
    site: site.name,
    shopdbVersion: '0.1.0',
    generatedAt,
    schema: [{ source: 'core', head: '20261101A-fleet-tokens', applied: 40 }],
    plugins: [...plugins.values()],
    assets: { total: byType.reduce((sum, t) => sum + t.count, 0), byType, byStatus: [], byLocation: [] },
    backup: { state: 'found', createdAt: generatedAt, ageSeconds: 3600, reason: null },
  };
}

export function fleetStatusOf(facts: readonly FleetSiteFacts[], generatedAt = REPORT_TIME): FleetStatusReport {
  const sites = facts.map((site): SiteStatus => {
    const status = site.status ?? 'ok';
    const fetchedAt = site.byType ? (site.fetchedAt ?? generatedAt) : null;
    const summary = site.byType ? summaryOf(site, fetchedAt!) : null;
    return {
      name: site.name,
      url: `https://${encodeURIComponent(site.name)}.example`,
      status,
      failure: status === 'ok' ? null : status === 'stale' ? 'refused' : (status as SiteStatus['failure']),
      problem: status === 'ok' ? null : 'connection refused',
      fetchedAt,
      dataAgeSeconds: summary ? Math.round((Date.parse(generatedAt) - Date.parse(fetchedAt!)) / 1000) : null,
      shopdbVersion: summary?.shopdbVersion ?? null,
      coreSchema: summary?.schema[0]!.head ?? null,
      backupAgeSeconds: summary ? 3600 : null,
      assets: summary?.assets.total ?? null,
      durationMs: 5,
      summary,
    };
  });
  return { generatedAt, durationMs: 10, timeoutMs: 10_000, concurrency: 64, sites, totals: fleetTotals(sites), exitCode: 1, warnings: [] };
}

/** The rects of the chart's bars, as the HTML has them. */
export interface ChartBar {
  site: string;
  type: string;
  count: number;
  width: number;
}

const unescape = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

export function chartBars(html: string): ChartBar[] {
  return [...html.matchAll(/<rect class="bar"([^>]*)>/g)].map(([, attributes]) => {
    const attribute = (name: string) => unescape(new RegExp(` ${name}="([^"]*)"`).exec(attributes!)![1]!);
    return {
      site: attribute('data-site'),
      type: attribute('data-type'),
      count: Number(attribute('data-count')),
      width: Number(attribute('width')),
    };
  });
}

// `shopdb fleet report`: the fleet's totals and one row per site, for a monthly report, as CSV
// (one column per asset type and per plugin headline found anywhere in the fleet, then a total
// row), JSON, or one self-contained HTML page with a chart (report-html.ts). It pulls like `fleet status`, so a site that does not answer is reported from its
// last good summary and marked stale, with the time that summary was pulled.

import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { fleetReportHtml } from './report-html.js';
import { fleetStatus, type FleetStatusOptions, type FleetStatusReport, type SiteStatus } from './status.js';

export const REPORT_FORMATS = ['csv', 'json', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface FleetReportRow {
  site: string;
  status: SiteStatus['status'];
  failure: SiteStatus['failure'];
  /** When the figures were pulled (older than the report for a stale site). */
  fetchedAt: string | null;
  shopdbVersion: string | null;
  coreSchema: string | null;
  backupAgeSeconds: number | null;
  assets: number | null;
  /** By asset type key; 0 for a type the site does not have, null when the site has no data. */
  assetsByType: Record<string, number | null>;
  /** By `<plugin>/<key>`; null when the site does not have that plugin or no data. */
  headlines: Record<string, number | null>;
}

export interface FleetReport {
  generatedAt: string;
  assetTypes: string[];
  headlines: Array<{ id: string; label: string }>;
  sites: FleetReportRow[];
  totals: FleetStatusReport['totals'];
}

export function buildFleetReport(status: FleetStatusReport): FleetReport {
  const assetTypes = status.totals.assetsByType.map((type) => type.key);
  const headlines = status.totals.headlines.map((h) => ({ id: `${h.plugin}/${h.key}`, label: h.label }));
  const sites = status.sites.map((site): FleetReportRow => {
    const summary = site.summary;
    const byType = Object.fromEntries(
      assetTypes.map((key) => [key, summary ? (summary.assets.byType.find((t) => t.key === key)?.count ?? 0) : null]),
    );
    const figures = new Map<string, number>(
      summary?.plugins.flatMap((p) => p.headlines.map((h) => [`${p.name}/${h.key}`, h.value] as [string, number])) ?? [],
    );
    return {
      site: site.name,
      status: site.status,
      failure: site.failure,
      fetchedAt: site.fetchedAt,
      shopdbVersion: site.shopdbVersion,
      coreSchema: site.coreSchema,
      backupAgeSeconds: site.backupAgeSeconds,
      assets: site.assets,
      assetsByType: byType,
      headlines: Object.fromEntries(headlines.map(({ id }) => [id, figures.get(id) ?? null])),
    };
  });
  return { generatedAt: status.generatedAt, assetTypes, headlines, sites, totals: status.totals };
}

/**
 * One CSV cell. Text a site sent (its version) could start a spreadsheet formula; such a cell is
 * prefixed with a quote so a spreadsheet shows it as text.
 */
function cell(text: string): string {
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function fleetReportCsv(report: FleetReport): string {
  const header = [
    'site',
    'status',
    'failure',
    'fetched_at',
    'shopdb_version',
    'core_schema',
    'backup_age_s',
    'assets',
    ...report.assetTypes.map((key) => `assets:${key}`),
    ...report.headlines.map((h) => h.id),
  ];
  const lines = [header];
  for (const row of report.sites) {
    lines.push([
      row.site,
      row.status,
      row.failure ?? '',
      row.fetchedAt ?? '',
      row.shopdbVersion ?? '',
      row.coreSchema ?? '',
      row.backupAgeSeconds === null ? '' : String(row.backupAgeSeconds),
      row.assets === null ? '' : String(row.assets),
      ...report.assetTypes.map((key) => (row.assetsByType[key] === null ? '' : String(row.assetsByType[key]))),
      ...report.headlines.map((h) => (row.headlines[h.id] === null ? '' : String(row.headlines[h.id]))),
    ]);
  }
  const totals = report.totals;
  lines.push([
    'TOTAL',
    `${totals.byStatus.ok}/${totals.sites} fresh`,
    '',
    report.generatedAt,
    '',
    '',
    '',
    String(totals.assets),
    ...report.assetTypes.map((key) => String(totals.assetsByType.find((t) => t.key === key)?.count ?? 0)),
    ...report.headlines.map((h) => String(totals.headlines.find((t) => `${t.plugin}/${t.key}` === h.id)?.value ?? 0)),
  ]);
  return `${lines.map((line) => line.map(cell).join(',')).join('\n')}\n`;
}

const RENDERERS: Record<ReportFormat, (report: FleetReport) => string> = {
  csv: fleetReportCsv,
  json: (report) => `${JSON.stringify(report, null, 2)}\n`,
  html: fleetReportHtml,
};

export function renderFleetReport(report: FleetReport, format: ReportFormat): string {
  return RENDERERS[format](report);
}

/** Writes the report beside its final name and renames it, so a reader never sees half a report. */
export async function writeReportFile(file: string, text: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file).catch(async (error: unknown) => {
    await unlink(temp).catch(() => {});
    throw error;
  });
}

export interface FleetReportOptions extends FleetStatusOptions {
  format: ReportFormat;
  /** Write here (temp, then rename); without it the caller prints `text`. */
  out?: string;
}

export interface FleetReportResult {
  format: ReportFormat;
  out: string | null;
  text: string;
  report: FleetReport;
  /** Sites reported from their last-known summary or without figures. */
  notFresh: Array<{ site: string; status: SiteStatus['status']; problem: string | null }>;
}

export async function createFleetReport(options: FleetReportOptions): Promise<FleetReportResult> {
  const status = await fleetStatus(options);
  if (status.sites.every((site) => site.summary === null)) {
    throw new UserError('No site answered and none has a last good summary: there is nothing to report', {
      suggestion: '`shopdb fleet status` says why each site failed.',
    });
  }
  const report = buildFleetReport(status);
  const text = renderFleetReport(report, options.format);
  if (options.out) await writeReportFile(options.out, text);
  const notFresh = status.sites
    .filter((site) => site.status !== 'ok')
    .map((site) => ({ site: site.name, status: site.status, problem: site.problem }));
  return { format: options.format, out: options.out ?? null, text, report, notFresh };
}

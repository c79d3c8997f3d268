// The fleet report as one self-contained HTML page (`fleet report --format html`): the totals, the
// per-site table (the CSV's columns and figures) and an SVG chart of assets by type per site, all
// drawn here. Every string came from a site and is escaped; the page's Content-Security-Policy
// allows only its own <style> (by hash) and data: images, so even an escaping slip loads nothing.

import { createHash } from 'node:crypto';
import type { FleetReport, FleetReportRow } from './report.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe as element text and as a quoted attribute value, in HTML and in inline SVG. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

const esc = escapeHtml;

/** `2026-12-03 14:05 UTC`: minutes are enough for a monthly report, and UTC reads the same everywhere. */
function when(iso: string | null): string {
  if (iso === null) return '';
  const text = `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  return `<time datetime="${esc(iso)}">${esc(text)}</time>`;
}

/** 42 s, 17 min, 5 h, 3 d — as `fleet status` shows ages; the exact seconds are in the title. */
function age(seconds: number | null): string {
  if (seconds === null) return '';
  const text =
    seconds < 120
      ? `${seconds} s`
      : seconds < 7200
        ? `${Math.round(seconds / 60)} min`
        : seconds < 172_800
          ? `${Math.round(seconds / 3600)} h`
          : `${Math.round(seconds / 86_400)} d`;
  return `<span title="${seconds} s">${text}</span>`;
}

const figure = (value: number | null): string => (value === null ? '' : String(value));

/** Distinct on white and for the common colour-vision deficiencies; cycles past twelve types. */
const PALETTE = [
  '#3867a8',
  '#e08a1e',
  '#3a9b5c',
  '#c8453c',
  '#8a63b8',
  '#8c6a4f',
  '#d16fae',
  '#6f7780',
  '#b3a826',
  '#2aa3b8',
  '#1c3f73',
  '#f0b27a',
];

/** Chart geometry, in SVG user units (CSS pixels at 100 %): about 22 px a site keeps 50 sites on one screen. */
const CHART = { width: 1100, labelWidth: 220, barsWidth: 760, rowHeight: 22, barHeight: 15, legendRowHeight: 20, axisHeight: 22 };

/** A round step for about five gridlines: 1, 2 or 5 times a power of ten. */
function tickStep(max: number): number {
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= rough) ?? 10 * power;
}

function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Stacked horizontal bars, one per site, one colour per asset type, with a legend above. */
export function assetsChartSvg(report: FleetReport): string {
  const types = report.totals.assetsByType;
  const colour = new Map(types.map((type, index) => [type.key, PALETTE[index % PALETTE.length]!]));

  // The legend wraps like text: an entry's width is estimated from its label (12 px sans-serif).
  const legend: string[] = [];
  let x = 0;
  let legendRows = types.length === 0 ? 0 : 1;
  for (const type of types) {
    const label = truncate(type.label, 40);
    const entryWidth = 28 + Array.from(label).length * 7;
    if (x > 0 && x + entryWidth > CHART.width) {
      x = 0;
      legendRows += 1;
    }
    const y = (legendRows - 1) * CHART.legendRowHeight;
    legend.push(
      `<g class="legend-entry" data-type="${esc(type.key)}"><rect x="${x}" y="${y + 3}" width="14" height="14" fill="${colour.get(type.key)}"/><text x="${x + 20}" y="${y + 14}">${esc(label)}</text></g>`,
    );
    x += entryWidth;
  }

  const max = Math.max(0, ...report.sites.map((site) => site.assets ?? 0));
  const step = max === 0 ? 1 : tickStep(max);
  const axisMax = max === 0 ? 1 : Math.ceil(max / step) * step;
  const scale = CHART.barsWidth / axisMax;
  const axisTop = legendRows * CHART.legendRowHeight + 8;
  const rowsTop = axisTop + CHART.axisHeight;
  const height = rowsTop + report.sites.length * CHART.rowHeight + 8;

  const grid: string[] = [];
  for (let tick = 0; tick <= axisMax; tick += step) {
    const gx = round(CHART.labelWidth + tick * scale);
    grid.push(
      `<line class="grid" x1="${gx}" y1="${rowsTop - 4}" x2="${gx}" y2="${height - 8}"/><text class="tick" x="${gx}" y="${axisTop + 12}">${tick}</text>`,
    );
  }

  const rows = report.sites.map((site, index) => {
    const y = rowsTop + index * CHART.rowHeight;
    const barY = y + (CHART.rowHeight - CHART.barHeight) / 2;
    const textY = y + CHART.rowHeight / 2 + 4;
    const stale = site.status === 'stale';
    const name = `${truncate(site.site, 28)}${stale ? ' (stale)' : ''}`;
    const parts = [`<text class="site" x="${CHART.labelWidth - 8}" y="${textY}"><title>${esc(site.site)}</title>${esc(name)}</text>`];
    if (site.assets === null) {
      parts.push(`<text class="no-data" x="${CHART.labelWidth + 4}" y="${textY}">no figures (${esc(site.status)})</text>`);
    } else {
      let start = CHART.labelWidth;
      for (const type of types) {
        const count = site.assetsByType[type.key] ?? 0;
        if (count === 0) continue;
        const width = count * scale;
        parts.push(
          `<rect class="bar" x="${round(start)}" y="${barY}" width="${round(width)}" height="${CHART.barHeight}" fill="${colour.get(type.key)}" data-site="${esc(site.site)}" data-type="${esc(type.key)}" data-count="${count}"><title>${esc(site.site)}: ${count} ${esc(type.label)}</title></rect>`,
        );
        start += width;
      }
      parts.push(`<text class="total" x="${round(start + 6)}" y="${textY}" data-site="${esc(site.site)}">${site.assets}</text>`);
    }
    return `<g class="site-row${stale ? ' stale' : ''}">${parts.join('')}</g>`;
  });

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="chart-title" width="${CHART.width}" height="${height}" viewBox="0 0 ${CHART.width} ${height}">`,
    `<title id="chart-title">Assets by type for each of ${report.sites.length} sites</title>`,
    `<g class="legend">${legend.join('')}</g>`,
    `<g class="axis">${grid.join('')}</g>`,
    rows.join('\n'),
    '</svg>',
  ].join('\n');
}

function statusCell(row: FleetReportRow): string {
  if (row.status === 'stale') return `<span class="badge stale">stale</span> last good summary ${when(row.fetchedAt)}`;
  return `<span class="badge ${row.status === 'ok' ? 'ok' : 'failing'}">${esc(row.status)}</span>`;
}

function sitesTable(report: FleetReport): string {
  const typeLabel = new Map(report.totals.assetsByType.map((type) => [type.key, type.label]));
  const head = [
    'Site',
    'Status',
    'Failure',
    'Figures pulled',
    'shopdb',
    'Core schema',
    'Backup age',
    'Assets',
    ...report.assetTypes.map((key) => `<abbr title="assets:${esc(key)}">${esc(typeLabel.get(key) ?? key)}</abbr>`),
    ...report.headlines.map((h) => `<abbr title="${esc(h.id)}">${esc(h.label)}</abbr>`),
  ];
  const numeric = (text: string) => `<td class="num">${text}</td>`;
  const body = report.sites.map((row) => {
    const cells = [
      `<th scope="row">${esc(row.site)}</th>`,
      `<td>${statusCell(row)}</td>`,
      `<td>${esc(row.failure ?? '')}</td>`,
      `<td>${when(row.fetchedAt)}</td>`,
      `<td>${esc(row.shopdbVersion ?? '')}</td>`,
      `<td class="schema">${esc(row.coreSchema ?? '')}</td>`,
      numeric(age(row.backupAgeSeconds)),
      numeric(figure(row.assets)),
      ...report.assetTypes.map((key) => numeric(figure(row.assetsByType[key] ?? null))),
      ...report.headlines.map((h) => numeric(figure(row.headlines[h.id] ?? null))),
    ];
    return `<tr class="${esc(row.status)}">${cells.join('')}</tr>`;
  });
  const totals = report.totals;
  const foot = [
    '<th scope="row">Total</th>',
    `<td>${totals.byStatus.ok}/${totals.sites} fresh</td>`,
    '<td></td>',
    `<td>${when(report.generatedAt)}</td>`,
    '<td></td><td></td><td></td>',
    numeric(String(totals.assets)),
    ...report.assetTypes.map((key) => numeric(String(totals.assetsByType.find((t) => t.key === key)?.count ?? 0))),
    ...report.headlines.map((h) => numeric(String(totals.headlines.find((t) => `${t.plugin}/${t.key}` === h.id)?.value ?? 0))),
  ];
  return [
    '<div class="scroll"><table class="sites">',
    `<thead><tr>${head.map((text) => `<th scope="col">${text}</th>`).join('')}</tr></thead>`,
    `<tbody>\n${body.join('\n')}\n</tbody>`,
    `<tfoot><tr>${foot.join('')}</tr></tfoot>`,
    '</table></div>',
  ].join('\n');
}

function totalsList(report: FleetReport): string {
  const totals = report.totals;
  const statuses = Object.entries(totals.byStatus)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
  const items: Array<[string, string]> = [
    ['Sites', `${totals.sites} (${statuses})`],
    ['Assets', String(totals.assets)],
    ...totals.assetsByType.map((type): [string, string] => [type.label, String(type.count)]),
    ...totals.headlines.map((h): [string, string] => [`${h.label} (${h.plugin})`, String(h.value)]),
  ];
  return `<dl class="totals">${items.map(([term, value]) => `<div><dt>${esc(term)}</dt><dd>${esc(value)}</dd></div>`).join('')}</dl>`;
}

const STYLE = `
body { margin: 0; padding: 24px 32px; background: #f4f5f7; color: #1d2329; font: 14px/1.4 system-ui, sans-serif; }
h1 { margin: 0 0 4px; font-size: 24px; }
h2 { margin: 28px 0 10px; font-size: 18px; }
.meta { margin: 0; color: #56606b; }
.totals { display: flex; flex-wrap: wrap; gap: 10px; margin: 0; }
.totals div { background: #fff; border: 1px solid #d8dce1; border-radius: 6px; padding: 8px 14px; min-width: 110px; }
.totals dt { color: #56606b; font-size: 12px; }
.totals dd { margin: 0; font-size: 20px; font-weight: 600; }
.panel { background: #fff; border: 1px solid #d8dce1; border-radius: 6px; padding: 12px; overflow-x: auto; }
.chart text { font: 12px system-ui, sans-serif; fill: #1d2329; }
.chart .site { text-anchor: end; }
.chart .tick { text-anchor: middle; fill: #56606b; }
.chart .grid { stroke: #e3e6ea; }
.chart .no-data { fill: #8a939c; font-style: italic; }
.chart .stale rect { fill-opacity: 0.45; }
.chart .stale .site { fill: #8a5a00; }
.scroll { overflow-x: auto; }
table.sites { border-collapse: collapse; background: #fff; border: 1px solid #d8dce1; }
.sites th, .sites td { padding: 5px 9px; border-bottom: 1px solid #e3e6ea; text-align: left; white-space: nowrap; }
.sites thead th { background: #e9ecf0; font-size: 12px; }
.sites td.num { text-align: right; font-variant-numeric: tabular-nums; }
.sites td.schema { font-family: ui-monospace, monospace; font-size: 12px; }
.sites tfoot th, .sites tfoot td { font-weight: 600; border-top: 2px solid #9aa3ad; }
.sites tr.stale { background: #fff6e0; }
.badge { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 12px; font-weight: 600; }
.badge.ok { background: #dcf2e3; color: #1e6b3a; }
.badge.stale { background: #ffe1a8; color: #7a4a00; }
.badge.failing { background: #f8d7d4; color: #8c2a22; }
abbr { text-decoration: none; }
`;

/** Nothing may load: no scripts, fonts, frames or network; the one <style> is allowed by its hash. */
export function reportContentSecurityPolicy(style: string): string {
  const hash = createHash('sha256').update(style, 'utf8').digest('base64');
  return `default-src 'none'; style-src 'sha256-${hash}'; img-src data:; base-uri 'none'; form-action 'none'`;
}

export function fleetReportHtml(report: FleetReport): string {
  const title = `Fleet report, ${report.generatedAt.slice(0, 16).replace('T', ' ')} UTC`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(reportContentSecurityPolicy(STYLE))}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Fleet report</h1>
<p class="meta">Generated ${when(report.generatedAt)} by shopdb fleet report. A stale site is shown from its last good summary, pulled at the time given.</p>
<h2>Totals</h2>
${totalsList(report)}
<h2>Assets by type per site</h2>
<div class="panel">
${assetsChartSvg(report)}
</div>
<h2>Sites</h2>
${sitesTable(report)}
</body>
</html>
`;
}

// The HTML fleet report as a string: a stale site marked with its last good summary's time, a
// hostile site name kept as text, a CSP that allows nothing but the page's own style, and chart
// bars whose sizes are the counts.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chartBars, fleetStatusOf } from '../../../test/support/fleet-report.js';
import { buildFleetReport, renderFleetReport } from './report.js';

const HOSTILE = '<script>alert(1)</script>';

const fleet = () =>
  buildFleetReport(
    fleetStatusOf([
      {
        name: 'plant-a',
        byType: { cnc: 12, pc: 30, printer: 4 },
        headlines: [{ plugin: 'maintenance', key: 'overdue-pm', label: 'Overdue PM', value: 3 }],
      },
      { name: 'plant-b', status: 'stale', byType: { cnc: 5, switch: 9 }, fetchedAt: '2026-11-28T07:30:00.000Z' },
      { name: HOSTILE, byType: { pc: 2 } },
      { name: 'plant-d', status: 'timeout' },
    ]),
  );

describe('fleet report --format html', () => {
  it('marks a stale site stale with the time of its last good summary, and a site without figures as such', () => {
    const html = renderFleetReport(fleet(), 'html');

    const staleRow = /<tr class="stale">.*<\/tr>/.exec(html)?.[0];
    expect(staleRow).toContain('<th scope="row">plant-b</th>');
    expect(staleRow).toContain('stale</span> last good summary <time datetime="2026-11-28T07:30:00.000Z">2026-11-28 07:30 UTC</time>');
    expect(staleRow).toContain('<td>refused</td>');
    expect(html).toMatch(/<g class="site-row stale"><text class="site"[^>]*><title>plant-b<\/title>plant-b \(stale\)<\/text>/);
    expect(html).toContain('no figures (timeout)');
    expect(/<tr class="timeout">.*<\/tr>/.exec(html)?.[0]).toContain('<td class="num"></td>');
  });

  it("has the CSV's figures: one row per site and a total row", () => {
    const html = renderFleetReport(fleet(), 'html');

    const plantA = /<tr class="ok"><th scope="row">plant-a<\/th>.*<\/tr>/.exec(html)![0];
    // backup age, assets, then pc, cnc, switch, printer (the fleet's types by count), then the headline.
    expect([...plantA.matchAll(/<td class="num">([^<]*(?:<span title="(\d+) s">)?[^<]*)/g)].map((m) => m[2] ?? m[1])).toEqual([
      '3600',
      '46',
      '30',
      '12',
      '0',
      '4',
      '3',
    ]);
    const total = /<tfoot>.*<\/tfoot>/.exec(html)![0];
    expect(total).toContain('2/4 fresh');
    expect([...total.matchAll(/<td class="num">(\d+)<\/td>/g)].map((m) => Number(m[1]))).toEqual([62, 32, 17, 9, 4, 3]);
  });

  it('renders a hostile site name as text everywhere, never as markup', () => {
    const html = renderFleetReport(fleet(), 'html');

    expect(html).not.toContain('<script');
    expect(html).not.toMatch(/<[a-z]+[^>]*\son\w+=/i);
    expect(html).toContain('<th scope="row">&lt;script&gt;alert(1)&lt;/script&gt;</th>');
    expect(html).toContain('data-site="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(chartBars(html).find((bar) => bar.site === HOSTILE)).toMatchObject({ type: 'pc', count: 2 });
  });

  it('allows nothing to load: default-src none, its one style by hash, images from data: only', () => {
    const html = renderFleetReport(fleet(), 'html');

    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!.replace(/&#39;/g, "'");
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(csp).toContain('img-src data:');
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<title>'));
    expect(html).not.toMatch(/\ssrc=|\shref=|\sstyle=|url\(|@import/);
  });

  it("draws one bar per site and type with a count, each as long as its count, and the site's total after it", () => {
    const report = fleet();
    const html = renderFleetReport(report, 'html');

    const bars = chartBars(html);
    const expected = report.sites.flatMap((site) =>
      Object.entries(site.assetsByType)
        .filter(([, count]) => (count ?? 0) > 0)
        .map(([type, count]) => ({ site: site.site, type, count })),
    );
    expect(bars.map(({ site, type, count }) => ({ site, type, count }))).toEqual(expect.arrayContaining(expected));
    expect(bars).toHaveLength(expected.length);
    const unit = bars[0]!.width / bars[0]!.count;
    for (const bar of bars) expect(bar.width).toBeCloseTo(bar.count * unit, 1);
    const totals = [...html.matchAll(/<text class="total"[^>]*>(\d+)<\/text>/g)].map((m) => Number(m[1]));
    expect(totals).toEqual([46, 14, 2]);
    expect([...html.matchAll(/<g class="legend-entry" data-type="([^"]+)"/g)].map((m) => m[1])).toEqual(['pc', 'cnc', 'switch', 'printer']);
  });
});

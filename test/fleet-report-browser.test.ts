// The HTML fleet report in a real browser: headless Chromium (Debian's `chromium`) loads a 50-site
// report from a file, its DOM holds the table and every bar of the chart, and its screenshot is a
// real picture drawn with the page's own style. Skipped, saying why, without chromium; required
// with SHOPDB_TEST_BROWSER=1 (CI).

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFleetReport, renderFleetReport } from '../src/core/fleet/report.js';
import { chartBars, fleetStatusOf, type FleetSiteFacts } from './support/fleet-report.js';
import { colourCount, decodePng, isPng, pixelAt } from './support/png.js';

const CHROMIUM = '/usr/bin/chromium';
const HOSTILE = '<script>alert(1)</script>';

function browserSkipReason(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `${CHROMIUM} is missing: apt-get install --no-install-recommends chromium`;
  if (process.env.SHOPDB_TEST_BROWSER === '1')
    throw new Error(`The browser suite is required (SHOPDB_TEST_BROWSER=1) but cannot run: ${reason}`);
  process.stderr.write(`[shopdb tests] the browser suite is SKIPPED: ${reason}\n`);
  return reason;
}
const skipReason = browserSkipReason();

/** 50 sites: mostly fresh, one stale, one without figures, one with a hostile name. */
function fiftySites(): FleetSiteFacts[] {
  return Array.from({ length: 50 }, (_, i): FleetSiteFacts => {
    const name = i === 7 ? HOSTILE : `plant-${String(i + 1).padStart(2, '0')}`;
    if (i === 12) return { name, status: 'timeout' };
    const byType = { cnc: (i * 7) % 23, pc: 5 + ((i * 11) % 40), printer: i % 4, switch: (i * 3) % 9 };
    return i === 3 ? { name, status: 'stale', byType, fetchedAt: '2026-11-30T08:00:00.000Z' } : { name, byType };
  });
}

describe.skipIf(skipReason !== null)(
  `fleet report --format html in headless Chromium${skipReason ? ` — skipped: ${skipReason}` : ''}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'shopdb-report-browser-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** One Chromium run with a profile of its own; killed if it hangs, waited on otherwise. */
    async function chromium(name: string, args: string[]) {
      const result = await execa(
        CHROMIUM,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-dev-shm-usage',
          `--user-data-dir=${join(dir, `profile-${name}`)}`,
          ...args,
        ],
        { timeout: 90_000, killSignal: 'SIGKILL', reject: false, stdin: 'ignore', maxBuffer: 64 * 1024 * 1024 },
      );
      expect(result.timedOut, `chromium ${name} did not finish within 90 s`).toBe(false);
      expect(result.exitCode, result.stderr).toBe(0);
      return result;
    }

    const report = buildFleetReport(fleetStatusOf(fiftySites()));
    const html = renderFleetReport(report, 'html');
    const file = join(dir, 'fleet.html');
    writeFileSync(file, html);

    it('loads into a DOM with the table, every bar of the chart and the hostile name as text', async () => {
      const { stdout: dom } = await chromium('dom', ['--dump-dom', `file://${file}`]);

      expect(dom).toContain('<table class="sites">');
      expect(dom.match(/<tr class="[a-z_]+"><th scope="row">/g)).toHaveLength(50);
      expect(dom).toMatch(/<svg [^>]*class="chart"/);
      const expectedBars = chartBars(html);
      expect(expectedBars.length).toBeGreaterThan(150);
      expect(dom.match(/<rect class="bar"/g)).toHaveLength(expectedBars.length);
      expect(dom).not.toContain('<script');
      expect(dom).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(dom).toContain('last good summary');
    });

    it("draws a screenshot that is a real picture, in the page's own colours (its style was allowed)", async () => {
      const png = join(dir, 'fleet.png');
      await chromium('screenshot', ['--hide-scrollbars', `--screenshot=${png}`, '--window-size=1280,2000', `file://${file}`]);

      const bytes = readFileSync(png);
      expect(isPng(bytes)).toBe(true);
      expect(bytes.length).toBeGreaterThan(20_000);
      const image = decodePng(bytes);
      expect([image.width, image.height]).toEqual([1280, 2000]);
      expect(colourCount(image)).toBeGreaterThan(8);
      // The body's background from the page's <style>: the CSP's hash let it apply.
      expect(pixelAt(image, 2, 2)).toBe('#f4f5f7');
      // The first bar's colour somewhere in the chart area: the SVG was drawn.
      const seen = new Set<string>();
      for (let y = 0; y < image.height; y += 2) for (let x = 200; x < 1100; x += 2) seen.add(pixelAt(image, x, y));
      expect(seen.has('#3867a8')).toBe(true);
    });
  },
);

// `shopdb fleet` against real sites listening on loopback (apps built in this process over their
// own SQLite databases), a port where nothing listens, and a server that accepts connections and
// never answers: every status, the stale view from the last-known store, the exit codes, and the
// commands through bin/run.js with the token on stdin only.

import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiSite, freePort, makeUser, type ApiSite } from '../../../test/support/api.js';
import { runBin, runCommand } from '../../../test/support/cli.js';
import { tempDir, writeEnvFile } from '../../../test/support/site.js';
import { cliActor } from '../../core/audit/log.js';
import { createApiToken, revokeApiToken } from '../../core/auth/api-tokens.js';
import { addFleetSite } from '../../core/fleet/fleet-file.js';
import type { FleetStatusReport } from '../../core/fleet/status.js';
import FleetList from './list.js';
import FleetRemove from './remove.js';
import FleetStatus from './status.js';
import FleetAdd from './add.js';
import FleetReport from './report.js';
import { buildFleetReport, fleetReportCsv } from '../../core/fleet/report.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';

const admin = cliActor('test');

interface LiveSite {
  api: ApiSite;
  app: FastifyInstance;
  url: string;
  token: string;
}

async function liveSite(name: string): Promise<LiveSite> {
  const api = await createApiSite('sqlite', { SHOPDB_SITE_NAME: name });
  const user = await makeUser(api.db, 'viewer');
  const { token } = await createApiToken(api.db, admin, { userId: user.id, name: 'fleet', scope: 'summary:read' });
  const app = await api.app();
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { api, app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, token };
}

/** A central instance: an .env of its own (no database), its fleet file beside it. */
function central(fleetFile = 'fleet.json'): { envFile: string; fleetFile: string } {
  const dir = tempDir('shopdb-central-');
  const envFile = join(dir, '.env');
  writeEnvFile(envFile, { SHOPDB_SITE_NAME: 'central', FLEET_FILE: `./${fleetFile}` });
  return { envFile, fleetFile: join(dir, fleetFile) };
}

const statusOf = (report: FleetStatusReport) => Object.fromEntries(report.sites.map((s) => [s.name, s.status]));

describe('shopdb fleet', () => {
  let healthy: LiveSite;
  let other: LiveSite;
  let newer: LiveSite;
  let silent: Server;
  let silentUrl: string;
  const held: Socket[] = [];
  let revokedToken: string;
  let refusedUrl: string;

  beforeAll(async () => {
    [healthy, other, newer] = await Promise.all([liveSite('plant-a'), liveSite('plant-b'), liveSite('plant-new')]);
    await newer.api
      .db('shopdb_migrations')
      .insert({ name: '20991231A-from-a-newer-shopdb', batch: 99, migration_time: new Date().toISOString() });
    const user = await makeUser(healthy.api.db, 'viewer');
    const revoked = await createApiToken(healthy.api.db, admin, { userId: user.id, name: 'old', scope: 'summary:read' });
    await revokeApiToken(healthy.api.db, admin, revoked.id);
    revokedToken = revoked.token;
    silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    refusedUrl = `http://127.0.0.1:${await freePort()}`;
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    silent?.close();
    for (const site of [healthy, other, newer]) await site?.api.cleanup();
  });

  it('reports every site — ok, timeout, refused, auth_failed, incompatible — within the timeout, exits 1, then shows a failing site from its last good summary, marked stale', async () => {
    const fleet = central();
    const add = (name: string, url: string, token: string) => addFleetSite({ fleetFile: fleet.fleetFile, name, url, token });
    await add('plant-a', healthy.url, healthy.token);
    await add('plant-b', other.url, other.token);
    await add('silent', silentUrl, healthy.token);
    await add('stopped', refusedUrl, healthy.token);
    await add('revoked', healthy.url, revokedToken);
    await add('newer', newer.url, newer.token);

    const started = Date.now();
    const first = await runCommand(FleetStatus, ['--env-file', fleet.envFile, '--json', '--timeout', '2']);
    const elapsed = Date.now() - started;

    expect(first.exitCode, first.stderr).toBe(1);
    const report = first.json as FleetStatusReport;
    expect(statusOf(report)).toEqual({
      'plant-a': 'ok',
      'plant-b': 'ok',
      silent: 'timeout',
      stopped: 'refused',
      revoked: 'auth_failed',
      newer: 'incompatible',
    });
    expect(elapsed).toBeLessThan(2000 + 1500);
    expect(report.sites.find((s) => s.name === 'newer')!.problem).toContain('20991231A-from-a-newer-shopdb');
    expect(report.sites.find((s) => s.name === 'plant-a')).toMatchObject({
      failure: null,
      shopdbVersion: healthy.app.site.version,
      assets: 0,
      summary: { site: 'plant-a' },
    });
    expect(report.totals.byStatus).toMatchObject({ ok: 2, timeout: 1, refused: 1, auth_failed: 1, incompatible: 1, stale: 0 });
    for (const token of [healthy.token, other.token, newer.token, revokedToken]) expect(first.stdout + first.stderr).not.toContain(token);

    await other.app.close();
    const second = await runCommand(FleetStatus, ['--env-file', fleet.envFile, '--json', '--timeout', '2']);

    expect(second.exitCode).toBe(1);
    const stale = (second.json as FleetStatusReport).sites.find((s) => s.name === 'plant-b')!;
    expect(stale).toMatchObject({
      status: 'stale',
      failure: 'refused',
      fetchedAt: report.sites.find((s) => s.name === 'plant-b')!.fetchedAt,
      summary: { site: 'plant-b' },
    });
    const human = await runCommand(FleetStatus, ['--env-file', fleet.envFile, '--timeout', '2']);
    expect(human.stdout).toMatch(/^plant-b\s+stale \(refused\)/m);
    expect(human.stdout).toMatch(/^6 sites: 1 ok, 1 stale, 1 timeout, 1 refused, 1 auth_failed, 1 incompatible\./m);
  });

  it('exits 0 when every site is fresh, 3 when none answers, 2 when the fleet is empty', async () => {
    const fresh = central();
    await addFleetSite({ fleetFile: fresh.fleetFile, name: 'plant-a', url: healthy.url, token: healthy.token });
    const none = central();
    await addFleetSite({ fleetFile: none.fleetFile, name: 'stopped', url: refusedUrl, token: healthy.token });
    await addFleetSite({ fleetFile: none.fleetFile, name: 'silent', url: silentUrl, token: healthy.token });

    expect((await runCommand(FleetStatus, ['--env-file', fresh.envFile, '--json'])).exitCode).toBe(0);
    expect((await runCommand(FleetStatus, ['--env-file', none.envFile, '--json', '--timeout', '1'])).exitCode).toBe(3);
    const empty = await runCommand(FleetStatus, ['--env-file', central().envFile, '--json']);
    expect(empty.exitCode).toBe(2);
    expect(empty.json.error.suggestion).toContain('fleet add');
  });

  it("list shows the token's prefix only, remove takes the site out; add refuses a token anywhere but stdin", async () => {
    const fleet = central();
    await addFleetSite({ fleetFile: fleet.fleetFile, name: 'plant-a', url: healthy.url, token: healthy.token });

    const listed = await runCommand(FleetList, ['--env-file', fleet.envFile, '--json']);
    const noStdin = await runCommand(FleetAdd, ['plant-x', healthy.url, '--env-file', fleet.envFile, '--json']);
    const removed = await runCommand(FleetRemove, ['plant-a', '--env-file', fleet.envFile, '--json']);
    const again = await runCommand(FleetRemove, ['plant-a', '--env-file', fleet.envFile, '--json']);

    expect(listed.json.sites).toEqual([
      { name: 'plant-a', url: healthy.url, tokenPrefix: healthy.token.slice(0, 12), addedAt: expect.any(String) },
    ]);
    expect(listed.stdout).not.toContain(healthy.token);
    expect(noStdin.exitCode).toBe(2);
    expect(noStdin.json.error.message).toContain('--token-stdin');
    expect(removed.exitCode).toBe(0);
    expect(again.exitCode).toBe(1);
    expect((await runCommand(FleetList, ['--env-file', fleet.envFile, '--json'])).json.sites).toEqual([]);
  });

  it('through bin/run.js: add with the token on stdin, list, status, remove', async () => {
    const fleet = central();

    const added = await runBin(['fleet', 'add', 'plant-a', healthy.url, '--token-stdin', '--env-file', fleet.envFile, '--json'], {
      input: `${healthy.token}\n`,
    });
    const listed = await runBin(['fleet', 'list', '--env-file', fleet.envFile]);
    const status = await runBin(['fleet', 'status', '--env-file', fleet.envFile, '--json']);
    const removed = await runBin(['fleet', 'remove', 'plant-a', '--env-file', fleet.envFile]);

    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.json.site).toMatchObject({ name: 'plant-a', tokenPrefix: healthy.token.slice(0, 12) });
    expect(listed.stdout).toMatch(/^plant-a\s+http:\/\/127\.0\.0\.1:\d+\s+shopdb_\S{5}…/m);
    expect(status.exitCode, status.stderr).toBe(0);
    expect((status.json as FleetStatusReport).sites[0]).toMatchObject({ name: 'plant-a', status: 'ok' });
    expect(removed.exitCode).toBe(0);
    for (const output of [added, listed, status, removed]) expect(output.stdout + output.stderr).not.toContain(healthy.token);
  });

  it('report writes one CSV row per site (a failing one without figures) and a total row, and a JSON report of the same', async () => {
    const fleet = central();
    await addFleetSite({ fleetFile: fleet.fleetFile, name: 'plant-a', url: healthy.url, token: healthy.token });
    await addFleetSite({ fleetFile: fleet.fleetFile, name: 'stopped', url: refusedUrl, token: healthy.token });
    const out = join(fleet.fleetFile, '..', 'fleet.csv');

    const csv = await runCommand(FleetReport, ['--env-file', fleet.envFile, '--format', 'csv', '--out', out, '--timeout', '2']);
    const json = await runCommand(FleetReport, ['--env-file', fleet.envFile, '--format', 'json', '--timeout', '2']);

    expect(csv.exitCode, csv.stderr).toBe(0);
    expect(csv.stderr).toContain('stopped: refused');
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('site,status,failure,fetched_at,shopdb_version,core_schema,backup_age_s,assets');
    expect(lines[1]).toMatch(new RegExp(`^plant-a,ok,,[^,]+,${healthy.app.site.version.replace(/\./g, '\\.')},\\d{8}[A-Z]-[^,]+,,0$`));
    expect(lines[2]).toBe('stopped,refused,refused,,,,,');
    expect(lines[3]).toMatch(/^TOTAL,1\/2 fresh,,[^,]+,,,,0$/);
    expect(JSON.parse(json.stdout)).toMatchObject({
      sites: [
        { site: 'plant-a', status: 'ok' },
        { site: 'stopped', status: 'refused', assets: null },
      ],
      totals: { sites: 2 },
    });
  });

  it('report --format html prints the page, or writes it with --out as the CSV is written (same mode, no temp file left); through bin/run.js too', async () => {
    const fleet = central();
    await addFleetSite({ fleetFile: fleet.fleetFile, name: 'plant-a', url: healthy.url, token: healthy.token });
    await addFleetSite({ fleetFile: fleet.fleetFile, name: 'stopped', url: refusedUrl, token: healthy.token });
    const dir = join(fleet.fleetFile, '..');
    const args = ['--env-file', fleet.envFile, '--timeout', '2'];

    const page = await runCommand(FleetReport, [...args, '--format', 'html']);
    const toFile = await runCommand(FleetReport, [...args, '--format', 'html', '--out', join(dir, 'fleet.html')]);
    await runCommand(FleetReport, [...args, '--format', 'csv', '--out', join(dir, 'fleet.csv')]);
    const bin = await runBin(['fleet', 'report', ...args, '--format', 'html']);
    const binJson = await runBin(['fleet', 'report', ...args, '--format', 'html', '--out', join(dir, 'bin.html'), '--json']);

    expect(page.exitCode, page.stderr).toBe(0);
    expect(page.stdout).toMatch(/^<!doctype html>\n[\s\S]*<\/html>\n?$/);
    expect(page.stdout).toContain('<th scope="row">plant-a</th>');
    expect(page.stdout).toContain('no figures (refused)');
    expect(page.stderr).toContain('stopped: refused');
    expect(toFile.exitCode, toFile.stderr).toBe(0);
    expect(toFile.stdout).toBe('');
    expect(toFile.stderr).toContain(`Wrote the html report of 2 sites to ${join(dir, 'fleet.html')}.`);
    const written = readFileSync(join(dir, 'fleet.html'), 'utf8');
    expect(written).toMatch(/^<!doctype html>/);
    expect(written).toContain('<svg ');
    expect(statSync(join(dir, 'fleet.html')).mode & 0o777).toBe(statSync(join(dir, 'fleet.csv')).mode & 0o777);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(bin.exitCode, bin.stderr).toBe(0);
    expect(bin.stdout).toMatch(/^<!doctype html>[\s\S]*<th scope="row">stopped<\/th>[\s\S]*<\/html>$/);
    expect(binJson.exitCode, binJson.stderr).toBe(0);
    expect(binJson.json).toMatchObject({ format: 'html', out: join(dir, 'bin.html'), report: { totals: { sites: 2 } } });
    expect(binJson.json.text).toBeUndefined();
    expect(readFileSync(join(dir, 'bin.html'), 'utf8')).toContain('Content-Security-Policy');
    for (const output of [page, toFile, bin, binJson]) expect(output.stdout + output.stderr).not.toContain(healthy.token);
  });

  it('report CSV quotes what needs quoting and turns a formula a site might send into text', () => {
    const status = {
      generatedAt: '2026-12-03T00:00:00.000Z',
      totals: { sites: 1, byStatus: { ok: 1 }, assets: 0, assetsByType: [], headlines: [] },
      sites: [
        {
          name: 'p',
          status: 'ok',
          failure: null,
          fetchedAt: null,
          shopdbVersion: '=HYPERLINK("x")',
          coreSchema: 'a,b',
          backupAgeSeconds: null,
          assets: 0,
          summary: null,
        },
      ],
    };

    const csv = fleetReportCsv(buildFleetReport(status as unknown as FleetStatusReport));

    expect(csv.split('\n')[1]).toBe(`p,ok,,,"'=HYPERLINK(""x"")","a,b",,0`);
  });
});

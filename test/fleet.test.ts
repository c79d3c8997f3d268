// The fleet roll-up end to end (issue 19): real `shopdb serve` processes on loopback, each its
// own SQLite site with its own plugins and demo data, and a central instance running
// `bin/run.js fleet status` against them plus a stopped site, a server that accepts connections
// and never answers, a revoked token and a site whose schema is newer than this shopdb. Then a
// central killed with SIGKILL mid-pull: its fleet file and last-known store are intact.

import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import PluginInstall from '../src/commands/plugin/install.js';
import Seed from '../src/commands/seed.js';
import { cliActor } from '../src/core/audit/log.js';
import { createApiToken, revokeApiToken } from '../src/core/auth/api-tokens.js';
import { addFleetSite, lastKnownStorePath } from '../src/core/fleet/fleet-file.js';
import type { FleetStatusReport } from '../src/core/fleet/status.js';
import { migrateSite } from '../src/core/migrations/site.js';
import { createUser } from '../src/core/users/service.js';
import { waitUntil } from './support/api.js';
import { binPath, runBin, runCommand } from './support/cli.js';
import { startServeReplica, stopServeReplica, type ServeReplica } from './support/replicas.js';
import { createSite, tempDir, writeEnvFile, type TestSite } from './support/site.js';

const actor = cliActor('test');
/** Which plugins each healthy site runs, and whether it has the demo data: no two alike. */
const HEALTHY: Array<{ plugins: string[]; demo: boolean }> = [
  { plugins: [], demo: false },
  { plugins: [], demo: true },
  { plugins: ['equipment'], demo: true },
  { plugins: ['printers', 'notifications'], demo: true },
  { plugins: ['software', 'computers'], demo: false },
  { plugins: ['--all'], demo: true },
  { plugins: ['network'], demo: true },
  { plugins: ['equipment', 'printers'], demo: false },
  { plugins: ['notifications'], demo: false },
  { plugins: ['computers'], demo: true },
  { plugins: ['network', 'notifications'], demo: true },
  { plugins: ['equipment', 'network', 'printers'], demo: true },
];
const TIMEOUT_S = 4;

interface Site {
  name: string;
  site: TestSite;
  serve: ServeReplica;
  token: string;
}

async function startSite(name: string, plugins: string[], demo: boolean): Promise<Site> {
  const site = await createSite('sqlite', { SHOPDB_SITE_NAME: name, LOG_LEVEL: 'warn' });
  await migrateSite({ config: site.config() });
  if (plugins.length > 0) expect((await runCommand(PluginInstall, [...plugins, '--env-file', site.envFile])).exitCode).toBe(0);
  if (demo) expect((await runCommand(Seed, ['--demo', '--env-file', site.envFile])).exitCode).toBe(0);
  const db = await site.open();
  let token: string;
  try {
    const { user } = await createUser(db, actor, { username: 'central', role: 'viewer', password: 'correct-horse-battery-staple' });
    token = (await createApiToken(db, actor, { userId: user.id, name: 'corporate', scope: 'summary:read' })).token;
  } finally {
    await db.destroy();
  }
  return { name, site, serve: await startServeReplica(name, site.envFile, { env: { LOG_LEVEL: 'warn' } }), token };
}

function central(): { dir: string; envFile: string; fleetFile: string } {
  const dir = tempDir('shopdb-central-');
  const envFile = join(dir, '.env');
  writeEnvFile(envFile, { SHOPDB_SITE_NAME: 'corporate' });
  return { dir, envFile, fleetFile: join(dir, 'fleet.json') };
}

describe('fleet status over real serve processes', () => {
  const healthy: Site[] = [];
  let newer: Site;
  let stopped: Site;
  let revokedToken: string;
  let silent: Server;
  const held: Socket[] = [];
  let silentUrl: string;

  beforeAll(async () => {
    // Two at a time: the machine is shared, and each start migrates, installs and seeds.
    const specs = [
      ...HEALTHY.map((spec, i) => ({ name: `plant-${i + 1}`, ...spec })),
      { name: 'plant-newer', plugins: ['equipment'], demo: true },
      { name: 'plant-stopped', plugins: [], demo: false },
    ];
    const started: Site[] = [];
    for (let i = 0; i < specs.length; i += 2) {
      started.push(...(await Promise.all(specs.slice(i, i + 2).map((spec) => startSite(spec.name, spec.plugins, spec.demo)))));
    }
    healthy.push(...started.slice(0, HEALTHY.length));
    [newer, stopped] = started.slice(HEALTHY.length) as [Site, Site];
    await stopServeReplica(stopped.serve);

    // A shopdb newer than this one migrated the site after its server started.
    const db = await newer.site.open();
    try {
      await db('shopdb_migrations').insert({ name: '20991231A-from-a-newer-shopdb', batch: 99, migration_time: new Date().toISOString() });
      const user = (await db('users').where({ username: 'central' }).first('id')) as { id: number };
      const revoked = await createApiToken(db, actor, { userId: user.id, name: 'leaver', scope: 'summary:read' });
      await revokeApiToken(db, actor, revoked.id);
      revokedToken = revoked.token;
    } finally {
      await db.destroy();
    }

    silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  }, 600_000);

  afterAll(async () => {
    for (const socket of held) socket.destroy();
    silent?.close();
    for (const site of [...healthy, newer, stopped]) {
      if (!site) continue;
      await stopServeReplica(site.serve);
      await site.site.cleanup();
    }
  });

  it(`reports each site correctly within ${TIMEOUT_S} s plus a margin and exits 1; with only the healthy ones, exits 0`, async () => {
    const fleet = central();
    for (const site of healthy) await addFleetSite({ fleetFile: fleet.fleetFile, name: site.name, url: site.serve.url, token: site.token });
    await addFleetSite({ fleetFile: fleet.fleetFile, name: 'plant-stopped', url: stopped.serve.url, token: stopped.token });
    await addFleetSite({ fleetFile: fleet.fleetFile, name: 'plant-silent', url: silentUrl, token: healthy[0]!.token });
    await addFleetSite({ fleetFile: fleet.fleetFile, name: 'plant-revoked', url: newer.serve.url, token: revokedToken });
    await addFleetSite({ fleetFile: fleet.fleetFile, name: 'plant-newer', url: newer.serve.url, token: newer.token });

    const started = Date.now();
    const result = await runBin(['fleet', 'status', '--json', '--timeout', String(TIMEOUT_S), '--env-file', fleet.envFile]);
    const wall = Date.now() - started;

    expect(result.exitCode, result.stderr).toBe(1);
    const report = result.json as FleetStatusReport;
    expect(Object.fromEntries(report.sites.map((s) => [s.name, s.status]))).toEqual({
      ...Object.fromEntries(healthy.map((site) => [site.name, 'ok'])),
      'plant-stopped': 'refused',
      'plant-silent': 'timeout',
      'plant-revoked': 'auth_failed',
      'plant-newer': 'incompatible',
    });
    expect(report.durationMs).toBeLessThan(TIMEOUT_S * 1000 + 500);
    // The margin covers starting node and loading the command, not waiting on any site.
    expect(wall).toBeLessThan(TIMEOUT_S * 1000 + 5000);
    for (const [index, spec] of HEALTHY.entries()) {
      const site = report.sites.find((s) => s.name === healthy[index]!.name)!;
      expect(site.summary!.site).toBe(healthy[index]!.name);
      if (!spec.plugins.includes('--all')) expect(site.summary!.plugins.map((p) => p.name).sort()).toEqual([...spec.plugins].sort());
      // The core demo is locations and models; the assets come with the plugins' share of it.
      expect(site.assets! > 0).toBe(spec.demo && spec.plugins.length > 0);
    }
    expect(report.totals.assets).toBe(report.sites.reduce((sum, s) => sum + (s.assets ?? 0), 0));

    const fresh = central();
    for (const site of healthy) await addFleetSite({ fleetFile: fresh.fleetFile, name: site.name, url: site.serve.url, token: site.token });
    const allFresh = await runBin(['fleet', 'status', '--json', '--env-file', fresh.envFile]);
    expect(allFresh.exitCode, allFresh.stderr).toBe(0);
  });

  it('keeps the fleet file and the last-known store whole when the central is killed with SIGKILL mid-pull', async () => {
    const fleet = central();
    for (const site of healthy) await addFleetSite({ fleetFile: fleet.fleetFile, name: site.name, url: site.serve.url, token: site.token });
    await addFleetSite({ fleetFile: fleet.fleetFile, name: 'plant-silent', url: silentUrl, token: healthy[0]!.token });
    const fleetBefore = readFileSync(fleet.fleetFile);
    const storeFile = lastKnownStorePath(fleet.fleetFile);
    const savedSites = () => {
      try {
        const store = new Database(storeFile, { readonly: true, fileMustExist: true });
        try {
          return (store.prepare('select count(*) as n from last_known_summaries').get() as { n: number }).n;
        } finally {
          store.close();
        }
      } catch {
        return 0;
      }
    };

    // The healthy sites answer at once and are saved; the silent one holds the run open.
    const child = execa(binPath, ['fleet', 'status', '--json', '--timeout', '60', '--env-file', fleet.envFile], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    });
    await waitUntil(() => savedSites() === healthy.length, 30_000, 'the healthy sites to be saved');
    child.kill('SIGKILL');
    const killed = await child;

    expect(killed.signal).toBe('SIGKILL');
    expect(readFileSync(fleet.fleetFile)).toEqual(fleetBefore);
    const store = new Database(storeFile, { fileMustExist: true });
    try {
      expect(store.pragma('integrity_check', { simple: true })).toBe('ok');
      const rows = store.prepare('select site, summary from last_known_summaries order by site').all() as Array<{
        site: string;
        summary: string;
      }>;
      expect(rows.map((row) => row.site)).toEqual(healthy.map((site) => site.name).sort());
      for (const row of rows) expect(JSON.parse(row.summary)).toMatchObject({ format: 1, site: row.site });
    } finally {
      store.close();
    }

    // The next run reads both: the silent site still has no good summary, every other is fresh.
    const after = await runBin(['fleet', 'status', '--json', '--timeout', '2', '--env-file', fleet.envFile]);
    expect(after.exitCode).toBe(1);
    expect((after.json as FleetStatusReport).sites.map((s) => s.status)).toEqual([...healthy.map(() => 'ok'), 'timeout']);
  });
});

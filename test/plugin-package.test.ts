// A third-party plugin from npm (test/fixtures/plugin-package/shopdb-plugin-gauges: plain ESM
// JavaScript, a migration, routes, the `gauge` asset type and an asset hook), as site IT gets it:
// copied into node_modules beside the site's .env — or into a folder SHOPDB_PLUGIN_DIRS names —
// then installed, used through the API, disabled and purged with the real binary.

import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { cliActor } from '../src/core/audit/log.js';
import { listTables } from '../src/core/db/schema.js';
import { migrateSite } from '../src/core/migrations/site.js';
import { loadPluginCatalog, pluginPackageDirs, shopdbVersion } from '../src/core/plugins/catalog.js';
import { packageRoot } from '../src/core/paths.js';
import { seedSite } from '../src/core/seed/index.js';
import { bearer, makeUser, TEST_JWT_SECRET, tokenFor, waitUntil } from './support/api.js';
import { runBin } from './support/cli.js';
import { createSite, describeEachEngine, type EngineName, type TestSite } from './support/site.js';

const FIXTURE = join(packageRoot, 'test', 'fixtures', 'plugin-package', 'shopdb-plugin-gauges');

interface GaugesSite {
  site: TestSite;
  db: Knex;
  /** The API over this site, with the plugin packages of its config and no bundled plugins. */
  app: FastifyInstance;
  shopdb(...argv: string[]): ReturnType<typeof runBin>;
  cleanup(): Promise<void>;
}

/** A migrated site with the gauges package copied to `packagesDir` (relative to the site folder). */
async function gaugesSite(engine: EngineName, packagesDir: string, extra: Record<string, string> = {}): Promise<GaugesSite> {
  const site = await createSite(engine, { JWT_SECRET: TEST_JWT_SECRET, COOKIE_SECURE: 'false', LOG_LEVEL: 'silent', ...extra });
  mkdirSync(join(site.dir, packagesDir), { recursive: true });
  cpSync(FIXTURE, join(site.dir, packagesDir, 'shopdb-plugin-gauges'), { recursive: true });
  await migrateSite({ config: site.config() });
  const db = await site.open();
  // No bundled plugins (a folder that does not exist): the site has only its packages.
  const catalog = await loadPluginCatalog({
    coreVersion: shopdbVersion(),
    bundledDir: '/nonexistent/shopdb-test-no-bundled-plugins',
    packageDirs: pluginPackageDirs(site.config()),
  });
  // The server starts before the plugin is installed, as on a running site.
  const app = await buildApp({ config: site.config(), db, logger: false, pluginCatalog: catalog });
  return {
    site,
    db,
    app,
    shopdb: (...argv) => runBin([...argv, '--env-file', site.envFile]),
    async cleanup() {
      await app.close();
      await db.destroy();
      await site.cleanup();
    },
  };
}

async function statusOf(app: FastifyInstance, url: string, headers: Record<string, string>): Promise<number> {
  return (await app.inject({ method: 'GET', url, headers })).statusCode;
}

/** Nothing of the plugin is left on the site but its audit entries. */
async function expectNothingLeft(db: Knex): Promise<void> {
  const tables = await listTables(db);
  expect(tables.filter((t) => t.startsWith('gauges_'))).toEqual([]);
  expect(tables.filter((t) => t.startsWith('shopdb_plugin_gauges_migrations'))).toEqual([]);
  expect(await db('installed_plugins').where({ name: 'gauges' })).toEqual([]);
  expect(await db('asset_types').where({ plugin: 'gauges' })).toEqual([]);
}

describeEachEngine('a plugin npm package in node_modules beside the .env', (engine) => {
  let s: GaugesSite;
  let auth: Record<string, string>;
  let assetId: number;

  beforeAll(async () => {
    s = await gaugesSite(engine, 'node_modules');
    await seedSite(s.db, { demo: false, actor: cliActor('test'), catalog: s.app.plugins.catalog });
    auth = bearer(await tokenFor(s.app, (await makeUser(s.db, 'editor')).username));
  });
  afterAll(async () => s?.cleanup());

  it('plugin list --json shows it as an available package', async () => {
    const listed = await s.shopdb('plugin', 'list', '--json');

    expect(listed.exitCode, listed.stderr).toBe(0);
    expect(listed.json.plugins).toContainEqual({
      name: 'gauges',
      description: 'Gauges and their calibration records',
      availableVersion: '1.2.0',
      installedVersion: null,
      enabled: false,
      status: 'available',
      origin: 'package',
      dependsOn: [],
      problems: [],
    });
  });

  it('installs with its migration; the running server answers on its routes, with auth', async () => {
    expect(await statusOf(s.app, '/api/plugins/gauges/calibrations', auth)).toBe(404);

    const installed = await s.shopdb('plugin', 'install', 'gauges', '--json');

    expect(installed.exitCode, installed.stderr).toBe(0);
    expect(installed.json.plugins).toEqual([
      { name: 'gauges', version: '1.2.0', action: 'installed', migrations: ['20260115A-create-gauges-calibrations'] },
    ]);
    s.app.plugins.invalidate(); // what the 2 s state cache does on its own (test/plugin-quickstart.test.ts waits for it)
    await waitUntil(async () => (await statusOf(s.app, '/api/plugins/gauges/calibrations', auth)) === 200, 45_000, 'the gauges route');
    expect(await statusOf(s.app, '/api/plugins/gauges/calibrations', {})).toBe(401);
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/plugins/gauges/calibrations',
      headers: auth,
      payload: { gauge: 'G-7', calibratedOn: '2026-11-02', result: 'pass' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const listed = await s.app.inject({ method: 'GET', url: '/api/plugins/gauges/calibrations', headers: auth });
    expect(listed.json()).toEqual({ results: [{ id: created.json().id, gauge: 'G-7', calibratedOn: '2026-11-02', result: 'pass' }] });
    const plugins = await s.app.inject({ method: 'GET', url: '/api/plugins', headers: auth });
    expect(plugins.json().results).toContainEqual(
      expect.objectContaining({ name: 'gauges', enabled: true, assetTypes: ['gauge'], routes: '/api/plugins/gauges' }),
    );
  });

  it('takes assets of its type through POST /api/assets, through its beforeAssetCreate hook', async () => {
    const [status] = (await s.db('status_labels').orderBy('id').limit(1)) as Array<{ id: number }>;

    const response = await s.app.inject({
      method: 'POST',
      url: '/api/assets',
      headers: auth,
      payload: { assetTag: 'G-7', name: 'Bore gauge 50-160', type: 'gauge', statusId: status!.id, customData: { range: '50-160 mm' } },
    });

    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({
      type: { key: 'gauge', label: 'Gauge' },
      customData: { range: '50-160 mm', interval_days: 365 },
    });
    const types = await s.app.inject({ method: 'GET', url: '/api/asset-types', headers: auth });
    expect(types.json().results).toContainEqual(expect.objectContaining({ key: 'gauge', plugin: 'gauges' }));
    assetId = response.json().id;
  });

  it('plugin disable: its routes answer 404 and its asset type is hidden, without a restart', async () => {
    const disabled = await s.shopdb('plugin', 'disable', 'gauges');

    expect(disabled.exitCode, disabled.stderr).toBe(0);
    s.app.plugins.invalidate();
    await waitUntil(
      async () => (await statusOf(s.app, '/api/plugins/gauges/calibrations', auth)) === 404,
      45_000,
      'the disabled route to answer 404',
    );
    expect(await statusOf(s.app, `/api/assets/${assetId}`, auth)).toBe(404);
    expect((await s.app.inject({ method: 'GET', url: '/api/assets?type=gauge', headers: auth })).json().count).toBe(0);
    const [status] = (await s.db('status_labels').orderBy('id').limit(1)) as Array<{ id: number }>;
    const refused = await s.app.inject({
      method: 'POST',
      url: '/api/assets',
      headers: auth,
      payload: { assetTag: 'G-8', name: 'Another gauge', type: 'gauge', statusId: status!.id },
    });
    expect(refused.statusCode, refused.body).toBe(400);
    expect(refused.json().error.fields).toEqual({ type: 'unknown asset type' });
    const types = await s.app.inject({ method: 'GET', url: '/api/asset-types', headers: auth });
    expect(types.json().results.map((t: { key: string }) => t.key)).not.toContain('gauge');
    const plugins = await s.app.inject({ method: 'GET', url: '/api/plugins', headers: auth });
    expect(plugins.json().results).toContainEqual(expect.objectContaining({ name: 'gauges', enabled: false, routes: null }));
  });

  it('plugin uninstall refuses while it holds data; --purge --yes leaves nothing but the audit log', async () => {
    const refused = await s.shopdb('plugin', 'uninstall', 'gauges');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('gauges_calibrations: 1');
    expect(refused.stderr).toContain('assets of its types: 1');

    const purged = await s.shopdb('plugin', 'uninstall', 'gauges', '--purge', '--yes', '--json');

    expect(purged.exitCode, purged.stderr).toBe(0);
    expect(purged.json).toEqual({
      name: 'gauges',
      purged: true,
      removed: { tables: ['gauges_calibrations'], rows: 1, assets: 1, migrations: ['20260115A-create-gauges-calibrations'] },
      backup: expect.stringMatching(/-pre-uninstall\.shopdb\.tar$/),
    });
    await expectNothingLeft(s.db);
    expect(await s.db('assets').where({ id: assetId })).toEqual([]);
    expect(await s.db('audit_log').whereIn('object_type', ['gauges.calibration', 'asset']).pluck('object_type')).toEqual(
      expect.arrayContaining(['gauges.calibration', 'asset']),
    );
  });
});

describe('a plugin npm package in a folder named by SHOPDB_PLUGIN_DIRS [sqlite]', () => {
  let s: GaugesSite;

  beforeAll(async () => {
    s = await gaugesSite('sqlite', 'vendor/shopdb-plugins', { SHOPDB_PLUGIN_DIRS: 'vendor/shopdb-plugins' });
  });
  afterAll(async () => s?.cleanup());

  it('is found, installs, answers, and uninstalls without a trace', async () => {
    const auth = bearer(await tokenFor(s.app, (await makeUser(s.db, 'viewer')).username));

    const listed = await s.shopdb('plugin', 'list', '--json');
    const installed = await s.shopdb('plugin', 'install', 'gauges');

    expect(listed.json.plugins).toContainEqual(expect.objectContaining({ name: 'gauges', status: 'available', origin: 'package' }));
    expect(installed.exitCode, installed.stderr).toBe(0);
    s.app.plugins.invalidate();
    await waitUntil(async () => (await statusOf(s.app, '/api/plugins/gauges/calibrations', auth)) === 200, 45_000, 'the gauges route');
    const removed = await s.shopdb('plugin', 'uninstall', 'gauges', '--json');
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.json).toMatchObject({ name: 'gauges', purged: false });
    await expectNothingLeft(s.db);
  });
});

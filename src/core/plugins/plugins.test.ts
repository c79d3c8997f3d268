import { join } from 'node:path';
import type { Knex } from 'knex';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSite, describeEachEngine, type TestSite } from '../../../test/support/site.js';
import { packageRoot } from '../paths.js';
import { cliActor, listAudit } from '../audit/log.js';
import { listTables } from '../db/schema.js';
import { ConflictError, UserError } from '../errors.js';
import { createAsset, deleteAsset, listAssets, updateAsset } from '../inventory/assets.js';
import { migrateSite, siteMigrationStatus } from '../migrations/site.js';
import { seedSite } from '../seed/index.js';
import { loadPluginCatalog, withDependencies, type PluginCatalog } from './catalog.js';
import { manifestProblems, PluginManifestError } from './manifest.js';
import { PluginRuntime } from './runtime.js';
import { listPlugins, pluginHoldings } from './listing.js';
import { disablePlugin, enablePlugin, installPlugins, uninstallPlugin, upgradePlugins, type PluginSession } from './service.js';
import { listInstalled } from './state.js';

const fixtures = join(packageRoot, 'test', 'fixtures', 'plugins-core');
const catalogOf = (folder: string, coreVersion = '0.1.0') =>
  loadPluginCatalog({ coreVersion, bundledDir: join(fixtures, folder), packageDirs: [] });
const actor = cliActor('plugin-test');

describe('plugin manifests', () => {
  it('names every missing or malformed field at once', () => {
    const problems = manifestProblems({
      name: 'Bad Name',
      version: 'one',
      core: 'whenever!',
      dependsOn: 'alpha',
      hooks: { install: 'yes', onBoot: () => {} },
      assetTypes: [{ key: 'Widget', fields: [{ key: 'x' }] }],
      knownVlans: [10, 20],
    });
    expect(problems.map((p) => p.field)).toEqual(
      expect.arrayContaining([
        'name',
        'version',
        'description',
        'core',
        'dependsOn',
        'hooks.install',
        'hooks.onBoot',
        'assetTypes[0].key',
        'assetTypes[0].label',
        'assetTypes[0].fields[0].type',
        'knownVlans',
      ]),
    );
    expect(manifestProblems('not an object')).toEqual([{ field: 'manifest', message: expect.stringContaining('must be an object') }]);
  });

  it("keeps a detail table inside the plugin's own prefix", () => {
    const problems = manifestProblems({
      name: 'tool-crib',
      version: '1.0.0',
      description: 'x',
      core: '*',
      assetTypes: [{ key: 'tool', label: 'Tool', fields: [], detailTable: 'tools' }],
    });
    expect(problems).toEqual([{ field: 'assetTypes[0].detailTable', message: expect.stringContaining('tool_crib_') }]);
  });

  it('names what a declared detail table lacks: its prefix, columns, their kinds and its audit type', () => {
    const manifest = (detailTable: unknown) => ({
      name: 'tool-crib',
      version: '1.0.0',
      description: 'x',
      core: '*',
      assetTypes: [{ key: 'tool', label: 'Tool', fields: [], detailTable }],
    });

    expect(manifestProblems(manifest({ table: 'tools', columns: { size: { column: 'size' } }, objectType: 'tool-crib.tool' }))).toEqual([
      { field: 'assetTypes[0].detailTable', message: expect.stringContaining('tool_crib_') },
    ]);
    expect(
      manifestProblems(
        manifest({
          table: 'tool_crib_tools',
          columns: { size: { column: 'Size' }, bought: { column: 'bought', kind: 'day' } },
          validate: 'yes',
        }),
      ).map((p) => p.message),
    ).toEqual([
      expect.stringContaining('columns.size needs a column name'),
      expect.stringContaining('columns.bought.kind must be one of'),
      expect.stringContaining('needs objectType'),
      'validate must be a function',
    ]);
    expect(
      manifestProblems(
        manifest({ table: 'tool_crib_tools', columns: { size: { column: 'size', kind: 'integer' } }, objectType: 'tool-crib.tool' }),
      ),
    ).toEqual([]);
  });
  it('names what is wrong with a doctor check: its id, title, run and tags', () => {
    const problems = manifestProblems({
      name: 'tool-crib',
      version: '1.0.0',
      description: 'x',
      core: '*',
      doctor: [
        { id: 'calibration', title: 'Gauges calibrated', run: () => ({ status: 'pass', message: 'ok' }), tags: ['update'] },
        { id: 'calibration', title: '', tags: ['later'] },
        'x',
      ],
    });

    expect(problems.map((p) => p.field)).toEqual(['doctor[1].id', 'doctor[1].title', 'doctor[1].run', 'doctor[1].tags', 'doctor[2]']);
    expect(manifestProblems({ name: 'tool-crib', version: '1.0.0', description: 'x', core: '*', doctor: {} })).toEqual([
      { field: 'doctor', message: 'must be a list of checks' },
    ]);
  });
});

describe('the plugin catalog', () => {
  let bad: PluginCatalog;
  beforeAll(async () => {
    bad = await catalogOf('bad');
  });

  it('reports an invalid manifest by plugin and field, and keeps it out', () => {
    const invalid = bad.invalid.find((p) => p.name === 'missing-version');
    expect(invalid?.error).toBeInstanceOf(PluginManifestError);
    expect(invalid?.error.message).toBe('Plugin "missing-version" has an invalid manifest: version is missing');
    expect(bad.plugins.map((p) => p.manifest.name)).not.toContain('missing-version');
  });

  it('marks a plugin made for another shopdb, an unknown dependency and a cycle as unusable, naming the field', () => {
    const problemsOf = (name: string) => bad.plugins.find((p) => p.manifest.name === name)!.problems;
    expect(problemsOf('future-core')).toEqual(['core: needs shopdb ^9.0.0, this is 0.1.0']);
    expect(problemsOf('unknown-dep')).toEqual(['dependsOn: "nowhere" is not an available plugin']);
    expect(problemsOf('cycle-a')).toEqual([expect.stringMatching(/^dependsOn: circular dependency cycle-. → cycle-. → cycle-.$/)]);
    expect(problemsOf('cycle-b')).toHaveLength(1);
  });

  it('orders plugins dependencies first', async () => {
    const good = await catalogOf('good');
    expect(withDependencies(good, ['beta']).map((p) => p.manifest.name)).toEqual(['alpha', 'beta']);
  });
});

describeEachEngine('plugins on a site', (engine) => {
  let site: TestSite;
  let db: Knex;
  let good: PluginCatalog;
  let session: PluginSession;
  let calls: string[];
  let inService: number;

  beforeAll(async () => {
    site = await createSite(engine);
    await migrateSite({ config: site.config(), catalog: await catalogOf('good') });
    db = await site.open();
    await seedSite(db, { demo: false, actor, catalog: await catalogOf('good') });
    good = await catalogOf('good');
    session = { db, catalog: good, actor };
    calls = ((await import(join(fixtures, 'good', 'alpha', 'index.js'))) as { calls: string[] }).calls;
    inService = Number((await db('status_labels').where({ name: 'In service' }).first('id')).id);
  });
  afterAll(async () => {
    await db.destroy();
    await site.cleanup();
  });
  beforeEach(async () => {
    // Leave every test with nothing of alpha or beta installed.
    for (const name of ['beta', 'alpha'])
      if ((await listInstalled(db)).some((p) => p.name === name)) await uninstallPlugin(session, name, { purge: true });
    calls.length = 0;
  });

  const tables = async () => (await listTables(db)).filter((t) => /^(alpha|beta)_|shopdb_plugin_(alpha|beta)_/.test(t));

  it('installs a plugin and what it depends on, in order: migrations, asset types, seed, hook, state', async () => {
    const results = await installPlugins(session, { names: ['beta'] });

    expect(results.map((r) => [r.name, r.action, r.migrations])).toEqual([
      ['alpha', 'installed', ['20261127A-create-alpha-tables']],
      ['beta', 'installed', ['20261127A-create-beta-things']],
    ]);
    expect(calls).toEqual(['alpha.seed', 'alpha.install', 'beta.install']);
    expect((await listInstalled(db)).map((p) => [p.name, p.version, p.enabled])).toEqual([
      ['alpha', '1.0.0', true],
      ['beta', '1.0.0', true],
    ]);
    expect(await tables()).toEqual([
      'alpha_notes',
      'alpha_widgets',
      'beta_things',
      'shopdb_plugin_alpha_migrations',
      'shopdb_plugin_alpha_migrations_lock',
      'shopdb_plugin_beta_migrations',
      'shopdb_plugin_beta_migrations_lock',
    ]);
    expect(await db('asset_types').where({ key: 'widget' }).first('plugin')).toEqual({ plugin: 'alpha' });
    // A fresh install holds nothing, so it could be uninstalled without --purge.
    expect((await pluginHoldings(db, 'alpha', good)).total).toBe(0);
  });

  it('is idempotent: installing again changes nothing', async () => {
    await installPlugins(session, { names: ['alpha'] });
    calls.length = 0;

    const again = await installPlugins(session, { names: ['alpha'] });

    expect(again).toEqual([{ name: 'alpha', version: '1.0.0', action: 'unchanged', migrations: [] }]);
    expect(calls).toEqual([]);
  });

  it('runs core first, then installed plugins in dependency order, each with its own history', async () => {
    await installPlugins(session, { names: ['beta'] });

    const status = await siteMigrationStatus({ config: site.config(), catalog: good });

    expect(status.sources.map((s) => [s.id, s.table, s.applied.length, s.pending.length])).toEqual([
      ['core', 'shopdb_migrations', expect.any(Number), 0],
      ['plugin:alpha', 'shopdb_plugin_alpha_migrations', 1, 0],
      ['plugin:beta', 'shopdb_plugin_beta_migrations', 1, 0],
    ]);
    const again = await migrateSite({ config: site.config(), catalog: good });
    expect(again.sources.map((s) => s.id)).toEqual(['core', 'plugin:alpha', 'plugin:beta']);
    expect(again.appliedCount).toBe(0);
  });

  it('refuses to disable a plugin an enabled plugin depends on, and names it', async () => {
    await installPlugins(session, { names: ['beta'] });

    const refused = await disablePlugin(session, 'alpha').catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as ConflictError).message).toBe('Plugin "alpha" cannot be disabled: "beta" depends on it and is enabled');
    expect((refused as ConflictError).suggestion).toBe('Disable beta first.');
    expect((await listInstalled(db)).every((p) => p.enabled)).toBe(true);
  });

  it('disables and enables in a valid order, running the hooks, and refuses to enable without the dependency', async () => {
    await installPlugins(session, { names: ['beta'] });
    calls.length = 0;

    await disablePlugin(session, 'beta');
    await disablePlugin(session, 'alpha');
    const refused = await enablePlugin(session, 'beta').catch((error: unknown) => error);
    await enablePlugin(session, 'alpha');
    const second = await enablePlugin(session, 'alpha');

    expect((refused as UserError).message).toBe('Plugin "beta" needs "alpha", which is not enabled');
    expect(calls).toEqual(['alpha.disable', 'alpha.enable']);
    expect(second.changed).toBe(false);
    expect((await listPlugins(session)).map((p) => [p.name, p.status])).toEqual([
      ['alpha', 'enabled'],
      ['beta', 'disabled'],
    ]);
  });

  it("runs the enabled plugins' asset hooks inside the write, in dependency order; a refusal writes nothing", async () => {
    await installPlugins(session, { names: ['beta'] });
    const runtime = new PluginRuntime(good, 0);
    calls.length = 0;

    const widget = await createAsset(
      db,
      actor,
      { assetTag: 'W-1', name: 'Widget one', type: 'widget', statusId: inService, customData: { size: 'S' } },
      await runtime.assetWriteOptions(db),
    );
    await updateAsset(db, actor, widget.id, { name: 'Widget 1' }, await runtime.assetWriteOptions(db));
    await deleteAsset(db, actor, widget.id, await runtime.assetWriteOptions(db));
    const refused = await createAsset(
      db,
      actor,
      { assetTag: 'W-2', name: 'forbidden', type: 'widget', statusId: inService },
      await runtime.assetWriteOptions(db),
    ).catch((e: unknown) => e);

    expect(calls).toEqual([
      'alpha.beforeAssetCreate',
      'alpha.afterAssetCreate',
      'beta.afterAssetCreate',
      'alpha.beforeAssetUpdate',
      'alpha.afterAssetUpdate',
      'alpha.beforeAssetDelete',
      'alpha.afterAssetDelete',
      'alpha.beforeAssetCreate',
    ]);
    expect(widget.notes).toBe('noted by alpha');
    expect(await db('alpha_widgets').select('asset_id', 'colour')).toEqual([{ asset_id: widget.id, colour: 'grey' }]);
    expect((refused as Error).message).toBe('alpha refuses that name');
    expect(await db('assets').where({ asset_tag: 'W-2' }).first()).toBeUndefined();
  });

  it("hides a disabled plugin's asset types and skips its hooks", async () => {
    await installPlugins(session, { names: ['alpha'] });
    const runtime = new PluginRuntime(good, 0);
    await createAsset(
      db,
      actor,
      { assetTag: 'W-3', name: 'Widget three', type: 'widget', statusId: inService },
      await runtime.assetWriteOptions(db),
    );
    await disablePlugin(session, 'alpha');
    calls.length = 0;

    const options = await runtime.assetWriteOptions(db);
    const listed = await listAssets(db, { limit: 10, offset: 0, enabledPlugins: options.enabledPlugins });
    const creating = await createAsset(
      db,
      actor,
      { assetTag: 'W-4', name: 'Widget four', type: 'widget', statusId: inService },
      options,
    ).catch((e: unknown) => e);
    const other = await createAsset(db, actor, { assetTag: 'O-1', name: 'Other', type: 'other', statusId: inService }, options);

    expect(options.enabledPlugins).toEqual([]);
    expect(listed.results.map((a) => a.assetTag)).not.toContain('W-3');
    expect(creating).toMatchObject({ fields: { type: 'unknown asset type' } });
    expect(other.assetTag).toBe('O-1');
    expect(calls).toEqual([]);
    await db('assets').where({ asset_tag: 'O-1' }).delete();
  });

  it('refuses to uninstall while the plugin holds data, then purges every trace of it; reinstalling works', async () => {
    await installPlugins(session, { names: ['beta'] });
    const runtime = new PluginRuntime(good, 0);
    const widget = await createAsset(
      db,
      actor,
      { assetTag: 'W-5', name: 'Widget five', type: 'widget', statusId: inService },
      await runtime.assetWriteOptions(db),
    );
    await db('alpha_notes').insert({ text: 'keep me' });

    const whileNeeded = await uninstallPlugin(session, 'alpha').catch((e: unknown) => e);
    await uninstallPlugin(session, 'beta');
    const withData = await uninstallPlugin(session, 'alpha').catch((e: unknown) => e);
    const before: string[] = [];
    const purged = await uninstallPlugin(session, 'alpha', {
      purge: true,
      beforePurge: async (h) => void before.push(`${h.assets} assets, ${h.total} total`),
    });

    expect((whileNeeded as ConflictError).message).toBe('Plugin "alpha" cannot be uninstalled: "beta" depends on it');
    expect((withData as ConflictError).message).toBe(
      'Plugin "alpha" holds data on this site (alpha_notes: 1, alpha_widgets: 1, assets of its types: 1)',
    );
    expect(before).toEqual(['1 assets, 3 total']);
    expect(purged).toMatchObject({
      name: 'alpha',
      purged: true,
      removed: { assets: 1, rows: 2, migrations: ['20261127A-create-alpha-tables'] },
    });
    expect(await tables()).toEqual([]);
    expect(await listInstalled(db)).toEqual([]);
    expect(await db('asset_types').where({ key: 'widget' }).first()).toBeUndefined();
    expect(await db('assets').where({ id: widget.id }).first()).toBeUndefined();
    // The audit log keeps the history of what was there.
    expect(
      (await listAudit(db, { objectType: 'asset', objectId: String(widget.id), limit: 10, offset: 0 })).results.length,
    ).toBeGreaterThan(0);

    const again = await installPlugins(session, { names: ['alpha'] });
    expect(again[0]).toMatchObject({ action: 'installed', migrations: ['20261127A-create-alpha-tables'] });
  });

  it('seeds enabled plugins with the demo flag, dependencies first', async () => {
    await installPlugins(session, { names: ['beta'] });
    calls.length = 0;

    const result = await seedSite(db, { demo: true, actor, catalog: good });

    expect(result.plugins).toEqual(['alpha']);
    expect(calls).toEqual(['alpha.seed:demo']);
    expect(await db('alpha_notes').pluck('text')).toEqual(['demo note']);
  });

  it('upgrades a plugin whose version went up, and refuses a downgrade', async () => {
    await installPlugins(session, { names: ['alpha'] });
    const newer: PluginCatalog = {
      ...good,
      plugins: good.plugins.map((p) => (p.manifest.name === 'alpha' ? { ...p, manifest: { ...p.manifest, version: '1.1.0' } } : p)),
    };
    const older: PluginCatalog = {
      ...good,
      plugins: good.plugins.map((p) => (p.manifest.name === 'alpha' ? { ...p, manifest: { ...p.manifest, version: '0.9.0' } } : p)),
    };

    const upgraded = await upgradePlugins({ ...session, catalog: newer });
    const downgrade = await upgradePlugins({ ...session, catalog: older }).catch((e: unknown) => e);

    expect(upgraded).toEqual([{ name: 'alpha', version: '1.1.0', action: 'upgraded', migrations: [] }]);
    expect((await listInstalled(db))[0]).toMatchObject({ name: 'alpha', version: '1.1.0', enabled: true });
    expect((downgrade as UserError).message).toBe('Plugin "alpha" 1.1.0 is installed, but this shopdb has the older 0.9.0');
  });

  it('rolls back only the new migrations of an upgrade that strays out of its prefix, keeping the data', async () => {
    await installPlugins(session, { names: ['alpha'] });
    await db('alpha_notes').insert({ text: 'measured twice' });
    const straying: PluginCatalog = {
      ...good,
      plugins: good.plugins.map((p) =>
        p.manifest.name === 'alpha'
          ? { ...p, manifest: { ...p.manifest, version: '1.1.0' }, migrationsDir: join(fixtures, 'alpha-v2-bad', 'migrations') }
          : p,
      ),
    };

    const upgrade = await upgradePlugins({ ...session, catalog: straying }).catch((e: unknown) => e);
    const migrate = await migrateSite({ config: site.config(), catalog: straying }).catch((e: unknown) => e);

    for (const refused of [upgrade, migrate]) {
      expect((refused as UserError).message).toBe(
        'Plugin "alpha" created tables that are not its own (its prefix is "alpha_"): stray_things',
      );
    }
    expect(await db('alpha_notes').pluck('text')).toEqual(['measured twice']);
    expect((await listTables(db)).filter((t) => t === 'stray_things' || t === 'alpha_extras')).toEqual([]);
    expect(await db('shopdb_plugin_alpha_migrations').pluck('name')).toEqual(['20261127A-create-alpha-tables']);
    expect((await listInstalled(db))[0]).toMatchObject({ name: 'alpha', version: '1.0.0' });
  });

  it("gives a table to the plugin with the longest matching prefix (net_scan_… is net-scan's, not net's)", async () => {
    const prefixed = await catalogOf('../plugins-prefix');
    const both = { db, catalog: prefixed, actor };
    await installPlugins(both, { names: ['net', 'net-scan'] });
    await db('net_scan_hosts').insert({ address: '10.7.12.12' });

    const net = await pluginHoldings(db, 'net', prefixed);
    const removed = await uninstallPlugin(both, 'net');

    expect(net.tables).toEqual([{ table: 'net_links', rows: 0 }]);
    expect(removed).toMatchObject({ name: 'net', purged: false });
    expect(await db('net_scan_hosts').pluck('address')).toEqual(['10.7.12.12']);
    await uninstallPlugin(both, 'net-scan', { purge: true });
    expect((await listTables(db)).filter((t) => t.startsWith('net_'))).toEqual([]);
  });

  describe('unsafe plugins change nothing', () => {
    let unsafe: PluginCatalog;
    beforeAll(async () => {
      unsafe = await catalogOf('unsafe');
    });

    it('rolls back a plugin that creates a table without its prefix', async () => {
      const refused = await installPlugins({ db, catalog: unsafe, actor }, { names: ['wrong-prefix'] }).catch((e: unknown) => e);

      expect((refused as UserError).message).toBe(
        'Plugin "wrong-prefix" created tables that are not its own (its prefix is "wrong_prefix_"): stray_widgets',
      );
      expect((await listTables(db)).filter((t) => /stray_widgets|^wrong_prefix_/.test(t))).toEqual([]);
      expect(await listInstalled(db)).toEqual([]);
    });

    it('undoes a fresh install whose seed fails, naming the plugin and the step', async () => {
      const refused = await installPlugins({ db, catalog: unsafe, actor }, { names: ['failing-seed'] }).catch((e: unknown) => e);

      expect((refused as UserError).message).toBe(
        'The seed of plugin "failing-seed" failed: the seed tripped over a missing reference row',
      );
      expect((await listTables(db)).filter((t) => t.startsWith('failing_seed_'))).toEqual([]);
      expect(await db('asset_types').where({ key: 'doomed' }).first()).toBeUndefined();
      expect(await listInstalled(db)).toEqual([]);
    });

    it('refuses unusable plugins by name and reason before touching the database', async () => {
      const bad = await catalogOf('bad');
      const tablesBefore = await listTables(db);

      const attempts = await Promise.all(
        ['missing-version', 'future-core', 'unknown-dep', 'cycle-a'].map((name) =>
          installPlugins({ db, catalog: bad, actor }, { names: [name] }).catch((e: unknown) => (e as Error).message),
        ),
      );

      expect(attempts).toEqual([
        'Plugin "missing-version" has an invalid manifest: version is missing',
        'Plugin "future-core" cannot be used on this site: core: needs shopdb ^9.0.0, this is 0.1.0',
        'Plugin "unknown-dep" cannot be used on this site: dependsOn: "nowhere" is not an available plugin',
        expect.stringMatching(/^Plugin "cycle-a" cannot be used on this site: dependsOn: circular dependency/),
      ]);
      expect(await listTables(db)).toEqual(tablesBefore);
      expect(await listInstalled(db)).toEqual([]);
    });
  });
});

import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createApiSite, expectError, makeUser, tokenFor, type ApiSite } from '../../test/support/api.js';
import { describeEachEngine } from '../../test/support/site.js';
import { cliActor } from '../core/audit/log.js';
import { packageRoot } from '../core/paths.js';
import { loadPluginCatalog, type PluginCatalog } from '../core/plugins/catalog.js';
import { disablePlugin, enablePlugin, installPlugins } from '../core/plugins/service.js';
import { seedSite } from '../core/seed/index.js';

const fixtures = join(packageRoot, 'test', 'fixtures', 'plugins-core');

describeEachEngine('plugin routes in the API', (engine) => {
  let api: ApiSite;
  let app: FastifyInstance;
  let catalog: PluginCatalog;
  let as: { viewer: Record<string, string>; editor: Record<string, string> };
  let inService: number;
  const warnings: string[] = [];
  const session = () => ({ db: api.db, catalog, actor: cliActor('test') });

  beforeAll(async () => {
    api = await createApiSite(engine);
    const good = await loadPluginCatalog({ coreVersion: '0.1.0', bundledDir: join(fixtures, 'good'), packageDirs: [] });
    const bad = await loadPluginCatalog({ coreVersion: '0.1.0', bundledDir: join(fixtures, 'bad'), packageDirs: [] });
    const badRoutes = await loadPluginCatalog({ coreVersion: '0.1.0', bundledDir: join(fixtures, 'bad-routes'), packageDirs: [] });
    // The good plugins, next to ones that cannot be used: the server must start all the same.
    catalog = { ...good, plugins: [...good.plugins, ...bad.plugins, ...badRoutes.plugins], invalid: bad.invalid };
    await seedSite(api.db, { demo: false, actor: cliActor('test'), catalog });
    await installPlugins(session(), { names: ['beta'] });
    const logs = new Writable({
      write(chunk, _encoding, done) {
        const line = JSON.parse(String(chunk)) as { level: number; msg: string };
        if (line.level >= 40) warnings.push(line.msg);
        done();
      },
    });
    app = await api.app({ pluginCatalog: catalog, logger: { level: 'warn', stream: logs } });
    const viewer = await makeUser(api.db, 'viewer');
    const editor = await makeUser(api.db, 'editor');
    as = { viewer: bearer(await tokenFor(app, viewer.username)), editor: bearer(await tokenFor(app, editor.username)) };
    inService = Number((await api.db('status_labels').where({ name: 'In service' }).first('id')).id);
  });
  afterAll(async () => api.cleanup());

  const setEnabled = async (enabled: boolean) => {
    if (enabled) {
      await enablePlugin(session(), 'alpha');
      await enablePlugin(session(), 'beta');
    } else {
      await disablePlugin(session(), 'beta');
      await disablePlugin(session(), 'alpha');
    }
    app.plugins.invalidate();
  };

  it('starts with unusable plugins, and plugins whose routes do not compile, left out and each named in the log', () => {
    expect(warnings).toEqual(
      expect.arrayContaining([
        'Plugin "missing-version" has an invalid manifest: version is missing',
        'plugin future-core is left out: core: needs shopdb ^9.0.0, this is 0.1.0',
        'plugin unknown-dep is left out: dependsOn: "nowhere" is not an available plugin',
        expect.stringMatching(/^plugin broken-schema: its routes cannot be mounted \(.*exampel.*\); they are left out$/),
      ]),
    );
  });

  it("serves an enabled plugin under /api/plugins/<name> with the core's auth and roles", async () => {
    const anonymous = await app.inject({ method: 'GET', url: '/api/plugins/alpha/widgets' });
    const read = await app.inject({ method: 'GET', url: '/api/plugins/alpha/widgets', headers: as.viewer });
    const viewerWrite = await app.inject({ method: 'POST', url: '/api/plugins/alpha/notes', headers: as.viewer, payload: { text: 'x' } });
    const editorWrite = await app.inject({
      method: 'POST',
      url: '/api/plugins/alpha/notes',
      headers: as.editor,
      payload: { text: 'calibrate' },
    });

    expectError(anonymous, 401);
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toEqual({ results: [] });
    expectError(viewerWrite, 403, 'FORBIDDEN');
    expect(editorWrite.statusCode, editorWrite.body).toBe(201);
    expect(await api.db('alpha_notes').pluck('text')).toEqual(['calibrate']);
  });

  it('lists what is installed and enabled at GET /api/plugins', async () => {
    const listed = await app.inject({ method: 'GET', url: '/api/plugins', headers: as.viewer });

    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json().results.map((p: Record<string, unknown>) => [p.name, p.version, p.enabled, p.routes, p.assetTypes])).toEqual([
      ['alpha', '1.0.0', true, '/api/plugins/alpha', ['widget']],
      ['beta', '1.0.0', true, null, []],
    ]);
  });

  it("runs plugin hooks on core asset writes, and hides a disabled plugin's types and routes like unknown ones", async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/assets',
      headers: as.editor,
      payload: { assetTag: 'W-10', name: 'Widget ten', type: 'widget', statusId: inService },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as number;
    expect(await api.db('alpha_widgets').where({ asset_id: id }).first('colour')).toEqual({ colour: 'grey' });

    await setEnabled(false);
    const route = await app.inject({ method: 'GET', url: '/api/plugins/alpha/widgets', headers: as.viewer });
    const unknown = await app.inject({ method: 'GET', url: '/api/plugins/nothing/here', headers: as.viewer });
    const list = await app.inject({ method: 'GET', url: '/api/assets?limit=100', headers: as.viewer });
    const one = await app.inject({ method: 'GET', url: `/api/assets/${id}`, headers: as.viewer });
    const create = await app.inject({
      method: 'POST',
      url: '/api/assets',
      headers: as.editor,
      payload: { assetTag: 'W-11', name: 'Widget eleven', type: 'widget', statusId: inService },
    });
    const plugins = await app.inject({ method: 'GET', url: '/api/plugins', headers: as.viewer });
    const types = await app.inject({ method: 'GET', url: '/api/asset-types', headers: as.viewer });
    await setEnabled(true);
    const typesBack = await app.inject({ method: 'GET', url: '/api/asset-types', headers: as.viewer });
    const back = await app.inject({ method: 'GET', url: `/api/assets/${id}`, headers: as.viewer });

    expect(expectError(route, 404, 'NOT_FOUND').message).toBe('There is no GET /api/plugins/alpha/widgets');
    expect(JSON.parse(route.body).error.code).toBe(JSON.parse(unknown.body).error.code);
    expect(list.json().results.map((a: { assetTag: string }) => a.assetTag)).not.toContain('W-10');
    expectError(one, 404);
    expect(expectError(create, 400).fields).toEqual({ type: 'unknown asset type' });
    expect(plugins.json().results.map((p: { enabled: boolean }) => p.enabled)).toEqual([false, false]);
    expect(back.statusCode).toBe(200);
    expect(types.json().results.map((t: { key: string }) => t.key)).not.toContain('widget');
    expect(typesBack.json().results.map((t: { key: string }) => t.key)).toContain('widget');
  });

  it("leaves a plugin's asset type to the plugin: no change or delete through the API", async () => {
    const widget = (await api.db('asset_types').where({ key: 'widget' }).first('id')) as { id: number };

    const patched = await app.inject({
      method: 'PATCH',
      url: `/api/asset-types/${widget.id}`,
      headers: as.editor,
      payload: { label: 'Gadget' },
    });
    const deleted = await app.inject({ method: 'DELETE', url: `/api/asset-types/${widget.id}`, headers: as.editor });

    expect(expectError(patched, 409).message).toBe('Asset type "widget" belongs to plugin "alpha" and changes only with it');
    expectError(deleted, 409);
    expect(await api.db('asset_types').where({ key: 'widget' }).first('label')).toEqual({ label: 'Widget' });
  });
});

// Database suite (SQLite and MySQL) against the real Zabbix 6.0 API: matching assets to hosts
// (hostname, name without domain, a PC's interface IP, a switch's management IP; a prefix
// collision and a duplicate reported, not pinned), problems showing on the asset within the
// problem TTL and leaving on resolution, the asset list with include=monitoring over 50 assets in a
// bounded number of Zabbix calls, problems by location and severity, and an editor's pin/unpin.

import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createApiSite, expectError, makeUser, tokenFor, waitUntil, type ApiSite } from '../../../test/support/api.js';
import { bundledCatalog, installTestPlugins } from '../../../test/support/plugins.js';
import { describeEachEngine } from '../../../test/support/site.js';
import { startZabbix, zabbixSkipReason, type TestZabbix } from '../../../test/support/zabbix.js';
import { cliActor, listAudit } from '../audit/log.js';
import { createAsset } from '../inventory/assets.js';
import { createLocation } from '../inventory/locations.js';
import { statusLabels } from '../inventory/reference.js';
import { PluginRuntime } from '../plugins/runtime.js';
import { addInterface } from '../../../plugins/computers/service.js';
import { matchAssets } from './match.js';
import { Monitoring } from './service.js';
import { zabbixSettingsFromConfig } from './zabbix/settings.js';

const skip = zabbixSkipReason();
const cli = cliActor('test');
let zabbix: TestZabbix;

if (skip === null) {
  beforeAll(async () => {
    zabbix = await startZabbix();
  }, 180_000);
  afterAll(async () => zabbix?.cleanup());
}

async function statusId(db: Knex): Promise<number> {
  return (await statusLabels.create(db, cli, { name: 'In service', color: '#22aa22', kind: 'deployable' })).id;
}

const suite =
  skip === null
    ? describeEachEngine
    : (title: string, body: (engine: 'sqlite' | 'mysql') => void) => describe.skip(`${title} — skipped: ${skip}`, () => body('sqlite'));

suite('Zabbix monitoring against a real Zabbix 6.0', (engine) => {
  let api: ApiSite;
  let db: Knex;
  let app: FastifyInstance;
  let token: string;
  const sent: string[] = [];
  const ids: Record<string, number> = {};
  const hostids: Record<string, string> = {};
  const e = engine;
  let triggerid: string;

  beforeAll(async () => {
    // Each engine's suite sees only its own host group: the token is of a user that may read that group alone.
    const group = await zabbix.hostGroup(`shopdb-${e}`);
    const zabbixToken = await zabbix.createReadOnlyToken([group]);
    api = await createApiSite(engine, {
      ZABBIX_URL: zabbix.url,
      ZABBIX_API_TOKEN: zabbixToken,
      ZABBIX_PROBLEM_TTL: '1s',
      ZABBIX_TIMEOUT: '10s',
      ZABBIX_CONNECT_TIMEOUT: '5s',
    });
    db = api.db;
    await installTestPlugins(db, ['equipment', 'computers', 'network']);
    const status = await statusId(db);
    const hall = await createLocation(db, cli, { kind: 'building', code: `HALL-${e}`, name: 'Hall 1' });
    const office = await createLocation(db, cli, { kind: 'building', code: `OFF-${e}`, name: 'Office' });
    // Through the plugins' hooks, as the API creates assets: each PC and switch gets its detail row.
    const writeOptions = await new PluginRuntime(await bundledCatalog()).assetWriteOptions(db);
    const asset = async (tag: string, type: string, hostname: string | null, locationId = hall.id) => {
      ids[tag] = (await createAsset(db, cli, { assetTag: tag, name: tag, type, hostname, statusId: status, locationId }, writeOptions)).id;
    };
    await asset('CNC-07', 'equipment', `cnc-07-${e}`);
    await asset('PC-42', 'computer', `pc-42-${e}.plant.test`);
    await asset('PC-43', 'computer', null, office.id);
    await asset('SW-01', 'network-device', null);
    await asset('VC', 'computer', `vc${e}`);
    await asset('DUP-A', 'computer', `dup-${e}.plant.test`);
    await asset('DUP-B', 'computer', `dup-${e}.lab.test`);
    await addInterface(db, cli, ids['PC-43']!, {
      name: 'eth0',
      ip: `10.${e === 'sqlite' ? 1 : 2}.0.43`,
      mac: e === 'sqlite' ? 'aa:bb:cc:00:00:43' : 'aa:bb:cc:01:00:43',
    });
    await db('network_devices')
      .where('asset_id', ids['SW-01'])
      .update({ management_ip: `10.${e === 'sqlite' ? 1 : 2}.0.1` });

    hostids.cnc = await zabbix.createHost(`cnc-07-${e}`, { groupId: group, ips: ['10.9.9.7'] });
    hostids.pc42 = await zabbix.createHost(`pc-42-${e}`, { groupId: group, ips: ['10.9.9.42'] });
    hostids.pc43 = await zabbix.createHost(`win-ws-43-${e}`, { groupId: group, ips: [`10.${e === 'sqlite' ? 1 : 2}.0.43`] });
    hostids.sw = await zabbix.createHost(`core-switch-${e}`, { groupId: group, ips: [`10.${e === 'sqlite' ? 1 : 2}.0.1`] });
    hostids.vc = await zabbix.createHost(`vc${e}`, { groupId: group, ips: ['10.9.9.100'] });
    hostids.vc8 = await zabbix.createHost(`vc${e}8`, { groupId: group, ips: ['10.9.9.108'] });
    hostids.dup = await zabbix.createHost(`dup-${e}`, { groupId: group, ips: ['10.9.9.200'] });
    triggerid = await zabbix.createTrigger(hostids.cnc, 'Spindle temperature high', 4);
    app = await api.app({ monitoringOptions: { onRequest: (method) => sent.push(method) } });
    await makeUser(db, 'editor', `editor-${e}`);
    token = await tokenFor(app, `editor-${e}`);
  }, 120_000);
  afterAll(async () => api?.cleanup());

  const monitoring = () => new Monitoring(zabbixSettingsFromConfig(api.config())!);

  it('proposes pins by hostname, name without domain and interface or management IP, and reports the prefix collision and the duplicate', async () => {
    const report = await matchAssets({ db, monitoring: monitoring(), plugins: (await bundledCatalog()).plugins, actor: cli, apply: false });
    expect(report.proposals.map((p) => [p.assetTag, p.host, p.how])).toEqual([
      ['CNC-07', `cnc-07-${e}`, 'hostname'],
      ['PC-42', `pc-42-${e}`, 'short-name'],
      ['PC-43', `win-ws-43-${e}`, 'ip'],
      ['SW-01', `core-switch-${e}`, 'ip'],
    ]);
    expect(report.issues.map((i) => [i.assetTag, i.kind])).toEqual([
      ['VC', 'prefix-collision'],
      ['DUP-A', 'duplicate'],
      ['DUP-B', 'duplicate'],
    ]);
    expect(report.issues[0]!.candidates.map((c) => c.host)).toEqual([`vc${e}`, `vc${e}8`]);
    expect(report.hostsInZabbix).toBe(7);
    expect(await db('monitoring_pins').count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('--apply stores the proposals with how and when, audited, and leaves the issues unpinned', async () => {
    const report = await matchAssets({ db, monitoring: monitoring(), plugins: (await bundledCatalog()).plugins, actor: cli, apply: true });
    expect(report.applied).toBe(true);
    const pins = (await db('monitoring_pins').orderBy('asset_id').select('asset_id', 'hostid', 'matched_how', 'matched_by')) as Array<
      Record<string, unknown>
    >;
    expect(pins.map((p) => [Number(p.asset_id), String(p.hostid), p.matched_how])).toEqual([
      [ids['CNC-07'], hostids.cnc, 'hostname'],
      [ids['PC-42'], hostids.pc42, 'short-name'],
      [ids['PC-43'], hostids.pc43, 'ip'],
      [ids['SW-01'], hostids.sw, 'ip'],
    ]);
    expect(pins.every((p) => p.matched_by === 'cli:test')).toBe(true);
    const audit = (await listAudit(db, { objectType: 'asset', limit: 100, offset: 0 })).results.filter(
      (a) => a.action === 'monitoring.pin',
    );
    expect(audit).toHaveLength(4);
    const again = await matchAssets({ db, monitoring: monitoring(), plugins: (await bundledCatalog()).plugins, actor: cli, apply: false });
    expect(again.proposals).toEqual([]);
    expect(again.alreadyPinned).toBe(4);
  });

  it('shows a problem raised in Zabbix on the asset within the problem TTL, and its resolution', async () => {
    const status = async () =>
      (await app.inject({ method: 'GET', url: `/api/assets/${ids['CNC-07']}/monitoring`, headers: bearer(token) })).json<{
        state: string;
        problems: Array<{ name: string; severity: string; acknowledged: boolean }>;
        checkedAt: string;
        stale: boolean;
      }>();
    expect((await status()).state).toBe('ok');
    const eventid = await zabbix.raiseProblem(triggerid);
    await waitUntil(async () => (await status()).state === 'problem', 20_000, 'the problem to show');
    const shown = await status();
    expect(shown.problems).toEqual([expect.objectContaining({ name: 'Spindle temperature high', severity: 'high', acknowledged: false })]);
    expect(shown.stale).toBe(false);
    expect(Date.parse(shown.checkedAt)).toBeGreaterThan(Date.now() - 60_000);
    await zabbix.resolveProblem(eventid);
    await waitUntil(async () => (await status()).state === 'ok', 20_000, 'the resolution to show');
  });

  it('lists the open problems by location subtree and severity', async () => {
    const eventid = await zabbix.raiseProblem(triggerid, { name: 'Coolant low', severity: 2 });
    const problems = async (query: string) =>
      (await app.inject({ method: 'GET', url: `/api/monitoring/problems${query}`, headers: bearer(token) })).json<{
        results: Array<{ name: string; asset: { assetTag: string } }>;
        reason: string | null;
      }>();
    await waitUntil(async () => (await problems('')).results.length === 1, 20_000, 'the problem to show');
    const hall = Number((await db('locations').where('code', `HALL-${e}`).first('id')).id);
    const office = Number((await db('locations').where('code', `OFF-${e}`).first('id')).id);
    expect((await problems(`?location=${hall}`)).results.map((p) => [p.name, p.asset.assetTag])).toEqual([['Coolant low', 'CNC-07']]);
    expect((await problems(`?location=${office}`)).results).toEqual([]);
    expect((await problems('?severity=average')).results).toEqual([]);
    expect((await problems('?severity=warning')).results).toHaveLength(1);
    await zabbix.resolveProblem(eventid);
  });

  it('adds monitoring to a page of 50 matched assets with a bounded number of Zabbix calls, and none while the cache is fresh', async () => {
    const group = await zabbix.hostGroup(`shopdb-${e}`);
    const status = Number((await db('status_labels').first('id')).id);
    await zabbix.call(
      'host.create',
      Array.from({ length: 50 }, (_, i) => ({
        host: `bulk-${e}-${String(i).padStart(2, '0')}`,
        groups: [{ groupid: group }],
        interfaces: [{ type: 1, main: 1, useip: 1, ip: '192.0.2.1', dns: '', port: '10050' }],
      })),
    );
    for (let i = 0; i < 50; i++)
      await createAsset(db, cli, {
        assetTag: `BULK-${i}`,
        name: `bulk ${i}`,
        type: 'equipment',
        hostname: `bulk-${e}-${String(i).padStart(2, '0')}`,
        statusId: status,
      });
    await matchAssets({ db, monitoring: monitoring(), plugins: (await bundledCatalog()).plugins, actor: cli, apply: true });
    const list = async () =>
      (
        await app.inject({ method: 'GET', url: '/api/assets?type=equipment&limit=50&offset=1&include=monitoring', headers: bearer(token) })
      ).json<{ results: Array<{ monitoring: { state: string } }> }>();
    sent.length = 0;
    await db('monitoring_cache').where('cache_key', 'problems').delete();
    const page = await list();
    expect(page.results).toHaveLength(50);
    expect(page.results.every((a) => a.monitoring.state === 'ok')).toBe(true);
    // problem.get (and trigger.get only when there are problems), never one per asset.
    expect(sent.filter((m) => m !== 'apiinfo.version').length).toBeLessThanOrEqual(3);
    sent.length = 0;
    await list();
    expect(sent.filter((m) => m === 'problem.get' || m === 'trigger.get')).toEqual([]);
    const plain = (await app.inject({ method: 'GET', url: '/api/assets?limit=1', headers: bearer(token) })).json<{
      results: Array<Record<string, unknown>>;
    }>();
    expect(plain.results[0]).not.toHaveProperty('monitoring');
  });

  it('an editor pins and unpins one asset through the API, audited; a viewer may not', async () => {
    const pin = await app.inject({
      method: 'PUT',
      url: `/api/assets/${ids['VC']}/monitoring/pin`,
      headers: bearer(token),
      payload: { hostid: hostids.vc },
    });
    expect(pin.statusCode, pin.body).toBe(200);
    expect(pin.json()).toMatchObject({
      assetId: ids['VC'],
      hostid: hostids.vc,
      host: `vc${e}`,
      matchedHow: 'manual',
      matchedBy: `editor-${e}`,
    });
    expect((await app.inject({ method: 'GET', url: `/api/assets/${ids['VC']}/monitoring`, headers: bearer(token) })).json()).toMatchObject({
      hostid: hostids.vc,
    });
    expectError(
      await app.inject({
        method: 'PUT',
        url: `/api/assets/${ids['DUP-A']}/monitoring/pin`,
        headers: bearer(token),
        payload: { hostid: hostids.vc },
      }),
      409,
      'CONFLICT',
    );
    expectError(
      await app.inject({
        method: 'PUT',
        url: `/api/assets/${ids['DUP-A']}/monitoring/pin`,
        headers: bearer(token),
        payload: { hostid: '999999999' },
      }),
      400,
    );
    const viewer = await makeUser(db, 'viewer', `viewer-${e}`);
    expectError(
      await app.inject({
        method: 'DELETE',
        url: `/api/assets/${ids['VC']}/monitoring/pin`,
        headers: bearer(await tokenFor(app, viewer.username)),
      }),
      403,
    );
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/assets/${ids['VC']}/monitoring/pin`, headers: bearer(token) })).statusCode,
    ).toBe(204);
    expect((await app.inject({ method: 'GET', url: `/api/assets/${ids['VC']}/monitoring`, headers: bearer(token) })).json()).toMatchObject({
      state: 'unmatched',
    });
    const actions = (await listAudit(db, { objectType: 'asset', limit: 100, offset: 0 })).results
      .filter((a) => a.objectId === String(ids['VC']))
      .map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['monitoring.pin', 'monitoring.unpin']));
  });
});

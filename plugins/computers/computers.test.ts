// Database suite (SQLite and MySQL): the computers plugin — its tables' columns, the detail
// row every computer gets, host details, network interfaces (MACs normalised and unique), the
// machines a PC drives as core `controls` links, the routes (roles, validation, conflicts, audit,
// the plugin gate), and its share of the demo site with and without the equipment plugin.

import type { Knex } from 'knex';
import { afterAll, describe, expect, it } from 'vitest';
import { addLink, ValidationError } from 'shopdb/sdk';
import { expectError } from '../../test/support/api.js';
import { listAudit, TEST_ACTOR as cli } from '../../test/support/core-access.js';
import { createMigratedTestSite, useMigratedSite, type MigratedSite } from '../../test/support/migrated-site.js';
import { installTestPlugins, listPluginTables } from '../../test/support/plugins.js';
import { describeEachEngine } from '../../test/support/site.js';
import { assetIdByTag, controllersOf, listHosts, listInterfaces, normaliseMac, updateHost, type HostView } from './service.js';

const BASE = '/api/plugins/computers';

async function rowCount(db: Knex, table: string, where: Record<string, unknown> = {}): Promise<number> {
  return Number(((await db(table).where(where).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
}

describe('normaliseMac', () => {
  it('writes every usual notation as aa:bb:cc:dd:ee:ff and refuses what is not a MAC address', () => {
    for (const mac of ['AA:BB:CC:DD:EE:0F', 'aa-bb-cc-dd-ee-0f', 'AABB.CCDD.EE0F', 'aabbccddee0f', ' aa:bb:cc:dd:ee:0f '])
      expect(normaliseMac(mac)).toBe('aa:bb:cc:dd:ee:0f');
    for (const bad of ['aa:bb:cc:dd:ee', 'aa:bb-cc:dd:ee:ff', 'gg:bb:cc:dd:ee:ff', 'aabbccddeeff00', '', 42])
      expect(normaliseMac(bad)).toBeNull();
  });
});

describeEachEngine('computers plugin: hosts, interfaces and controls', (engine) => {
  // Alone: a PC may drive any asset, so it needs no other plugin.
  const s = useMigratedSite(engine, { seed: 'base', plugins: ['computers'], users: { viewer: true, editor: true }, app: true });
  let counter = 0;

  const get = (url: string, headers = s.as.viewer) => s.app.inject({ method: 'GET', url, headers });
  const put = (url: string, payload: unknown, headers = s.as.editor) =>
    s.app.inject({ method: 'PUT', url, headers, payload: payload as object });
  const post = (url: string, payload: unknown, headers = s.as.editor) =>
    s.app.inject({ method: 'POST', url, headers, payload: payload as object });
  const del = (url: string, headers = s.as.editor) => s.app.inject({ method: 'DELETE', url, headers });
  const patch = (url: string, payload: unknown, headers = s.as.editor) =>
    s.app.inject({ method: 'PATCH', url, headers, payload: payload as object });

  /** An asset created through the core API, so the enabled plugins' hooks run as in production. */
  async function newAsset(type = 'computer', prefix = 'T-PC'): Promise<{ id: number; assetTag: string; hostname: string }> {
    const n = String(++counter).padStart(3, '0');
    const assetTag = `${prefix}-${n}`;
    const hostname = `host-${engine}-${n}`;
    const response = await post('/api/assets', {
      assetTag,
      name: `Asset ${assetTag}`,
      type,
      statusId: s.inService,
      ...(type === 'computer' ? { hostname } : {}),
    });
    expect(response.statusCode, response.body).toBe(201);
    return { id: response.json().id, assetTag, hostname };
  }
  const newMachine = () => newAsset('other', 'T-MACHINE');

  it('keeps host details and interfaces in these columns, the hostname in the core', async () => {
    expect(await listPluginTables(s.db, 'computers')).toEqual(['computers_hosts', 'computers_interfaces']);
    const hostColumns = Object.keys(await s.db('computers_hosts').columnInfo()).sort();

    expect(hostColumns).toEqual(
      [
        'asset_id',
        'os_name',
        'os_version',
        'domain_joined',
        'domain_name',
        'last_seen_at',
        'warranty_end',
        'created_at',
        'updated_at',
      ].sort(),
    );
    expect(hostColumns).not.toContain('hostname');
    expect(Object.keys(await s.db('computers_interfaces').columnInfo()).sort()).toEqual(
      ['id', 'asset_id', 'name', 'name_key', 'ip', 'mac', 'vlan', 'created_at', 'updated_at'].sort(),
    );
  });

  it('gives every computer created through the core API a details row, shows the core hostname, and no other type one', async () => {
    const pc = await newAsset();
    const machine = await newMachine();

    const read = await get(`${BASE}/hosts/${pc.id}`);

    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toMatchObject({
      assetId: pc.id,
      assetTag: pc.assetTag,
      hostname: pc.hostname,
      os: null,
      domainJoined: false,
      domainName: null,
      lastSeenAt: null,
      warrantyEnd: null,
    });
    expect(await rowCount(s.db, 'computers_hosts', { asset_id: pc.id })).toBe(1);
    expect(await rowCount(s.db, 'computers_hosts', { asset_id: machine.id })).toBe(0);
    expectError(await get(`${BASE}/hosts/${machine.id}`), 404, 'NOT_FOUND');
  });

  it('sets the details given, round-trips dates and booleans on both engines, and audits before and after', async () => {
    const pc = await newAsset();
    const first = await put(`${BASE}/hosts/${pc.id}`, {
      os: 'Windows 10 IoT Enterprise LTSC',
      osVersion: '21H2',
      domainJoined: true,
      domainName: 'p7.shop.local',
      lastSeenAt: '2026-05-04T06:07:08.123Z',
      warrantyEnd: '2028-02-29',
    });
    const second = await s.app.inject({
      method: 'PATCH',
      url: `${BASE}/hosts/${pc.id}`,
      headers: { ...s.as.editor, 'x-request-id': 'req-pc-2' },
      payload: { osVersion: null, domainJoined: false },
    });
    const read = await get(`${BASE}/hosts/${pc.id}`);

    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({
      domainJoined: true,
      domainName: 'p7.shop.local',
      lastSeenAt: '2026-05-04T06:07:08.123Z',
      warrantyEnd: '2028-02-29',
    });
    expect(second.statusCode, second.body).toBe(200);
    expect(read.json()).toMatchObject({
      os: 'Windows 10 IoT Enterprise LTSC',
      osVersion: null,
      domainJoined: false,
      domainName: null,
      lastSeenAt: '2026-05-04T06:07:08.123Z',
      warrantyEnd: '2028-02-29',
      hostname: pc.hostname,
    });
    const audit = await listAudit(s.db, { objectType: 'computers.host', objectId: String(pc.id), limit: 10, offset: 0 });
    expect(audit.results.map((entry) => entry.action)).toEqual(['update', 'update', 'create']);
    expect(audit.results[0]).toMatchObject({
      userId: s.user.editor.id,
      requestId: 'req-pc-2',
      before: expect.objectContaining({ domainJoined: true, domainName: 'p7.shop.local', osVersion: '21H2' }),
      after: expect.objectContaining({ domainJoined: false, domainName: null, osVersion: null }),
    });
  });

  it('refuses bad details field by field, over HTTP and in the service, and leaves the hostname to the core', async () => {
    const pc = await newAsset();
    const url = `${BASE}/hosts/${pc.id}`;

    const schema = expectError(
      await put(url, { hostname: 'elsewhere', warrantyEnd: '2027-13-01', lastSeenAt: 'yesterday' }),
      400,
      'VALIDATION_FAILED',
    );
    const noName = expectError(await put(url, { domainJoined: true }), 400, 'VALIDATION_FAILED');
    const nameOnly = expectError(await put(url, { domainName: 'p7.shop.local' }), 400, 'VALIDATION_FAILED');
    const badName = expectError(await put(url, { domainJoined: true, domainName: 'not a domain' }), 400, 'VALIDATION_FAILED');
    const service = await updateHost(s.db, cli, pc.id, { os: '', lastSeenAt: 'soon', warrantyEnd: '2027-02-30' }).catch(
      (error: unknown) => error,
    );

    expect(Object.keys(schema.fields).sort()).toEqual(['hostname', 'lastSeenAt', 'warrantyEnd']);
    expect(noName.fields).toEqual({ domainName: 'is required while domainJoined is true' });
    expect(nameOnly.fields).toEqual({ domainName: 'must be null unless domainJoined is true' });
    expect(Object.keys(badName.fields)).toEqual(['domainName']);
    expect(service).toBeInstanceOf(ValidationError);
    expect(Object.keys((service as ValidationError).fields).sort()).toEqual(['lastSeenAt', 'os', 'warrantyEnd']);
    expect((await get(url)).json()).toMatchObject({ hostname: pc.hostname, domainJoined: false, os: null });
  });

  it('replaces every detail with PUT (left out: null, not joined) and changes only the given ones with PATCH', async () => {
    const pc = await newAsset();
    const url = `${BASE}/hosts/${pc.id}`;
    const full = {
      os: 'Windows 11 Enterprise',
      osVersion: '23H2',
      domainJoined: true,
      domainName: 'p7.shop.local',
      warrantyEnd: '2028-01-31',
    };
    expect((await put(url, full)).statusCode).toBe(200);

    const patched = await patch(url, { osVersion: '24H2' });
    const replaced = await put(url, { os: 'Windows 10 IoT Enterprise LTSC' });
    const emptied = await put(url, {});

    expect(patched.json()).toMatchObject({ ...full, osVersion: '24H2' });
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect(replaced.json()).toMatchObject({
      os: 'Windows 10 IoT Enterprise LTSC',
      osVersion: null,
      domainJoined: false,
      domainName: null,
      lastSeenAt: null,
      warrantyEnd: null,
    });
    expect(emptied.json()).toMatchObject({ os: null, domainJoined: false });
    expectError(await patch(url, {}), 400, 'VALIDATION_FAILED');
    expectError(await patch(url, { os: 'Linux' }, s.as.viewer), 403);
    const audit = await listAudit(s.db, { objectType: 'computers.host', objectId: String(pc.id), limit: 10, offset: 0 });
    expect(audit.results[1]).toMatchObject({
      action: 'update',
      before: expect.objectContaining({ domainJoined: true, osVersion: '24H2' }),
      after: expect.objectContaining({ domainJoined: false, osVersion: null, os: 'Windows 10 IoT Enterprise LTSC' }),
    });
  });

  it('changes an interface with the rules of a new one (MAC normalised and unique, name unique per PC), audited', async () => {
    const pc = await newAsset();
    const other = await newAsset();
    const nic = (await post(`${BASE}/hosts/${pc.id}/interfaces`, { name: 'Ethernet', mac: '02:00:00:aa:00:01', vlan: 10 })).json();
    await post(`${BASE}/hosts/${pc.id}/interfaces`, { name: 'Ethernet 2', mac: '02:00:00:aa:00:02' });
    const elsewhere = (await post(`${BASE}/hosts/${other.id}/interfaces`, { name: 'LAN', mac: '02:00:00:aa:00:03' })).json();

    const changed = await patch(`${BASE}/interfaces/${nic.id}`, { ip: '10.7.12.41', mac: '02-00-00-AA-00-11', vlan: null });
    const sameName = await patch(`${BASE}/interfaces/${nic.id}`, { name: 'ethernet 2' });
    const takenMac = await patch(`${BASE}/interfaces/${nic.id}`, { mac: '0200.00aa.0003' });
    const bad = await patch(`${BASE}/interfaces/${nic.id}`, { mac: 'nope', ip: '10.7.12.300' });
    const ownMac = await patch(`${BASE}/interfaces/${nic.id}`, { mac: '02:00:00:AA:00:11', name: 'Ethernet 1' });

    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ id: nic.id, name: 'Ethernet', mac: '02:00:00:aa:00:11', ip: '10.7.12.41', vlan: null });
    expect(expectError(sameName, 409, 'CONFLICT').message).toContain('ethernet 2');
    expect(expectError(takenMac, 409, 'CONFLICT').message).toContain(other.assetTag);
    expect(Object.keys(expectError(bad, 400, 'VALIDATION_FAILED').fields).sort()).toEqual(['ip', 'mac']);
    expect(ownMac.json()).toMatchObject({ name: 'Ethernet 1', mac: '02:00:00:aa:00:11' });
    expectError(await patch(`${BASE}/interfaces/${nic.id}`, {}), 400);
    expectError(await patch(`${BASE}/interfaces/${nic.id}`, { ip: null }, s.as.viewer), 403);
    expectError(await patch(`${BASE}/interfaces/999999`, { ip: null }), 404, 'NOT_FOUND');
    expect((await get(`${BASE}/hosts/${other.id}/interfaces`)).json().results).toMatchObject([
      { id: elsewhere.id, mac: '02:00:00:aa:00:03' },
    ]);
    const audit = await listAudit(s.db, { objectType: 'computers.interface', objectId: String(nic.id), limit: 10, offset: 0 });
    expect(audit.results).toMatchObject([
      { action: 'update', before: { name: 'Ethernet' }, after: { name: 'Ethernet 1' } },
      {
        action: 'update',
        before: { mac: '02:00:00:aa:00:01', ip: null, vlan: 10 },
        after: { mac: '02:00:00:aa:00:11', ip: '10.7.12.41', vlan: null },
      },
      { action: 'create' },
    ]);
  });

  it('lists computers with their details, filtered by the start of the OS name (any case) and by domain', async () => {
    const set = async (details: Record<string, unknown>) => {
      const pc = await newAsset('computer', `T-LIST${engine}`);
      expect((await put(`${BASE}/hosts/${pc.id}`, details)).statusCode).toBe(200);
      return pc.assetTag;
    };
    const win10 = await set({ os: 'Windows 10 IoT Enterprise LTSC' });
    const win11 = await set({ os: 'Windows 11 Enterprise', domainJoined: true, domainName: 'p7.shop.local' });
    const percent = await set({ os: 'Win%dows' });
    const mine = (response: { json(): { results: HostView[] } }) =>
      response
        .json()
        .results.map((h) => h.assetTag)
        .filter((t) => t.startsWith(`T-LIST${engine}`));

    const all = await get(`${BASE}/hosts?limit=1000`);
    const ten = await get(`${BASE}/hosts?os=${encodeURIComponent('windows 10')}&limit=1000`);
    const windows = await get(`${BASE}/hosts?os=Windows&limit=1000`);
    const literal = await get(`${BASE}/hosts?os=${encodeURIComponent('Win%')}&limit=1000`);
    const joined = await get(`${BASE}/hosts?domainJoined=true&limit=1000`);
    const direct = await listHosts(s.db, { limit: 1000, offset: 0, os: 'WINDOWS 11' });

    expect(all.statusCode, all.body).toBe(200);
    expect(mine(all)).toEqual([win10, win11, percent]);
    expect(mine(ten)).toEqual([win10]);
    expect(mine(windows)).toEqual([win10, win11]);
    expect(mine(literal)).toEqual([percent]);
    expect(mine(joined)).toEqual([win11]);
    expect(direct.results.map((h) => h.assetTag)).toEqual([win11]);
    expect(ten.json().results[0]).toMatchObject({
      os: 'Windows 10 IoT Enterprise LTSC',
      hostname: expect.any(String),
      status: { name: 'In service' },
    });
  });

  it('adds network interfaces with their MAC normalised, refuses a MAC another PC has (any notation), and deletes them', async () => {
    const pc = await newAsset();
    const other = await newAsset();

    const added = await post(`${BASE}/hosts/${pc.id}/interfaces`, {
      name: 'Ethernet',
      mac: 'A4-BB-6D-12-40-12',
      ip: '10.7.12.40',
      vlan: 712,
    });
    const second = await post(`${BASE}/hosts/${pc.id}/interfaces`, { name: 'Ethernet 2', mac: 'a4bb.6d12.4013' });
    const taken = await post(`${BASE}/hosts/${other.id}/interfaces`, { name: 'LAN', mac: 'a4bb6d124012' });
    const sameName = await post(`${BASE}/hosts/${pc.id}/interfaces`, { name: 'Ethernet', mac: 'a4:bb:6d:12:40:99' });
    const listed = await get(`${BASE}/hosts/${pc.id}/interfaces`);

    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({ assetId: pc.id, name: 'Ethernet', mac: 'a4:bb:6d:12:40:12', ip: '10.7.12.40', vlan: 712 });
    expect(second.json()).toMatchObject({ mac: 'a4:bb:6d:12:40:13', ip: null, vlan: null });
    expect(expectError(taken, 409, 'CONFLICT').message).toContain(pc.assetTag);
    expect(expectError(sameName, 409, 'CONFLICT').message).toContain('Ethernet');
    expect(listed.json().count).toBe(2);
    expect(listed.json().results.map((i: { name: string }) => i.name)).toEqual(['Ethernet', 'Ethernet 2']);

    const removed = await del(`${BASE}/interfaces/${added.json().id}`);
    const again = await post(`${BASE}/hosts/${other.id}/interfaces`, { name: 'LAN', mac: 'A4:BB:6D:12:40:12' });

    expect(removed.statusCode).toBe(204);
    expect(again.statusCode, again.body).toBe(201);
    expectError(await del(`${BASE}/interfaces/${added.json().id}`), 404, 'NOT_FOUND');
    const audit = await listAudit(s.db, { objectType: 'computers.interface', objectId: String(added.json().id), limit: 10, offset: 0 });
    expect(audit.results.map((entry) => [entry.action, entry.userId])).toEqual([
      ['delete', s.user.editor.id],
      ['create', s.user.editor.id],
    ]);
    expect(audit.results[0]!.before).toMatchObject({ mac: 'a4:bb:6d:12:40:12' });
  });

  it('refuses bad interfaces field by field, and answers 404 for what is not a computer', async () => {
    const pc = await newAsset();
    const machine = await newMachine();
    const url = `${BASE}/hosts/${pc.id}/interfaces`;

    const bad = expectError(await post(url, { name: 'Ethernet', mac: 'not-a-mac', ip: '10.7.12.256' }), 400, 'VALIDATION_FAILED');
    const schema = expectError(await post(url, { mac: 'aa:bb:cc:dd:ee:01', vlan: 5000, speed: '1G' }), 400, 'VALIDATION_FAILED');

    expect(Object.keys(bad.fields).sort()).toEqual(['ip', 'mac']);
    expect(Object.keys(schema.fields).sort()).toEqual(['name', 'speed', 'vlan']);
    expectError(await post(`${BASE}/hosts/${machine.id}/interfaces`, { name: 'Ethernet', mac: 'aa:bb:cc:dd:ee:02' }), 404, 'NOT_FOUND');
    expectError(await get(`${BASE}/hosts/${machine.id}/interfaces`), 404, 'NOT_FOUND');
    expect((await listInterfaces(s.db, pc.id, { limit: 10, offset: 0 })).count).toBe(0);
  });

  it('records the machines a PC drives as core controls links, and answers which PC drives a machine, by id or asset tag', async () => {
    const pc = await newAsset();
    const spare = await newAsset();
    const machine = await newMachine();
    const plc = await newMachine();
    await addLink(s.db, cli, plc.id, { targetId: machine.id, linkType: 'controls' });

    const linked = await s.app.inject({
      method: 'POST',
      url: `${BASE}/hosts/${pc.id}/controls`,
      headers: { ...s.as.editor, 'x-request-id': 'req-ctl-1' },
      payload: { machineId: machine.id, note: 'DNC over LSV2' },
    });
    const twice = await post(`${BASE}/hosts/${pc.id}/controls`, { machineId: machine.id });
    const itself = await post(`${BASE}/hosts/${pc.id}/controls`, { machineId: pc.id });
    const nothing = await post(`${BASE}/hosts/${pc.id}/controls`, { machineId: 999_999 });
    const controls = await get(`${BASE}/hosts/${pc.id}/controls`);
    const byId = await get(`${BASE}/controlled-by/${machine.id}`);
    const byTag = await get(`${BASE}/controlled-by?assetTag=${machine.assetTag}`);
    const coreLinks = await get(`/api/assets/${machine.id}/links`);

    expect(linked.statusCode, linked.body).toBe(201);
    expect(linked.json()).toMatchObject({ note: 'DNC over LSV2', asset: { id: machine.id, assetTag: machine.assetTag, type: 'other' } });
    expectError(twice, 409, 'CONFLICT');
    expect(expectError(itself, 400, 'VALIDATION_FAILED').fields).toHaveProperty('machineId');
    expect(expectError(nothing, 400, 'VALIDATION_FAILED').fields).toHaveProperty('machineId');
    expect(controls.json().results).toEqual([
      {
        linkId: linked.json().linkId,
        note: 'DNC over LSV2',
        asset: { id: machine.id, assetTag: machine.assetTag, name: `Asset ${machine.assetTag}`, type: 'other' },
      },
    ]);
    expect(byId.statusCode, byId.body).toBe(200);
    expect(byId.json().asset).toEqual({ id: machine.id, assetTag: machine.assetTag, name: `Asset ${machine.assetTag}` });
    // The PLC's link is a controls link too, but only computers answer "which PC".
    expect(byId.json().results.map((r: { host: HostView }) => r.host.assetTag)).toEqual([pc.assetTag]);
    expect(byId.json().results[0].host).toMatchObject({ hostname: pc.hostname });
    expect(byTag.json()).toEqual(byId.json());
    expect(coreLinks.json().results).toContainEqual(
      expect.objectContaining({
        id: linked.json().linkId,
        linkType: 'controls',
        direction: 'incoming',
        other: expect.objectContaining({ id: pc.id }),
      }),
    );
    expect(
      (await listAudit(s.db, { objectType: 'asset_link', objectId: String(linked.json().linkId), limit: 5, offset: 0 })).results[0],
    ).toMatchObject({ action: 'create', requestId: 'req-ctl-1' });
    expect((await get(`${BASE}/hosts/${spare.id}/controls`)).json().results).toEqual([]);

    const unlinked = await del(`${BASE}/hosts/${pc.id}/controls/${machine.id}`);
    expect(unlinked.statusCode).toBe(204);
    expect((await get(`${BASE}/controlled-by/${machine.id}`)).json().results).toEqual([]);
    expectError(await del(`${BASE}/hosts/${pc.id}/controls/${machine.id}`), 404, 'NOT_FOUND');
    expectError(await get(`${BASE}/controlled-by?assetTag=NO-SUCH-TAG`), 404, 'NOT_FOUND');
    expectError(await get(`${BASE}/controlled-by/999999`), 404, 'NOT_FOUND');
    expectError(await get(`${BASE}/controlled-by`), 400, 'VALIDATION_FAILED');
    expectError(await post(`${BASE}/hosts/${machine.id}/controls`, { machineId: plc.id }), 404, 'NOT_FOUND');
  });

  it('drops a deleted PC from every answer and frees its MAC addresses; removing the asset row takes its details with it', async () => {
    const pc = await newAsset();
    const machine = await newMachine();
    await post(`${BASE}/hosts/${pc.id}/interfaces`, { name: 'Ethernet', mac: '18:66:da:00:00:01' });
    await post(`${BASE}/hosts/${pc.id}/controls`, { machineId: machine.id });

    expect((await del(`/api/assets/${pc.id}`)).statusCode).toBe(204);
    const replacement = await newAsset();
    const reused = await post(`${BASE}/hosts/${replacement.id}/interfaces`, { name: 'Ethernet', mac: '18-66-DA-00-00-01' });

    expectError(await get(`${BASE}/hosts/${pc.id}`), 404);
    expect((await controllersOf(s.db, machine.id)).results).toEqual([]);
    expect(reused.statusCode, reused.body).toBe(201);
    expect(await rowCount(s.db, 'computers_interfaces', { asset_id: pc.id })).toBe(0);
    await s.db('assets').where({ id: pc.id }).delete();
    expect(await rowCount(s.db, 'computers_hosts', { asset_id: pc.id })).toBe(0);
  });

  it('lets viewers read and only editors write; nobody without a token', async () => {
    const pc = await newAsset();
    const machine = await newMachine();

    expect((await get(`${BASE}/hosts/${pc.id}`)).statusCode).toBe(200);
    expect((await get(`${BASE}/controlled-by/${machine.id}`)).statusCode).toBe(200);
    expectError(await s.app.inject({ method: 'GET', url: `${BASE}/hosts` }), 401);
    expectError(await s.app.inject({ method: 'GET', url: `${BASE}/controlled-by?assetTag=${machine.assetTag}` }), 401);
    expectError(await put(`${BASE}/hosts/${pc.id}`, { os: 'Linux' }, s.as.viewer), 403);
    expectError(await post(`${BASE}/hosts/${pc.id}/interfaces`, { name: 'Ethernet', mac: 'aa:bb:cc:dd:ee:03' }, s.as.viewer), 403);
    expectError(await post(`${BASE}/hosts/${pc.id}/controls`, { machineId: machine.id }, s.as.viewer), 403);
    expectError(await del(`${BASE}/hosts/${pc.id}/controls/${machine.id}`, s.as.viewer), 403);
    expectError(await del(`${BASE}/interfaces/1`, s.as.viewer), 403);
  });

  it('documents its routes in the OpenAPI document', async () => {
    const paths = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json().paths;

    expect(
      Object.keys(paths)
        .filter((path) => path.startsWith(BASE))
        .sort(),
    ).toEqual(
      [
        `${BASE}/controlled-by`,
        `${BASE}/controlled-by/{assetId}`,
        `${BASE}/hosts`,
        `${BASE}/hosts/{assetId}`,
        `${BASE}/hosts/{assetId}/controls`,
        `${BASE}/hosts/{assetId}/controls/{machineId}`,
        `${BASE}/hosts/{assetId}/interfaces`,
        `${BASE}/interfaces/{id}`,
      ].sort(),
    );
  });

  it('is gone (404) while the plugin is disabled, and back once enabled', async () => {
    const pc = await newAsset();

    await s.setPluginEnabled('computers', false);
    const whileDisabled = [
      await get(`${BASE}/hosts`),
      await get(`${BASE}/hosts/${pc.id}`),
      await get(`${BASE}/controlled-by?assetTag=${pc.assetTag}`),
      await put(`${BASE}/hosts/${pc.id}`, { os: 'Linux' }),
    ];
    await s.setPluginEnabled('computers', true);

    for (const response of whileDisabled) expectError(response, 404, 'NOT_FOUND');
    expect((await get(`${BASE}/hosts/${pc.id}`)).statusCode).toBe(200);
  });
});

describeEachEngine('computers plugin beside the network plugin: interface VLANs', (engine) => {
  const s = useMigratedSite(engine, { seed: 'base', plugins: ['computers', 'network'], users: { editor: true }, app: true });
  const send = (method: 'POST' | 'PATCH', url: string, payload: unknown) =>
    s.app.inject({ method, url, headers: s.as.editor, payload: payload as object });

  it("accepts only the network plugin's VLANs while it is enabled, and any VLAN id while it is not", async () => {
    const created = await send('POST', '/api/assets', {
      assetTag: `T-VLAN-${engine}`,
      name: 'PC',
      type: 'computer',
      statusId: s.inService,
    });
    const pc = created.json<{ id: number }>().id;
    expect((await send('POST', '/api/plugins/network/vlans', { vlanId: 20, name: 'machines' })).statusCode).toBe(201);
    const url = `${BASE}/hosts/${pc}/interfaces`;

    const unknown = await send('POST', url, { name: 'Ethernet', mac: '02:00:00:bb:00:01', vlan: 777 });
    const known = await send('POST', url, { name: 'Ethernet', mac: '02:00:00:bb:00:01', vlan: 20 });
    const patchedUnknown = await send('PATCH', `${BASE}/interfaces/${known.json().id}`, { vlan: 777 });

    expect(expectError(unknown, 400, 'VALIDATION_FAILED').fields).toEqual({
      vlan: "VLAN 777 is not one of the site's VLANs; add it to the network plugin first, or give null",
    });
    expect(known.statusCode, known.body).toBe(201);
    expect(Object.keys(expectError(patchedUnknown, 400, 'VALIDATION_FAILED').fields)).toEqual(['vlan']);
    expect(await s.db('computers_interfaces').where({ asset_id: pc }).pluck('vlan')).toEqual([20]);

    await s.setPluginEnabled('network', false);
    let whileOff;
    try {
      whileOff = await send('POST', url, { name: 'Ethernet 2', mac: '02:00:00:bb:00:02', vlan: 777 });
    } finally {
      await s.setPluginEnabled('network', true);
    }
    // A VLAN stored while the network plugin was off does not block other changes to the interface.
    const renamed = await send('PATCH', `${BASE}/interfaces/${whileOff.json().id}`, { name: 'Ethernet B' });

    expect(whileOff.statusCode, whileOff.body).toBe(201);
    expect(renamed.json()).toMatchObject({ name: 'Ethernet B', vlan: 777 });
  });
});

describeEachEngine('computers plugin: demo seed', (engine) => {
  const sites: MigratedSite[] = [];
  async function freshSite(plugins: string[]): Promise<MigratedSite> {
    const site = await createMigratedTestSite(engine, { plugins });
    sites.push(site);
    return site;
  }
  afterAll(async () => {
    for (const site of sites) await site.cleanup();
  });

  const links = async (db: Knex) =>
    (await db({ k: 'asset_links' })
      .join({ s: 'assets' }, 's.id', 'k.source_asset_id')
      .join({ t: 'assets' }, 't.id', 'k.target_asset_id')
      .where('k.link_type', 'controls')
      .orderBy('s.asset_tag')
      .select('s.asset_tag as pc', 't.asset_tag as machine')) as Array<{ pc: string; machine: string }>;

  it('adds exactly the four demo PCs with details and a network card, and no links when the machines are not there', async () => {
    const site = await freshSite(['computers']);
    const { db } = site;

    await site.seed('demo');
    const hosts = (await listHosts(db, { limit: 100, offset: 0 })).results;

    expect(
      hosts.map((h) => [h.assetTag, h.name, h.hostname, h.model?.name, h.model?.manufacturer, h.location?.code, h.status.name]),
    ).toEqual([
      ['PC-4012', 'DNC PC for 4012', 'dnc-4012', 'OptiPlex 7010', 'Dell', 'P7-B1-BAY1', 'In service'],
      ['PC-4013', 'DNC PC for 4013', 'dnc-4013', 'OptiPlex 7010', 'Dell', 'P7-B1-BAY1', 'In service'],
      ['PC-4020', 'DNC PC for 4020', 'dnc-4020', 'OptiPlex 7010', 'Dell', 'P7-B1-BAY2', 'In service'],
      ['PC-CMM01', 'CMM workstation', 'cmm-01', 'OptiPlex 7010', 'Dell', 'P7-B2-CMM', 'In service'],
    ]);
    expect(hosts.map((h) => h.os)).toEqual([
      'Windows 10 IoT Enterprise LTSC',
      'Windows 10 IoT Enterprise LTSC',
      'Windows 10 IoT Enterprise LTSC',
      'Windows 11 Enterprise',
    ]);
    for (const host of hosts) {
      expect(host.lastSeenAt).toBeInstanceOf(Date);
      expect(host.warrantyEnd).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    const ips = (await db('computers_interfaces').orderBy('ip').pluck('ip')) as string[];
    expect(ips).toEqual(['10.7.12.12', '10.7.12.13', '10.7.12.20', '10.7.22.5']);
    expect(await rowCount(db, 'assets')).toBe(4);
    expect(await links(db)).toEqual([]);
  });

  it('links each PC to the machine it drives once the equipment demo is there, and changes nothing when run again', async () => {
    const site = await freshSite(['equipment']);
    const { db } = site;
    await site.seed('demo');
    await installTestPlugins(db, ['computers']);

    await site.seed('demo');
    const first = { links: await links(db), interfaces: await rowCount(db, 'computers_interfaces'), assets: await rowCount(db, 'assets') };
    await site.seed('demo');
    const which = await controllersOf(db, await assetIdByTag(db, 'CNC-4012'));

    expect(first.links).toEqual([
      { pc: 'PC-4012', machine: 'CNC-4012' },
      { pc: 'PC-4013', machine: 'CNC-4013' },
      { pc: 'PC-4020', machine: 'CNC-4020' },
      { pc: 'PC-CMM01', machine: 'CMM-0101' },
    ]);
    expect(first.interfaces).toBe(4);
    expect(first.assets).toBe(8);
    expect({
      links: await links(db),
      interfaces: await rowCount(db, 'computers_interfaces'),
      assets: await rowCount(db, 'assets'),
    }).toEqual(first);
    expect(which.results.map((r) => [r.host.assetTag, r.host.hostname])).toEqual([['PC-4012', 'dnc-4012']]);
  });
});

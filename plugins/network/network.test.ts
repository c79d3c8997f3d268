import type { Knex } from 'knex';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, createAsset, NotFoundError, ValidationError, type Actor } from 'shopdb/sdk';
import { bearer, expectError, makeUser, tokenFor } from '../../test/support/api.js';
import { listAudit } from '../../test/support/core-access.js';
import { useMigratedSite } from '../../test/support/migrated-site.js';
import { listPluginTables } from '../../test/support/plugins.js';
import { describeEachEngine } from '../../test/support/site.js';
import { createLink, createPort, createVlan, portPeer, subnetProblem, updatePort } from './service.js';

const actor: Actor = { userId: null, username: 'cli:test', requestId: null };
const TABLES = ['network_devices', 'network_port_links', 'network_ports', 'network_vlans'];
const prefixed = (db: Knex) => listPluginTables(db, 'network');

describeEachEngine('network plugin', (engine) => {
  const s = useMigratedSite(engine, { seed: 'base', plugins: ['network'], users: { viewer: true, editor: true }, app: true });

  beforeAll(async () => {
    for (const vlan of [10, 20, 30]) await createVlan(s.db, actor, { vlanId: vlan, name: `vlan ${vlan}` });
  });

  const url = (path: string) => `/api/plugins/network${path}`;
  const get = (path: string, headers = s.as.viewer) => s.app.inject({ method: 'GET', url: url(path), headers });
  const send = (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, payload?: unknown, headers = s.as.editor) =>
    s.app.inject({ method, url: url(path), headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  let tagCounter = 0;
  const newAsset = async (type: string, name = 'Test asset'): Promise<number> => {
    const response = await s.app.inject({
      method: 'POST',
      url: '/api/assets',
      headers: s.as.editor,
      payload: { assetTag: `T-${type}-${++tagCounter}`, name, type, statusId: s.inService },
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ id: number }>().id;
  };
  const newDevice = (name = 'Test switch') => newAsset('network-device', name);
  const newPort = async (deviceId: number, body: Record<string, unknown>): Promise<number> => {
    const response = await send('POST', `/devices/${deviceId}/ports`, body);
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ id: number }>().id;
  };

  describe('devices', () => {
    it('gives a device created through the core API a detail row; an editor replaces the details, audited', async () => {
      const id = await newDevice();
      expect(await s.db('network_devices').where({ asset_id: id }).first()).toBeDefined();
      expect((await get(`/devices/${id}`)).json()).toMatchObject({
        asset: { id, type: { key: 'network-device' } },
        managementIp: null,
        role: null,
        firmwareVersion: null,
      });

      const put = await send('PUT', `/devices/${id}`, { managementIp: '10.7.0.50', role: 'switch', firmwareVersion: 'IOS XE 17.9.4a' });

      expect(put.statusCode, put.body).toBe(200);
      expect(put.json()).toMatchObject({ managementIp: '10.7.0.50', role: 'switch', firmwareVersion: 'IOS XE 17.9.4a' });
      expect((await get(`/devices/${id}`)).json()).toEqual(put.json());
      const audit = await listAudit(s.db, { objectType: 'network.device', objectId: String(id), limit: 10, offset: 0 });
      expect(audit.results).toMatchObject([
        { action: 'update', before: { role: null }, after: { role: 'switch', managementIp: '10.7.0.50' } },
      ]);
    });

    it('refuses bad details (400), viewers (403), anonymous callers (401), and non-devices (404)', async () => {
      const id = await newDevice();
      const other = await newAsset('other');
      const body = { managementIp: '10.7.0.51', role: 'switch', firmwareVersion: null };

      expect(
        expectError(await send('PUT', `/devices/${id}`, { ...body, managementIp: 'sw-core' }), 400, 'VALIDATION_FAILED').fields,
      ).toEqual({ managementIp: 'must be an IPv4 or IPv6 address' });
      expectError(await send('PUT', `/devices/${id}`, { ...body, role: 'hub' }), 400);
      expectError(await send('PUT', `/devices/${id}`, { role: 'switch' }), 400);
      expectError(await send('PUT', `/devices/${id}`, body, s.as.viewer), 403);
      expectError(await s.app.inject({ method: 'GET', url: url('/devices') }), 401);
      expectError(await get(`/devices/${other}`), 404, 'NOT_FOUND');
      expectError(await send('PUT', `/devices/${other}`, body), 404);
      expectError(await get(`/devices/${other}/ports`), 404);
    });

    it('lists devices with details by asset tag, filtered by role', async () => {
      const ap = await newDevice('An access point');
      await send('PUT', `/devices/${ap}`, { managementIp: null, role: 'access-point', firmwareVersion: null });

      const aps = await get('/devices?role=access-point');
      const all = await get('/devices?limit=1000');

      expect(aps.json()).toMatchObject({ count: 1, results: [{ asset: { id: ap }, role: 'access-point' }] });
      const tags = all.json().results.map((d: { asset: { assetTag: string } }) => d.asset.assetTag);
      expect(tags).toEqual([...tags].sort());
      expect(all.json().count).toBeGreaterThan(1);
      expectError(await get('/devices?role=hub'), 400);
    });
  });

  describe('VLANs', () => {
    it('adds VLANs (ids 1–4094, once each, subnet in CIDR) and lists them by id, audited', async () => {
      const created = await send('POST', '/vlans', { vlanId: 99, name: 'management', subnet: '10.7.0.0/24' });

      expect(created.statusCode, created.body).toBe(201);
      expect(created.json()).toMatchObject({ vlanId: 99, name: 'management', subnet: '10.7.0.0/24' });
      expectError(await send('POST', '/vlans', { vlanId: 99, name: 'again' }), 409, 'CONFLICT');
      expectError(await send('POST', '/vlans', { vlanId: 4095, name: 'too big' }), 400);
      expectError(await send('POST', '/vlans', { vlanId: 0, name: 'too small' }), 400);
      expect(expectError(await send('POST', '/vlans', { vlanId: 98, name: 'x', subnet: '10.7.0.5/24' }), 400).fields.subnet).toContain(
        '10.7.0.0/24',
      );
      expectError(await send('POST', '/vlans', { vlanId: 98, name: 'x' }, s.as.viewer), 403);
      expect((await get('/vlans')).json().results.map((v: { vlanId: number }) => v.vlanId)).toEqual([10, 20, 30, 99]);
      expect(
        (await listAudit(s.db, { objectType: 'network.vlan', objectId: String(created.json().id), limit: 5, offset: 0 })).results,
      ).toMatchObject([{ action: 'create', after: { vlanId: 99 } }]);
    });

    it('checks subnets', () => {
      expect(subnetProblem('10.7.12.0/22')).toBeUndefined();
      expect(subnetProblem('2001:db8::/32')).toBeUndefined();
      expect(subnetProblem('10.7.13.0/22')).toBe('has host bits set; the network is 10.7.12.0/22');
      expect(subnetProblem('10.7.0.0/33')).toBeDefined();
      expect(subnetProblem('10.7.0.0')).toBeDefined();
      expect(subnetProblem('office/24')).toBeDefined();
    });
  });

  describe('ports', () => {
    it('adds ports, once per name per device (ignoring case), lists them in natural order', async () => {
      const sw = await newDevice();
      for (const name of ['Gi1/0/10', 'Gi1/0/2', 'Gi1/0/1']) await newPort(sw, { name, vlan: 20 });

      const duplicate = await send('POST', `/devices/${sw}/ports`, { name: 'gi1/0/2' });
      const list = await get(`/devices/${sw}/ports`);

      expectError(duplicate, 409, 'CONFLICT');
      expect(list.json().results.map((p: { name: string }) => p.name)).toEqual(['Gi1/0/1', 'Gi1/0/2', 'Gi1/0/10']);
      expect(list.json().results[0]).toMatchObject({ deviceId: sw, vlan: 20, mode: 'access', isUplink: false, linkId: null, peer: null });
      expect((await get(`/devices/${sw}/ports?limit=1&offset=2`)).json()).toMatchObject({ count: 3, results: [{ name: 'Gi1/0/10' }] });
    });

    it('refuses an unknown VLAN, an access VLAN on a trunk, bad names, and viewers', async () => {
      const sw = await newDevice();

      expect(expectError(await send('POST', `/devices/${sw}/ports`, { name: 'Gi1/0/1', vlan: 77 }), 400).fields.vlan).toContain(
        'VLAN 77 does not exist',
      );
      expect(
        expectError(await send('POST', `/devices/${sw}/ports`, { name: 'Gi1/0/1', vlan: 20, mode: 'trunk' }), 400).fields,
      ).toHaveProperty('vlan');
      expectError(await send('POST', `/devices/${sw}/ports`, { name: '../etc' }), 400);
      expectError(await send('POST', `/devices/${sw}/ports`, { name: 'Gi1/0/1', speed: '1G' }), 400);
      expectError(await send('POST', `/devices/${sw}/ports`, { name: 'Gi1/0/1' }, s.as.viewer), 403);
      expect(await s.db('network_ports').where({ asset_id: sw }).first()).toBeUndefined();
    });

    it('changes only what a PATCH gives, checked as a whole, audited; DELETE removes the port and its link', async () => {
      const sw = await newDevice();
      const other = await newDevice();
      const port = await newPort(sw, { name: 'Gi1/0/5', vlan: 10, description: 'Desk' });
      const far = await newPort(other, { name: 'Gi1/0/1' });
      const link = await createLink(s.db, actor, { portId: port, toPortId: far });

      const patched = await send('PATCH', `/ports/${port}`, { vlan: 30 });
      const trunkWithVlan = await send('PATCH', `/ports/${port}`, { mode: 'trunk' });
      const trunk = await send('PATCH', `/ports/${port}`, { mode: 'trunk', vlan: null, isUplink: true });

      expect(patched.json()).toMatchObject({ name: 'Gi1/0/5', description: 'Desk', vlan: 30, linkId: link.id });
      expectError(trunkWithVlan, 400);
      expect(trunk.json()).toMatchObject({ mode: 'trunk', vlan: null, isUplink: true });
      expectError(await send('PATCH', `/ports/${port}`, {}), 400);
      const audit = await listAudit(s.db, { objectType: 'network.port', objectId: String(port), limit: 10, offset: 0 });
      expect(audit.results.map((e) => e.action)).toEqual(['update', 'update', 'create']);

      expect((await send('DELETE', `/ports/${port}`)).statusCode).toBe(204);
      expectError(await send('PATCH', `/ports/${port}`, { vlan: null }), 404);
      expect(await s.db('network_port_links').where({ id: link.id }).first()).toBeUndefined();
      expect(
        (await listAudit(s.db, { objectType: 'network.link', objectId: String(link.id), limit: 10, offset: 0 })).results.map(
          (e) => e.action,
        ),
      ).toEqual(['delete', 'create']);
      expect((await get(`/devices/${other}/ports`)).json().results[0]).toMatchObject({ linkId: null, peer: null });
      expectError(await send('DELETE', `/ports/${port}`), 404);
    });
  });

  describe('links', () => {
    it('plugs a port into another and answers "what is on port 12?" from either side', async () => {
      const access = await newDevice('Access switch');
      const core = await newDevice('Core switch');
      const port12 = await newPort(access, { name: 'Gi1/0/12', vlan: 20 });
      const uplink = await newPort(access, { name: 'Gi1/0/48', mode: 'trunk', isUplink: true });
      const down = await newPort(core, { name: 'Gi1/0/23', mode: 'trunk' });

      const linked = await send('POST', '/links', { portId: uplink, toPortId: down });
      const fromCore = await get(`/devices/${core}/ports/${encodeURIComponent('Gi1/0/23')}/peer`);
      const fromAccess = await get(`/devices/${access}/ports/48/peer`);
      const nothing = await get(`/devices/${access}/ports/12/peer`);
      const uplinks = await get(`/devices/${access}/uplinks`);

      expect(linked.statusCode, linked.body).toBe(201);
      expect(linked.json()).toMatchObject({
        port: { id: uplink },
        device: { id: access },
        peer: { kind: 'port', port: { id: down, name: 'Gi1/0/23' }, asset: { id: core, name: 'Core switch' } },
      });
      expect(fromCore.statusCode, fromCore.body).toBe(200);
      expect(fromCore.json()).toMatchObject({
        device: { id: core },
        port: { name: 'Gi1/0/23' },
        linkId: linked.json().id,
        peer: { kind: 'port', port: { name: 'Gi1/0/48' }, asset: { id: access } },
      });
      expect(fromAccess.json()).toMatchObject({ port: { id: uplink }, peer: { asset: { id: core } } });
      expect(nothing.json()).toMatchObject({ port: { id: port12 }, linkId: null, peer: null });
      expect(uplinks.json()).toMatchObject({
        count: 1,
        results: [{ name: 'Gi1/0/48', peer: { port: { name: 'Gi1/0/23' }, asset: { id: core } } }],
      });
      expectError(await get(`/devices/${access}/ports/Gi9/peer`), 404);
      expect(
        (await listAudit(s.db, { objectType: 'network.link', objectId: String(linked.json().id), limit: 5, offset: 0 })).results,
      ).toMatchObject([{ action: 'create', after: { portId: uplink, toPortId: down, toAssetId: null } }]);
    });

    it('plugs a port into an end device, such as a CNC', async () => {
      const sw = await newDevice();
      const cnc = await newAsset('other', 'DMU 65 #1');
      const port = await newPort(sw, { name: 'Gi1/0/12', vlan: 20 });

      const linked = await send('POST', '/links', { portId: port, toAssetId: cnc });
      const peer = await get(`/devices/${sw}/ports/${encodeURIComponent('gi1/0/12')}/peer`);

      expect(linked.statusCode, linked.body).toBe(201);
      expect(peer.json()).toMatchObject({
        peer: { kind: 'asset', port: null, asset: { id: cnc, name: 'DMU 65 #1', type: { key: 'other' } } },
      });
      expectError(await send('POST', '/links', { portId: port, toAssetId: await newAsset('other') }), 409);
      expect((await send('DELETE', `/links/${linked.json().id}`)).statusCode).toBe(204);
      expect((await portPeer(s.db, sw, 'Gi1/0/12')).peer).toBeNull();
      expectError(await send('DELETE', `/links/${linked.json().id}`), 404);
    });

    it('gives a port at most one link, on either side of it', async () => {
      const sw = await newDevice();
      const [a, b, c] = [await newPort(sw, { name: 'p1' }), await newPort(sw, { name: 'p2' }), await newPort(sw, { name: 'p3' })];
      const end = await newAsset('other');
      await createLink(s.db, actor, { portId: a, toPortId: b });

      // b is the far end of a link; as the near end of another it is still taken.
      expectError(await send('POST', '/links', { portId: b, toPortId: c }), 409);
      expectError(await send('POST', '/links', { portId: c, toPortId: a }), 409);
      expectError(await send('POST', '/links', { portId: c, toPortId: b }), 409);
      await expect(createLink(s.db, actor, { portId: b, toAssetId: end })).rejects.toBeInstanceOf(ConflictError);
      expect(
        await s
          .db('network_port_links')
          .whereIn('port_a_id', [a, b, c])
          .orWhereIn('port_b_id', [a, b, c])
          .count({ n: '*' })
          .then((r) => Number(r[0]!.n)),
      ).toBe(1);
    });

    it('refuses both or neither target, a port to itself or to its own device, unknown ports and assets', async () => {
      const sw = await newDevice();
      const port = await newPort(sw, { name: 'p1' });
      const end = await newAsset('other');

      expect(expectError(await send('POST', '/links', { portId: port }), 400).fields).toHaveProperty('toPortId');
      expectError(await send('POST', '/links', { portId: port, toPortId: port + 1000, toAssetId: end }), 400);
      expectError(await send('POST', '/links', { portId: port, toPortId: port }), 400);
      expect(expectError(await send('POST', '/links', { portId: port, toAssetId: sw }), 400).fields).toHaveProperty('toAssetId');
      expect(expectError(await send('POST', '/links', { portId: 999999, toAssetId: end }), 400).fields).toHaveProperty('portId');
      expect(expectError(await send('POST', '/links', { portId: port, toPortId: 999999 }), 400).fields).toHaveProperty('toPortId');
      expect(expectError(await send('POST', '/links', { portId: port, toAssetId: 999999 }), 400).fields).toHaveProperty('toAssetId');
      expectError(await send('POST', '/links', { portId: port, toAssetId: end }, s.as.viewer), 403);
      await expect(createLink(s.db, actor, { portId: port })).rejects.toBeInstanceOf(ValidationError);
      expect(await s.db('network_port_links').where({ port_a_id: port }).first()).toBeUndefined();
    });

    it('asks for the full port name when the short one fits several', async () => {
      const sw = await newDevice();
      await newPort(sw, { name: 'Gi1/0/12' });
      await newPort(sw, { name: 'Gi2/0/12' });

      expect(expectError(await get(`/devices/${sw}/ports/12/peer`), 400).fields.portName).toContain('Gi1/0/12, Gi2/0/12');
      expect((await get(`/devices/${sw}/ports/${encodeURIComponent('gi2/0/12')}/peer`)).json().port.name).toBe('Gi2/0/12');
      await expect(portPeer(s.db, sw, 'Gi3/0/12')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('unplugs what pointed at a deleted asset: an end device, or the ports of a device', async () => {
      const sw = await newDevice();
      const other = await newDevice();
      const pc = await newAsset('other', 'DNC PC');
      const toPc = await newPort(sw, { name: 'Gi1/0/13' });
      const toOther = await newPort(sw, { name: 'Gi1/0/48' });
      const otherPort = await newPort(other, { name: 'Gi1/0/1' });
      await createLink(s.db, actor, { portId: toPc, toAssetId: pc });
      await createLink(s.db, actor, { portId: otherPort, toPortId: toOther });

      await s.app.inject({ method: 'DELETE', url: `/api/assets/${pc}`, headers: s.as.editor });
      await s.app.inject({ method: 'DELETE', url: `/api/assets/${other}`, headers: s.as.editor });

      const ports = (await get(`/devices/${sw}/ports`)).json().results;
      expect(ports.map((p: { linkId: number | null }) => p.linkId)).toEqual([null, null]);
      expect(await s.db('network_port_links').whereIn('port_a_id', [toPc, otherPort]).first()).toBeUndefined();
      expectError(await send('PATCH', `/ports/${otherPort}`, { description: 'x' }), 404);
      const freed = await createLink(s.db, actor, { portId: toOther, toAssetId: await newAsset('other') });
      expect(freed.peer.kind).toBe('asset');
    });
  });

  it('changes a port through the service with the same rules', async () => {
    const sw = await newDevice();
    const port = await createPort(s.db, actor, sw, { name: 'Gi1/0/7', vlan: 10 });
    await createPort(s.db, actor, sw, { name: 'Gi1/0/8' });

    await expect(updatePort(s.db, actor, port.id, { name: 'GI1/0/8' })).rejects.toBeInstanceOf(ConflictError);
    await expect(updatePort(s.db, actor, port.id, { vlan: 4000 })).rejects.toBeInstanceOf(ValidationError);
    expect(await updatePort(s.db, actor, port.id, { name: 'Gi1/0/9', description: 'Moved' })).toMatchObject({
      name: 'Gi1/0/9',
      description: 'Moved',
      vlan: 10,
    });
  });

  it('is gone (404) while disabled, and its hooks do not run', async () => {
    const sw = await newDevice();
    const end = await newAsset('other');
    const port = await newPort(sw, { name: 'Gi1/0/1' });
    await createLink(s.db, actor, { portId: port, toAssetId: end });
    await s.setPluginEnabled('network', false);
    try {
      expectError(await get('/devices'), 404, 'NOT_FOUND');
      expectError(await get(`/devices/${sw}/ports/1/peer`), 404);
      expectError(await send('POST', '/vlans', { vlanId: 500, name: 'x' }), 404);
      expectError(
        await s.app.inject({
          method: 'POST',
          url: '/api/assets',
          headers: s.as.editor,
          payload: { assetTag: 'NET-OFF-1', name: 'x', type: 'network-device', statusId: s.inService },
        }),
        400,
      );
      expect((await s.app.inject({ method: 'DELETE', url: `/api/assets/${end}`, headers: s.as.editor })).statusCode).toBe(204);
      expect(await s.db('network_port_links').where({ port_a_id: port }).first()).toBeDefined();
    } finally {
      await s.setPluginEnabled('network', true);
    }
    // The far end is gone: the port reads as free even though the hook could not unplug it.
    expect((await get(`/devices/${sw}/ports/1/peer`)).json()).toMatchObject({ peer: null });
  });

  describe('changing and removing what it created', () => {
    const auditOf = async (objectType: string, id: number) =>
      (await listAudit(s.db, { objectType, objectId: String(id), limit: 10, offset: 0 })).results;

    it('changes a VLAN with the rules of a new one, refuses a new id or a removal while ports use it, and audits both', async () => {
      const created = await send('POST', '/vlans', { vlanId: 600, name: 'paint shop' });
      const vlan = created.json<{ id: number }>().id;
      const sw = await newDevice();
      const port = await newPort(sw, { name: 'Gi1/0/7', vlan: 600 });

      const renamed = await send('PATCH', `/vlans/${vlan}`, { name: 'paint', subnet: '10.7.60.0/24' });
      const badSubnet = await send('PATCH', `/vlans/${vlan}`, { subnet: '10.7.60.1/24' });
      const taken = await send('PATCH', `/vlans/${vlan}`, { vlanId: 10 });
      const renumberInUse = await send('PATCH', `/vlans/${vlan}`, { vlanId: 601 });
      const removeInUse = await send('DELETE', `/vlans/${vlan}`);

      expect(renamed.statusCode, renamed.body).toBe(200);
      expect(renamed.json()).toMatchObject({ id: vlan, vlanId: 600, name: 'paint', subnet: '10.7.60.0/24' });
      expect((await get(`/vlans/${vlan}`)).json()).toEqual(renamed.json());
      expect(expectError(badSubnet, 400, 'VALIDATION_FAILED').fields.subnet).toContain('10.7.60.0/24');
      expectError(taken, 409, 'CONFLICT');
      expect(expectError(renumberInUse, 409, 'CONFLICT').message).toContain('Gi1/0/7');
      expect(expectError(removeInUse, 409, 'CONFLICT').message).toContain('1 port');
      expectError(await send('PATCH', `/vlans/${vlan}`, { name: 'x' }, s.as.viewer), 403);
      expectError(await send('PATCH', `/vlans/${vlan}`, {}), 400);

      expect((await send('PATCH', `/ports/${port}`, { vlan: null })).statusCode).toBe(200);
      const renumbered = await send('PATCH', `/vlans/${vlan}`, { vlanId: 601 });
      const removed = await send('DELETE', `/vlans/${vlan}`);

      expect(renumbered.json()).toMatchObject({ vlanId: 601, name: 'paint' });
      expect(removed.statusCode, removed.body).toBe(204);
      expectError(await get(`/vlans/${vlan}`), 404, 'NOT_FOUND');
      expectError(await send('DELETE', `/vlans/${vlan}`), 404);
      expect(await auditOf('network.vlan', vlan)).toMatchObject([
        { action: 'delete', before: { vlanId: 601, name: 'paint' } },
        { action: 'update', before: { vlanId: 600 }, after: { vlanId: 601 } },
        { action: 'update', before: { name: 'paint shop', subnet: null }, after: { name: 'paint', subnet: '10.7.60.0/24' } },
        { action: 'create' },
      ]);
    });

    it('changes only the device details a PATCH gives, audited; PUT still replaces them all', async () => {
      const id = await newDevice();
      await send('PUT', `/devices/${id}`, { managementIp: '10.7.0.60', role: 'switch', firmwareVersion: '17.9' });

      const patched = await send('PATCH', `/devices/${id}`, { firmwareVersion: '17.12' });
      const bad = await send('PATCH', `/devices/${id}`, { managementIp: 'not-an-ip' });

      expect(patched.json()).toMatchObject({ managementIp: '10.7.0.60', role: 'switch', firmwareVersion: '17.12' });
      expect(expectError(bad, 400, 'VALIDATION_FAILED').fields).toEqual({ managementIp: 'must be an IPv4 or IPv6 address' });
      expectError(await send('PATCH', `/devices/${id}`, {}), 400);
      expect((await auditOf('network.device', id))[0]).toMatchObject({
        action: 'update',
        before: { firmwareVersion: '17.9' },
        after: { firmwareVersion: '17.12', role: 'switch' },
      });
    });

    it('re-plugs a link with the rules of a new one, audited with before and after', async () => {
      const sw = await newDevice();
      const other = await newDevice();
      const cnc = await newAsset('other', 'CNC on the move');
      const p1 = await newPort(sw, { name: 'Gi1/0/1' });
      const p2 = await newPort(sw, { name: 'Gi1/0/2' });
      const far = await newPort(other, { name: 'Gi1/0/9' });
      const busy = await newPort(other, { name: 'Gi1/0/10' });
      const link = (await createLink(s.db, actor, { portId: p1, toAssetId: cnc })).id;
      const busyLink = (await createLink(s.db, actor, { portId: busy, toAssetId: cnc })).id;

      const moved = await send('PATCH', `/links/${link}`, { portId: p2 });
      const toPort = await send('PATCH', `/links/${link}`, { toPortId: far });
      const both = await send('PATCH', `/links/${link}`, { toPortId: far, toAssetId: cnc });
      const clash = await send('PATCH', `/links/${link}`, { toPortId: busy });
      const own = await send('PATCH', `/links/${link}`, { toAssetId: sw });

      expect(moved.statusCode, moved.body).toBe(200);
      expect(moved.json()).toMatchObject({ id: link, port: { id: p2 }, peer: { kind: 'asset', asset: { id: cnc } } });
      expect(toPort.json()).toMatchObject({ id: link, port: { id: p2 }, peer: { kind: 'port', port: { id: far } } });
      expect((await get(`/devices/${sw}/ports/${encodeURIComponent('Gi1/0/1')}/peer`)).json()).toMatchObject({ peer: null });
      expectError(both, 400, 'VALIDATION_FAILED');
      expect(expectError(clash, 409, 'CONFLICT').message).toContain(`link ${busyLink}`);
      expectError(own, 400, 'VALIDATION_FAILED');
      expectError(await send('PATCH', `/links/999999`, { portId: p1 }), 404, 'NOT_FOUND');
      expect((await get(`/links/${link}`)).json()).toEqual(toPort.json());
      expect(await auditOf('network.link', link)).toMatchObject([
        { action: 'update', before: { portId: p2, toPortId: null, toAssetId: cnc }, after: { portId: p2, toPortId: far, toAssetId: null } },
        { action: 'update', before: { portId: p1, toAssetId: cnc }, after: { portId: p2, toAssetId: cnc } },
        { action: 'create' },
      ]);
    });

    it('answers which switch port any asset is plugged into (GET /links?assetId=)', async () => {
      const access = await newDevice('Access switch');
      const core = await newDevice('Core switch');
      const cnc = await newAsset('other', 'DMU 65');
      const loose = await newAsset('other', 'Not plugged in');
      const port12 = await newPort(access, { name: 'Gi1/0/12' });
      const uplink = await newPort(access, { name: 'Gi1/0/48', mode: 'trunk', isUplink: true });
      const down = await newPort(core, { name: 'Gi1/0/23', mode: 'trunk' });
      const toCnc = await createLink(s.db, actor, { portId: port12, toAssetId: cnc });
      const toCore = await createLink(s.db, actor, { portId: uplink, toPortId: down });

      const ofCnc = await get(`/links?assetId=${cnc}`);
      const ofAccess = await get(`/links?assetId=${access}`);
      const ofCore = await get(`/links?assetId=${core}`);

      expect(ofCnc.statusCode, ofCnc.body).toBe(200);
      expect(ofCnc.json()).toMatchObject({
        count: 1,
        results: [
          { id: toCnc.id, port: { id: port12, name: 'Gi1/0/12' }, device: { id: access }, peer: { kind: 'asset', asset: { id: cnc } } },
        ],
      });
      // From a switch: a link to an end device shows the switch's own port; a link to another switch, that switch's port.
      expect(ofAccess.json().results).toMatchObject([
        { id: toCnc.id, port: { id: port12 } },
        { id: toCore.id, port: { id: down }, device: { id: core }, peer: { kind: 'port', port: { id: uplink }, asset: { id: access } } },
      ]);
      expect(ofCore.json().results).toMatchObject([{ id: toCore.id, port: { id: uplink }, peer: { port: { id: down } } }]);
      expect((await get(`/links?assetId=${loose}`)).json()).toMatchObject({ count: 0, results: [] });
      expectError(await get('/links?assetId=99999999'), 404, 'NOT_FOUND');
      expect(Object.keys(expectError(await get('/links'), 400, 'VALIDATION_FAILED').fields)).toEqual(['assetId']);
      expectError(await s.app.inject({ method: 'GET', url: url(`/links?assetId=${cnc}`) }), 401);
    });
  });
});

describeEachEngine('network plugin: its tables and the demo seed', (engine) => {
  const s = useMigratedSite(engine, { seed: 'base', plugins: ['network'] });

  it('installs its tables with these columns', async () => {
    expect(await prefixed(s.db)).toEqual(TABLES);
    expect(Object.keys(await s.db('network_devices').columnInfo()).sort()).toEqual([
      'asset_id',
      'created_at',
      'firmware_version',
      'management_ip',
      'role',
      'updated_at',
    ]);
    expect(Object.keys(await s.db('network_vlans').columnInfo()).sort()).toEqual([
      'created_at',
      'id',
      'name',
      'subnet',
      'updated_at',
      'vlan_id',
    ]);
    expect(Object.keys(await s.db('network_ports').columnInfo()).sort()).toEqual([
      'asset_id',
      'created_at',
      'description',
      'id',
      'is_uplink',
      'mode',
      'name',
      'name_key',
      'updated_at',
      'vlan',
    ]);
    expect(Object.keys(await s.db('network_port_links').columnInfo()).sort()).toEqual([
      'asset_id',
      'created_at',
      'id',
      'port_a_id',
      'port_b_id',
      'updated_at',
    ]);
  });

  it('refuses a link row with both ends or none at the database too', async () => {
    const sw = await createAsset(s.db, actor, {
      assetTag: 'CHK-1',
      name: 'x',
      type: 'network-device',
      statusId: Number((await s.db('status_labels').first('id')).id),
    });
    await s.db('network_devices').insert({ asset_id: sw.id });
    const a = await createPort(s.db, actor, sw.id, { name: 'p1' });
    const b = await createPort(s.db, actor, sw.id, { name: 'p2' });

    await expect(s.db('network_port_links').insert({ port_a_id: a.id, port_b_id: null, asset_id: null })).rejects.toThrow();
    await expect(s.db('network_port_links').insert({ port_a_id: a.id, port_b_id: b.id, asset_id: sw.id })).rejects.toThrow();
    await s.db('assets').where({ id: sw.id }).delete();
    expect(await s.db('network_ports').where({ asset_id: sw.id }).first()).toBeUndefined();
    expect(await s.db('network_devices').where({ asset_id: sw.id }).first()).toBeUndefined();
  });

  it('adds the demo network, links end devices once they exist, and changes nothing on a second run', async () => {
    await s.seed('demo');
    const snapshot = async () => ({
      devices: await s
        .db('assets')
        .join('asset_types', 'asset_types.id', 'assets.type_id')
        .where('asset_types.key', 'network-device')
        .whereNull('deleted_at')
        .orderBy('asset_tag')
        .pluck('asset_tag'),
      vlans: (await s.db('network_vlans').orderBy('vlan_id').pluck('vlan_id')).map(Number),
      ports: Number((await s.db('network_ports').count({ n: '*' }))[0]!.n),
      links: Number((await s.db('network_port_links').count({ n: '*' }))[0]!.n),
      audit: Number((await s.db('audit_log').count({ n: '*' }))[0]!.n),
    });
    const first = await snapshot();
    expect(first.devices).toEqual(['NET-AP-B1-01', 'NET-CAM-B1-01', 'NET-FW-01', 'NET-SW-B1', 'NET-SW-B2', 'NET-SW-CORE']);
    expect(first.vlans).toEqual([10, 20, 30, 40, 99]);
    expect(first.links).toBe(5);
    expect(await s.db('asset_models').where({ name: 'Catalyst 9300-24T' }).first('id')).toBeDefined();

    const status = Number((await s.db('status_labels').where({ name: 'In service' }).first('id')).id);
    const cnc = await createAsset(s.db, actor, { assetTag: 'CNC-4012', name: 'DMU 65 #1', type: 'other', statusId: status });
    await createAsset(s.db, actor, { assetTag: 'PC-4012', name: 'DNC PC for 4012', type: 'other', statusId: status });
    await s.seed('demo');
    const second = await snapshot();
    await s.seed('demo');

    expect(second).toMatchObject({ devices: first.devices, vlans: first.vlans, ports: first.ports, links: 7 });
    expect(await snapshot()).toEqual(second);

    const app = await s.api.app();
    const viewer = await makeUser(s.db, 'viewer');
    const headers = bearer(await tokenFor(app, viewer.username));
    const switchB1 = Number((await s.db('assets').where({ asset_tag: 'NET-SW-B1' }).first('id')).id);
    const peer = await app.inject({ method: 'GET', url: `/api/plugins/network/devices/${switchB1}/ports/12/peer`, headers });
    const uplinks = await app.inject({ method: 'GET', url: `/api/plugins/network/devices/${switchB1}/uplinks`, headers });
    const device = await app.inject({ method: 'GET', url: `/api/plugins/network/devices/${switchB1}`, headers });
    expect(peer.json()).toMatchObject({
      port: { name: 'Gi1/0/12', vlan: 20 },
      peer: { kind: 'asset', asset: { id: cnc.id, assetTag: 'CNC-4012' } },
    });
    expect(uplinks.json().results).toMatchObject([
      { name: 'Gi1/0/48', peer: { port: { name: 'Gi1/0/23' }, asset: { assetTag: 'NET-SW-CORE' } } },
    ]);
    expect(device.json()).toMatchObject({
      asset: { hostname: 'sw-b1', status: { name: 'In service' }, location: { code: 'P7-B1-BAY1' }, model: { manufacturer: 'Cisco' } },
      role: 'switch',
      managementIp: '10.7.0.11',
    });
  });
});

// Database suite (SQLite and MySQL): the equipment plugin — its tables' columns, the
// detail row every equipment asset gets, machine details and maintenance through the service and
// the routes (roles, validation, conflicts, audit, the plugin gate), and its share of the demo site.

import type { Knex } from 'knex';
import { expect, it } from 'vitest';
import { ValidationError } from 'shopdb/sdk';
import { expectError } from '../../test/support/api.js';
import { listAudit, TEST_ACTOR as cli } from '../../test/support/core-access.js';
import { useMigratedSite } from '../../test/support/migrated-site.js';
import { listPluginTables } from '../../test/support/plugins.js';
import { describeEachEngine } from '../../test/support/site.js';
import { getMachine, listMachines, listOverdue, localDate, updateMachine, type MachineView } from './service.js';

const BASE = '/api/plugins/equipment';

async function rowCount(db: Knex, table: string, where: Record<string, unknown> = {}): Promise<number> {
  return Number(((await db(table).where(where).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
}

describeEachEngine('equipment plugin: machines and maintenance', (engine) => {
  const s = useMigratedSite(engine, { seed: 'base', plugins: ['equipment'], users: { viewer: true, editor: true }, app: true });
  let tagCounter = 0;

  const get = (url: string, headers = s.as.viewer) => s.app.inject({ method: 'GET', url, headers });
  const put = (url: string, payload: unknown, headers = s.as.editor) =>
    s.app.inject({ method: 'PUT', url, headers, payload: payload as object });
  const post = (url: string, payload: unknown, headers = s.as.editor) =>
    s.app.inject({ method: 'POST', url, headers, payload: payload as object });
  const patch = (url: string, payload: unknown, headers = s.as.editor) =>
    s.app.inject({ method: 'PATCH', url, headers, payload: payload as object });

  /** An asset created through the core API, so the enabled plugins' hooks run as they do in production. */
  async function newAsset(type = 'equipment', prefix = 'T-CNC'): Promise<{ id: number; assetTag: string }> {
    const assetTag = `${prefix}-${String(++tagCounter).padStart(3, '0')}`;
    const response = await post('/api/assets', { assetTag, name: `Machine ${assetTag}`, type, statusId: s.inService });
    expect(response.statusCode, response.body).toBe(201);
    return { id: response.json().id, assetTag };
  }

  it('keeps machine details and maintenance records in these columns', async () => {
    expect(await listPluginTables(s.db, 'equipment')).toEqual(['equipment_machines', 'equipment_maintenance']);
    expect(Object.keys(await s.db('equipment_machines').columnInfo()).sort()).toEqual(
      [
        'asset_id',
        'machine_number',
        'machine_number_key',
        'builder',
        'controller_make',
        'controller_version',
        'axes',
        'spindles',
        'dnc_ip',
        'dnc_port',
        'dnc_transfer_enabled',
        'criticality',
        'next_pm_due',
        'created_at',
        'updated_at',
      ].sort(),
    );
    expect(Object.keys(await s.db('equipment_maintenance').columnInfo()).sort()).toEqual(
      [
        'id',
        'asset_id',
        'type',
        'started_at',
        'completed_at',
        'vendor',
        'cost',
        'under_warranty',
        'notes',
        'created_at',
        'updated_at',
      ].sort(),
    );
  });

  it('gives every equipment asset created through the core API a details row, unset until edited, and no other type one', async () => {
    const machine = await newAsset();
    const other = await newAsset('other', 'T-OTHER');

    const details = await get(`${BASE}/machines/${machine.id}`);
    const notMachine = await get(`${BASE}/machines/${other.id}`);

    expect(details.statusCode, details.body).toBe(200);
    expect(details.json()).toMatchObject({
      assetId: machine.id,
      assetTag: machine.assetTag,
      status: { name: 'In service' },
      machineNumber: null,
      controllerMake: null,
      axes: null,
      dncTransferEnabled: false,
      criticality: null,
      nextPmDue: null,
      pmOverdue: false,
    });
    expect(await rowCount(s.db, 'equipment_machines', { asset_id: machine.id })).toBe(1);
    expect(await rowCount(s.db, 'equipment_machines', { asset_id: other.id })).toBe(0);
    expectError(notMachine, 404, 'NOT_FOUND');
  });

  it('sets the details given (null clears, the rest stay), round-trips them on both engines, and audits before and after', async () => {
    const machine = await newAsset();
    const first = await put(`${BASE}/machines/${machine.id}`, {
      machineNumber: '0417',
      builder: 'DMG MORI',
      controllerMake: 'Siemens',
      controllerVersion: 'SINUMERIK ONE',
      axes: 5,
      spindles: 1,
      dncIp: '10.7.12.117',
      dncPort: 102,
      dncTransferEnabled: true,
      criticality: 'high',
      nextPmDue: '2999-03-31',
    });
    const second = await s.app.inject({
      method: 'PUT',
      url: `${BASE}/machines/${machine.id}`,
      headers: { ...s.as.editor, 'x-request-id': 'req-eq-2' },
      payload: { criticality: 'low', controllerVersion: null },
    });
    const read = await get(`${BASE}/machines/${machine.id}`);

    expect(first.statusCode, first.body).toBe(200);
    expect(second.statusCode, second.body).toBe(200);
    expect(read.json()).toMatchObject({
      machineNumber: '0417',
      builder: 'DMG MORI',
      controllerMake: 'Siemens',
      controllerVersion: null,
      axes: 5,
      spindles: 1,
      dncIp: '10.7.12.117',
      dncPort: 102,
      dncTransferEnabled: true,
      criticality: 'low',
      nextPmDue: '2999-03-31',
      pmOverdue: false,
    });
    const audit = await listAudit(s.db, { objectType: 'equipment.machine', objectId: String(machine.id), limit: 10, offset: 0 });
    expect(audit.results.map((entry) => entry.action)).toEqual(['update', 'update', 'create']);
    expect(audit.results[0]).toMatchObject({
      userId: s.user.editor.id,
      requestId: 'req-eq-2',
      before: expect.objectContaining({ criticality: 'high', controllerVersion: 'SINUMERIK ONE' }),
      after: expect.objectContaining({ criticality: 'low', controllerVersion: null, machineNumber: '0417' }),
    });
  });

  it('answers 409 for a machine number another machine has, and changes nothing', async () => {
    const [a, b] = [await newAsset(), await newAsset()];
    expect((await put(`${BASE}/machines/${a.id}`, { machineNumber: '7001' })).statusCode).toBe(200);

    const clash = await put(`${BASE}/machines/${b.id}`, { machineNumber: '7001', criticality: 'high' });
    const same = await put(`${BASE}/machines/${a.id}`, { machineNumber: '7001' });

    expect(expectError(clash, 409, 'CONFLICT').message).toContain(a.assetTag);
    expect(same.statusCode).toBe(200);
    expect((await get(`${BASE}/machines/${b.id}`)).json()).toMatchObject({ machineNumber: null, criticality: null });
  });

  it('refuses bad details field by field, over HTTP and in the service', async () => {
    const machine = await newAsset();
    const url = `${BASE}/machines/${machine.id}`;

    const schema = expectError(
      await put(url, { controllerMake: 'Commodore', axes: -1, nextPmDue: '2026-02-30', colour: 'red' }),
      400,
      'VALIDATION_FAILED',
    );
    const ip = expectError(await put(url, { dncIp: '10.7.300.1' }), 400, 'VALIDATION_FAILED');
    const transfer = expectError(await put(url, { dncTransferEnabled: true, dncIp: '10.7.12.1' }), 400, 'VALIDATION_FAILED');
    const empty = expectError(await put(url, {}), 400, 'VALIDATION_FAILED');
    const service = await updateMachine(s.db, cli, machine.id, {
      machineNumber: ' 12',
      spindles: 99,
      criticality: 'urgent' as never,
    }).catch((error: unknown) => error);

    expect(Object.keys(schema.fields).sort()).toEqual(['axes', 'colour', 'controllerMake', 'nextPmDue']);
    expect(schema.fields.controllerMake).toContain('Mitsubishi');
    expect(ip.fields).toEqual({ dncIp: expect.stringContaining('IP') });
    expect(transfer.fields).toEqual({ dncTransferEnabled: expect.stringContaining('dncPort') });
    expect(empty.fields).toBeDefined();
    expect(service).toBeInstanceOf(ValidationError);
    expect(Object.keys((service as ValidationError).fields).sort()).toEqual(['criticality', 'machineNumber', 'spindles']);
    expect((await get(url)).json()).toMatchObject({ controllerMake: null, dncIp: null, dncTransferEnabled: false });
  });

  it('lists machines with their details, filtered by controller, criticality and overdue; /overdue puts the longest overdue first', async () => {
    const prefix = `T-LIST${engine}`;
    const set = async (details: Record<string, unknown>) => {
      const machine = await newAsset('equipment', prefix);
      expect((await put(`${BASE}/machines/${machine.id}`, details)).statusCode).toBe(200);
      return machine.assetTag;
    };
    const fanucLate = await set({ controllerMake: 'Fanuc', criticality: 'high', nextPmDue: '2010-06-01' });
    const fanucOk = await set({ controllerMake: 'Fanuc', criticality: 'low', nextPmDue: '2999-01-01' });
    const okumaLater = await set({ controllerMake: 'Okuma', criticality: 'high', nextPmDue: '2001-01-01' });
    const noDate = await set({ controllerMake: 'Okuma' });
    const tags = (response: { json(): { results: MachineView[] } }) =>
      response
        .json()
        .results.map((m) => m.assetTag)
        .filter((t) => t.startsWith(prefix));

    const all = await get(`${BASE}/machines?limit=1000`);
    const fanuc = await get(`${BASE}/machines?controller=Fanuc&limit=1000`);
    const high = await get(`${BASE}/machines?criticality=high&limit=1000`);
    const overdue = await get(`${BASE}/machines?overdue=true&limit=1000`);
    const notOverdue = await get(`${BASE}/machines?overdue=false&limit=1000`);
    const oldestFirst = await get(`${BASE}/overdue?limit=1000`);
    const paged = await get(`${BASE}/machines?limit=1`);
    const badFilter = await get(`${BASE}/machines?controller=Commodore`);

    expect(all.statusCode, all.body).toBe(200);
    expect(tags(all)).toEqual([fanucLate, fanucOk, okumaLater, noDate]);
    expect(all.json().results.find((m: MachineView) => m.assetTag === fanucLate)).toMatchObject({
      controllerMake: 'Fanuc',
      criticality: 'high',
      nextPmDue: '2010-06-01',
      pmOverdue: true,
    });
    expect(tags(fanuc)).toEqual([fanucLate, fanucOk]);
    expect(tags(high)).toEqual([fanucLate, okumaLater]);
    expect(tags(overdue)).toEqual([fanucLate, okumaLater]);
    expect(tags(notOverdue)).toEqual([fanucOk, noDate]);
    expect(tags(oldestFirst)).toEqual([okumaLater, fanucLate]);
    expect(oldestFirst.json().results.every((m: MachineView) => m.pmOverdue)).toBe(true);
    expect(paged.json()).toMatchObject({ count: all.json().count, previous: null, next: `${BASE}/machines?limit=1&offset=1` });
    expect(paged.json().results).toHaveLength(1);
    expectError(badFilter, 400, 'VALIDATION_FAILED');
  });

  it('takes "today" from the caller: a due date is overdue only once today is past it', async () => {
    const machine = await newAsset();
    await updateMachine(s.db, cli, machine.id, { nextPmDue: '2030-05-10' });

    const onTheDay = await getMachine(s.db, machine.id, { today: '2030-05-10' });
    const dayAfter = await getMachine(s.db, machine.id, { today: '2030-05-11' });
    const listed = await listOverdue(s.db, { limit: 1000, offset: 0, today: '2030-05-11' });
    const filtered = await listMachines(s.db, { limit: 1000, offset: 0, overdue: true, today: '2030-05-10' });

    expect(onTheDay.pmOverdue).toBe(false);
    expect(dayAfter.pmOverdue).toBe(true);
    expect(listed.results.map((m) => m.assetId)).toContain(machine.id);
    expect(filtered.results.map((m) => m.assetId)).not.toContain(machine.id);
    expect(localDate(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05');
  });

  it('records maintenance, lists it latest first, completes it with PATCH, and audits each write', async () => {
    const machine = await newAsset();
    const url = `${BASE}/machines/${machine.id}/maintenance`;

    const older = await post(url, {
      type: 'calibration',
      startedAt: '2026-01-10T07:00:00Z',
      completedAt: '2026-01-10T15:30:00.250Z',
      vendor: 'Renishaw',
      cost: 980.5,
      underWarranty: false,
      notes: 'Ballbar test',
    });
    const open = await s.app.inject({
      method: 'POST',
      url,
      headers: { ...s.as.editor, 'x-request-id': 'req-mt-1' },
      payload: { type: 'corrective', startedAt: '2026-03-02T06:15:00Z', cost: 1234.56, notes: 'Spindle alarm 2110' },
    });
    const completed = await patch(`${BASE}/maintenance/${open.json().id}`, { completedAt: '2026-03-03T11:00:00Z', underWarranty: true });
    const listed = await get(url);

    expect(older.statusCode, older.body).toBe(201);
    expect(open.statusCode, open.body).toBe(201);
    expect(open.json()).toMatchObject({
      assetId: machine.id,
      type: 'corrective',
      completedAt: null,
      vendor: null,
      cost: 1234.56,
      underWarranty: false,
    });
    expect(completed.statusCode, completed.body).toBe(200);
    expect(completed.json()).toMatchObject({
      startedAt: '2026-03-02T06:15:00.000Z',
      completedAt: '2026-03-03T11:00:00.000Z',
      underWarranty: true,
      cost: 1234.56,
      notes: 'Spindle alarm 2110',
    });
    expect(listed.json().count).toBe(2);
    expect(listed.json().results.map((r: { type: string }) => r.type)).toEqual(['corrective', 'calibration']);
    expect(listed.json().results[1]).toMatchObject({
      completedAt: '2026-01-10T15:30:00.250Z',
      cost: 980.5,
      vendor: 'Renishaw',
      notes: 'Ballbar test',
    });
    const audit = await listAudit(s.db, { objectType: 'equipment.maintenance', objectId: String(open.json().id), limit: 10, offset: 0 });
    expect(audit.results.map((entry) => entry.action)).toEqual(['update', 'create']);
    expect(audit.results[1]).toMatchObject({ userId: s.user.editor.id, requestId: 'req-mt-1' });
    expect(audit.results[0]).toMatchObject({
      before: expect.objectContaining({ completedAt: null }),
      after: expect.objectContaining({ completedAt: '2026-03-03T11:00:00.000Z' }),
    });
  });

  it('refuses bad maintenance field by field, and answers 404 for what is not a machine or not a record', async () => {
    const machine = await newAsset();
    const other = await newAsset('other', 'T-OTHER');
    const url = `${BASE}/machines/${machine.id}/maintenance`;
    const record = (await post(url, { type: 'inspection', startedAt: '2026-04-01T08:00:00Z' })).json();

    const missing = expectError(await post(url, { vendor: 'Nobody' }), 400, 'VALIDATION_FAILED');
    const badType = expectError(await post(url, { type: 'repair', startedAt: 'yesterday' }), 400, 'VALIDATION_FAILED');
    const backwards = expectError(
      await patch(`${BASE}/maintenance/${record.id}`, { completedAt: '2026-03-31T08:00:00Z' }),
      400,
      'VALIDATION_FAILED',
    );
    const cents = expectError(
      await post(url, { type: 'inspection', startedAt: '2026-04-01T08:00:00Z', cost: 10.005 }),
      400,
      'VALIDATION_FAILED',
    );

    expect(Object.keys(missing.fields).sort()).toEqual(['startedAt', 'type']);
    expect(Object.keys(badType.fields).sort()).toEqual(['startedAt', 'type']);
    expect(backwards.fields).toEqual({ completedAt: 'must not be before startedAt' });
    expect(cents.fields).toEqual({ cost: 'must have at most two decimals' });
    expectError(
      await post(`${BASE}/machines/${other.id}/maintenance`, { type: 'inspection', startedAt: '2026-04-01T08:00:00Z' }),
      404,
      'NOT_FOUND',
    );
    expectError(await get(`${BASE}/machines/${other.id}/maintenance`), 404, 'NOT_FOUND');
    expectError(await patch(`${BASE}/maintenance/999999`, { notes: 'x' }), 404, 'NOT_FOUND');
    expect((await get(url)).json().count).toBe(1);
  });

  it('hides a deleted machine and its maintenance; removing the asset row takes its details and history with it', async () => {
    const machine = await newAsset();
    await put(`${BASE}/machines/${machine.id}`, { machineNumber: '7777' });
    const record = (
      await post(`${BASE}/machines/${machine.id}/maintenance`, { type: 'inspection', startedAt: '2026-04-01T08:00:00Z' })
    ).json();

    expect((await s.app.inject({ method: 'DELETE', url: `/api/assets/${machine.id}`, headers: s.as.editor })).statusCode).toBe(204);
    expectError(await get(`${BASE}/machines/${machine.id}`), 404);
    expectError(await patch(`${BASE}/maintenance/${record.id}`, { notes: 'late note' }), 404);
    const other = await newAsset();
    expect(expectError(await put(`${BASE}/machines/${other.id}`, { machineNumber: '7777' }), 409).message).toContain('(deleted)');

    await s.db('assets').where({ id: machine.id }).delete();
    expect(await rowCount(s.db, 'equipment_machines', { asset_id: machine.id })).toBe(0);
    expect(await rowCount(s.db, 'equipment_maintenance', { asset_id: machine.id })).toBe(0);
  });

  it('lets viewers read and only editors write; nobody without a token', async () => {
    const machine = await newAsset();

    expect((await get(`${BASE}/machines/${machine.id}`, s.as.viewer)).statusCode).toBe(200);
    expectError(await s.app.inject({ method: 'GET', url: `${BASE}/machines` }), 401);
    expectError(await s.app.inject({ method: 'GET', url: `${BASE}/overdue` }), 401);
    expectError(await put(`${BASE}/machines/${machine.id}`, { criticality: 'high' }, s.as.viewer), 403);
    expectError(
      await post(`${BASE}/machines/${machine.id}/maintenance`, { type: 'inspection', startedAt: '2026-04-01T08:00:00Z' }, s.as.viewer),
      403,
    );
    expectError(await patch(`${BASE}/maintenance/1`, { notes: 'x' }, s.as.viewer), 403);
  });

  it('documents its routes in the OpenAPI document, from the schemas that validate them', async () => {
    const paths = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json().paths;

    expect(
      Object.keys(paths)
        .filter((path) => path.startsWith(BASE))
        .sort(),
    ).toEqual(
      [
        `${BASE}/machines`,
        `${BASE}/machines/{assetId}`,
        `${BASE}/machines/{assetId}/maintenance`,
        `${BASE}/maintenance/{id}`,
        `${BASE}/overdue`,
      ].sort(),
    );
    expect(Object.keys(paths[`${BASE}/machines/{assetId}`]).sort()).toEqual(['get', 'put']);
    expect(paths[`${BASE}/machines/{assetId}`].put.requestBody.content['application/json'].schema.properties.controllerMake.enum).toContain(
      'Mitsubishi',
    );
  });

  it('is gone (404) while the plugin is disabled, and back once enabled', async () => {
    const machine = await newAsset();

    await s.setPluginEnabled('equipment', false);
    const whileDisabled = [
      await get(`${BASE}/machines`),
      await get(`${BASE}/machines/${machine.id}`),
      await put(`${BASE}/machines/${machine.id}`, { criticality: 'high' }),
    ];
    const createWhileDisabled = await post('/api/assets', {
      assetTag: 'T-HIDDEN-1',
      name: 'Hidden',
      type: 'equipment',
      statusId: s.inService,
    });
    await s.setPluginEnabled('equipment', true);

    for (const response of whileDisabled) expectError(response, 404, 'NOT_FOUND');
    expectError(createWhileDisabled, 400, 'VALIDATION_FAILED');
    expect((await get(`${BASE}/machines/${machine.id}`)).statusCode).toBe(200);
  });
});

describeEachEngine('equipment plugin: demo seed', (engine) => {
  const s = useMigratedSite(engine, { plugins: ['equipment'] });

  it('adds exactly the four demo machines with details and history, one overdue for PM, and changes nothing when run again', async () => {
    const { db } = s;
    await s.seed('demo');
    const machines = (await listMachines(db, { limit: 100, offset: 0 })).results;
    const maintenance = await rowCount(db, 'equipment_maintenance');
    const audited = (await listAudit(db, { objectType: 'equipment.maintenance', limit: 100, offset: 0 })).count;
    const overdue = (await listOverdue(db, { limit: 100, offset: 0 })).results;
    await s.seed('demo');

    expect(machines.map((m) => [m.assetTag, m.name, m.serial, m.model?.name, m.location?.code, m.status.name])).toEqual([
      ['CMM-0101', 'Contura CMM', 'ZC-0918-334', 'CONTURA', 'P7-B2-CMM', 'In service'],
      ['CNC-4012', 'DMU 65 #1', 'DM65-2019-0412', 'DMU 65 monoBLOCK', 'P7-B1-BAY1', 'In service'],
      ['CNC-4013', 'Hermle C 42 #1', 'H42-21-7731', 'C 42 U', 'P7-B1-BAY1', 'In service'],
      ['CNC-4020', 'Integrex i-200', 'MZ-I200-5521', 'INTEGREX i-200', 'P7-B1-BAY2', 'In service'],
    ]);
    expect(machines.map((m) => [m.machineNumber, m.controllerMake, m.criticality])).toEqual([
      ['0101', 'Other', 'high'],
      ['4012', 'Siemens', 'high'],
      ['4013', 'Heidenhain', 'high'],
      ['4020', 'Mazak', 'medium'],
    ]);
    for (const machine of machines) {
      expect(machine.axes).toBeGreaterThan(0);
      expect(machine.spindles).not.toBeNull();
      expect(machine.nextPmDue).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (machine.dncTransferEnabled) expect([machine.dncIp, machine.dncPort]).not.toContain(null);
    }
    expect(overdue.map((m) => m.assetTag)).toEqual(['CNC-4020']);
    expect(maintenance).toBeGreaterThanOrEqual(4);
    expect(audited).toBe(maintenance);
    expect(await rowCount(db, 'assets', { type_id: (await db('asset_types').where({ key: 'equipment' }).first('id')).id })).toBe(4);
    expect(await rowCount(db, 'equipment_machines')).toBe(4);
    expect(await rowCount(db, 'equipment_maintenance')).toBe(maintenance);
  });
});

import { randomUUID } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { bearer, expectError } from '../../../../test/support/api.js';
import { seedTestInventory } from '../../../../test/support/inventory.js';
import { useMigratedSite } from '../../../../test/support/migrated-site.js';
import { describeEachEngine } from '../../../../test/support/site.js';
import { cliActor, listAudit } from '../../../core/audit/log.js';
import { createApiToken } from '../../../core/auth/api-tokens.js';
import { ASSET_COUNT_CAP } from '../../../core/inventory/assets.js';

describeEachEngine('inventory API', (engine) => {
  const s = useMigratedSite(engine, { seed: 'base', users: { viewer: true, editor: true }, app: true });
  let readToken: Record<string, string>;

  beforeAll(async () => {
    await seedTestInventory(s.db, cliActor('test'));
    readToken = bearer(
      (await createApiToken(s.db, cliActor('test'), { userId: s.user.editor.id, name: 'dashboards', scope: 'read' })).token,
    );
  });

  const get = (url: string, headers = s.as.viewer) => s.app.inject({ method: 'GET', url, headers });

  it('lists assets in pages of {count, next, previous, results}, with filters and search', async () => {
    const first = await get('/api/assets?limit=3&ordering=assetTag');
    const equipment = await get('/api/assets?type=equipment&limit=100');
    const search = await get('/api/assets?search=dnc-40');

    expect(first.statusCode, first.body).toBe(200);
    const body = first.json();
    expect(Object.keys(body)).toEqual(['count', 'countCapped', 'next', 'previous', 'results']);
    expect(body.count).toBe(10);
    expect(body.countCapped).toBe(false);
    expect(body.results.map((a: { assetTag: string }) => a.assetTag)).toEqual(['CMM-0101', 'CNC-4012', 'CNC-4013']);
    expect(body.next).toBe('/api/assets?limit=3&ordering=assetTag&offset=3');
    expect(body.previous).toBeNull();
    expect(equipment.json().count).toBe(4);
    expect(
      search
        .json()
        .results.map((a: { hostname: string }) => a.hostname)
        .sort(),
    ).toEqual(['dnc-4012', 'dnc-4013', 'dnc-4020']);
  });

  it('lets an editor create, patch and delete an asset, auditing before/after with the request id', async () => {
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/assets',
      headers: { ...s.as.editor, 'x-request-id': 'req-patch-1' },
      payload: {
        assetTag: 'CNC-4100',
        name: 'New lathe',
        type: 'equipment',
        statusId: s.inService,
        customData: { machine_number: '4100', controller: 'Okuma' },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id;

    const patched = await s.app.inject({
      method: 'PATCH',
      url: `/api/assets/${id}`,
      headers: { ...s.as.editor, 'x-request-id': 'req-patch-2' },
      payload: { name: 'Okuma lathe', customData: { criticality: 'high' } },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      name: 'Okuma lathe',
      customData: { machine_number: '4100', controller: 'Okuma', criticality: 'high' },
    });

    const audit = await listAudit(s.db, { objectType: 'asset', objectId: String(id), limit: 10, offset: 0 });
    expect(audit.results[0]).toMatchObject({
      action: 'update',
      userId: s.user.editor.id,
      requestId: 'req-patch-2',
      before: expect.objectContaining({ name: 'New lathe' }),
      after: expect.objectContaining({ name: 'Okuma lathe' }),
    });

    const deleted = await s.app.inject({ method: 'DELETE', url: `/api/assets/${id}`, headers: s.as.editor });
    expect(deleted.statusCode).toBe(204);
    expectError(await get(`/api/assets/${id}`), 404, 'NOT_FOUND');
  });

  it('keeps viewers and read-only tokens from writing', async () => {
    const payload = { assetTag: 'X-1', name: 'x', type: 'other', statusId: s.inService };
    expectError(await s.app.inject({ method: 'POST', url: '/api/assets', headers: s.as.viewer, payload }), 403);
    expectError(await s.app.inject({ method: 'POST', url: '/api/assets', headers: readToken, payload }), 403, 'READ_ONLY_TOKEN');
    expectError(await s.app.inject({ method: 'POST', url: '/api/manufacturers', headers: s.as.viewer, payload: { name: 'Nope' } }), 403);
    expect((await get('/api/assets', readToken)).statusCode).toBe(200);
    expectError(await s.app.inject({ method: 'GET', url: '/api/assets' }), 401);
  });

  it('answers bad input with 400 naming the field, duplicates with 409', async () => {
    const post = (payload: unknown) =>
      s.app.inject({ method: 'POST', url: '/api/assets', headers: s.as.editor, payload: payload as object });
    const unknownField = expectError(
      await post({ assetTag: 'Y-1', name: 'y', type: 'other', statusId: s.inService, colour: 'red' }),
      400,
      'VALIDATION_FAILED',
    );
    const wrongType = expectError(await post({ assetTag: 'Y-1', name: 'y', type: 'other', statusId: 'one' }), 400, 'VALIDATION_FAILED');
    const badCustom = expectError(
      await post({ assetTag: 'Y-2', name: 'y', type: 'computer', statusId: s.inService, customData: { ip: '999.1.1.1' } }),
      400,
    );
    const duplicate = expectError(
      await post({ assetTag: 'CNC-4012', name: 'again', type: 'equipment', statusId: s.inService }),
      409,
      'CONFLICT',
    );

    expect(Object.keys(unknownField.fields).join()).toContain('colour');
    expect(Object.keys(wrongType.fields).join()).toContain('statusId');
    expect(badCustom.fields).toHaveProperty(['customData.ip']);
    expect(duplicate.message).toContain('asset tag');
  });

  it('never answers 5xx to hostile filters and pagination', async () => {
    const hostile = ["' OR 1=1 --", '%', '_', '\\', '"; DROP TABLE assets; --', '😀'.repeat(50), 'x'.repeat(5000)];
    for (const value of hostile) {
      for (const parameter of ['search', 'type', 'ordering', 'status', 'location', 'model', 'manufacturer']) {
        const response = await get(`/api/assets?${parameter}=${encodeURIComponent(value)}`);
        expect(response.statusCode, `${parameter}=${value.slice(0, 20)}`).toBeLessThan(500);
      }
    }
    for (const query of [
      'limit=-1',
      'limit=0',
      'limit=1001',
      'limit=abc',
      'offset=-5',
      'offset=99999999999999999999',
      'limit=2.5',
      'limit=',
    ]) {
      expectError(await get(`/api/assets?${query}`), 400);
    }
    expect((await get('/api/assets?search=%25')).json().count).toBe(0);
    expect(Number((await s.db('assets').count({ n: '*' }))[0]!.n)).toBeGreaterThan(0);
  });

  it('links a PC to a machine and refuses a part-of cycle with 409', async () => {
    const tag = async (assetTag: string) => (await get(`/api/assets?search=${assetTag}`)).json().results[0].id as number;
    const [pc, cnc] = [await tag('PC-4012'), await tag('CNC-4012')];

    const links = await get(`/api/assets/${cnc}/links`);
    expect(links.json().results).toEqual([
      expect.objectContaining({ linkType: 'controls', direction: 'incoming', other: expect.objectContaining({ id: pc }) }),
    ]);

    const partOf = await s.app.inject({
      method: 'POST',
      url: `/api/assets/${pc}/links`,
      headers: s.as.editor,
      payload: { targetId: cnc, linkType: 'part-of' },
    });
    expect(partOf.statusCode, partOf.body).toBe(201);
    expectError(
      await s.app.inject({
        method: 'POST',
        url: `/api/assets/${cnc}/links`,
        headers: s.as.editor,
        payload: { targetId: pc, linkType: 'part-of' },
      }),
      409,
    );
    const removed = await s.app.inject({ method: 'DELETE', url: `/api/assets/${pc}/links/${partOf.json().id}`, headers: s.as.editor });
    expect(removed.statusCode).toBe(204);
  });

  it('serves the location tree, filters assets by subtree, and the reference lists', async () => {
    const tree = await get('/api/locations');
    const site = tree.json().results[0];
    const buildingOne = site.children.find((c: { code: string }) => c.code === 'P7-B1');
    const inBuilding = await get(`/api/assets?location=${buildingOne.id}&limit=100`);
    const manufacturers = await get('/api/manufacturers');
    const types = await get('/api/asset-types');

    expect(site.code).toBe('P7');
    expect(buildingOne.children.map((c: { code: string }) => c.code)).toEqual(['P7-B1-BAY1', 'P7-B1-BAY2']);
    expect(inBuilding.json().count).toBe(7);
    expect(manufacturers.json().results.map((m: { name: string }) => m.name)).toContain('DMG MORI');
    expect(
      types
        .json()
        .results.find((t: { key: string }) => t.key === 'equipment')
        .fields.map((f: { key: string }) => f.key),
    ).toContain('controller');
    const usedModel = (await get('/api/models')).json().results[0].id;
    expectError(await s.app.inject({ method: 'DELETE', url: `/api/models/${usedModel}`, headers: s.as.editor }), 409);
  });

  it('creates, reads, changes and deletes every reference resource and a location (editor), audited', async () => {
    const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      ['/api/manufacturers', { name: 'Okuma' }, { url: 'https://okuma.example' }],
      ['/api/status-labels', { name: 'Quarantined', color: '#aa00aa', kind: 'broken' }, { color: '#bb00bb' }],
      [
        '/api/asset-types',
        { key: 'fixture', label: 'Fixture', fields: [{ key: 'size', label: 'Size', type: 'string' }] },
        { label: 'Work-holding fixture' },
      ],
      ['/api/locations', { kind: 'building', code: 'P7-B3', name: 'Building 3' }, { name: 'Building 3 — Paint' }],
    ];
    const makerId = (await get('/api/manufacturers')).json().results[0].id;
    cases.push(['/api/models', { manufacturerId: makerId, name: 'Model X', endOfLife: '2030-06-30' }, { partNumber: 'MX-1' }]);
    for (const [path, create, patch] of cases) {
      const created = await s.app.inject({ method: 'POST', url: path, headers: s.as.editor, payload: create });
      expect(created.statusCode, `${path}: ${created.body}`).toBe(201);
      const id = created.json().id;
      expect((await get(`${path}/${id}`)).json()).toMatchObject(create);
      const changed = await s.app.inject({ method: 'PATCH', url: `${path}/${id}`, headers: s.as.editor, payload: patch });
      expect(changed.statusCode, `${path}: ${changed.body}`).toBe(200);
      expect(changed.json()).toMatchObject(patch);
      expectError(
        await s.app.inject({ method: 'PATCH', url: `${path}/${id}`, headers: s.as.editor, payload: { bogus: 1 } }),
        400,
        'VALIDATION_FAILED',
      );
      expect((await s.app.inject({ method: 'DELETE', url: `${path}/${id}`, headers: s.as.editor })).statusCode).toBe(204);
      expectError(await get(`${path}/${id}`), 404);
      const objectType = (await listAudit(s.db, { limit: 1, offset: 0 })).results[0]!;
      expect(objectType).toMatchObject({ action: 'delete', objectId: String(id), userId: s.user.editor.id });
    }
  });

  it('moves a location under another and refuses a loop with 409', async () => {
    const post = (payload: object) => s.app.inject({ method: 'POST', url: '/api/locations', headers: s.as.editor, payload });
    const hall = (await post({ kind: 'building', code: 'HALL', name: 'Hall' })).json();
    const bay = (await post({ kind: 'bay', code: 'HALL-1', name: 'Bay', parentId: hall.id })).json();

    expectError(
      await s.app.inject({ method: 'PATCH', url: `/api/locations/${hall.id}`, headers: s.as.editor, payload: { parentId: bay.id } }),
      409,
    );
    expectError(await s.app.inject({ method: 'DELETE', url: `/api/locations/${hall.id}`, headers: s.as.editor }), 409);
    const flat = (await get('/api/locations?flat=true')).json().results.map((l: { code: string }) => l.code);
    expect(flat).toEqual(expect.arrayContaining(['HALL', 'HALL-1']));
  });

  it('documents the inventory routes in the OpenAPI document', async () => {
    const paths = Object.keys((await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/assets',
        '/api/assets/{id}',
        '/api/assets/{id}/links',
        '/api/locations',
        '/api/manufacturers',
        '/api/models',
        '/api/status-labels',
        '/api/asset-types',
      ]),
    );
  });

  it('says when the asset count stopped at the cap, and still links the next page', async () => {
    const typeId = Number((await s.db('asset_types').where({ key: 'other' }).first('id')).id);
    const rows = Array.from({ length: ASSET_COUNT_CAP + 100 }, (_, i) => ({
      uuid: randomUUID(),
      asset_tag: `BULK-${String(i).padStart(5, '0')}`,
      asset_tag_key: `bulk-${String(i).padStart(5, '0')}`,
      name: `Bulk ${i}`,
      type_id: typeId,
      status_id: s.inService,
    }));
    for (let i = 0; i < rows.length; i += 200) await s.db('assets').insert(rows.slice(i, i + 200));

    const capped = await get('/api/assets?limit=50');
    const deep = await get(`/api/assets?limit=50&offset=${ASSET_COUNT_CAP}`);
    const few = await get('/api/assets?search=bulk-0000');
    const documented = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json().paths['/api/assets'].get.responses['200'];
    await s.db('assets').where('asset_tag', 'like', 'BULK-%').delete();

    expect(capped.json()).toMatchObject({
      count: ASSET_COUNT_CAP,
      countCapped: true,
      next: '/api/assets?limit=50&offset=50',
      previous: null,
    });
    expect(deep.json()).toMatchObject({
      count: ASSET_COUNT_CAP + 50,
      countCapped: true,
      next: `/api/assets?limit=50&offset=${ASSET_COUNT_CAP + 50}`,
    });
    expect(few.json()).toMatchObject({ count: 10, countCapped: false, next: null });
    expect(JSON.stringify(documented)).toContain('countCapped');
  });
});

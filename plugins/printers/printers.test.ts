import { describe, expect, it } from 'vitest';
import { createAsset, NotFoundError, ValidationError, type Actor } from 'shopdb/sdk';
import { bearer, expectError, makeUser, tokenFor } from '../../test/support/api.js';
import { listAudit } from '../../test/support/core-access.js';
import { useMigratedSite } from '../../test/support/migrated-site.js';
import { listPluginTables } from '../../test/support/plugins.js';
import { describeEachEngine } from '../../test/support/site.js';
import { getPrinter, listLowConsumables, listPageCounts, recordPageCount, setConsumableLevel, setPrinterDetails } from './service.js';

const actor: Actor = { userId: null, username: 'cli:test', requestId: null };
const TABLES = ['printers_consumables', 'printers_devices', 'printers_page_counts'];

describeEachEngine('printers plugin', (engine) => {
  const s = useMigratedSite(engine, { seed: 'base', plugins: ['printers'], users: { viewer: true, editor: true }, app: true });

  const url = (path: string) => `/api/plugins/printers${path}`;
  const get = (path: string, headers = s.as.viewer) => s.app.inject({ method: 'GET', url: url(path), headers });
  const send = (method: 'POST' | 'PUT', path: string, payload: unknown, headers = s.as.editor) =>
    s.app.inject({ method, url: url(path), headers, payload: payload as object });
  let tagCounter = 0;
  const newPrinter = async (name = 'Test printer'): Promise<number> => {
    const response = await s.app.inject({
      method: 'POST',
      url: '/api/assets',
      headers: s.as.editor,
      payload: { assetTag: `PRN-T-${++tagCounter}`, name, type: 'printer', statusId: s.inService },
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ id: number }>().id;
  };
  const details = { ipAddress: '10.7.20.50', queueName: 'B1-LABELS', driver: 'HP Universal Printing PCL 6', colour: true, duplex: false };

  describe('details', () => {
    it('gives a printer created through the core API a detail row with the defaults', async () => {
      const id = await newPrinter();

      const response = await get(`/printers/${id}`);

      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({
        asset: { id, assetTag: `PRN-T-${tagCounter}`, status: { name: 'In service' } },
        ipAddress: null,
        queueName: null,
        driver: null,
        colour: false,
        duplex: false,
        consumables: [],
      });
      expect(await s.db('printers_devices').where({ asset_id: id }).first()).toBeDefined();
    });

    it('lets an editor replace the details, validated and audited, and reads them back identically', async () => {
      const id = await newPrinter();

      const put = await send('PUT', `/printers/${id}`, details);

      expect(put.statusCode, put.body).toBe(200);
      expect(put.json()).toMatchObject(details);
      expect((await get(`/printers/${id}`)).json()).toEqual(put.json());
      const audit = await listAudit(s.db, { objectType: 'printers.device', objectId: String(id), limit: 10, offset: 0 });
      expect(audit.results).toHaveLength(1);
      expect(audit.results[0]).toMatchObject({
        action: 'update',
        before: { ipAddress: null, colour: false },
        after: { ipAddress: '10.7.20.50', colour: true },
      });

      const cleared = await send('PUT', `/printers/${id}`, { ...details, ipAddress: null, driver: null });
      expect(cleared.json()).toMatchObject({ ipAddress: null, driver: null, queueName: 'B1-LABELS' });
    });

    it('refuses a bad address, unknown and missing fields (400), viewers (403), anonymous callers (401)', async () => {
      const id = await newPrinter();

      const badIp = expectError(await send('PUT', `/printers/${id}`, { ...details, ipAddress: '10.7.20.300' }), 400, 'VALIDATION_FAILED');
      const unknown = expectError(await send('PUT', `/printers/${id}`, { ...details, toner: 'black' }), 400);
      const missing = expectError(await send('PUT', `/printers/${id}`, { ipAddress: '10.7.20.51' }), 400);
      expectError(await send('PUT', `/printers/${id}`, details, s.as.viewer), 403);
      expectError(await s.app.inject({ method: 'PUT', url: url(`/printers/${id}`), payload: details }), 401);
      expectError(await s.app.inject({ method: 'GET', url: url('/printers') }), 401);

      expect(badIp.fields).toEqual({ ipAddress: 'must be an IPv4 or IPv6 address' });
      expect(Object.keys(unknown.fields).join()).toContain('toner');
      expect(Object.keys(missing.fields).join()).toContain('queueName');
      expect((await get(`/printers/${id}`)).json().ipAddress).toBeNull();
    });

    it('answers 404 for an asset that is not a printer, or is deleted', async () => {
      const other = await createAsset(s.db, actor, {
        assetTag: `OTHER-${++tagCounter}`,
        name: 'A bench',
        type: 'other',
        statusId: s.inService,
      });
      const gone = await newPrinter();
      await s.app.inject({ method: 'DELETE', url: `/api/assets/${gone}`, headers: s.as.editor });

      expectError(await get(`/printers/${other.id}`), 404, 'NOT_FOUND');
      expectError(await send('PUT', `/printers/${other.id}`, details), 404);
      expectError(await get(`/printers/${gone}`), 404);
      expectError(await get('/printers/999999'), 404);
      await expect(getPrinter(s.db, other.id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(setPrinterDetails(s.db, actor, other.id, details)).rejects.toBeInstanceOf(NotFoundError);
      expect(await s.db('printers_devices').where({ asset_id: other.id }).first()).toBeUndefined();
    });
  });

  describe('page counts', () => {
    it('lists readings newest first with the pages printed since the one before', async () => {
      const id = await newPrinter();
      for (const [recordedAt, totalPages, colourPages] of [
        ['2026-09-01T08:00:00.000Z', 1000, 100],
        ['2026-10-01T08:00:00.000Z', 1800, 150],
        ['2026-11-01T08:00:00.000Z', 2500, null],
      ] as const) {
        const created = await send('POST', `/printers/${id}/page-counts`, { recordedAt, totalPages, colourPages });
        expect(created.statusCode, created.body).toBe(201);
      }

      const list = await get(`/printers/${id}/page-counts`);
      const second = await get(`/printers/${id}/page-counts?limit=1&offset=1`);

      expect(list.statusCode, list.body).toBe(200);
      expect(list.json().count).toBe(3);
      expect(
        list
          .json()
          .results.map((r: Record<string, unknown>) => [r.recordedAt, r.totalPages, r.pagesSincePrevious, r.colourPagesSincePrevious]),
      ).toEqual([
        ['2026-11-01T08:00:00.000Z', 2500, 700, null],
        ['2026-10-01T08:00:00.000Z', 1800, 800, 50],
        ['2026-09-01T08:00:00.000Z', 1000, null, null],
      ]);
      // The oldest reading of a page still knows the reading before it, on the next page.
      expect(second.json()).toMatchObject({
        count: 3,
        next: expect.stringContaining('offset=2'),
        results: [{ totalPages: 1800, pagesSincePrevious: 800 }],
      });
    });

    it('refuses a reading lower than the one before, unless the meter was replaced', async () => {
      const id = await newPrinter();
      await recordPageCount(s.db, actor, id, { totalPages: 5000, recordedAt: '2026-10-01T08:00:00Z' });

      const lower = expectError(
        await send('POST', `/printers/${id}/page-counts`, { totalPages: 4999, recordedAt: '2026-10-02T08:00:00Z' }),
        400,
        'VALIDATION_FAILED',
      );
      const reset = await send('POST', `/printers/${id}/page-counts`, { totalPages: 120, recordedAt: '2026-10-03T08:00:00Z', reset: true });
      const after = await send('POST', `/printers/${id}/page-counts`, { totalPages: 300, recordedAt: '2026-10-04T08:00:00Z' });

      expect(lower.fields.totalPages).toContain('reset');
      expect(reset.statusCode, reset.body).toBe(201);
      expect(reset.json()).toMatchObject({ reset: true, totalPages: 120, pagesSincePrevious: 120 });
      expect(after.json()).toMatchObject({ reset: false, pagesSincePrevious: 180 });
      expect((await listPageCounts(s.db, id, { limit: 10, offset: 0 })).results.map((r) => r.totalPages)).toEqual([300, 120, 5000]);
    });

    it('fits a late reading between its neighbours, and refuses one that would make the next go down', async () => {
      const id = await newPrinter();
      await recordPageCount(s.db, actor, id, { totalPages: 1000, recordedAt: '2026-09-01T08:00:00Z' });
      await recordPageCount(s.db, actor, id, { totalPages: 2000, recordedAt: '2026-11-01T08:00:00Z' });

      const tooHigh = recordPageCount(s.db, actor, id, { totalPages: 2500, recordedAt: '2026-10-01T08:00:00Z' });
      await expect(tooHigh).rejects.toBeInstanceOf(ValidationError);
      await expect(tooHigh).rejects.toMatchObject({ fields: { totalPages: expect.stringContaining('next reading') } });
      const between = await recordPageCount(s.db, actor, id, { totalPages: 1500, recordedAt: '2026-10-01T08:00:00Z' });

      expect(between.pagesSincePrevious).toBe(500);
      expect((await listPageCounts(s.db, id, { limit: 10, offset: 0 })).results.map((r) => r.pagesSincePrevious)).toEqual([500, 500, null]);
    });

    it('refuses colour pages above the total, a reading from the future, and bad bodies; audits what it records', async () => {
      const id = await newPrinter();
      const future = new Date(Date.now() + 24 * 3600_000).toISOString();

      expect(
        expectError(await send('POST', `/printers/${id}/page-counts`, { totalPages: 10, colourPages: 11 }), 400).fields,
      ).toHaveProperty('colourPages');
      expect(
        expectError(await send('POST', `/printers/${id}/page-counts`, { totalPages: 10, recordedAt: future }), 400).fields,
      ).toHaveProperty('recordedAt');
      expectError(await send('POST', `/printers/${id}/page-counts`, { totalPages: -1 }), 400);
      expectError(await send('POST', `/printers/${id}/page-counts`, { totalPages: '10' }), 400);
      expectError(await send('POST', `/printers/${id}/page-counts`, { totalPages: 10 }, s.as.viewer), 403);
      expectError(await send('POST', '/printers/999999/page-counts', { totalPages: 10 }), 404);
      expect(await s.db('printers_page_counts').where({ asset_id: id }).first()).toBeUndefined();

      const created = await send('POST', `/printers/${id}/page-counts`, { totalPages: 10 });
      expect(created.statusCode, created.body).toBe(201);
      expect(Date.now() - Date.parse(created.json().recordedAt)).toBeLessThan(60_000);
      const audit = await listAudit(s.db, { objectType: 'printers.page_count', objectId: String(created.json().id), limit: 10, offset: 0 });
      expect(audit.results).toMatchObject([{ action: 'create', after: { assetId: id, totalPages: 10 } }]);
    });
  });

  describe('consumables', () => {
    it('adds a consumable (201), then updates its level (200) keeping the part number, once per kind and colour', async () => {
      const id = await newPrinter();

      const created = await send('PUT', `/printers/${id}/consumables`, {
        kind: 'toner',
        colour: 'Black',
        partNumber: 'CF289A',
        levelPercent: 80,
      });
      const updated = await send('PUT', `/printers/${id}/consumables`, { kind: 'toner', colour: 'black', levelPercent: 40 });
      await send('PUT', `/printers/${id}/consumables`, { kind: 'fuser', levelPercent: 90 });
      const fuserAgain = await send('PUT', `/printers/${id}/consumables`, { kind: 'fuser', colour: null, levelPercent: 85 });

      expect(created.statusCode, created.body).toBe(201);
      expect(created.json()).toMatchObject({ kind: 'toner', colour: 'black', partNumber: 'CF289A', levelPercent: 80, low: false });
      expect(updated.statusCode, updated.body).toBe(200);
      expect(updated.json()).toMatchObject({ id: created.json().id, partNumber: 'CF289A', levelPercent: 40 });
      expect(fuserAgain.statusCode).toBe(200);
      expect(
        (await get(`/printers/${id}`)).json().consumables.map((c: Record<string, unknown>) => [c.kind, c.colour, c.levelPercent]),
      ).toEqual([
        ['fuser', null, 85],
        ['toner', 'black', 40],
      ]);
      const audit = await listAudit(s.db, { objectType: 'printers.consumable', objectId: String(created.json().id), limit: 10, offset: 0 });
      expect(audit.results.map((e) => e.action)).toEqual(['update', 'create']);
      expect(audit.results[0]).toMatchObject({ before: { levelPercent: 80 }, after: { levelPercent: 40 } });
    });

    it('refuses a level outside 0–100, an unknown kind, and viewers', async () => {
      const id = await newPrinter();

      expect(
        expectError(await send('PUT', `/printers/${id}/consumables`, { kind: 'toner', levelPercent: 101 }), 400).fields,
      ).toHaveProperty(['levelPercent']);
      expectError(await send('PUT', `/printers/${id}/consumables`, { kind: 'ink', levelPercent: 50 }), 400);
      expectError(await send('PUT', `/printers/${id}/consumables`, { kind: 'toner', levelPercent: 50 }, s.as.viewer), 403);
      await expect(setConsumableLevel(s.db, actor, id, { kind: 'toner', levelPercent: -1 })).rejects.toBeInstanceOf(ValidationError);
      await expect(setConsumableLevel(s.db, actor, id, { kind: 'ink' as 'toner', levelPercent: 5 })).rejects.toMatchObject({
        fields: { kind: expect.any(String) },
      });
      expect(await s.db('printers_consumables').where({ asset_id: id }).first()).toBeUndefined();
    });

    it('lists the low consumables and filters printers by them', async () => {
      await s.db('printers_consumables').delete();
      const low = await newPrinter('Low printer');
      const fine = await newPrinter('Fine printer');
      await setConsumableLevel(s.db, actor, low, { kind: 'toner', colour: 'black', levelPercent: 15 });
      await setConsumableLevel(s.db, actor, low, { kind: 'drum', levelPercent: 60 });
      await setConsumableLevel(s.db, actor, fine, { kind: 'toner', colour: 'black', levelPercent: 16 });

      const lowList = await get('/low-consumables');
      const lowPrinters = await get('/printers?low=true&limit=1000');
      const okPrinters = await get('/printers?low=false&limit=1000');
      const all = await get('/printers?limit=1000');

      expect(lowList.statusCode, lowList.body).toBe(200);
      expect(lowList.json()).toMatchObject({
        count: 1,
        results: [{ kind: 'toner', levelPercent: 15, low: true, printer: { id: low, name: 'Low printer' } }],
      });
      expect(lowPrinters.json().results.map((p: { asset: { id: number } }) => p.asset.id)).toEqual([low]);
      expect(okPrinters.json().results.map((p: { asset: { id: number } }) => p.asset.id)).toContain(fine);
      expect(okPrinters.json().results.map((p: { asset: { id: number } }) => p.asset.id)).not.toContain(low);
      expect(all.json().count).toBe(lowPrinters.json().count + okPrinters.json().count);
      expect((await listLowConsumables(s.db, { limit: 10, offset: 0 })).results.map((c) => c.assetId)).toEqual([low]);
      expectError(await get('/printers?low=maybe'), 400);
    });
  });

  it('pages the printer list in asset-tag order with details', async () => {
    const first = await get('/printers?limit=2');
    const second = await get('/printers?limit=2&offset=2');

    expect(first.statusCode, first.body).toBe(200);
    expect(Object.keys(first.json())).toEqual(['count', 'next', 'previous', 'results']);
    const live = await s
      .db('assets')
      .join('asset_types', 'asset_types.id', 'assets.type_id')
      .where('asset_types.key', 'printer')
      .whereNull('deleted_at')
      .count({ n: '*' });
    expect(first.json().count).toBe(Number(live[0]!.n));
    expect(first.json().count).toBeGreaterThan(4);
    const tags = [...first.json().results, ...second.json().results].map((p: { asset: { assetTag: string } }) => p.asset.assetTag);
    expect(tags).toEqual([...tags].sort());
    expect(first.json().results[0]).toHaveProperty('ipAddress');
  });

  it('is gone (404) while disabled, and its hook does not run', async () => {
    const id = await newPrinter();
    await s.setPluginEnabled('printers', false);
    try {
      expectError(await get('/printers'), 404, 'NOT_FOUND');
      expectError(await get(`/printers/${id}`), 404);
      expectError(await send('PUT', `/printers/${id}/consumables`, { kind: 'toner', levelPercent: 50 }), 404);
      const hidden = await s.app.inject({
        method: 'POST',
        url: '/api/assets',
        headers: s.as.editor,
        payload: { assetTag: 'PRN-OFF-1', name: 'x', type: 'printer', statusId: s.inService },
      });
      expectError(hidden, 400);
    } finally {
      await s.setPluginEnabled('printers', true);
    }
    expect((await get(`/printers/${id}`)).statusCode).toBe(200);
  });
});

describeEachEngine('printers plugin: its tables and the demo seed', (engine) => {
  const s = useMigratedSite(engine, { seed: 'base', plugins: ['printers'] });

  it('installs its tables with these columns', async () => {
    expect(await listPluginTables(s.db, 'printers')).toEqual(TABLES);
    expect(Object.keys(await s.db('printers_devices').columnInfo()).sort()).toEqual([
      'asset_id',
      'colour',
      'created_at',
      'driver',
      'duplex',
      'ip_address',
      'queue_name',
      'updated_at',
    ]);
    expect(Object.keys(await s.db('printers_page_counts').columnInfo()).sort()).toEqual([
      'asset_id',
      'colour_pages',
      'created_at',
      'id',
      'meter_reset',
      'recorded_at',
      'total_pages',
      'updated_at',
    ]);
    expect(Object.keys(await s.db('printers_consumables').columnInfo()).sort()).toEqual([
      'asset_id',
      'colour',
      'colour_key',
      'id',
      'kind',
      'level_percent',
      'part_number',
      'updated_at',
    ]);
  });

  it('adds exactly the two demo printers with readings and consumables, one low; a second run changes nothing', async () => {
    await s.seed('demo');
    const snapshot = async () => ({
      assets: await s
        .db('assets')
        .join('asset_types', 'asset_types.id', 'assets.type_id')
        .where('asset_types.key', 'printer')
        .orderBy('asset_tag')
        .pluck('asset_tag'),
      readings: Number((await s.db('printers_page_counts').count({ n: '*' }))[0]!.n),
      consumables: Number((await s.db('printers_consumables').count({ n: '*' }))[0]!.n),
      audit: Number((await s.db('audit_log').count({ n: '*' }))[0]!.n),
    });
    const first = await snapshot();

    await s.seed('demo');

    expect(await snapshot()).toEqual(first);
    expect(first.assets).toEqual(['PRN-B1-01', 'PRN-B2-01']);
    expect(first.readings).toBeGreaterThanOrEqual(3);
    const app = await s.api.app();
    const admin = await makeUser(s.db, 'viewer');
    const headers = bearer(await tokenFor(app, admin.username));
    const printers = (await app.inject({ method: 'GET', url: '/api/plugins/printers/printers', headers })).json();
    expect(printers.results).toMatchObject([
      {
        asset: {
          assetTag: 'PRN-B1-01',
          name: 'Bay 1 traveller printer',
          hostname: 'prn-b1-01',
          status: { name: 'In service' },
          location: { code: 'P7-B1-BAY1' },
          model: { name: 'LaserJet Enterprise M507', manufacturer: 'HP' },
        },
        ipAddress: '10.7.20.31',
        queueName: 'B1-TRAVELLERS',
      },
      {
        asset: {
          assetTag: 'PRN-B2-01',
          name: 'Inspection report printer',
          hostname: 'prn-b2-01',
          location: { code: 'P7-B2-OFFICE' },
          model: { name: 'LaserJet Enterprise M507' },
        },
        ipAddress: '10.7.21.40',
        queueName: 'B2-INSPECTION',
      },
    ]);
    const low = (await app.inject({ method: 'GET', url: '/api/plugins/printers/low-consumables', headers })).json();
    expect(low.results.map((c: { printer: { assetTag: string } }) => c.printer.assetTag)).toEqual(['PRN-B2-01']);
    const readings = (
      await app.inject({ method: 'GET', url: `/api/plugins/printers/printers/${printers.results[0].asset.id}/page-counts`, headers })
    ).json();
    expect(readings.results[0].pagesSincePrevious).toBeGreaterThan(0);
  });
});

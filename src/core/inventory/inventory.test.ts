import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestAssetTypes } from '../../../test/support/inventory.js';
import { createSite, describeEachEngine, type TestSite } from '../../../test/support/site.js';
import { listAudit, type Actor } from '../audit/log.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { migrateSite } from '../migrations/site.js';
import { seedSite } from '../seed/index.js';
import { ASSET_COUNT_CAP, createAsset, deleteAsset, getAsset, listAssets, updateAsset, type AssetInput } from './assets.js';
import { addLink, listLinks, removeLink } from './links.js';
import { validateCustomData } from './custom-fields.js';
import { createLocation, deleteLocation, listLocations, locationTree, updateLocation } from './locations.js';
import { assetModels, assetTypes, manufacturers } from './reference.js';

const editor: Actor = { userId: 7, username: 'editor-eve', requestId: 'req-123' };

describeEachEngine('inventory', (engine) => {
  let site: TestSite;
  let db: Knex;
  let status: { inService: number; repair: number };

  beforeAll(async () => {
    site = await createSite(engine);
    await migrateSite({ config: site.config() });
    db = await site.open();
    await seedSite(db, { demo: false, actor: editor });
    await createTestAssetTypes(db, editor);
    const rows = (await db('status_labels').select('id', 'name')) as Array<{ id: number; name: string }>;
    status = {
      inService: Number(rows.find((r) => r.name === 'In service')!.id),
      repair: Number(rows.find((r) => r.name === 'Down for repair')!.id),
    };
  });
  afterAll(async () => {
    await db.destroy();
    await site.cleanup();
  });
  beforeEach(async () => {
    for (const table of ['asset_links', 'asset_positions', 'assets', 'asset_models', 'manufacturers', 'audit_log'])
      await db(table).delete();
    await db('locations').update({ parent_id: null });
    await db('locations').delete();
  });

  const machine = (tag: string, extra: Partial<AssetInput> = {}): AssetInput => ({
    assetTag: tag,
    name: `Machine ${tag}`,
    type: 'equipment',
    statusId: status.inService,
    customData: { machine_number: tag.replace(/\D/g, ''), controller: 'Fanuc' },
    ...extra,
  });

  describe('assets', () => {
    it('creates an asset with validated custom data and reads it back identically', async () => {
      const created = await createAsset(db, editor, machine('CNC-1001', { serial: 'SN-航空-🛠️', notes: 'O\'Brien\'s "spindle"' }));

      const read = await getAsset(db, created.id);
      expect(read).toEqual(created);
      expect(read).toMatchObject({
        assetTag: 'CNC-1001',
        serial: 'SN-航空-🛠️',
        notes: 'O\'Brien\'s "spindle"',
        type: { key: 'equipment' },
        status: { name: 'In service' },
      });
      expect(read.customData).toEqual({ machine_number: '1001', controller: 'Fanuc' });
      expect(read.uuid).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('reports every bad custom field and reference at once, and writes nothing', async () => {
      const bad = createAsset(
        db,
        editor,
        machine('CNC-1002', { customData: { controller: 'Commodore', colour: 'red', machine_number: 12 } }),
      );
      await expect(bad).rejects.toBeInstanceOf(ValidationError);
      await expect(bad).rejects.toMatchObject({
        fields: {
          'customData.controller': expect.any(String),
          'customData.colour': expect.any(String),
          'customData.machine_number': expect.any(String),
        },
      });
      await expect(createAsset(db, editor, machine('CNC-1003', { statusId: 999999 }))).rejects.toMatchObject({
        fields: { statusId: expect.any(String) },
      });
      await expect(createAsset(db, editor, machine('CNC-1004', { type: 'spaceship' }))).rejects.toMatchObject({
        fields: { type: 'unknown asset type' },
      });
      expect((await listAssets(db, { limit: 10, offset: 0 })).count).toBe(0);
    });

    it("judges a custom-data PATCH by the data it leaves, after the type's fields changed: null removes any key, a stale key is named", async () => {
      const type = await assetTypes.create(db, editor, {
        key: `gauge-${engine}`,
        label: 'Gauge',
        fields: [
          { key: 'range', label: 'Range', type: 'string' },
          { key: 'interval', label: 'Interval (months)', type: 'integer' },
        ],
      });
      const created = await createAsset(db, editor, {
        assetTag: 'GA-1',
        name: 'Bore gauge',
        type: type.key,
        statusId: status.inService,
        customData: { range: '6-10 mm', interval: 12 },
      });
      // The site reworks the type: `interval` goes, `calibrated` comes, `range` becomes a number.
      await assetTypes.update(db, editor, type.id, {
        fields: [
          { key: 'range', label: 'Range (mm)', type: 'number' },
          { key: 'calibrated', label: 'Calibrated', type: 'date' },
        ],
      });

      const stale = await updateAsset(db, editor, created.id, { customData: { calibrated: '2026-11-02' } }).catch(
        (error: unknown) => error,
      );
      const cleared = await updateAsset(db, editor, created.id, { customData: { interval: null, range: 8.5, calibrated: '2026-11-02' } });
      const removed = await updateAsset(db, editor, created.id, { customData: { range: null } });
      const unrelated = await updateAsset(db, editor, created.id, { name: 'Bore gauge 6–10' });

      expect(stale).toBeInstanceOf(ValidationError);
      expect((stale as ValidationError).fields).toEqual({
        'customData.interval': expect.stringMatching(/no longer a field of this asset type; set it to null/),
        'customData.range': expect.stringMatching(/must be a number \(the value stored before the field changed/),
      });
      expect(cleared.customData).toEqual({ range: 8.5, calibrated: '2026-11-02' });
      expect(removed.customData).toEqual({ calibrated: '2026-11-02' });
      expect(unrelated.customData).toEqual({ calibrated: '2026-11-02' });
      // A value for a key that is not a field is still refused.
      await expect(updateAsset(db, editor, created.id, { customData: { colour: 'red' } })).rejects.toMatchObject({
        fields: { 'customData.colour': 'is not a field of this asset type' },
      });
    });

    it('keeps asset tags unique, also against soft-deleted assets', async () => {
      const first = await createAsset(db, editor, machine('CNC-2001'));
      await expect(createAsset(db, editor, machine('CNC-2001'))).rejects.toBeInstanceOf(ConflictError);

      await deleteAsset(db, editor, first.id);

      await expect(getAsset(db, first.id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(updateAsset(db, editor, first.id, { name: 'x' })).rejects.toBeInstanceOf(NotFoundError);
      expect((await listAssets(db, { limit: 10, offset: 0 })).count).toBe(0);
      await expect(createAsset(db, editor, machine('CNC-2001'))).rejects.toBeInstanceOf(ConflictError);
    });

    it('patches only what is given, merges custom data, and audits before/after with actor and request id', async () => {
      const created = await createAsset(db, editor, machine('CNC-3001'));

      const updated = await updateAsset(db, editor, created.id, {
        statusId: status.repair,
        customData: { controller: 'Okuma', machine_number: null },
      });

      expect(updated).toMatchObject({ name: 'Machine CNC-3001', status: { name: 'Down for repair' }, customData: { controller: 'Okuma' } });
      expect(updated.customData).not.toHaveProperty('machine_number');
      const audit = await listAudit(db, { objectType: 'asset', objectId: String(created.id), limit: 10, offset: 0 });
      expect(audit.results.map((e) => e.action)).toEqual(['update', 'create']);
      expect(audit.results[0]).toMatchObject({
        username: 'editor-eve',
        userId: 7,
        requestId: 'req-123',
        before: expect.objectContaining({ status: expect.objectContaining({ name: 'In service' }) }),
        after: expect.objectContaining({ status: expect.objectContaining({ name: 'Down for repair' }) }),
      });
    });

    it('filters by type, status, model, manufacturer and location subtree, pages, and orders with a stable tie-break', async () => {
      const site7 = await createLocation(db, editor, { kind: 'site', code: 'S', name: 'Site' });
      const bay = await createLocation(db, editor, { kind: 'bay', code: 'S-B1', name: 'Bay', parentId: site7.id });
      const cell = await createLocation(db, editor, { kind: 'cell', code: 'S-B1-C1', name: 'Cell', parentId: bay.id });
      const other = await createLocation(db, editor, { kind: 'site', code: 'T', name: 'Elsewhere' });
      const maker = await manufacturers.create(db, editor, { name: 'Hermle' });
      const model = await assetModels.create(db, editor, { manufacturerId: maker.id, name: 'C 42 U' });
      await createAsset(db, editor, machine('CNC-5001', { locationId: cell.id, modelId: model.id }));
      await createAsset(db, editor, machine('CNC-5002', { locationId: bay.id, statusId: status.repair }));
      await createAsset(db, editor, machine('CNC-5003', { locationId: other.id }));
      await createAsset(db, editor, {
        assetTag: 'PC-5001',
        name: 'Machine PC',
        type: 'computer',
        statusId: status.inService,
        locationId: cell.id,
        hostname: 'dnc-5001',
      });

      const page = (q: Partial<Parameters<typeof listAssets>[1]>) =>
        listAssets(db, { limit: 50, offset: 0, ...q }).then((r) => ({ count: r.count, tags: r.results.map((a) => a.assetTag) }));
      expect(await page({ locationId: site7.id })).toEqual({ count: 3, tags: ['CNC-5001', 'CNC-5002', 'PC-5001'] });
      expect(await page({ locationId: bay.id, type: 'equipment' })).toEqual({ count: 2, tags: ['CNC-5001', 'CNC-5002'] });
      expect(await page({ statusId: status.repair })).toEqual({ count: 1, tags: ['CNC-5002'] });
      expect(await page({ modelId: model.id })).toEqual({ count: 1, tags: ['CNC-5001'] });
      expect(await page({ manufacturerId: maker.id })).toEqual({ count: 1, tags: ['CNC-5001'] });
      expect(await page({ locationId: 999999 })).toEqual({ count: 0, tags: [] });
      expect(await page({ ordering: '-assetTag', limit: 2 })).toEqual({ count: 4, tags: ['PC-5001', 'CNC-5003'] });
      expect(await page({ ordering: 'name', limit: 2, offset: 1 })).toEqual({ count: 4, tags: ['CNC-5002', 'CNC-5003'] });
      expect(await page({ search: 'dnc-50' })).toEqual({ count: 1, tags: ['PC-5001'] });
      expect(await page({ search: 'CNC-500' })).toEqual({ count: 3, tags: ['CNC-5001', 'CNC-5002', 'CNC-5003'] });
      // Assets of a type that belongs to a plugin that is not enabled are hidden.
      await db('asset_types').where({ key: 'equipment' }).update({ plugin: 'shop-kit' });
      try {
        expect(await page({ enabledPlugins: [] })).toEqual({ count: 1, tags: ['PC-5001'] });
        expect(await page({ enabledPlugins: ['shop-kit'] })).toMatchObject({ count: 4 });
      } finally {
        await db('asset_types').where({ key: 'equipment' }).update({ plugin: null });
      }
    });

    it('searches tag, name, serial and hostname by prefix, ignoring case, not by substring', async () => {
      await createAsset(db, editor, machine('CNC-4012', { name: 'DMU 65 #1', serial: 'DM65-2019-0412' }));
      await createAsset(db, editor, {
        assetTag: 'PC-4012',
        name: 'DNC PC for 4012',
        type: 'computer',
        statusId: status.inService,
        hostname: 'dnc-4012',
      });

      const tags = async (search: string) => (await listAssets(db, { limit: 10, offset: 0, search })).results.map((a) => a.assetTag);
      expect(await tags('cnc-40')).toEqual(['CNC-4012']);
      expect(await tags('dmu 65')).toEqual(['CNC-4012']);
      expect(await tags('DM65-2019')).toEqual(['CNC-4012']);
      expect(await tags('DNC-')).toEqual(['PC-4012']);
      expect(await tags('dnc')).toEqual(['PC-4012']);
      // Inside a value is not a match: that would read every row (ADR-007).
      expect(await tags('4012')).toEqual([]);
      expect(await tags('65')).toEqual([]);
    });

    it('stops counting at the cap and says so, while next pages stay reachable', async () => {
      const typeId = Number((await db('asset_types').where({ key: 'other' }).first('id')).id);
      const total = ASSET_COUNT_CAP + 100;
      const rows = Array.from({ length: total }, (_, i) => ({
        uuid: randomUUID(),
        asset_tag: `BULK-${String(i).padStart(5, '0')}`,
        asset_tag_key: `bulk-${String(i).padStart(5, '0')}`,
        name: `Bulk ${i}`,
        type_id: typeId,
        status_id: i % 2 === 0 ? status.inService : status.repair,
      }));
      for (let i = 0; i < rows.length; i += 200) await db('assets').insert(rows.slice(i, i + 200));
      const list = (q: Partial<Parameters<typeof listAssets>[1]>) =>
        listAssets(db, { limit: 50, offset: 0, ...q }).then((r) => ({ count: r.count, countCapped: r.countCapped, n: r.results.length }));

      expect(await list({})).toEqual({ count: ASSET_COUNT_CAP, countCapped: true, n: 50 });
      expect(await list({ statusId: status.repair })).toEqual({ count: total / 2, countCapped: false, n: 50 });
      expect(await list({ search: 'bulk-0000' })).toEqual({ count: 10, countCapped: false, n: 10 });
      // Past the cap the count reaches the end of the requested page, so there is a next one.
      expect(await list({ offset: ASSET_COUNT_CAP, limit: 50 })).toEqual({ count: ASSET_COUNT_CAP + 50, countCapped: true, n: 50 });
      expect(await list({ offset: total - 50, limit: 50 })).toEqual({ count: total, countCapped: false, n: 50 });
      expect(await list({ offset: total - 20, limit: 50 })).toEqual({ count: total, countCapped: false, n: 20 });
      expect(await list({ offset: total + 500, limit: 50 })).toEqual({ count: total, countCapped: false, n: 0 });
    });

    // MySQL's plan depends on statistics a small test table does not have: bench/api-list.ts shows it.
    it.skipIf(engine !== 'sqlite')('searches through the NOCASE indexes on SQLite, never a walk over every live row', async () => {
      await createAsset(db, editor, machine('CNC-7001'));
      const statements: Array<{ sql: string; bindings: Knex.RawBinding[] }> = [];
      const capture = (query: { sql: string; bindings: Knex.RawBinding[] }) => statements.push(query);
      db.on('query', capture);
      await listAssets(db, { limit: 1, offset: 0, search: 'cnc' });
      await listAssets(db, { limit: 1, offset: 0, search: 'cnc', statusId: status.inService, ordering: 'name' });
      db.off('query', capture);

      expect(statements).toHaveLength(4);
      for (const statement of statements) {
        const plan = (await db.raw(`explain query plan ${statement.sql}`, statement.bindings)) as Array<{ detail: string }>;
        const details = plan.map((row) => row.detail).join('\n');
        expect(details, statement.sql).toContain('MULTI-INDEX OR');
        for (const column of ['asset_tag', 'name', 'serial', 'hostname']) expect(details).toContain(`assets_${column}_nocase_index`);
        expect(details, statement.sql).not.toMatch(/(SCAN a\b|deleted_at=\?)/);
      }
    });

    it('treats LIKE wildcards and SQL metacharacters in search as plain text', async () => {
      await createAsset(db, editor, machine('CNC-6001', { name: '100% spindle_A' }));
      await createAsset(db, editor, machine('CNC-6002', { name: '100 spindleXA' }));

      for (const [search, tags] of [
        ['100%', ['CNC-6001']],
        ['100% spindle_', ['CNC-6001']],
        ['100_', []],
        ['%', []],
        ["'; DROP TABLE assets; --", []],
        ['!', []],
        ['x'.repeat(5000), []],
      ] as const) {
        expect(
          (await listAssets(db, { limit: 10, offset: 0, search })).results.map((a) => a.assetTag),
          search.slice(0, 30),
        ).toEqual(tags);
      }
      expect(await db.schema.hasTable('assets')).toBe(true);
    });
  });

  describe('links', () => {
    it('links a PC to the machine it controls, seen from both sides, once', async () => {
      const cnc = await createAsset(db, editor, machine('CNC-7001'));
      const pc = await createAsset(db, editor, { assetTag: 'PC-7001', name: 'DNC PC', type: 'computer', statusId: status.inService });

      const link = await addLink(db, editor, pc.id, { targetId: cnc.id, linkType: 'controls', note: 'RS-232 DNC' });

      expect(link).toMatchObject({ linkType: 'controls', direction: 'outgoing', note: 'RS-232 DNC', other: { assetTag: 'CNC-7001' } });
      expect(await listLinks(db, cnc.id)).toEqual([
        expect.objectContaining({ direction: 'incoming', other: expect.objectContaining({ assetTag: 'PC-7001' }) }),
      ]);
      await expect(addLink(db, editor, pc.id, { targetId: cnc.id, linkType: 'controls' })).rejects.toBeInstanceOf(ConflictError);
      await expect(addLink(db, editor, pc.id, { targetId: pc.id, linkType: 'connected-to' })).rejects.toBeInstanceOf(ValidationError);
      await expect(addLink(db, editor, pc.id, { targetId: 999999, linkType: 'controls' })).rejects.toBeInstanceOf(ValidationError);

      await removeLink(db, editor, cnc.id, link.id);
      expect(await listLinks(db, pc.id)).toEqual([]);
      await expect(removeLink(db, editor, cnc.id, link.id)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('refuses a part-of link that would close a loop', async () => {
      const [spindle, head, machineAsset] = await Promise.all(
        ['SP-1', 'HD-1', 'MC-1'].map((tag) =>
          createAsset(db, editor, { assetTag: tag, name: tag, type: 'other', statusId: status.inService }),
        ),
      );
      await addLink(db, editor, spindle!.id, { targetId: head!.id, linkType: 'part-of' });
      await addLink(db, editor, head!.id, { targetId: machineAsset!.id, linkType: 'part-of' });

      await expect(addLink(db, editor, machineAsset!.id, { targetId: spindle!.id, linkType: 'part-of' })).rejects.toBeInstanceOf(
        ConflictError,
      );
      await expect(addLink(db, editor, machineAsset!.id, { targetId: spindle!.id, linkType: 'connected-to' })).resolves.toMatchObject({
        linkType: 'connected-to',
      });
    });

    it('hides links to a deleted asset', async () => {
      const cnc = await createAsset(db, editor, machine('CNC-8001'));
      const pc = await createAsset(db, editor, { assetTag: 'PC-8001', name: 'PC', type: 'computer', statusId: status.inService });
      await addLink(db, editor, pc.id, { targetId: cnc.id, linkType: 'controls' });

      await deleteAsset(db, editor, cnc.id);

      expect(await listLinks(db, pc.id)).toEqual([]);
    });
  });

  describe('locations', () => {
    it('moves a subtree, rewriting every path below it, and refuses a move under itself', async () => {
      const a = await createLocation(db, editor, { kind: 'building', code: 'A', name: 'A' });
      const b = await createLocation(db, editor, { kind: 'building', code: 'B', name: 'B' });
      const bay = await createLocation(db, editor, { kind: 'bay', code: 'A-1', name: 'Bay', parentId: a.id });
      const cell = await createLocation(db, editor, { kind: 'cell', code: 'A-1-1', name: 'Cell', parentId: bay.id });

      await updateLocation(db, editor, bay.id, { parentId: b.id });

      const byCode = Object.fromEntries((await listLocations(db)).map((l) => [l.code, l.path]));
      expect(byCode).toEqual({ A: `/${a.id}/`, B: `/${b.id}/`, 'A-1': `/${b.id}/${bay.id}/`, 'A-1-1': `/${b.id}/${bay.id}/${cell.id}/` });
      await expect(updateLocation(db, editor, bay.id, { parentId: cell.id })).rejects.toBeInstanceOf(ConflictError);
      const tree = await locationTree(db);
      expect(tree.find((n) => n.code === 'B')!.children[0]!.children[0]!.code).toBe('A-1-1');
    });

    it('refuses to delete a location that still holds sub-locations or assets, and duplicate codes', async () => {
      const a = await createLocation(db, editor, { kind: 'building', code: 'D', name: 'D' });
      const bay = await createLocation(db, editor, { kind: 'bay', code: 'D-1', name: 'Bay', parentId: a.id });
      await createAsset(db, editor, machine('CNC-9001', { locationId: bay.id }));

      await expect(deleteLocation(db, editor, a.id)).rejects.toBeInstanceOf(ConflictError);
      await expect(deleteLocation(db, editor, bay.id)).rejects.toBeInstanceOf(ConflictError);
      await expect(createLocation(db, editor, { kind: 'bay', code: 'D-1', name: 'Again' })).rejects.toBeInstanceOf(ConflictError);
      await expect(createLocation(db, editor, { kind: 'bay', code: 'D-2', name: 'Orphan', parentId: 999999 })).rejects.toBeInstanceOf(
        ValidationError,
      );
    });
  });

  describe('reference data', () => {
    it('refuses duplicate names, deleting what is in use, and bad field definitions', async () => {
      const maker = await manufacturers.create(db, editor, { name: 'Okuma' });
      const model = await assetModels.create(db, editor, { manufacturerId: maker.id, name: 'GENOS M560-V', endOfLife: '2031-12-31' });
      await createAsset(db, editor, machine('CNC-9101', { modelId: model.id }));

      expect(model.endOfLife).toBe('2031-12-31');
      await expect(manufacturers.create(db, editor, { name: 'Okuma' })).rejects.toBeInstanceOf(ConflictError);
      await expect(assetModels.remove(db, editor, model.id)).rejects.toBeInstanceOf(ConflictError);
      await expect(manufacturers.remove(db, editor, maker.id)).rejects.toBeInstanceOf(ConflictError);
      await expect(
        assetTypes.create(db, editor, { key: 'fixture', label: 'Fixture', fields: [{ key: 'Bad Key', label: 'x', type: 'string' }] }),
      ).rejects.toBeInstanceOf(ValidationError);
      const fixture = await assetTypes.create(db, editor, {
        key: 'fixture',
        label: 'Fixture',
        fields: [{ key: 'size', label: 'Size', type: 'enum', choices: ['S', 'L'], required: true }],
      });
      expect(fixture.fields[0]).toMatchObject({ key: 'size', required: true });
      const renamed = await manufacturers.update(db, editor, maker.id, { url: 'https://www.okuma.example' });
      expect(renamed).toMatchObject({ name: 'Okuma', url: 'https://www.okuma.example' });
    });
  });
});

describe('validateCustomData', () => {
  it('checks each type and reports required fields', () => {
    const fields = [
      { key: 'ip', label: 'IP', type: 'ip' as const },
      { key: 'axes', label: 'Axes', type: 'integer' as const, required: true },
      { key: 'installed', label: 'Installed', type: 'date' as const },
      { key: 'dnc', label: 'DNC', type: 'boolean' as const },
    ];
    expect(validateCustomData(fields, { ip: '10.7.12.12', axes: 5, installed: '2024-02-29', dnc: true })).toEqual({
      ip: '10.7.12.12',
      axes: 5,
      installed: '2024-02-29',
      dnc: true,
    });
    expect(() => validateCustomData(fields, { ip: '10.7.12.300', axes: 5.5, installed: '2024-13-01', dnc: 'yes' })).toThrow(
      ValidationError,
    );
    try {
      validateCustomData(fields, {});
    } catch (error) {
      expect((error as ValidationError).fields).toEqual({ 'customData.axes': 'is required' });
    }
  });
});

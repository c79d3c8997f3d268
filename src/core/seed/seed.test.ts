import type { Knex } from 'knex';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { installTestPlugins } from '../../../test/support/plugins.js';
import { createSite, describeEachEngine, type TestSite } from '../../../test/support/site.js';
import { cliActor } from '../audit/log.js';
import { listAssets } from '../inventory/assets.js';
import { listLinks } from '../inventory/links.js';
import { migrateSite } from '../migrations/site.js';
import { CORE_ASSET_TYPES, CORE_STATUS_LABELS, seedSite } from './index.js';

const actor = cliActor('tester');
const TABLES = ['roles', 'status_labels', 'asset_types', 'locations', 'manufacturers', 'asset_models', 'assets', 'asset_links'];

async function rowCounts(db: Knex): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) counts[table] = Number(((await db(table).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
  return counts;
}

describeEachEngine('seedSite', (engine) => {
  let site: TestSite;
  let db: Knex;
  beforeEach(async () => {
    site = await createSite(engine);
    await migrateSite({ config: site.config() });
    db = await site.open();
  });
  afterEach(async () => {
    await db.destroy();
    await site.cleanup();
  });

  it('adds the reference data once: a second run changes nothing', async () => {
    const first = await seedSite(db, { demo: false, actor });
    const afterFirst = await rowCounts(db);
    const second = await seedSite(db, { demo: false, actor });

    expect(first.roles).toEqual({ created: 3, existing: 0 });
    expect(first.statusLabels.created).toBe(CORE_STATUS_LABELS.length);
    expect(first.assetTypes.created).toBe(CORE_ASSET_TYPES.length);
    expect(second).toMatchObject({
      roles: { created: 0, existing: 3 },
      statusLabels: { created: 0 },
      assetTypes: { created: 0 },
      demo: null,
    });
    expect(await rowCounts(db)).toEqual(afterFirst);
    expect(afterFirst.assets).toBe(0);
  });

  it("keeps a site's own edits to reference rows", async () => {
    await seedSite(db, { demo: false, actor });
    await db('status_labels').where({ name: 'Spare' }).update({ color: '#123456' });

    await seedSite(db, { demo: false, actor });

    expect((await db('status_labels').where({ name: 'Spare' }).first('color')).color).toBe('#123456');
  });

  it('adds a demo site whose PCs control their machines, and adds it only once', async () => {
    await installTestPlugins(db, ['equipment', 'computers', 'printers']);
    const first = await seedSite(db, { demo: true, actor });
    const afterFirst = await rowCounts(db);
    const second = await seedSite(db, { demo: true, actor });

    expect(first.demo!.created).toBeGreaterThan(10);
    expect(first.plugins).toEqual(['equipment', 'computers', 'printers']);
    expect(second.demo).toEqual({ created: 0, existing: first.demo!.created });
    expect(await rowCounts(db)).toEqual(afterFirst);
    const machines = await listAssets(db, { limit: 50, offset: 0, type: 'equipment' });
    expect(machines.results.map((a) => a.assetTag)).toEqual(expect.arrayContaining(['CNC-4012', 'CNC-4013', 'CNC-4020']));
    const cnc = machines.results.find((a) => a.assetTag === 'CNC-4012')!;
    expect(cnc.model?.manufacturer.name).toBe('DMG MORI');
    expect(await listLinks(db, cnc.id)).toEqual([
      expect.objectContaining({ linkType: 'controls', direction: 'incoming', other: expect.objectContaining({ assetTag: 'PC-4012' }) }),
    ]);
    const buildingOne = (await db('locations').where({ code: 'P7-B1' }).first('id')).id;
    const inBuildingOne = await listAssets(db, { limit: 50, offset: 0, locationId: Number(buildingOne) });
    expect(inBuildingOne.results.every((a) => a.location?.code.startsWith('P7-B1'))).toBe(true);
    expect(inBuildingOne.count).toBe(7);
  });

  it('refuses to seed a database that is not migrated, and says to migrate', async () => {
    const fresh = await createSite(engine);
    const freshDb = await fresh.open();
    try {
      await expect(seedSite(freshDb, { demo: false, actor })).rejects.toMatchObject({ suggestion: 'Run `shopdb migrate` first.' });
    } finally {
      await freshDb.destroy();
      await fresh.cleanup();
    }
  });
});

// Database suite (SQLite and MySQL): an asset's history for every role. GET /api/assets/:id/history
// answers the audit entries of that asset — the asset, its plugin detail row, its plugin records —
// and of no other; the full audit log stays admin-only; entries older than the asset_id column are
// filled in by its migration.

import { expect, it } from 'vitest';
import { expectError } from '../../../../test/support/api.js';
import { useMigratedSite } from '../../../../test/support/migrated-site.js';
import { describeEachEngine } from '../../../../test/support/site.js';
import { migrateLatest, migrateRollback } from '../../../core/migrations/service.js';
import { coreMigrationSource, knexMigratorConfig } from '../../../core/migrations/sources.js';

interface Entry {
  action: string;
  objectType: string;
  objectId: string | null;
  username: string | null;
}

describeEachEngine('asset history', (engine) => {
  const s = useMigratedSite(engine, { seed: 'base', plugins: ['equipment'], users: { viewer: true, editor: true }, app: true });
  let tagCounter = 0;

  const inject = (method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, headers: Record<string, string>, payload?: object) =>
    s.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

  async function newMachine(): Promise<number> {
    const assetTag = `H-CNC-${String(++tagCounter).padStart(3, '0')}`;
    const created = await inject('POST', '/api/assets', s.as.editor, {
      assetTag,
      name: `Mill ${assetTag}`,
      type: 'equipment',
      statusId: s.inService,
    });
    expect(created.statusCode, created.body).toBe(201);
    return created.json<{ id: number }>().id;
  }

  const history = async (id: number, headers = s.as.viewer) => {
    const response = await inject('GET', `/api/assets/${id}/history`, headers);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ count: number; results: Entry[] }>();
  };

  it('shows a viewer the entries of the asset, its details and its records, newest first, and none of another asset', async () => {
    const mill = await newMachine();
    const lathe = await newMachine();
    expect((await inject('PATCH', `/api/assets/${mill}`, s.as.editor, { name: 'Mill, bay 3' })).statusCode).toBe(200);
    expect((await inject('PUT', `/api/plugins/equipment/machines/${mill}`, s.as.editor, { criticality: 'high' })).statusCode).toBe(200);
    const work = await inject('POST', `/api/plugins/equipment/machines/${mill}/maintenance`, s.as.editor, {
      type: 'calibration',
      startedAt: '2026-11-30T08:00:00.000Z',
    });
    expect(work.statusCode, work.body).toBe(201);
    expect((await inject('PATCH', `/api/assets/${lathe}`, s.as.editor, { name: 'Lathe, bay 4' })).statusCode).toBe(200);

    const mine = await history(mill);

    const seen = mine.results.map((entry) => `${entry.action} ${entry.objectType}`);
    expect(seen).toEqual([
      'create equipment.maintenance',
      'update equipment.machine',
      'update asset',
      'create equipment.machine',
      'create asset',
    ]);
    expect(mine.count).toBe(mine.results.length);
    expect(mine.results.every((entry) => entry.objectType !== 'asset' || entry.objectId === String(mill))).toBe(true);
    expect(JSON.stringify(mine.results)).not.toContain('Lathe, bay 4');
    expect((await history(lathe)).results.map((entry) => entry.action)).toContain('update');
    // Editors read it too; the whole audit log stays closed to both.
    expect((await history(mill, s.as.editor)).count).toBe(mine.count);
    expectError(await inject('GET', '/api/audit', s.as.viewer), 403, 'FORBIDDEN');
    expectError(await inject('GET', `/api/audit?object_type=asset&object_id=${lathe}`, s.as.editor), 403, 'FORBIDDEN');
  });

  it('pages like every list and answers 404 for an asset that does not exist', async () => {
    const mill = await newMachine();
    for (const name of ['one', 'two', 'three'])
      expect((await inject('PATCH', `/api/assets/${mill}`, s.as.editor, { name })).statusCode).toBe(200);

    const first = await inject('GET', `/api/assets/${mill}/history?limit=2`, s.as.viewer);

    expect(first.json()).toMatchObject({ next: `/api/assets/${mill}/history?limit=2&offset=2`, previous: null });
    expect(first.json<{ results: Entry[] }>().results).toHaveLength(2);
    expectError(await inject('GET', '/api/assets/2147483000/history', s.as.viewer), 404, 'NOT_FOUND');
    expectError(await s.app.inject({ method: 'GET', url: `/api/assets/${mill}/history` }), 401);
  });

  it('fills in the asset of entries written before the column existed', async () => {
    const mill = await newMachine();
    const work = await inject('POST', `/api/plugins/equipment/machines/${mill}/maintenance`, s.as.editor, {
      type: 'preventive',
      startedAt: '2026-12-01T08:00:00.000Z',
    });
    expect(work.statusCode, work.body).toBe(201);
    const before = (await history(mill)).results.map((entry) => `${entry.action} ${entry.objectType}`);
    const core = coreMigrationSource();

    // The newest core migration is the one that adds the column: without it, the entries have no asset.
    const [applied] = (await s.db.migrate.list(knexMigratorConfig(core))) as [Array<{ name: string }>, unknown];
    expect(applied.at(-1)?.name).toMatch(/audit-asset-id/);
    await migrateRollback(s.db, core, { step: 1 });
    expect(Object.keys(await s.db('audit_log').columnInfo())).not.toContain('asset_id');
    await migrateLatest(s.db, [core]);

    expect((await history(mill)).results.map((entry) => `${entry.action} ${entry.objectType}`)).toEqual(before);
  });
});

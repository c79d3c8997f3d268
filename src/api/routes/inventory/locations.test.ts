// Database suite (SQLite and MySQL): DELETE /api/locations/:id refuses a location that still holds
// something, and says what — by plugin for assets a disabled plugin hides from every list.

import { expect, it } from 'vitest';
import { expectError } from '../../../../test/support/api.js';
import { useMigratedSite } from '../../../../test/support/migrated-site.js';
import { describeEachEngine } from '../../../../test/support/site.js';
import { listAudit } from '../../../core/audit/log.js';

describeEachEngine('location delete', (engine) => {
  const s = useMigratedSite(engine, { seed: 'base', plugins: ['computers'], users: { editor: true }, app: true });
  let counter = 0;
  const send = (method: 'POST' | 'DELETE', url: string, payload?: object) =>
    s.app.inject({ method, url, headers: s.as.editor, ...(payload === undefined ? {} : { payload }) });
  const newLocation = async (parentId: number | null = null): Promise<{ id: number; code: string }> => {
    const response = await send('POST', '/api/locations', { parentId, kind: 'area', code: `T-LOC-${engine}-${++counter}`, name: 'Area' });
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  };
  const newAsset = async (locationId: number, type: string): Promise<number> => {
    const response = await send('POST', '/api/assets', {
      assetTag: `T-LOC-A-${engine}-${++counter}`,
      name: 'Asset',
      type,
      statusId: s.inService,
      locationId,
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ id: number }>().id;
  };

  it('names the assets of a disabled plugin, the visible ones, sub-locations and deleted assets', async () => {
    const bay = await newLocation();
    await newLocation(bay.id);
    await newAsset(bay.id, 'other');
    for (let i = 0; i < 3; i++) await newAsset(bay.id, 'computer');
    const gone = await newAsset(bay.id, 'other');
    expect((await send('DELETE', `/api/assets/${gone}`)).statusCode).toBe(204);

    const enabled = expectError(await send('DELETE', `/api/locations/${bay.id}`), 409, 'CONFLICT');
    await s.setPluginEnabled('computers', false);
    let disabled;
    try {
      disabled = expectError(await send('DELETE', `/api/locations/${bay.id}`), 409, 'CONFLICT');
    } finally {
      await s.setPluginEnabled('computers', true);
    }

    expect(enabled.message).toBe(
      `Location ${bay.code} still holds 1 sub-location, 4 assets and 1 deleted asset (kept for their history); move or delete them first`,
    );
    expect(disabled.message).toBe(
      `Location ${bay.code} still holds 1 sub-location, 1 asset, 3 assets of the disabled plugin computers and 1 deleted asset (kept for their history); move or delete them first`,
    );
    expect(await s.db('locations').where({ id: bay.id }).first('id')).toBeDefined();
  });

  it('deletes an empty location, audited', async () => {
    const empty = await newLocation();

    expect((await send('DELETE', `/api/locations/${empty.id}`)).statusCode).toBe(204);
    expect(await s.db('locations').where({ id: empty.id }).first('id')).toBeUndefined();
    const audit = await listAudit(s.db, { objectType: 'location', objectId: String(empty.id), limit: 5, offset: 0 });
    expect(audit.results.map((entry) => entry.action)).toEqual(['delete', 'create']);
  });
});

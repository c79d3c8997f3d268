// Database suite (SQLite and MySQL): one rule for unique text on both engines (ADR-013). Asset
// tags, location codes, usernames, the names of makers, models and status labels, and the unique
// names of the plugins (machine numbers, port and interface names, software titles, media labels,
// consumable colours) clash when they are the same ignoring case, accents and trailing spaces —
// through the API, with the same answer on each engine — and lookups find them in any case.

import type { Knex } from 'knex';
import { describe, expect, it } from 'vitest';
import { login, makeUser } from './support/api.js';
import { useMigratedSite } from './support/migrated-site.js';
import { createSite, describeEachEngine } from './support/site.js';
import { textKey } from '../src/core/db/text-keys.js';
import { findUserRow } from '../src/core/users/rows.js';
import { migrateLatest } from '../src/core/migrations/service.js';
import { coreMigrationSource, knexMigratorConfig } from '../src/core/migrations/sources.js';

describe('textKey', () => {
  it.each([
    ['CNC-5001', 'cnc-5001'],
    ['Café', 'cafe'],
    ['ÉCOLE', 'ecole'],
    ['Straße', 'strasse'],
    ['ﬁxture', 'fixture'],
    ['Øresund', 'øresund'],
    ['Line 3   ', 'line 3'],
    ['航空機部品', '航空機部品'],
  ])('folds %j to %j', (text, key) => {
    expect(textKey(text)).toBe(key);
  });

  it('keeps leading spaces and inner differences, and stays within the key column', () => {
    expect(textKey(' A')).not.toBe(textKey('A'));
    expect(textKey('A-1')).not.toBe(textKey('A1'));
    const long = textKey('ﬃ'.repeat(191));
    expect(long.length).toBeLessThanOrEqual(255);
    expect(long).not.toBe(textKey(`${'ﬃ'.repeat(190)}x`));
  });
});

describeEachEngine('one unique-text rule', (engine) => {
  const s = useMigratedSite(engine, {
    plugins: ['equipment', 'computers', 'network', 'printers', 'software'],
    users: { admin: true },
    app: true,
  });
  const post = (url: string, payload: Record<string, unknown>) => s.app.inject({ method: 'POST', url, headers: s.as.admin, payload });

  /** Creates the first, then expects the second to be refused as the same. */
  async function expectClash(url: string, first: Record<string, unknown>, second: Record<string, unknown>): Promise<void> {
    const a = await post(url, first);
    expect(a.statusCode, a.body).toBe(201);
    const b = await post(url, second);
    expect(b.statusCode, `${JSON.stringify(second)} beside ${JSON.stringify(first)}: ${b.body}`).toBe(409);
  }

  let statusId: number;
  let typeKey: string;
  it('refuses a status label, a maker and a model that differ only in case or accents', async () => {
    await expectClash(
      '/api/status-labels',
      { name: 'In Service', color: '#00aa00', kind: 'deployable' },
      { name: 'IN SERVICE ', color: '#00aa00', kind: 'deployable' },
    );
    statusId = (await s.db('status_labels').first('id')).id;
    await expectClash('/api/manufacturers', { name: 'Société Générale d’Usinage' }, { name: 'SOCIETE GENERALE D’USINAGE' });
    const maker = (await s.db('manufacturers').first('id')).id;
    await expectClash('/api/models', { manufacturerId: maker, name: 'Mill-Ø5' }, { manufacturerId: maker, name: 'mill-ø5' });
    // The same model name under another maker is another model.
    const other = await post('/api/manufacturers', { name: 'Hermle' });
    expect((await post('/api/models', { manufacturerId: other.json<{ id: number }>().id, name: 'MILL-Ø5' })).statusCode).toBe(201);
    const type = await post('/api/asset-types', { key: 'fixture', label: 'Fixture' });
    expect(type.statusCode).toBe(201);
    typeKey = 'fixture';
  });

  it('refuses an asset tag and a location code that differ only in case, and finds them in any case', async () => {
    await expectClash(
      '/api/assets',
      { assetTag: 'CNC-5001', name: 'DMU 65', type: typeKey, statusId },
      { assetTag: 'cnc-5001', name: 'other', type: typeKey, statusId },
    );
    await expectClash(
      '/api/locations',
      { kind: 'cell', code: 'B7-CELL-1', name: 'Cell 1' },
      { kind: 'cell', code: 'b7-cell-1', name: 'Cell one' },
    );
    // A rename onto another's tag in another case is refused too.
    const second = await post('/api/assets', { assetTag: 'CNC-5002', name: 'DMU 50', type: typeKey, statusId });
    const renamed = await s.app.inject({
      method: 'PATCH',
      url: `/api/assets/${second.json<{ id: number }>().id}`,
      headers: s.as.admin,
      payload: { assetTag: 'Cnc-5001' },
    });
    expect(renamed.statusCode, renamed.body).toBe(409);
    // Renaming an asset to another case of its own tag is allowed, and the key follows.
    const own = await s.app.inject({
      method: 'PATCH',
      url: `/api/assets/${second.json<{ id: number }>().id}`,
      headers: s.as.admin,
      payload: { assetTag: 'cnc-5002' },
    });
    expect(own.statusCode, own.body).toBe(200);
    expect(await s.db('assets').where({ asset_tag_key: 'cnc-5002' }).select('asset_tag')).toEqual([{ asset_tag: 'cnc-5002' }]);
  });

  it('has one account per username whatever its case, at login and in lookups', async () => {
    const user = await makeUser(s.db, 'viewer', 'Alice.Martin');
    await expect(makeUser(s.db, 'viewer', 'alice.martin')).rejects.toThrow(/already exists/);
    expect((await findUserRow(s.db, 'ALICE.MARTIN'))?.id).toBe(user.id);
    expect((await login(s.app, 'aLiCe.mArTiN')).statusCode).toBe(200);
  });

  it("refuses the plugins' unique names that differ only in case or accents", async () => {
    const asset = async (type: string, tag: string) =>
      (await post('/api/assets', { assetTag: tag, name: tag, type, statusId })).json<{ id: number }>().id;
    const machineA = await asset('equipment', 'M-1');
    const machineB = await asset('equipment', 'M-2');
    expect(
      (
        await s.app.inject({
          method: 'PUT',
          url: `/api/plugins/equipment/machines/${machineA}`,
          headers: s.as.admin,
          payload: { machineNumber: 'MC-07' },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await s.app.inject({
          method: 'PUT',
          url: `/api/plugins/equipment/machines/${machineB}`,
          headers: s.as.admin,
          payload: { machineNumber: 'mc-07' },
        })
      ).statusCode,
    ).toBe(409);

    const pc = await asset('computer', 'PC-1');
    await expectClash(
      `/api/plugins/computers/hosts/${pc}/interfaces`,
      { name: 'Ethernet Wärme', mac: '02:00:00:00:00:01' },
      { name: 'ETHERNET WARME', mac: '02:00:00:00:00:02' },
    );

    const device = await asset('network-device', 'SW-1');
    await expectClash(`/api/plugins/network/devices/${device}/ports`, { name: 'Gi1/0/1' }, { name: 'gi1/0/1' });

    await expectClash('/api/plugins/software/titles', { name: 'NX CAM', version: '2312 Série' }, { name: 'nx cam', version: '2312 SERIE' });
    await expectClash('/api/plugins/software/media', { label: 'USB-A1', kind: 'usb' }, { label: 'usb-a1', kind: 'usb' });

    const printer = await asset('printer', 'PR-1');
    const put = (colour: string) =>
      s.app.inject({
        method: 'PUT',
        url: `/api/plugins/printers/printers/${printer}/consumables`,
        headers: s.as.admin,
        payload: { kind: 'toner', colour, levelPercent: 40 },
      });
    expect((await put('Cyan')).statusCode).toBe(201);
    // The same consumable, whatever the case: updated, not added.
    expect((await put('CYAN')).statusCode).toBe(200);
    expect(await s.db('printers_consumables').where({ asset_id: printer }).select('id')).toHaveLength(1);
  });
});

describeEachEngine('the unique-text migration over existing rows', (engine) => {
  it('refuses, naming the rows, when SQLite already holds two tags that the rule says are one; changes nothing; then goes on once renamed', async () => {
    if (engine === 'mysql') return; // MySQL's own collation never let such rows in.
    const site = await createSite(engine);
    const db: Knex = await site.open();
    try {
      const source = coreMigrationSource();
      await migrateLatest(db, [source]);
      // Back to before 20261202D, undoing whatever came after it too.
      for (;;) {
        const [completed] = (await db.migrate.list(knexMigratorConfig(source))) as [Array<{ name: string }>, unknown];
        if (!completed.some((migration) => migration.name.startsWith('20261202D'))) break;
        await db.migrate.down(knexMigratorConfig(source));
      }
      const type = (await db('asset_types').insert({ key: 'fixture', label: 'Fixture', fields: '[]' }))[0];
      const status = (await db('status_labels').insert({ name: 'In service', color: '#00aa00', kind: 'deployable' }))[0];
      await db('assets').insert([
        { uuid: 'u-1', asset_tag: 'CNC-5001', name: 'a', type_id: type, status_id: status },
        { uuid: 'u-2', asset_tag: 'cnc-5001', name: 'b', type_id: type, status_id: status },
      ]);

      const refused = await migrateLatest(db, [source]).catch((error: unknown) => error as Error & { details?: string[] });

      expect(refused).toBeInstanceOf(Error);
      expect(String((refused as { cause?: { details?: string[] } }).cause?.details ?? (refused as { details?: string[] }).details)).toMatch(
        /"CNC-5001" \(id \d+\) = "cnc-5001" \(id \d+\)/,
      );
      expect(await db.schema.hasColumn('assets', 'asset_tag_key')).toBe(false);

      await db('assets').where({ uuid: 'u-2' }).update({ asset_tag: 'CNC-5001-B' });
      await migrateLatest(db, [source]);
      expect(await db('assets').orderBy('uuid').pluck('asset_tag_key')).toEqual(['cnc-5001', 'cnc-5001-b']);
    } finally {
      await db.destroy();
      await site.cleanup();
    }
  });
});

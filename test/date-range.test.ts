// Database suite (SQLite and MySQL): dates across their whole range. The API accepts the instants
// both engines store exactly (1000-01-01 to 9999-12-31 UTC), answers anything outside with a 400
// naming the field — before anything is written — and says the range in the OpenAPI document; a
// row that holds an odd date from before never takes a whole list down.

import { expect, it } from 'vitest';
import { expectError } from './support/api.js';
import { useMigratedSite } from './support/migrated-site.js';
import { describeEachEngine } from './support/site.js';

describeEachEngine('dates across their whole range', (engine) => {
  const s = useMigratedSite(engine, { plugins: ['notifications', 'software', 'equipment'], users: { admin: true }, app: true });
  const notices = '/api/plugins/notifications/notices';
  const count = async (table: string) => Number(((await s.db(table).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);

  const notice = (fields: Record<string, unknown>) =>
    s.app.inject({
      method: 'POST',
      url: notices,
      headers: s.as.admin,
      payload: { title: 'Range', severity: 'info', targetKind: 'site', ...fields },
    });

  it.each([
    ['the first instant', '1000-01-01T00:00:00.000Z'],
    ['the last instant', '9999-12-31T23:59:59.999Z'],
    ['a date before 1970', '1969-07-20T20:17:40Z'],
    ['an offset that stays in range', '9999-12-31T20:00:00-03:00'],
  ])('accepts %s and reads it back as the same instant', async (_what, startsAt) => {
    const created = await notice({ startsAt });

    expect(created.statusCode, created.body).toBe(201);
    const read = await s.app.inject({ method: 'GET', url: `${notices}/${created.json<{ id: number }>().id}`, headers: s.as.admin });
    expect(read.json<{ startsAt: string }>().startsAt).toBe(new Date(startsAt).toISOString());
  });

  it.each([
    ['year 1', '0001-01-01T00:00:00Z'],
    ['the last millisecond before year 1000', '0999-12-31T23:59:59.999Z'],
    ['year 10000 reached through an offset', '9999-12-31T23:00:00-05:00'],
    ['a day that does not exist', '2026-02-30T00:00:00Z'],
    ['no zone', '2026-03-02T07:30:00'],
  ])('refuses %s with a 400 that names the field, and writes nothing', async (_what, startsAt) => {
    const before = await count('notifications_notices');

    const error = expectError(await notice({ startsAt }), 400, 'VALIDATION_FAILED');

    expect(error.fields).toEqual({ startsAt: expect.stringMatching(/from 1000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z/) });
    expect(await count('notifications_notices')).toBe(before);
  });

  it('holds dates (YYYY-MM-DD) to years 1000–9999 too, in plugin and custom fields', async () => {
    const title = await s.app.inject({
      method: 'POST',
      url: '/api/plugins/software/titles',
      headers: s.as.admin,
      payload: { name: 'Range CAD', version: '1' },
    });
    const licence = (expiresOn: string) =>
      s.app.inject({
        method: 'POST',
        url: '/api/plugins/software/licences',
        headers: s.as.admin,
        payload: { titleId: title.json<{ id: number }>().id, seats: 1, expiresOn },
      });
    expect((await licence('1000-01-01')).statusCode).toBe(201);
    expect(expectError(await licence('0999-12-31'), 400).fields).toEqual({
      expiresOn: expect.stringContaining('1000-01-01 to 9999-12-31'),
    });

    const type = await s.app.inject({
      method: 'POST',
      url: '/api/asset-types',
      headers: s.as.admin,
      payload: { key: 'gauge', label: 'Gauge', fields: [{ key: 'calibrated', label: 'Calibrated', type: 'date' }] },
    });
    expect(type.statusCode, type.body).toBe(201);
    const status = await s.app.inject({
      method: 'POST',
      url: '/api/status-labels',
      headers: s.as.admin,
      payload: { name: 'In service', color: '#00aa00', kind: 'deployable' },
    });
    const asset = (calibrated: string) =>
      s.app.inject({
        method: 'POST',
        url: '/api/assets',
        headers: s.as.admin,
        payload: {
          assetTag: `G-${calibrated}`,
          name: 'Gauge',
          type: 'gauge',
          statusId: status.json<{ id: number }>().id,
          customData: { calibrated },
        },
      });
    expect((await asset('2026-06-30')).statusCode).toBe(201);
    expect(expectError(await asset('0042-06-30'), 400).fields).toEqual({
      'customData.calibrated': expect.stringContaining('from 1000-01-01'),
    });
    expect(expectError(await asset('2026-02-30'), 400).fields).toHaveProperty(['customData.calibrated']);
  });

  it('says the range in the OpenAPI document, on every date-time and date', async () => {
    const document = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<unknown>();
    const nodes: Array<Record<string, unknown>> = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        const schema = node as Record<string, unknown>;
        if (schema.format === 'date-time' || schema.format === 'date') nodes.push(schema);
        Object.values(schema).forEach(walk);
      }
    };
    walk(document);

    expect(nodes.length).toBeGreaterThan(20);
    for (const node of nodes)
      expect(String(node.description)).toMatch(
        node.format === 'date' ? /From 1000-01-01 to 9999-12-31\./ : /From 1000-01-01T00:00:00Z to 9999-12-31T23:59:59\.999Z \(UTC\)\./,
      );
  });

  it('lists notices although one row holds a date written before the range was enforced', async () => {
    // What an older shopdb could store: SQLite kept the year unpadded, MariaDB kept year 1.
    const odd = engine === 'sqlite' ? '1-01-01 00:00:00.000' : '0001-01-01 00:00:00.000';
    await s
      .db('notifications_notices')
      .insert({ title: 'Old row', severity: 'critical', target_kind: 'site', starts_at: odd, dismissable: 1 });

    const list = await s.app.inject({ method: 'GET', url: `${notices}?limit=1000`, headers: s.as.admin });
    const active = await s.app.inject({
      method: 'GET',
      url: `/api/plugins/notifications/active?location=${await anyLocation()}`,
      headers: s.as.admin,
    });

    expect(list.statusCode, list.body).toBe(200);
    const old = list.json<{ results: Array<{ title: string; startsAt: string }> }>().results.find((n) => n.title === 'Old row');
    // mysql2 reads a DATETIME before year 100 as 20xx; SQLite's text reads back exactly.
    expect(old?.startsAt).toBe(engine === 'sqlite' ? '0001-01-01T00:00:00.000Z' : '2001-01-01T00:00:00.000Z');
    expect(active.statusCode, active.body).toBe(200);
  });

  async function anyLocation(): Promise<number> {
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/locations',
      headers: s.as.admin,
      payload: { kind: 'site', code: `S-${Date.now()}`, name: 'Site' },
    });
    return created.json<{ id: number }>().id;
  }
});

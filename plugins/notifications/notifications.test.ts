// Database suite (SQLite and MySQL): the notifications plugin — its tables' columns, the
// notice service (validation, targets, what is active where, dismissals, audit), its routes
// through the real app (roles, errors, the plugin gate) and its share of the demo site.

import type { Knex } from 'knex';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, createAsset, NotFoundError, ValidationError, type Actor } from 'shopdb/sdk';
import { expectError } from '../../test/support/api.js';
import { createLocation, listAudit, TEST_ACTOR as cli } from '../../test/support/core-access.js';
import { useMigratedSite } from '../../test/support/migrated-site.js';
import { listPluginTables } from '../../test/support/plugins.js';
import { describeEachEngine } from '../../test/support/site.js';
import { activeNotices, createNotice, deleteNotice, dismissNotice, listNotices, updateNotice, type NoticeInput } from './service.js';

const HOUR = 60 * 60 * 1000;

async function rowCount(db: Knex, table: string): Promise<number> {
  return Number(((await db(table).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
}

async function columnsOf(db: Knex, table: string): Promise<string[]> {
  return Object.keys(await db(table).columnInfo()).sort();
}

describeEachEngine('notifications plugin: service', (engine) => {
  const s = useMigratedSite(engine, { seed: 'base', plugins: ['notifications'], users: { editor: true, viewer: true } });
  let db: Knex;
  let editor: Actor;
  let other: Actor;
  let where: { plant: number; building: number; bay: number; otherBay: number; machine: number; farMachine: number };

  beforeAll(async () => {
    db = s.db;
    editor = { userId: s.user.editor.id, username: s.user.editor.username, requestId: 'req-1' };
    other = { userId: s.user.viewer.id, username: s.user.viewer.username, requestId: 'req-2' };

    const plant = await createLocation(db, cli, { kind: 'site', code: 'T1', name: 'Test plant' });
    const building = await createLocation(db, cli, { kind: 'building', code: 'T1-B1', name: 'Building', parentId: plant.id });
    const bay = await createLocation(db, cli, { kind: 'bay', code: 'T1-B1-BAY1', name: 'Bay 1', parentId: building.id });
    const otherBay = await createLocation(db, cli, { kind: 'bay', code: 'T1-B1-BAY2', name: 'Bay 2', parentId: building.id });
    const machine = await createAsset(db, cli, {
      assetTag: 'T-CNC-1',
      name: 'Mill',
      type: 'other',
      statusId: s.inService,
      locationId: bay.id,
    });
    const farMachine = await createAsset(db, cli, {
      assetTag: 'T-CNC-2',
      name: 'Lathe',
      type: 'other',
      statusId: s.inService,
      locationId: otherBay.id,
    });
    where = { plant: plant.id, building: building.id, bay: bay.id, otherBay: otherBay.id, machine: machine.id, farMachine: farMachine.id };
  });

  const notice = (title: string, extra: Partial<NoticeInput> = {}): NoticeInput => ({
    title,
    severity: 'info',
    targetKind: 'site',
    ...extra,
  });
  const fieldsOf = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).fields;
  };

  it('keeps notices and dismissals in these columns', async () => {
    expect(await listPluginTables(db, 'notifications')).toEqual(['notifications_dismissals', 'notifications_notices']);
    expect(await columnsOf(db, 'notifications_notices')).toEqual(
      [
        'id',
        'title',
        'body',
        'severity',
        'starts_at',
        'ends_at',
        'target_kind',
        'location_id',
        'asset_id',
        'dismissable',
        'created_by',
        'created_at',
        'updated_at',
      ].sort(),
    );
    expect(await columnsOf(db, 'notifications_dismissals')).toEqual(['dismissed_at', 'notice_id', 'user_id']);
  });

  it('creates a notice, reads it back the same on both engines, and audits it', async () => {
    const startsAt = new Date('2026-03-01T06:00:00.125Z');
    const created = await createNotice(
      db,
      editor,
      notice('Forklift route closed 🚧', {
        body: 'O\'Brien\'s "aisle"',
        severity: 'warning',
        startsAt,
        endsAt: '2026-03-02T18:00:00Z',
        targetKind: 'location',
        locationId: where.building,
        dismissable: false,
      }),
    );

    const [listed] = (await listNotices(db, { limit: 1, offset: 0 }, new Date('2026-03-01T12:00:00Z'))).results;
    const audit = await listAudit(db, { objectType: 'notifications.notice', objectId: String(created.id), limit: 5, offset: 0 });

    expect(created).toMatchObject({
      title: 'Forklift route closed 🚧',
      body: 'O\'Brien\'s "aisle"',
      severity: 'warning',
      startsAt,
      endsAt: new Date('2026-03-02T18:00:00Z'),
      targetKind: 'location',
      location: { id: where.building, code: 'T1-B1', name: 'Building' },
      asset: null,
      dismissable: false,
      createdBy: editor.userId,
    });
    expect(listed).toMatchObject({ id: created.id, status: 'active', startsAt });
    expect(audit.results).toEqual([
      expect.objectContaining({
        action: 'create',
        userId: editor.userId,
        requestId: 'req-1',
        after: expect.objectContaining({ title: 'Forklift route closed 🚧' }),
      }),
    ]);
    await deleteNotice(db, editor, created.id);
  });

  it('refuses an end before the start and targets that do not match the kind, naming the field', async () => {
    const backwards = await fieldsOf(
      createNotice(db, editor, notice('x', { startsAt: '2026-03-02T00:00:00Z', endsAt: '2026-03-01T00:00:00Z' })),
    );
    const sameTime = await fieldsOf(
      createNotice(db, editor, notice('x', { startsAt: '2026-03-02T00:00:00Z', endsAt: '2026-03-02T00:00:00Z' })),
    );
    const siteWithLocation = await fieldsOf(createNotice(db, editor, notice('x', { locationId: where.bay })));
    const locationWithout = await fieldsOf(createNotice(db, editor, notice('x', { targetKind: 'location' })));
    const locationWithAsset = await fieldsOf(
      createNotice(db, editor, notice('x', { targetKind: 'location', locationId: where.bay, assetId: where.machine })),
    );
    const assetWithout = await fieldsOf(createNotice(db, editor, notice('x', { targetKind: 'asset' })));
    const missingLocation = await fieldsOf(createNotice(db, editor, notice('x', { targetKind: 'location', locationId: 999_999 })));
    const missingAsset = await fieldsOf(createNotice(db, editor, notice('x', { targetKind: 'asset', assetId: 999_999 })));

    expect(backwards).toEqual({ endsAt: 'must be after startsAt' });
    expect(sameTime).toEqual({ endsAt: 'must be after startsAt' });
    expect(siteWithLocation).toEqual({ locationId: 'must be empty when targetKind is site' });
    expect(locationWithout).toEqual({ locationId: 'is required when targetKind is location' });
    expect(locationWithAsset).toEqual({ assetId: 'must be empty when targetKind is location' });
    expect(assetWithout).toEqual({ assetId: 'is required when targetKind is asset' });
    expect(missingLocation).toEqual({ locationId: 'no location with id 999999' });
    expect(missingAsset).toEqual({ assetId: 'no asset with id 999999' });
    expect(await rowCount(db, 'notifications_notices')).toBe(0);
  });

  it('patches only what is given, drops the old target when the kind changes, and re-checks the dates', async () => {
    const created = await createNotice(
      db,
      editor,
      notice('Bay 1 crane inspection', { targetKind: 'location', locationId: where.bay, startsAt: '2026-03-01T00:00:00Z' }),
    );

    const renamed = await updateNotice(db, editor, created.id, { title: 'Bay 1 crane inspection (moved)' });
    const siteWide = await updateNotice(db, editor, created.id, { targetKind: 'site' });
    const badEnd = await fieldsOf(updateNotice(db, editor, created.id, { endsAt: '2026-02-01T00:00:00Z' }));
    const audit = await listAudit(db, { objectType: 'notifications.notice', objectId: String(created.id), limit: 5, offset: 0 });

    expect(renamed).toMatchObject({ title: 'Bay 1 crane inspection (moved)', targetKind: 'location', location: { id: where.bay } });
    expect(siteWide).toMatchObject({ title: 'Bay 1 crane inspection (moved)', targetKind: 'site', location: null, asset: null });
    expect(badEnd).toEqual({ endsAt: 'must be after startsAt' });
    expect(audit.results[0]).toMatchObject({
      action: 'update',
      before: expect.objectContaining({ targetKind: 'location' }),
      after: expect.objectContaining({ targetKind: 'site' }),
    });
    await deleteNotice(db, editor, created.id);
    await expect(deleteNotice(db, editor, created.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  describe('what is active where', () => {
    const now = new Date('2026-06-10T12:00:00Z');
    const at = (hoursFromNow: number) => new Date(now.getTime() + hoursFromNow * HOUR);
    const ids: Record<string, number> = {};

    beforeAll(async () => {
      await db('notifications_notices').delete();
      const make = async (key: string, input: Partial<NoticeInput>) => {
        ids[key] = (await createNotice(db, editor, notice(key, { startsAt: at(-10), ...input }))).id;
      };
      await make('site', { startsAt: at(-50) });
      await make('plant', { targetKind: 'location', locationId: where.plant, startsAt: at(-40) });
      await make('buildingCritical', { targetKind: 'location', locationId: where.building, severity: 'critical', startsAt: at(-30) });
      await make('bay', { targetKind: 'location', locationId: where.bay, severity: 'warning', startsAt: at(-2) });
      await make('otherBay', { targetKind: 'location', locationId: where.otherBay });
      await make('machine', { targetKind: 'asset', assetId: where.machine, startsAt: at(-5) });
      await make('farMachine', { targetKind: 'asset', assetId: where.farMachine, startsAt: at(-12) });
      await make('expired', { targetKind: 'location', locationId: where.bay, startsAt: at(-20), endsAt: at(-1) });
      await make('endsNow', { targetKind: 'location', locationId: where.bay, endsAt: now });
      await make('scheduled', { targetKind: 'location', locationId: where.bay, startsAt: at(1) });
      await make('openEnded', { targetKind: 'location', locationId: where.bay, severity: 'critical', startsAt: at(-60), endsAt: null });
    });
    const titles = (notices: Array<{ title: string }>) => notices.map((n) => n.title);

    it('shows a bay what targets the site, the bay and every location above it, and the assets kept there: critical first, then newest', async () => {
      const bay = await activeNotices(db, { locationId: where.bay }, null, now);

      expect(titles(bay)).toEqual(['buildingCritical', 'openEnded', 'bay', 'machine', 'plant', 'site']);
      expect(bay.every((n) => n.status === 'active')).toBe(true);
    });

    it('does not show a location what targets the locations below it or the assets in them', async () => {
      expect(titles(await activeNotices(db, { locationId: where.building }, null, now))).toEqual(['buildingCritical', 'plant', 'site']);
      expect(titles(await activeNotices(db, { locationId: where.otherBay }, null, now))).toEqual([
        'buildingCritical',
        'otherBay',
        'farMachine',
        'plant',
        'site',
      ]);
    });

    it('shows an asset the site, its location chain and its own notices', async () => {
      expect(titles(await activeNotices(db, { assetId: where.machine }, null, now))).toEqual([
        'buildingCritical',
        'openEnded',
        'bay',
        'machine',
        'plant',
        'site',
      ]);
      expect(titles(await activeNotices(db, { assetId: where.farMachine }, null, now))).toEqual([
        'buildingCritical',
        'otherBay',
        'farMachine',
        'plant',
        'site',
      ]);
    });

    it('answers 404 for a location or asset that is not there', async () => {
      await expect(activeNotices(db, { locationId: 999_999 }, null, now)).rejects.toBeInstanceOf(NotFoundError);
      await expect(activeNotices(db, { assetId: 999_999 }, null, now)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('filters the list by active now and severity', async () => {
      const active = await listNotices(db, { limit: 100, offset: 0, active: true }, now);
      const inactive = await listNotices(db, { limit: 100, offset: 0, active: false }, now);
      const critical = await listNotices(db, { limit: 100, offset: 0, severity: 'critical' }, now);

      expect(titles(active.results).sort()).toEqual([
        'bay',
        'buildingCritical',
        'farMachine',
        'machine',
        'openEnded',
        'otherBay',
        'plant',
        'site',
      ]);
      expect(active.count).toBe(8);
      expect(inactive.results.map((n) => [n.title, n.status])).toEqual([
        ['scheduled', 'scheduled'],
        ['endsNow', 'expired'],
        ['expired', 'expired'],
      ]);
      expect(titles(critical.results)).toEqual(['buildingCritical', 'openEnded']);
    });

    it('hides a dismissed notice from that user only, once; refuses a notice that is not dismissable', async () => {
      const first = await dismissNotice(db, editor, ids.bay!);
      const again = await dismissNotice(db, editor, ids.bay!);
      await db('notifications_notices').where({ id: ids.buildingCritical }).update({ dismissable: false });
      const refused = await dismissNotice(db, editor, ids.buildingCritical!).catch((e: unknown) => e);

      expect(again.dismissedAt).toEqual(first.dismissedAt);
      expect(titles(await activeNotices(db, { locationId: where.bay }, editor.userId, now))).toEqual([
        'buildingCritical',
        'openEnded',
        'machine',
        'plant',
        'site',
      ]);
      expect(titles(await activeNotices(db, { locationId: where.bay }, other.userId, now))).toContain('bay');
      expect(refused).toBeInstanceOf(ConflictError);
      expect(await rowCount(db, 'notifications_dismissals')).toBe(1);
      const audit = await listAudit(db, { objectType: 'notifications.notice', objectId: String(ids.bay), limit: 5, offset: 0 });
      expect(audit.results.filter((e) => e.action === 'dismiss')).toHaveLength(1);
    });

    it('loses a notice when its location or asset row is deleted (ON DELETE CASCADE)', async () => {
      const scratch = await createLocation(db, cli, { kind: 'cell', code: 'T1-SCRATCH', name: 'Scratch', parentId: where.bay });
      const doomed = await createNotice(db, editor, notice('doomed', { targetKind: 'location', locationId: scratch.id }));
      await dismissNotice(db, other, doomed.id);

      await db('locations').where({ id: scratch.id }).delete();

      expect(await db('notifications_notices').where({ id: doomed.id }).first()).toBeUndefined();
      expect(await db('notifications_dismissals').where({ notice_id: doomed.id }).first()).toBeUndefined();
    });
  });
});

describeEachEngine('notifications plugin: API', (engine) => {
  const s = useMigratedSite(engine, { seed: 'demo', plugins: ['notifications'], users: { viewer: true, editor: true }, app: true });
  let bay1: number;
  const base = '/api/plugins/notifications';

  beforeAll(async () => {
    bay1 = Number((await s.db('locations').where({ code: 'P7-B1-BAY1' }).first('id')).id);
  });

  const post = (url: string, payload?: object, headers = s.as.editor) =>
    s.app.inject({ method: 'POST', url: `${base}${url}`, headers, ...(payload ? { payload } : {}) });
  const get = (url: string, headers = s.as.viewer) => s.app.inject({ method: 'GET', url: `${base}${url}`, headers });
  const hourAgo = () => new Date(Date.now() - HOUR).toISOString();

  it('lets an editor create, read, patch and delete a notice, auditing with the request id', async () => {
    const created = await s.app.inject({
      method: 'POST',
      url: `${base}/notices`,
      headers: { ...s.as.editor, 'x-request-id': 'req-notice-1' },
      payload: { title: 'Bay 1 floor cleaning', severity: 'info', targetKind: 'location', locationId: bay1, startsAt: hourAgo() },
    });
    expect(created.statusCode, created.body).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({
      title: 'Bay 1 floor cleaning',
      status: 'active',
      dismissable: true,
      createdBy: s.user.editor.id,
      location: { id: bay1, code: 'P7-B1-BAY1' },
      endsAt: null,
    });

    const read = await get(`/notices/${body.id}`);
    const patched = await s.app.inject({
      method: 'PATCH',
      url: `${base}/notices/${body.id}`,
      headers: s.as.editor,
      payload: { severity: 'warning', endsAt: new Date(Date.now() + HOUR).toISOString() },
    });
    const listed = await get('/notices?active=true&severity=warning');
    const deleted = await s.app.inject({ method: 'DELETE', url: `${base}/notices/${body.id}`, headers: s.as.editor });

    expect(read.json()).toEqual(body);
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ severity: 'warning', title: 'Bay 1 floor cleaning' });
    expect(Object.keys(listed.json())).toEqual(['count', 'next', 'previous', 'results']);
    expect(listed.json().results.map((n: { id: number }) => n.id)).toEqual([body.id]);
    expect(deleted.statusCode).toBe(204);
    expectError(await get(`/notices/${body.id}`), 404, 'NOT_FOUND');
    const audit = await listAudit(s.db, { objectType: 'notifications.notice', objectId: String(body.id), limit: 5, offset: 0 });
    expect(audit.results.map((e) => e.action)).toEqual(['delete', 'update', 'create']);
    expect(audit.results[2]).toMatchObject({ userId: s.user.editor.id, requestId: 'req-notice-1' });
  });

  it('answers 401 without a login and 403 to a viewer who writes', async () => {
    const payload = { title: 'x', severity: 'info', targetKind: 'site' };
    expectError(await s.app.inject({ method: 'GET', url: `${base}/notices` }), 401);
    expectError(await s.app.inject({ method: 'GET', url: `${base}/active?location=${bay1}` }), 401);
    expectError(await post('/notices', payload, s.as.viewer), 403);
    expect((await get('/notices')).statusCode).toBe(200);
  });

  it('answers bad input with 400 naming the field', async () => {
    const backwards = expectError(
      await post('/notices', {
        title: 'x',
        severity: 'info',
        targetKind: 'site',
        startsAt: '2026-05-02T00:00:00Z',
        endsAt: '2026-05-01T00:00:00Z',
      }),
      400,
      'VALIDATION_FAILED',
    );
    const inconsistent = expectError(
      await post('/notices', { title: 'x', severity: 'info', targetKind: 'asset', locationId: bay1 }),
      400,
      'VALIDATION_FAILED',
    );
    const unknown = expectError(await post('/notices', { title: 'x', severity: 'info', targetKind: 'site', colour: 'red' }), 400);
    const badSeverity = expectError(await post('/notices', { title: 'x', severity: 'urgent', targetKind: 'site' }), 400);
    const neither = expectError(await get('/active'), 400);
    const both = expectError(await get(`/active?location=${bay1}&asset=1`), 400);

    expect(backwards.fields).toEqual({ endsAt: 'must be after startsAt' });
    expect(inconsistent.fields).toEqual({
      locationId: 'must be empty when targetKind is asset',
      assetId: 'is required when targetKind is asset',
    });
    expect(Object.keys(unknown.fields)).toEqual(['colour']);
    expect(Object.keys(badSeverity.fields)).toEqual(['severity']);
    expect(Object.keys(neither.fields).sort()).toEqual(['asset', 'location']);
    expect(both.message).toContain('not both');
    expectError(await get('/active?location=999999'), 404);
  });

  it('shows a screen the notices active for its location, and lets a user dismiss one for themselves (409 if not dismissable)', async () => {
    const b1 = Number((await s.db('locations').where({ code: 'P7-B1' }).first('id')).id);
    const onBuilding = (
      await post('/notices', {
        title: 'Building 1: hearing protection',
        severity: 'warning',
        targetKind: 'location',
        locationId: b1,
        startsAt: hourAgo(),
      })
    ).json();
    const pinned = (
      await post('/notices', {
        title: 'Bay 1: gas leak drill',
        severity: 'critical',
        targetKind: 'location',
        locationId: bay1,
        startsAt: hourAgo(),
        dismissable: false,
      })
    ).json();

    const before = await get(`/active?location=${bay1}`, s.as.editor);
    const dismissed = await post(`/notices/${onBuilding.id}/dismiss`);
    const after = await get(`/active?location=${bay1}`, s.as.editor);
    const forViewer = await get(`/active?location=${bay1}`, s.as.viewer);
    const refused = await post(`/notices/${pinned.id}/dismiss`);

    expect(before.statusCode, before.body).toBe(200);
    const ids = (response: typeof before) => response.json().results.map((n: { id: number }) => n.id) as number[];
    expect(ids(before)).toEqual(expect.arrayContaining([onBuilding.id, pinned.id]));
    expect(before.json().results[0].severity).toBe('critical');
    expect(dismissed.statusCode, dismissed.body).toBe(200);
    expect(dismissed.json()).toMatchObject({ noticeId: onBuilding.id, userId: s.user.editor.id });
    expect(ids(after)).not.toContain(onBuilding.id);
    expect(ids(forViewer)).toContain(onBuilding.id);
    expectError(refused, 409, 'CONFLICT');
    expectError(await post('/notices/999999/dismiss'), 404);
  });

  it('documents its routes in the OpenAPI document', async () => {
    const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{ paths: Record<string, unknown> }>();

    expect(
      Object.keys(doc.paths)
        .filter((p) => p.startsWith(base))
        .sort(),
    ).toEqual([`${base}/active`, `${base}/notices`, `${base}/notices/{id}`, `${base}/notices/{id}/dismiss`]);
  });

  it('lets a viewer dismiss a notice for themselves, but not write notices', async () => {
    const notice = (
      await post('/notices', { title: 'Forklift training', severity: 'info', targetKind: 'site', dismissable: true })
    ).json() as { id: number };

    const dismissed = await post(`/notices/${notice.id}/dismiss`, undefined, s.as.viewer);
    const anonymous = await s.app.inject({ method: 'POST', url: `${base}/notices/${notice.id}/dismiss` });

    expect(dismissed.statusCode, dismissed.body).toBe(200);
    expectError(anonymous, 401);
    expectError(
      await s.app.inject({ method: 'PATCH', url: `${base}/notices/${notice.id}`, headers: s.as.viewer, payload: { title: 'x' } }),
      403,
    );
  });

  it('answers 404 on every route while the plugin is disabled', async () => {
    await s.setPluginEnabled('notifications', false);
    try {
      expectError(await get('/notices'), 404, 'NOT_FOUND');
      expectError(await get(`/active?location=${bay1}`), 404, 'NOT_FOUND');
      expectError(await post('/notices', { title: 'x', severity: 'info', targetKind: 'site' }), 404, 'NOT_FOUND');
    } finally {
      await s.setPluginEnabled('notifications', true);
    }
    expect((await get('/notices')).statusCode).toBe(200);
  });
});

describeEachEngine('notifications plugin: demo seed', (engine) => {
  const s = useMigratedSite(engine, { seed: 'base', plugins: ['notifications'] });

  it('adds its notices to the demo site once, the asset notice only when CNC-4013 exists', async () => {
    const { db } = s;
    const afterInstall = await rowCount(db, 'notifications_notices');

    const first = await s.seed('demo');
    const withoutMachine = (await db('notifications_notices').orderBy('id').select('title', 'severity', 'target_kind')) as Array<
      Record<string, unknown>
    >;
    const statusId = Number((await db('status_labels').where({ name: 'In service' }).first('id')).id);
    const bay1 = Number((await db('locations').where({ code: 'P7-B1-BAY1' }).first('id')).id);
    if (!(await db('assets').where({ asset_tag: 'CNC-4013' }).first('id'))) {
      await createAsset(db, cli, { assetTag: 'CNC-4013', name: 'Hermle C 42 #1', type: 'other', statusId, locationId: bay1 });
    }
    await s.seed('demo');
    await s.seed('demo');
    const all = await listNotices(db, { limit: 100, offset: 0 });
    const bayScreen = await activeNotices(db, { locationId: bay1 }, null);

    expect(afterInstall).toBe(0);
    expect(first.plugins).toContain('notifications');
    expect(withoutMachine.map((n) => n.title)).toEqual([
      'Fire alarm test on Wednesday at 10:00',
      'Coolant change Friday',
      'Compressed air shut-off in Building 2',
    ]);
    expect(all.count).toBe(4);
    const byTitle = new Map(all.results.map((n) => [n.title, n]));
    expect(byTitle.get('Coolant change Friday')).toMatchObject({
      severity: 'critical',
      targetKind: 'location',
      location: { code: 'P7-B1-BAY1' },
      dismissable: false,
      status: 'active',
    });
    expect(byTitle.get('Fire alarm test on Wednesday at 10:00')).toMatchObject({ severity: 'info', targetKind: 'site', status: 'active' });
    expect(byTitle.get('Compressed air shut-off in Building 2')).toMatchObject({ status: 'expired' });
    expect(byTitle.get('CNC-4013: warm up the spindle before the first job')).toMatchObject({
      targetKind: 'asset',
      asset: { assetTag: 'CNC-4013' },
    });
    expect(bayScreen.map((n) => n.title)[0]).toBe('Coolant change Friday');
    expect(bayScreen.map((n) => n.title)).toEqual(
      expect.arrayContaining(['Fire alarm test on Wednesday at 10:00', 'CNC-4013: warm up the spindle before the first job']),
    );
    expect(bayScreen.map((n) => n.title)).not.toContain('Compressed air shut-off in Building 2');
  });
});

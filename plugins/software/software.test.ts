// Database suite (SQLite and MySQL): the software plugin — its tables' columns, titles,
// licences whose key never leaves except through the admin-only reveal (not in bodies, the audit
// log or the server log), installations on computers counted against seats, media checkout, its
// routes through the real app (roles, errors, the plugin gate, the asset-delete hook) and its
// share of the demo site.

import { Writable } from 'node:stream';
import type { Knex } from 'knex';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, createAsset, NotFoundError, ValidationError, type Actor } from 'shopdb/sdk';
import { expectError, makeUser } from '../../test/support/api.js';
import { listAudit, setUserDisabled, TEST_ACTOR as cli } from '../../test/support/core-access.js';
import { useMigratedSite } from '../../test/support/migrated-site.js';
import { listPluginTables } from '../../test/support/plugins.js';
import { describeEachEngine } from '../../test/support/site.js';
import {
  checkinMedium,
  checkoutMedium,
  createInstallation,
  createLicence,
  createMedium,
  createTitle,
  deleteInstallation,
  getLicence,
  listComputerSoftware,
  listLicences,
  listMedia,
  listTitleInstallations,
  listTitles,
  overdueCheckouts,
  revealLicenceKey,
  updateTitle,
} from './service.js';

const DAY = 24 * 60 * 60 * 1000;
const TABLES = ['software_installations', 'software_licences', 'software_media', 'software_media_checkouts', 'software_titles'];
const BASE = '/api/plugins/software';

async function rowCount(db: Knex, table: string): Promise<number> {
  return Number(((await db(table).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
}

const dayFromNow = (days: number, now = new Date()) => new Date(now.getTime() + days * DAY).toISOString().slice(0, 10);

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

async function fieldsOf(promise: Promise<unknown>): Promise<Record<string, string>> {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).fields;
}

/** Collects pino's JSON lines. */
function logCapture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describeEachEngine('software plugin: service', (engine) => {
  const s = useMigratedSite(engine, { seed: 'base', plugins: ['software'], users: { editor: true, admin: true, viewer: true } });
  let db: Knex;
  let editor: Actor;
  let admin: Actor;
  let userId: number;
  let pcs: number[];
  let printerLike: number;

  beforeAll(async () => {
    db = s.db;
    userId = s.user.viewer.id;
    editor = { userId: s.user.editor.id, username: s.user.editor.username, requestId: 'req-e' };
    admin = { userId: s.user.admin.id, username: s.user.admin.username, requestId: 'req-a' };
    const statusId = s.inService;
    pcs = [];
    for (const tag of ['T-PC-1', 'T-PC-2', 'T-PC-3'])
      pcs.push(
        (await createAsset(db, cli, { assetTag: tag, name: `PC ${tag}`, hostname: tag.toLowerCase(), type: 'computer', statusId })).id,
      );
    printerLike = (await createAsset(db, cli, { assetTag: 'T-OTHER-1', name: 'Label printer', type: 'other', statusId })).id;
  });

  it('keeps titles, licences, installations, media and checkouts in these columns', async () => {
    expect(await listPluginTables(db, 'software')).toEqual(TABLES);
    const columns: Record<string, string[]> = {};
    for (const table of TABLES) columns[table] = Object.keys(await db(table).columnInfo()).sort();

    expect(columns).toEqual({
      software_installations: ['asset_id', 'created_at', 'id', 'installed_on', 'licence_id', 'title_id', 'updated_at'],
      software_licences: ['created_at', 'expires_on', 'id', 'licence_key', 'notes', 'seats', 'title_id', 'updated_at'],
      software_media: ['capacity', 'created_at', 'id', 'kind', 'label', 'label_key', 'notes', 'updated_at'],
      software_media_checkouts: [
        'checked_in_at',
        'checked_out_at',
        'created_at',
        'expected_back_on',
        'id',
        'media_id',
        'open_media_id',
        'updated_at',
        'user_id',
      ],
      software_titles: ['created_at', 'id', 'name', 'name_key', 'updated_at', 'vendor', 'version', 'version_key'],
    });
  });

  describe('titles', () => {
    it('creates, changes and lists titles; name and version are unique together', async () => {
      const created = await createTitle(db, editor, { name: 'Mastercam', vendor: 'CNC Software', version: '2024' });
      const older = await createTitle(db, editor, { name: 'Mastercam', vendor: 'CNC Software', version: '2023' });
      const duplicate = await failure(createTitle(db, editor, { name: 'Mastercam', version: '2024' }));
      const renamed = await updateTitle(db, editor, older.id, { vendor: null });
      const clash = await failure(updateTitle(db, editor, older.id, { version: '2024' }));
      const found = await listTitles(db, { limit: 10, offset: 0, search: 'master' });
      const none = await listTitles(db, { limit: 10, offset: 0, search: '%' });

      expect(created).toMatchObject({ name: 'Mastercam', vendor: 'CNC Software', version: '2024' });
      expect(duplicate).toBeInstanceOf(ConflictError);
      expect(renamed.vendor).toBeNull();
      expect(clash).toBeInstanceOf(ConflictError);
      expect(found.results.map((t) => t.version)).toEqual(['2023', '2024']);
      expect(none.count).toBe(0);
      const audit = await listAudit(db, { objectType: 'software.title', objectId: String(older.id), limit: 5, offset: 0 });
      expect(audit.results.map((e) => e.action)).toEqual(['update', 'create']);
    });
  });

  describe('licences', () => {
    const KEY = 'SECRET-K3Y-ÄÖ-🔑-0001';
    let titleId: number;
    beforeAll(async () => {
      titleId = (await createTitle(db, editor, { name: 'NX CAM', vendor: 'Siemens', version: '2312' })).id;
    });

    it('stores the key but never returns it from a list or a get, nor writes it to the audit log', async () => {
      const created = await createLicence(db, editor, { titleId, licenceKey: KEY, seats: 2, expiresOn: '2027-01-31', notes: 'floating' });
      const got = await getLicence(db, created.id);
      const listed = await listLicences(db, { limit: 50, offset: 0 });
      const audit = await listAudit(db, { objectType: 'software.licence', objectId: String(created.id), limit: 5, offset: 0 });

      expect(created).toMatchObject({
        title: { id: titleId, name: 'NX CAM', version: '2312' },
        seats: 2,
        seatsUsed: 0,
        expiresOn: '2027-01-31',
        notes: 'floating',
        hasKey: true,
      });
      expect(got).toEqual(created);
      expect((await db('software_licences').where({ id: created.id }).first('licence_key')).licence_key).toBe(KEY);
      for (const shown of [created, got, listed, audit]) expect(JSON.stringify(shown)).not.toContain('SECRET-K3Y');
      expect(audit.results[0]).toMatchObject({
        action: 'create',
        after: expect.objectContaining({ licenceKey: '[redacted]', hasKey: true }),
      });
    });

    it('reveals the key, auditing the reveal without the key', async () => {
      const { id } = await createLicence(db, editor, { titleId, licenceKey: KEY, seats: 1 });
      const keyless = await createLicence(db, editor, { titleId, seats: 1 });

      const revealed = await revealLicenceKey(db, admin, id);
      const nothing = await revealLicenceKey(db, admin, keyless.id);
      const audit = await listAudit(db, { objectType: 'software.licence', objectId: String(id), limit: 5, offset: 0 });

      expect(revealed).toEqual({ id, licenceKey: KEY });
      expect(nothing).toEqual({ id: keyless.id, licenceKey: null });
      expect(keyless.hasKey).toBe(false);
      expect(audit.results[0]).toMatchObject({ action: 'reveal', userId: admin.userId, requestId: 'req-a' });
      expect(JSON.stringify(audit)).not.toContain('SECRET-K3Y');
      await expect(revealLicenceKey(db, admin, 999_999)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('lists the licences expiring within N days, soonest first, leaving out expired and open-ended ones', async () => {
      const now = new Date('2026-06-01T10:00:00Z');
      const title = await createTitle(db, editor, { name: 'Expiry test', version: '1' });
      const make = async (expiresOn: string | null) => (await createLicence(db, editor, { titleId: title.id, seats: 1, expiresOn })).id;
      const in20 = await make(dayFromNow(20, now));
      const today = await make('2026-06-01');
      const in30 = await make(dayFromNow(30, now));
      await make(dayFromNow(31, now));
      await make('2026-05-31');
      await make(null);

      const expiring = await listLicences(db, { limit: 50, offset: 0, expiringWithinDays: 30, titleId: title.id }, now);

      expect(expiring.results.map((l) => l.id)).toEqual([today, in20, in30]);
      expect(expiring.count).toBe(3);
    });
  });

  describe('installations', () => {
    let cad: number;
    let cam: number;

    beforeAll(async () => {
      cad = (await createTitle(db, editor, { name: 'SolidWorks', vendor: 'Dassault', version: '2024' })).id;
      cam = (await createTitle(db, editor, { name: 'hyperMILL', vendor: 'OPEN MIND', version: '2024.2' })).id;
    });

    it('installs only on computers, checks every reference, and names the field', async () => {
      const licence = await createLicence(db, editor, { titleId: cam, seats: 5 });
      const notComputer = await fieldsOf(createInstallation(db, editor, { titleId: cad, assetId: printerLike }));
      const missing = await fieldsOf(createInstallation(db, editor, { titleId: 999_999, assetId: 999_999, licenceId: 999_999 }));
      const otherTitle = await fieldsOf(createInstallation(db, editor, { titleId: cad, assetId: pcs[0]!, licenceId: licence.id }));

      expect(notComputer).toEqual({ assetId: `must be a computer (asset ${printerLike} is of type other)` });
      expect(missing).toEqual({
        titleId: 'no software title with id 999999',
        assetId: 'no asset with id 999999',
        licenceId: 'no licence with id 999999',
      });
      expect(otherTitle).toEqual({ licenceId: `is a licence of another title (title ${cam})` });
    });

    it('counts installations against the seats: 409 when none is free, free again after an uninstall', async () => {
      const licence = await createLicence(db, editor, { titleId: cad, licenceKey: 'SW-KEY', seats: 2 });
      const first = await createInstallation(db, editor, {
        titleId: cad,
        assetId: pcs[0]!,
        licenceId: licence.id,
        installedOn: '2026-02-03',
      });
      await createInstallation(db, editor, { titleId: cad, assetId: pcs[1]!, licenceId: licence.id });
      const full = await failure(createInstallation(db, editor, { titleId: cad, assetId: pcs[2]!, licenceId: licence.id }));
      const usedWhenFull = (await getLicence(db, licence.id)).seatsUsed;
      await deleteInstallation(db, editor, first.id);
      const third = await createInstallation(db, editor, { titleId: cad, assetId: pcs[2]!, licenceId: licence.id });

      expect(first).toMatchObject({
        title: { id: cad, name: 'SolidWorks' },
        asset: { id: pcs[0], assetTag: 'T-PC-1', hostname: 't-pc-1' },
        licenceId: licence.id,
        installedOn: '2026-02-03',
      });
      expect(full).toBeInstanceOf(ConflictError);
      expect((full as Error).message).toContain('all its 2 seats');
      expect(usedWhenFull).toBe(2);
      expect(third.installedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect((await getLicence(db, licence.id)).seatsUsed).toBe(2);
      const audit = await listAudit(db, { objectType: 'software.installation', objectId: String(first.id), limit: 5, offset: 0 });
      expect(audit.results.map((e) => e.action)).toEqual(['delete', 'create']);
    });

    it('refuses the same title twice on one computer, and lists by computer and by title', async () => {
      await createInstallation(db, editor, { titleId: cam, assetId: pcs[1]! });
      const twice = await failure(createInstallation(db, editor, { titleId: cam, assetId: pcs[1]! }));

      const onPc2 = await listComputerSoftware(db, pcs[1]!);
      const camPcs = await listTitleInstallations(db, cam);

      expect(twice).toBeInstanceOf(ConflictError);
      expect(onPc2.map((i) => i.title.name)).toEqual(['hyperMILL', 'SolidWorks']);
      expect(camPcs.map((i) => i.asset.assetTag)).toEqual(['T-PC-2']);
      await expect(listComputerSoftware(db, printerLike)).rejects.toBeInstanceOf(NotFoundError);
      await expect(listTitleInstallations(db, 999_999)).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('removable media', () => {
    const now = new Date('2026-06-10T08:00:00Z');

    it('checks a medium out to one user at a time and back in, auditing both', async () => {
      const stick = await createMedium(db, editor, { label: 'USB-T-01', kind: 'usb', capacity: '32 GB' });
      const duplicate = await failure(createMedium(db, editor, { label: 'USB-T-01', kind: 'usb' }));

      const out = await checkoutMedium(db, editor, stick.id, { userId, expectedBackOn: '2026-06-12' }, now);
      const again = await failure(checkoutMedium(db, editor, stick.id, { userId, expectedBackOn: '2026-06-12' }, now));
      const listed = (await listMedia(db, { limit: 10, offset: 0, kind: 'usb' }, now)).results.find((m) => m.id === stick.id);
      const back = await checkinMedium(db, editor, stick.id, new Date('2026-06-11T15:00:00Z'));
      const notOut = await failure(checkinMedium(db, editor, stick.id, now));
      const outAgain = await checkoutMedium(db, editor, stick.id, { userId, expectedBackOn: '2026-06-20' }, now);

      expect(duplicate).toBeInstanceOf(ConflictError);
      expect(out).toMatchObject({
        media: { id: stick.id, label: 'USB-T-01', kind: 'usb' },
        user: { id: userId },
        checkedOutAt: now,
        expectedBackOn: '2026-06-12',
        checkedInAt: null,
        overdue: false,
      });
      expect(again).toBeInstanceOf(ConflictError);
      expect(listed?.checkout?.id).toBe(out.id);
      expect(back).toMatchObject({ id: out.id, checkedInAt: new Date('2026-06-11T15:00:00Z') });
      expect(notOut).toBeInstanceOf(ConflictError);
      expect(outAgain.id).not.toBe(out.id);
      const audit = await listAudit(db, { objectType: 'software.medium', objectId: String(stick.id), limit: 10, offset: 0 });
      expect(audit.results.map((e) => e.action)).toEqual(['checkout', 'checkin', 'checkout', 'create']);
    });

    it('refuses an unknown or disabled user and a day in the past, naming the field', async () => {
      const card = await createMedium(db, editor, { label: 'SD-T-01', kind: 'sd' });
      const disabled = await makeUser(db, 'viewer');
      await setUserDisabled(db, cli, disabled.username, true);

      expect(await fieldsOf(checkoutMedium(db, editor, card.id, { userId: 999_999, expectedBackOn: '2026-06-12' }, now))).toEqual({
        userId: 'no user with id 999999',
      });
      expect(await fieldsOf(checkoutMedium(db, editor, card.id, { userId: disabled.id, expectedBackOn: '2026-06-12' }, now))).toEqual({
        userId: `user ${disabled.id} is disabled`,
      });
      expect(await fieldsOf(checkoutMedium(db, editor, card.id, { userId, expectedBackOn: '2026-06-09' }, now))).toEqual({
        expectedBackOn: 'must be today or later',
      });
      await expect(checkoutMedium(db, editor, 999_999, { userId, expectedBackOn: '2026-06-12' }, now)).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it('lists the open checkouts past their day, longest overdue first', async () => {
      const a = await createMedium(db, editor, { label: 'USB-T-OD-A', kind: 'usb' });
      const b = await createMedium(db, editor, { label: 'USB-T-OD-B', kind: 'usb' });
      const c = await createMedium(db, editor, { label: 'DVD-T-OD-C', kind: 'dvd' });
      await checkoutMedium(db, editor, a.id, { userId, expectedBackOn: '2026-06-05' }, new Date('2026-06-01T08:00:00Z'));
      await checkoutMedium(db, editor, b.id, { userId, expectedBackOn: '2026-06-03' }, new Date('2026-06-01T08:00:00Z'));
      await checkoutMedium(db, editor, c.id, { userId, expectedBackOn: '2026-06-02' }, new Date('2026-06-01T08:00:00Z'));
      await checkinMedium(db, editor, c.id, now);

      const overdue = await overdueCheckouts(db, now);
      const dueToday = await overdueCheckouts(db, new Date('2026-06-05T23:00:00Z'));

      expect(overdue.map((o) => [o.media.label, o.overdue])).toEqual([
        ['USB-T-OD-B', true],
        ['USB-T-OD-A', true],
      ]);
      expect(dueToday.map((o) => o.media.label)).toEqual(['USB-T-OD-B']);
    });
  });
});

describeEachEngine('software plugin: API', (engine) => {
  const KEY = 'LIC-9f2c-SUPER-SECRET-7781';
  const logs = logCapture();
  const s = useMigratedSite(engine, {
    seed: 'base',
    plugins: ['software'],
    users: { viewer: true, editor: true, admin: true },
    app: { logger: { stream: logs.stream, level: 'trace' } },
  });

  const get = (url: string, headers = s.as.viewer) => s.app.inject({ method: 'GET', url: `${BASE}${url}`, headers });
  const post = (url: string, payload?: object, headers = s.as.editor) =>
    s.app.inject({ method: 'POST', url: `${BASE}${url}`, headers, ...(payload ? { payload } : {}) });
  const computer = async (tag: string) =>
    (
      await s.app.inject({
        method: 'POST',
        url: '/api/assets',
        headers: s.as.editor,
        payload: { assetTag: tag, name: `PC ${tag}`, type: 'computer', statusId: s.inService },
      })
    ).json<{ id: number }>().id;

  it('keeps the licence key out of every body but the admin reveal, out of the audit log and out of the server log', async () => {
    const title = (await post('/titles', { name: 'CATIA', vendor: 'Dassault', version: 'V5-6R2024' })).json();
    const created = await post('/licences', { titleId: title.id, licenceKey: KEY, seats: 3, expiresOn: dayFromNow(10) });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id;
    const bodies = [
      created.body,
      (await get('/licences')).body,
      (await get('/licences?expiring=30')).body,
      (await get(`/licences/${id}`)).body,
      (await get(`/licences/${id}`, s.as.admin)).body,
      (await get(`/licences?title=${title.id}`, s.as.admin)).body,
    ];
    // Refused writes that carry the key: a bad body, and a database failure (whose SQL knex puts in the error).
    const rejected = await post('/licences', { titleId: title.id, licenceKey: KEY, seats: 0, colour: 'red' });
    await s.db.schema.renameTable('software_licences', 'software_licences_away');
    const broken = await post('/licences', { titleId: title.id, licenceKey: KEY, seats: 1 });
    await s.db.schema.renameTable('software_licences_away', 'software_licences');
    const revealed = await get(`/licences/${id}/key`, s.as.admin);
    const audit = await listAudit(s.db, { objectType: 'software.licence', limit: 50, offset: 0 });

    expect(created.json()).toMatchObject({ hasKey: true, seats: 3, seatsUsed: 0, title: { id: title.id } });
    for (const body of bodies) {
      expect(body).toContain(String(id));
      expect(body).not.toContain(KEY);
    }
    for (const response of [rejected, broken]) expect(response.body).not.toContain(KEY);
    expectError(rejected, 400);
    expectError(broken, 500);
    expect(revealed.statusCode, revealed.body).toBe(200);
    expect(revealed.json()).toEqual({ id, licenceKey: KEY });
    expect(revealed.headers['cache-control']).toBe('no-store');
    expect(audit.results.map((e) => e.action)).toEqual(['reveal', 'create']);
    expect(audit.results[0]).toMatchObject({ userId: s.user.admin.id, objectId: String(id) });
    expect(JSON.stringify(audit)).not.toContain(KEY);
    expect(logs.text()).not.toContain(KEY);
    // The log did record the requests and the database failure: only the key is missing.
    expect(logs.text()).toContain(`/licences/${id}/key`);
    expect(logs.text()).toContain('request failed');
  });

  it('lets only an admin read a key: 403 for editors and viewers, 401 without a login', async () => {
    const title = (await post('/titles', { name: 'PowerMill', vendor: 'Autodesk', version: '2025' })).json();
    const { id } = (await post('/licences', { titleId: title.id, licenceKey: 'PM-KEY-1', seats: 1 })).json();

    expectError(await get(`/licences/${id}/key`, s.as.viewer), 403, 'FORBIDDEN');
    expectError(await get(`/licences/${id}/key`, s.as.editor), 403, 'FORBIDDEN');
    expectError(await s.app.inject({ method: 'GET', url: `${BASE}/licences/${id}/key` }), 401);
    expectError(await get('/licences/999999/key', s.as.admin), 404);
    const audit = await listAudit(s.db, { objectType: 'software.licence', objectId: String(id), limit: 5, offset: 0 });
    expect(audit.results.map((e) => e.action)).toEqual(['create']);
  });

  it('keeps viewers from writing and anonymous callers out', async () => {
    expectError(await post('/titles', { name: 'x', version: '1' }, s.as.viewer), 403);
    expectError(await post('/media', { label: 'USB-X', kind: 'usb' }, s.as.viewer), 403);
    expectError(await s.app.inject({ method: 'GET', url: `${BASE}/titles` }), 401);
    expect((await get('/titles')).statusCode).toBe(200);
  });

  it('answers bad input with 400 naming the field, duplicates and full licences with 409', async () => {
    const title = (await post('/titles', { name: 'Esprit', vendor: 'Hexagon', version: '2024' })).json();
    const pcA = await computer('API-PC-1');
    const pcB = await computer('API-PC-2');
    const other = (
      await s.app.inject({
        method: 'POST',
        url: '/api/assets',
        headers: s.as.editor,
        payload: { assetTag: 'API-OTHER-1', name: 'Scale', type: 'other', statusId: s.inService },
      })
    ).json().id;
    const licence = (await post('/licences', { titleId: title.id, seats: 1 })).json();

    const notComputer = expectError(await post('/installations', { titleId: title.id, assetId: other }), 400, 'VALIDATION_FAILED');
    const badSeats = expectError(await post('/licences', { titleId: title.id, seats: 0 }), 400);
    const badDate = expectError(await post('/licences', { titleId: title.id, seats: 1, expiresOn: '31.12.2026' }), 400);
    const duplicateTitle = expectError(await post('/titles', { name: 'Esprit', version: '2024' }), 409, 'CONFLICT');
    const first = await post('/installations', { titleId: title.id, assetId: pcA, licenceId: licence.id });
    const full = expectError(await post('/installations', { titleId: title.id, assetId: pcB, licenceId: licence.id }), 409, 'CONFLICT');
    const twice = expectError(await post('/installations', { titleId: title.id, assetId: pcA }), 409);

    expect(notComputer.fields).toEqual({ assetId: `must be a computer (asset ${other} is of type other)` });
    expect(Object.keys(badSeats.fields)).toEqual(['seats']);
    expect(Object.keys(badDate.fields)).toEqual(['expiresOn']);
    expect(duplicateTitle.message).toContain('name and version');
    expect(first.statusCode, first.body).toBe(201);
    expect(full.message).toContain('seats');
    expect(twice.message).toContain('already installed');
    expect((await get(`/licences/${licence.id}`)).json().seatsUsed).toBe(1);
  });

  it('lists the software of a computer and the computers of a title, and frees the seats of a deleted computer', async () => {
    const title = (await post('/titles', { name: 'VERICUT', vendor: 'CGTech', version: '9.4' })).json();
    const licence = (await post('/licences', { titleId: title.id, seats: 1 })).json();
    const pc = await computer('API-PC-3');
    const spare = await computer('API-PC-4');
    const installed = await post('/installations', { titleId: title.id, assetId: pc, licenceId: licence.id });

    const software = await get(`/computers/${pc}/software`);
    const computers = await get(`/titles/${title.id}/installations`);
    const deleted = await s.app.inject({ method: 'DELETE', url: `/api/assets/${pc}`, headers: s.as.editor });
    const afterDelete = await get(`/licences/${licence.id}`);
    const onSpare = await post('/installations', { titleId: title.id, assetId: spare, licenceId: licence.id });

    expect(installed.statusCode, installed.body).toBe(201);
    expect(software.json()).toMatchObject({ count: 1, results: [{ title: { name: 'VERICUT' }, licenceId: licence.id }] });
    expect(computers.json().results.map((i: { asset: { assetTag: string } }) => i.asset.assetTag)).toEqual(['API-PC-3']);
    expect(deleted.statusCode).toBe(204);
    expect(afterDelete.json().seatsUsed).toBe(0);
    expect(onSpare.statusCode, onSpare.body).toBe(201);
    expectError(await get(`/computers/${pc}/software`), 404);
    const removed = await s.app.inject({ method: 'DELETE', url: `${BASE}/installations/${onSpare.json().id}`, headers: s.as.editor });
    expect(removed.statusCode).toBe(204);
    expectError(await s.app.inject({ method: 'DELETE', url: `${BASE}/installations/${onSpare.json().id}`, headers: s.as.editor }), 404);
  });

  it('checks media out and in, lists who has what, and the overdue ones', async () => {
    const created = await post('/media', { label: 'USB-API-01', kind: 'usb', capacity: '32 GB', notes: 'Bay 1' });
    const id = created.json().id;
    const out = await post(`/media/${id}/checkout`, { userId: s.user.viewer.id, expectedBackOn: dayFromNow(2) });
    const twice = await post(`/media/${id}/checkout`, { userId: s.user.viewer.id, expectedBackOn: dayFromNow(2) });
    const past = await post(`/media/${id}/checkout`, { userId: s.user.viewer.id, expectedBackOn: dayFromNow(-2) });
    const listed = await get('/media?kind=usb');
    await s
      .db('software_media_checkouts')
      .where({ id: out.json().id })
      .update({ expected_back_on: dayFromNow(-1) });
    const overdue = await get('/media/overdue');
    const back = await post(`/media/${id}/checkin`);
    const backAgain = await post(`/media/${id}/checkin`);

    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ label: 'USB-API-01', kind: 'usb', capacity: '32 GB', checkout: null });
    expect(out.statusCode, out.body).toBe(201);
    expect(out.json()).toMatchObject({ user: { id: s.user.viewer.id }, checkedInAt: null, overdue: false });
    expectError(twice, 409, 'CONFLICT');
    expect(expectError(past, 400).fields).toEqual({ expectedBackOn: 'must be today or later' });
    expect(listed.json().results.find((m: { id: number }) => m.id === id).checkout).toMatchObject({
      id: out.json().id,
      user: { id: s.user.viewer.id },
    });
    expect(overdue.json().results).toEqual([
      expect.objectContaining({ id: out.json().id, overdue: true, media: expect.objectContaining({ label: 'USB-API-01' }) }),
    ]);
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json().checkedInAt).not.toBeNull();
    expectError(backAgain, 409);
    expect((await get('/media/overdue')).json().count).toBe(0);
    expectError(await post('/media', { label: 'USB-API-01', kind: 'usb' }), 409);
    expectError(await post('/media', { label: 'x', kind: 'floppy' }), 400);
  });

  it('documents its routes in the OpenAPI document, with no key in any response but /key', async () => {
    const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    const paths = Object.keys(doc.paths).filter((p) => p.startsWith(BASE));

    expect(paths).toEqual(
      expect.arrayContaining([
        `${BASE}/titles`,
        `${BASE}/licences/{id}`,
        `${BASE}/licences/{id}/key`,
        `${BASE}/computers/{assetId}/software`,
        `${BASE}/media/overdue`,
        `${BASE}/media/{id}/checkout`,
      ]),
    );
    const withKey = paths.filter((p) => Object.values(doc.paths[p]!).some((op) => JSON.stringify(op.responses).includes('licenceKey')));
    expect(withKey).toEqual([`${BASE}/licences/{id}/key`]);
  });

  it('answers 404 on every route while the plugin is disabled', async () => {
    await s.setPluginEnabled('software', false);
    try {
      expectError(await get('/titles'), 404, 'NOT_FOUND');
      expectError(await get('/licences/1/key', s.as.admin), 404, 'NOT_FOUND');
      expectError(await post('/media', { label: 'USB-OFF', kind: 'usb' }), 404, 'NOT_FOUND');
    } finally {
      await s.setPluginEnabled('software', true);
    }
    expect((await get('/titles')).statusCode).toBe(200);
  });
});

describeEachEngine('software plugin: demo seed', (engine) => {
  const s = useMigratedSite(engine, { seed: 'base', plugins: ['software'] });

  it('adds titles, licences, installations on the demo PCs and media once; the overdue checkout only when a user exists', async () => {
    const { db } = s;
    const afterInstall = await Promise.all(TABLES.map((t) => rowCount(db, t)));

    const first = await s.seed('demo');
    const withoutUser = await rowCount(db, 'software_media_checkouts');
    const user = await makeUser(db, 'viewer');
    await s.seed('demo');
    const counts = await Promise.all(TABLES.map((t) => rowCount(db, t)));
    await s.seed('demo');

    expect(afterInstall).toEqual([0, 0, 0, 0, 0]);
    expect(first.plugins).toEqual(expect.arrayContaining(['computers', 'software']));
    expect(withoutUser).toBe(0);
    expect(await Promise.all(TABLES.map((t) => rowCount(db, t)))).toEqual(counts);

    const titles = await listTitles(db, { limit: 50, offset: 0 });
    expect(titles.results.map((t) => t.name)).toEqual(['Cimco Edit', 'Heidenhain TNCremo', 'Siemens SinuTrain', 'Zeiss CALYPSO']);
    const licences = await listLicences(db, { limit: 50, offset: 0 });
    expect(licences.count).toBe(4);
    expect(licences.results.every((l) => l.hasKey)).toBe(true);
    expect((await listLicences(db, { limit: 50, offset: 0, expiringWithinDays: 30 })).results.map((l) => l.title.name)).toEqual([
      'Zeiss CALYPSO',
    ]);

    const pc4012 = (await db('assets').where({ asset_tag: 'PC-4012' }).first('id')) as { id: number } | undefined;
    const cmm = (await db('assets').where({ asset_tag: 'PC-CMM01' }).first('id')) as { id: number } | undefined;
    expect(pc4012 && cmm, 'the computers plugin demo makes PC-4012 and PC-CMM01').toBeTruthy();
    expect((await listComputerSoftware(db, Number(pc4012!.id))).map((i) => i.title.name)).toEqual(['Cimco Edit', 'Siemens SinuTrain']);
    expect((await listComputerSoftware(db, Number(cmm!.id))).map((i) => i.title.name)).toEqual(['Zeiss CALYPSO']);
    expect(licences.results.every((l) => l.seatsUsed <= l.seats)).toBe(true);

    const media = await listMedia(db, { limit: 50, offset: 0 });
    expect(media.results.map((m) => m.label)).toEqual(['DVD-CALYPSO-2023', 'USB-B1-01', 'USB-B1-02', 'USB-CMM-01']);
    const overdue = await overdueCheckouts(db);
    expect(overdue).toEqual([
      expect.objectContaining({
        media: expect.objectContaining({ label: 'USB-B1-02' }),
        user: expect.objectContaining({ id: user.id }),
        overdue: true,
      }),
    ]);
  });
});

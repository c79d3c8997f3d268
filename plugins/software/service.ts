// Software on the shop floor: titles, their licences, installations on computer assets counted
// against a licence's seats, and removable media (USB sticks, DVDs, SD cards) with their
// checkouts. A licence key is a secret: it is written once, read back only by revealLicenceKey
// (an admin, audited), and never selected, returned, logged or audited anywhere else.
// Every write is one transaction and audited as 'software.<thing>'.

import type { Knex } from 'knex';
import { assetLockKey, decodeRow, encodeRow, formatUtcDatetime, inTransaction, isUniqueViolation, recordAudit, textKey, ConflictError, NotFoundError, ValidationError, type Actor, type AssetView, type Db } from 'shopdb/sdk';

type Row = Record<string, unknown>;

/** The asset type of the computers plugin: software is installed on these only. */
export const COMPUTER_TYPE = 'computer';
export const MEDIA_KINDS = ['usb', 'dvd', 'sd'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

const REDACTED = '[redacted]';
const TIMES = { created_at: 'date', updated_at: 'date' } as const;

/** DATE columns come back as Date (MySQL) or text (SQLite); the API speaks YYYY-MM-DD. */
function dateOnly(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}

/** The UTC calendar day of `now`, `days` later. */
function dayOf(now: Date, days = 0): string {
  return new Date(now.getTime() + days * 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
}

/**
 * Writes that count a licence's seats go one at a time per licence, and check-outs and
 * check-ins one at a time per medium, on every replica (ADR-012).
 */
export const licenceLockKey = (id: number) => `software.licence:${id}`;
export const mediumLockKey = (id: number) => `software.medium:${id}`;

type Page<T> = { count: number; results: T[] };

async function countOf(q: Knex.QueryBuilder): Promise<number> {
  const [{ count }] = (await q.clone().clearSelect().clearOrder().count({ count: '*' })) as Array<{ count: number | string }>;
  return Number(count);
}

// ── titles ─────────────────────────────────────────────────────────────────────────────────

export interface SoftwareTitle {
  id: number;
  name: string;
  vendor: string | null;
  version: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface TitleInput {
  name: string;
  vendor?: string | null;
  version: string;
}

function toTitle(raw: Row): SoftwareTitle {
  const row = decodeRow<Row>(TIMES, raw);
  return { id: Number(row.id), name: row.name as string, vendor: (row.vendor as string | null) ?? null, version: row.version as string, createdAt: row.created_at as Date, updatedAt: row.updated_at as Date };
}

async function loadTitle(db: Db, id: number): Promise<SoftwareTitle> {
  const row = (await db('software_titles').where({ id }).first()) as Row | undefined;
  if (!row) throw new NotFoundError(`There is no software title with id ${id}`);
  return toTitle(row);
}

export const getTitle = loadTitle;

export async function listTitles(db: Knex, query: { limit: number; offset: number; search?: string }): Promise<Page<SoftwareTitle>> {
  const q = db('software_titles');
  if (query.search !== undefined) q.whereRaw("name LIKE ? ESCAPE '!'", [`${query.search.replace(/[!%_]/g, (c) => `!${c}`)}%`]);
  const count = await countOf(q);
  // lower(): SQLite sorts text by byte, MySQL's collation ignores case; this way both agree.
  const rows = (await q.clone().select('*').orderByRaw('lower(name), lower(version), id').limit(query.limit).offset(query.offset)) as Row[];
  return { count, results: rows.map(toTitle) };
}

function duplicateTitle(error: unknown): never {
  if (isUniqueViolation(error)) throw new ConflictError('A software title with that name and version already exists', { cause: error });
  throw error;
}

export async function createTitle(db: Db, actor: Actor, input: TitleInput): Promise<SoftwareTitle> {
  return inTransaction(db, async (trx) => {
    const [id] = await trx('software_titles').insert({ name: input.name, name_key: textKey(input.name), vendor: input.vendor ?? null, version: input.version, version_key: textKey(input.version) }).catch(duplicateTitle);
    const created = await loadTitle(trx, Number(id));
    await recordAudit(trx, actor, { action: 'create', objectType: 'software.title', objectId: created.id, after: created });
    return created;
  });
}

export async function updateTitle(db: Db, actor: Actor, id: number, patch: Partial<TitleInput>): Promise<SoftwareTitle> {
  return inTransaction(db, async (trx) => {
    const before = await loadTitle(trx, id);
    const changes: Row = {};
    if (patch.name !== undefined) Object.assign(changes, { name: patch.name, name_key: textKey(patch.name) });
    if (patch.vendor !== undefined) changes.vendor = patch.vendor;
    if (patch.version !== undefined) Object.assign(changes, { version: patch.version, version_key: textKey(patch.version) });
    if (Object.keys(changes).length > 0) await trx('software_titles').where({ id }).update({ ...changes, updated_at: formatUtcDatetime(new Date()) }).catch(duplicateTitle);
    const after = await loadTitle(trx, id);
    await recordAudit(trx, actor, { action: 'update', objectType: 'software.title', objectId: id, before, after });
    return after;
  });
}

// ── licences ───────────────────────────────────────────────────────────────────────────────

export interface Licence {
  id: number;
  title: { id: number; name: string; version: string };
  seats: number;
  /** Installations counted against this licence. */
  seatsUsed: number;
  expiresOn: string | null;
  notes: string | null;
  /** Whether a key is stored; the key itself only comes from revealLicenceKey. */
  hasKey: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface LicenceInput {
  titleId: number;
  /** Secret. */
  licenceKey?: string | null;
  seats: number;
  expiresOn?: string | null;
  notes?: string | null;
}

export interface LicenceQuery {
  limit: number;
  offset: number;
  /** Only licences that expire within this many days from today (today included, expired ones not). */
  expiringWithinDays?: number;
  titleId?: number;
}

/**
 * Licences `l` with their title and seat count. The key column is never selected here: only
 * whether there is one. Reading the key is revealLicenceKey's job alone.
 */
function selectLicences(db: Db): Knex.QueryBuilder {
  return db({ l: 'software_licences' })
    .join({ t: 'software_titles' }, 't.id', 'l.title_id')
    .select('l.id', 'l.title_id', 'l.seats', 'l.expires_on', 'l.notes', 'l.created_at', 'l.updated_at', { title_name: 't.name', title_version: 't.version' })
    .select(db.raw('case when l.licence_key is null then 0 else 1 end as has_key'))
    .select(db('software_installations').count('*').whereRaw('?? = ??', ['software_installations.licence_id', 'l.id']).as('seats_used'));
}

function toLicence(raw: Row): Licence {
  const row = decodeRow<Row>({ ...TIMES, has_key: 'boolean' }, raw);
  return {
    id: Number(row.id),
    title: { id: Number(row.title_id), name: row.title_name as string, version: row.title_version as string },
    seats: Number(row.seats),
    seatsUsed: Number(row.seats_used),
    expiresOn: dateOnly(row.expires_on),
    notes: (row.notes as string | null) ?? null,
    hasKey: row.has_key as boolean,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

async function loadLicence(db: Db, id: number): Promise<Licence> {
  const row = (await selectLicences(db).where('l.id', id).first()) as Row | undefined;
  if (!row) throw new NotFoundError(`There is no licence with id ${id}`);
  return toLicence(row);
}

export const getLicence = loadLicence;

export async function listLicences(db: Knex, query: LicenceQuery, now = new Date()): Promise<Page<Licence>> {
  const filtered = (q: Knex.QueryBuilder) => {
    if (query.titleId !== undefined) q.where('l.title_id', query.titleId);
    if (query.expiringWithinDays !== undefined) q.whereBetween('l.expires_on', [dayOf(now), dayOf(now, query.expiringWithinDays)]);
    return q;
  };
  const count = await countOf(filtered(db({ l: 'software_licences' })));
  const page = filtered(selectLicences(db));
  if (query.expiringWithinDays !== undefined) page.orderBy('l.expires_on');
  const rows = (await page.orderBy('l.id').limit(query.limit).offset(query.offset)) as Row[];
  return { count, results: rows.map(toLicence) };
}

/**
 * Licences someone should look at: past their expiry with installations still counted on them,
 * and those with more installations than seats (a licence renewed with fewer seats, an import).
 */
export async function licencesNeedingAttention(db: Db, now = new Date()): Promise<{ expired: Licence[]; overAllocated: Licence[] }> {
  const used = '(select count(*) from software_installations i where i.licence_id = l.id)';
  const expired = (await selectLicences(db).where('l.expires_on', '<', dayOf(now)).whereRaw(`${used} > 0`).orderBy('l.expires_on').orderBy('l.id')) as Row[];
  const overAllocated = (await selectLicences(db).whereRaw(`${used} > l.seats`).orderBy('l.id')) as Row[];
  return { expired: expired.map(toLicence), overAllocated: overAllocated.map(toLicence) };
}

/**
 * knex puts the SQL of a failed statement, values included, into the error's message, and the
 * driver may keep a copy of it: an error from a statement that carried a key must not travel on
 * (to the server log) like that. Keeps the codes, so constraint and connection errors are still
 * recognised.
 */
function withoutSecret(error: unknown): Error {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
  const safe = new Error(`The database refused to store the licence (${typeof code === 'string' ? code : 'no error code'})`);
  return Object.assign(safe, { code, errno });
}

export async function createLicence(db: Db, actor: Actor, input: LicenceInput): Promise<Licence> {
  return inTransaction(db, async (trx) => {
    if (!(await trx('software_titles').where({ id: input.titleId }).first('id'))) {
      throw new ValidationError('The licence is not valid', { titleId: `no software title with id ${input.titleId}` });
    }
    const row = { title_id: input.titleId, licence_key: input.licenceKey ?? null, seats: input.seats, expires_on: input.expiresOn ?? null, notes: input.notes ?? null };
    const [id] = await trx('software_licences')
      .insert(row)
      .catch((error: unknown) => {
        throw withoutSecret(error);
      });
    const created = await loadLicence(trx, Number(id));
    await recordAudit(trx, actor, { action: 'create', objectType: 'software.licence', objectId: created.id, after: { ...created, licenceKey: created.hasKey ? REDACTED : null } });
    return created;
  });
}

/** The stored key, for an admin: every reveal is in the audit log (without the key). */
export async function revealLicenceKey(db: Db, actor: Actor, id: number): Promise<{ id: number; licenceKey: string | null }> {
  return inTransaction(db, async (trx) => {
    const row = (await trx('software_licences').where({ id }).first('id', 'licence_key')) as Row | undefined;
    if (!row) throw new NotFoundError(`There is no licence with id ${id}`);
    const licenceKey = (row.licence_key as string | null) ?? null;
    await recordAudit(trx, actor, { action: 'reveal', objectType: 'software.licence', objectId: id, after: { licenceKey: REDACTED, hasKey: licenceKey !== null } });
    return { id, licenceKey };
  });
}

// ── installations ──────────────────────────────────────────────────────────────────────────

export interface Installation {
  id: number;
  title: { id: number; name: string; vendor: string | null; version: string };
  asset: { id: number; assetTag: string; name: string; hostname: string | null };
  licenceId: number | null;
  installedOn: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface InstallationInput {
  titleId: number;
  assetId: number;
  licenceId?: number | null;
  /** YYYY-MM-DD; defaults to today. */
  installedOn?: string;
}

function selectInstallations(db: Db): Knex.QueryBuilder {
  return db({ i: 'software_installations' })
    .join({ t: 'software_titles' }, 't.id', 'i.title_id')
    .join({ a: 'assets' }, 'a.id', 'i.asset_id')
    .select('i.*', { title_name: 't.name', title_vendor: 't.vendor', title_version: 't.version', asset_tag: 'a.asset_tag', asset_name: 'a.name', asset_hostname: 'a.hostname' });
}

function toInstallation(raw: Row): Installation {
  const row = decodeRow<Row>(TIMES, raw);
  return {
    id: Number(row.id),
    title: { id: Number(row.title_id), name: row.title_name as string, vendor: (row.title_vendor as string | null) ?? null, version: row.title_version as string },
    asset: { id: Number(row.asset_id), assetTag: row.asset_tag as string, name: row.asset_name as string, hostname: (row.asset_hostname as string | null) ?? null },
    licenceId: row.licence_id === null ? null : Number(row.licence_id),
    installedOn: dateOnly(row.installed_on)!,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

async function loadInstallation(db: Db, id: number): Promise<Installation> {
  const row = (await selectInstallations(db).where('i.id', id).first()) as Row | undefined;
  if (!row) throw new NotFoundError(`There is no installation with id ${id}`);
  return toInstallation(row);
}

/** The type key of a live asset, or undefined when there is none with that id. */
async function assetTypeOf(db: Db, assetId: number): Promise<string | undefined> {
  const row = (await db({ a: 'assets' }).join({ t: 'asset_types' }, 't.id', 'a.type_id').where('a.id', assetId).whereNull('a.deleted_at').first({ key: 't.key' })) as Row | undefined;
  return row?.key as string | undefined;
}

/** Installs a title on a computer, taking a seat of the licence given (409 when it has none free). */
export async function createInstallation(db: Db, actor: Actor, input: InstallationInput, now = new Date()): Promise<Installation> {
  return inTransaction(db, async (trx) => {
    const fields: Record<string, string> = {};
    if (!(await trx('software_titles').where({ id: input.titleId }).first('id'))) fields.titleId = `no software title with id ${input.titleId}`;
    const type = await assetTypeOf(trx, input.assetId);
    if (type === undefined) fields.assetId = `no asset with id ${input.assetId}`;
    else if (type !== COMPUTER_TYPE) fields.assetId = `must be a computer (asset ${input.assetId} is of type ${type})`;
    let licence: Row | undefined;
    if (input.licenceId != null) {
      licence = (await trx('software_licences').where({ id: input.licenceId }).first('id', 'title_id', 'seats')) as Row | undefined;
      if (!licence) fields.licenceId = `no licence with id ${input.licenceId}`;
      else if (fields.titleId === undefined && Number(licence.title_id) !== input.titleId) fields.licenceId = `is a licence of another title (title ${Number(licence.title_id)})`;
    }
    if (Object.keys(fields).length > 0) throw new ValidationError('The installation is not valid', fields);

    if (licence) {
      const used = await countOf(trx('software_installations').where({ licence_id: licence.id }));
      if (used >= Number(licence.seats)) {
        throw new ConflictError(`Licence ${Number(licence.id)} has all its ${Number(licence.seats)} seats in use`, {
          suggestion: 'Remove an installation that uses it, or record a licence with more seats.',
        });
      }
    }
    const [id] = await trx('software_installations')
      .insert({ title_id: input.titleId, asset_id: input.assetId, licence_id: input.licenceId ?? null, installed_on: input.installedOn ?? dayOf(now) })
      .catch((error: unknown) => {
        if (isUniqueViolation(error)) throw new ConflictError('That title is already installed on that computer', { cause: error });
        throw error;
      });
    const created = await loadInstallation(trx, Number(id));
    await recordAudit(trx, actor, { action: 'create', objectType: 'software.installation', objectId: created.id, after: created });
    return created;
    // The keys are taken before anything is read: the seat count above sees every installation
    // committed before this one, on any replica, and the computer cannot be deleted (freeing its
    // seats) between the check that it is live and the insert.
  }, { serializeOn: [assetLockKey(input.assetId), ...(input.licenceId == null ? [] : [licenceLockKey(input.licenceId)])] });
}

export async function deleteInstallation(db: Db, actor: Actor, id: number): Promise<void> {
  await inTransaction(db, async (trx) => {
    const before = await loadInstallation(trx, id);
    await trx('software_installations').where({ id }).delete();
    await recordAudit(trx, actor, { action: 'delete', objectType: 'software.installation', objectId: id, before });
  });
}

/** What is installed on a computer (404 when the asset is not a live computer). */
export async function listComputerSoftware(db: Db, assetId: number): Promise<Installation[]> {
  if ((await assetTypeOf(db, assetId)) !== COMPUTER_TYPE) throw new NotFoundError(`There is no computer with id ${assetId}`);
  const rows = (await selectInstallations(db).where('i.asset_id', assetId).orderByRaw('lower(t.name), lower(t.version), i.id')) as Row[];
  return rows.map(toInstallation);
}

/** The live computers a title is installed on. */
export async function listTitleInstallations(db: Db, titleId: number): Promise<Installation[]> {
  await loadTitle(db, titleId);
  const rows = (await selectInstallations(db).where('i.title_id', titleId).whereNull('a.deleted_at').orderByRaw('lower(a.asset_tag), i.id')) as Row[];
  return rows.map(toInstallation);
}

/**
 * A computer that is deleted (soft: the row stays for history) runs nothing any more: its
 * installations go, freeing their licence seats. Runs in the deleting transaction.
 */
export async function releaseInstallations(db: Db, actor: Actor, asset: AssetView): Promise<void> {
  if (asset.type.key !== COMPUTER_TYPE) return;
  const rows = (await selectInstallations(db).where('i.asset_id', asset.id)) as Row[];
  for (const installation of rows.map(toInstallation)) {
    await db('software_installations').where({ id: installation.id }).delete();
    await recordAudit(db, actor, { action: 'delete', objectType: 'software.installation', objectId: installation.id, before: installation });
  }
}

// ── removable media ────────────────────────────────────────────────────────────────────────

export interface Checkout {
  id: number;
  media: { id: number; label: string; kind: MediaKind };
  user: { id: number; username: string; displayName: string | null };
  checkedOutAt: Date;
  expectedBackOn: string;
  checkedInAt: Date | null;
  /** Still out after the day it was expected back. */
  overdue: boolean;
}

export interface Medium {
  id: number;
  label: string;
  kind: MediaKind;
  capacity: string | null;
  notes: string | null;
  /** The open checkout, or null when the medium is in. */
  checkout: Checkout | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface MediumInput {
  label: string;
  kind: MediaKind;
  capacity?: string | null;
  notes?: string | null;
}

export interface CheckoutInput {
  userId: number;
  /** YYYY-MM-DD, today or later. */
  expectedBackOn: string;
}

const CHECKOUT_CODEC = { checked_out_at: 'date', checked_in_at: 'date' } as const;

function selectCheckouts(db: Db): Knex.QueryBuilder {
  return db({ c: 'software_media_checkouts' })
    .join({ m: 'software_media' }, 'm.id', 'c.media_id')
    .join({ u: 'users' }, 'u.id', 'c.user_id')
    .select('c.id', 'c.media_id', 'c.user_id', 'c.checked_out_at', 'c.expected_back_on', 'c.checked_in_at', { media_label: 'm.label', media_kind: 'm.kind', username: 'u.username', display_name: 'u.display_name' });
}

function toCheckout(raw: Row, now: Date): Checkout {
  const row = decodeRow<Row>(CHECKOUT_CODEC, raw);
  const expectedBackOn = dateOnly(row.expected_back_on)!;
  const checkedInAt = (row.checked_in_at as Date | null) ?? null;
  return {
    id: Number(row.id),
    media: { id: Number(row.media_id), label: row.media_label as string, kind: row.media_kind as MediaKind },
    user: { id: Number(row.user_id), username: row.username as string, displayName: (row.display_name as string | null) ?? null },
    checkedOutAt: row.checked_out_at as Date,
    expectedBackOn,
    checkedInAt,
    overdue: checkedInAt === null && expectedBackOn < dayOf(now),
  };
}

async function loadMedium(db: Db, id: number, now = new Date()): Promise<Medium> {
  const row = (await db('software_media').where({ id }).first()) as Row | undefined;
  if (!row) throw new NotFoundError(`There is no medium with id ${id}`);
  const [medium] = await withOpenCheckouts(db, [row], now);
  return medium!;
}

async function withOpenCheckouts(db: Db, rows: Row[], now: Date): Promise<Medium[]> {
  const ids = rows.map((row) => Number(row.id));
  const open = ids.length === 0 ? [] : ((await selectCheckouts(db).whereIn('c.open_media_id', ids)) as Row[]).map((row) => toCheckout(row, now));
  return rows.map((raw) => {
    const row = decodeRow<Row>(TIMES, raw);
    return {
      id: Number(row.id),
      label: row.label as string,
      kind: row.kind as MediaKind,
      capacity: (row.capacity as string | null) ?? null,
      notes: (row.notes as string | null) ?? null,
      checkout: open.find((c) => c.media.id === Number(row.id)) ?? null,
      createdAt: row.created_at as Date,
      updatedAt: row.updated_at as Date,
    };
  });
}

export async function listMedia(db: Knex, query: { limit: number; offset: number; kind?: MediaKind }, now = new Date()): Promise<Page<Medium>> {
  const q = db('software_media');
  if (query.kind !== undefined) q.where('kind', query.kind);
  const count = await countOf(q);
  const rows = (await q.clone().select('*').orderByRaw('lower(label), id').limit(query.limit).offset(query.offset)) as Row[];
  return { count, results: await withOpenCheckouts(db, rows, now) };
}

export async function createMedium(db: Db, actor: Actor, input: MediumInput): Promise<Medium> {
  return inTransaction(db, async (trx) => {
    const [id] = await trx('software_media')
      .insert({ label: input.label, label_key: textKey(input.label), kind: input.kind, capacity: input.capacity ?? null, notes: input.notes ?? null })
      .catch((error: unknown) => {
        if (isUniqueViolation(error)) throw new ConflictError(`A medium labelled "${input.label}" already exists`, { cause: error });
        throw error;
      });
    const created = await loadMedium(trx, Number(id));
    await recordAudit(trx, actor, { action: 'create', objectType: 'software.medium', objectId: created.id, after: created });
    return created;
  });
}

/** Hands a medium to a user until a day; 409 when it is already out. */
export async function checkoutMedium(db: Db, actor: Actor, mediaId: number, input: CheckoutInput, now = new Date()): Promise<Checkout> {
  return inTransaction(db, async (trx) => {
    await loadMedium(trx, mediaId, now);
    const fields: Record<string, string> = {};
    const user = (await trx('users').where({ id: input.userId }).first('id', 'disabled')) as Row | undefined;
    if (!user) fields.userId = `no user with id ${input.userId}`;
    else if (decodeRow<Row>({ disabled: 'boolean' }, user).disabled) fields.userId = `user ${input.userId} is disabled`;
    if (input.expectedBackOn < dayOf(now)) fields.expectedBackOn = 'must be today or later';
    if (Object.keys(fields).length > 0) throw new ValidationError('The checkout is not valid', fields);

    const alreadyOut = () => new ConflictError(`That medium is already checked out; check it in first`);
    // The unique open_media_id says it too; this check just says it first, and nicely.
    if (await trx('software_media_checkouts').where({ open_media_id: mediaId }).first('id')) throw alreadyOut();
    const [id] = await trx('software_media_checkouts')
      .insert(encodeRow(CHECKOUT_CODEC, { media_id: mediaId, user_id: input.userId, checked_out_at: now, expected_back_on: input.expectedBackOn, open_media_id: mediaId }))
      .catch((error: unknown) => {
        // Another request checked it out between the check and the insert.
        if (isUniqueViolation(error)) throw alreadyOut();
        throw error;
      });
    const checkout = toCheckout((await selectCheckouts(trx).where('c.id', Number(id)).first()) as Row, now);
    await recordAudit(trx, actor, { action: 'checkout', objectType: 'software.medium', objectId: mediaId, after: checkout });
    return checkout;
  }, { serializeOn: [mediumLockKey(mediaId)] });
}

/** Takes a medium back; 409 when it is not out. */
export async function checkinMedium(db: Db, actor: Actor, mediaId: number, now = new Date()): Promise<Checkout> {
  return inTransaction(db, async (trx) => {
    const medium = await loadMedium(trx, mediaId, now);
    if (!medium.checkout) throw new ConflictError(`Medium ${medium.label} is not checked out`);
    await trx('software_media_checkouts')
      .where({ id: medium.checkout.id })
      .update(encodeRow(CHECKOUT_CODEC, { checked_in_at: now, open_media_id: null, updated_at: formatUtcDatetime(now) }));
    const checkout = toCheckout((await selectCheckouts(trx).where('c.id', medium.checkout.id).first()) as Row, now);
    await recordAudit(trx, actor, { action: 'checkin', objectType: 'software.medium', objectId: mediaId, before: medium.checkout, after: checkout });
    return checkout;
  }, { serializeOn: [mediumLockKey(mediaId)] });
}

/** Open checkouts whose expected day has passed, the longest overdue first. */
export async function overdueCheckouts(db: Db, now = new Date()): Promise<Checkout[]> {
  const rows = (await selectCheckouts(db).whereNotNull('c.open_media_id').where('c.expected_back_on', '<', dayOf(now)).orderBy('c.expected_back_on').orderBy('c.id')) as Row[];
  return rows.map((row) => toCheckout(row, now));
}

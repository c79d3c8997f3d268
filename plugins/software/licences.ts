// Software titles and their licences. A licence key is a secret: it is written once, read back
// only by revealLicenceKey (an admin, audited), and never selected, returned, logged or audited
// anywhere else.

import type { Knex } from 'knex';
import {
  decodeRow,
  formatUtcDatetime,
  inTransaction,
  isUniqueViolation,
  recordAudit,
  textKey,
  ConflictError,
  NotFoundError,
  ValidationError,
  type Actor,
  type Db,
} from 'shopdb/sdk';
import { countOf, dateOnly, dayOf, REDACTED, TIMES, type Page, type Row } from './common.js';

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
  return {
    id: Number(row.id),
    name: row.name as string,
    vendor: (row.vendor as string | null) ?? null,
    version: row.version as string,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
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
    const [id] = await trx('software_titles')
      .insert({
        name: input.name,
        name_key: textKey(input.name),
        vendor: input.vendor ?? null,
        version: input.version,
        version_key: textKey(input.version),
      })
      .catch(duplicateTitle);
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
    if (Object.keys(changes).length > 0)
      await trx('software_titles')
        .where({ id })
        .update({ ...changes, updated_at: formatUtcDatetime(new Date()) })
        .catch(duplicateTitle);
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
    .select('l.id', 'l.title_id', 'l.seats', 'l.expires_on', 'l.notes', 'l.created_at', 'l.updated_at', {
      title_name: 't.name',
      title_version: 't.version',
    })
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
  const expired = (await selectLicences(db)
    .where('l.expires_on', '<', dayOf(now))
    .whereRaw(`${used} > 0`)
    .orderBy('l.expires_on')
    .orderBy('l.id')) as Row[];
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
    const row = {
      title_id: input.titleId,
      licence_key: input.licenceKey ?? null,
      seats: input.seats,
      expires_on: input.expiresOn ?? null,
      notes: input.notes ?? null,
    };
    const [id] = await trx('software_licences')
      .insert(row)
      .catch((error: unknown) => {
        throw withoutSecret(error);
      });
    const created = await loadLicence(trx, Number(id));
    await recordAudit(trx, actor, {
      action: 'create',
      objectType: 'software.licence',
      objectId: created.id,
      after: { ...created, licenceKey: created.hasKey ? REDACTED : null },
    });
    return created;
  });
}

/** The stored key, for an admin: every reveal is in the audit log (without the key). */
export async function revealLicenceKey(db: Db, actor: Actor, id: number): Promise<{ id: number; licenceKey: string | null }> {
  return inTransaction(db, async (trx) => {
    const row = (await trx('software_licences').where({ id }).first('id', 'licence_key')) as Row | undefined;
    if (!row) throw new NotFoundError(`There is no licence with id ${id}`);
    const licenceKey = (row.licence_key as string | null) ?? null;
    await recordAudit(trx, actor, {
      action: 'reveal',
      objectType: 'software.licence',
      objectId: id,
      after: { licenceKey: REDACTED, hasKey: licenceKey !== null },
    });
    return { id, licenceKey };
  });
}

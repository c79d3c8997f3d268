// Shop-floor notices: create, change, delete and list them; what is active now for a location
// (site-wide notices, notices on the location or any location above it, notices on assets kept
// there) or for an asset; and a user dismissing a dismissable notice for themselves. Every write
// is audited as 'notifications.notice'.

import type { Knex } from 'knex';
import {
  decodeRow,
  encodeRow,
  formatUtcDatetime,
  recordAudit,
  ConflictError,
  NotFoundError,
  ValidationError,
  type Actor,
  inTransaction,
  type Db,
} from 'shopdb/sdk';

type Row = Record<string, unknown>;

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const TARGET_KINDS = ['site', 'location', 'asset'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** Where a notice is in its life at a given moment. */
export type NoticeStatus = 'scheduled' | 'active' | 'expired';

export interface Notice {
  id: number;
  title: string;
  body: string | null;
  severity: Severity;
  startsAt: Date;
  endsAt: Date | null;
  status: NoticeStatus;
  targetKind: TargetKind;
  location: { id: number; code: string; name: string } | null;
  asset: { id: number; assetTag: string; name: string } | null;
  dismissable: boolean;
  createdBy: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NoticeInput {
  title: string;
  body?: string | null;
  severity: Severity;
  /** Defaults to now. */
  startsAt?: string | Date;
  endsAt?: string | Date | null;
  targetKind: TargetKind;
  locationId?: number | null;
  assetId?: number | null;
  /** Defaults to true. */
  dismissable?: boolean;
}

export type NoticePatch = Partial<NoticeInput>;

export interface NoticeQuery {
  limit: number;
  offset: number;
  /** true: active now; false: scheduled or expired. */
  active?: boolean;
  severity?: Severity;
}

const TABLE = 'notifications_notices';
const DISMISSALS = 'notifications_dismissals';
const OBJECT_TYPE = 'notifications.notice';
const CODEC = { starts_at: 'date', ends_at: 'date', dismissable: 'boolean', created_at: 'date', updated_at: 'date' } as const;

function statusAt(startsAt: Date, endsAt: Date | null, now: Date): NoticeStatus {
  if (startsAt.getTime() > now.getTime()) return 'scheduled';
  if (endsAt !== null && endsAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

function toNotice(raw: Row, now: Date): Notice {
  const row = decodeRow<Row>(CODEC, raw);
  const startsAt = row.starts_at as Date;
  const endsAt = (row.ends_at as Date | null) ?? null;
  return {
    id: Number(row.id),
    title: row.title as string,
    body: (row.body as string | null) ?? null,
    severity: row.severity as Severity,
    startsAt,
    endsAt,
    status: statusAt(startsAt, endsAt, now),
    targetKind: row.target_kind as TargetKind,
    location:
      row.location_id === null
        ? null
        : { id: Number(row.location_id), code: row.location_code as string, name: row.location_name as string },
    asset: row.asset_id === null ? null : { id: Number(row.asset_id), assetTag: row.asset_tag as string, name: row.asset_name as string },
    dismissable: row.dismissable as boolean,
    createdBy: row.created_by === null ? null : Number(row.created_by),
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

/** Notices `n` with the code and name of their location or asset. */
function selectNotices(db: Db): Knex.QueryBuilder {
  return db({ n: TABLE })
    .leftJoin({ l: 'locations' }, 'l.id', 'n.location_id')
    .leftJoin({ a: 'assets' }, 'a.id', 'n.asset_id')
    .select('n.*', { location_code: 'l.code', location_name: 'l.name', asset_tag: 'a.asset_tag', asset_name: 'a.name' });
}

/** Notices that have started and not ended at `now` (an end is exclusive). */
function whereActive(q: Knex.QueryBuilder, now: Date): void {
  const at = formatUtcDatetime(now);
  q.where('n.starts_at', '<=', at).where((w) => w.whereNull('n.ends_at').orWhere('n.ends_at', '>', at));
}

async function load(db: Db, id: number, now = new Date()): Promise<Notice> {
  const row = (await selectNotices(db).where('n.id', id).first()) as Row | undefined;
  if (!row) throw new NotFoundError(`There is no notice with id ${id}`);
  return toNotice(row, now);
}

export async function getNotice(db: Db, id: number): Promise<Notice> {
  return load(db, id);
}

export async function listNotices(db: Knex, query: NoticeQuery, now = new Date()): Promise<{ count: number; results: Notice[] }> {
  const filtered = (q: Knex.QueryBuilder) => {
    if (query.severity !== undefined) q.where('n.severity', query.severity);
    if (query.active === true) whereActive(q, now);
    if (query.active === false) {
      const at = formatUtcDatetime(now);
      q.where((w) => w.where('n.starts_at', '>', at).orWhere('n.ends_at', '<=', at));
    }
    return q;
  };
  const [{ count }] = (await filtered(db({ n: TABLE })).count({ count: '*' })) as Array<{ count: number | string }>;
  const rows = (await filtered(selectNotices(db))
    .orderBy('n.starts_at', 'desc')
    .orderBy('n.id', 'desc')
    .limit(query.limit)
    .offset(query.offset)) as Row[];
  return { count: Number(count), results: rows.map((row) => toNotice(row, now)) };
}

function toDate(value: string | Date): Date {
  return value instanceof Date ? value : new Date(value);
}

/** The target columns must match the kind, and what they name must exist; each problem names its field. */
async function checkNotice(
  db: Db,
  notice: { startsAt: Date; endsAt: Date | null; targetKind: TargetKind; locationId: number | null; assetId: number | null },
): Promise<void> {
  const fields: Record<string, string> = {};
  if (Number.isNaN(notice.startsAt.getTime())) fields.startsAt = 'is not a date-time';
  if (notice.endsAt !== null && Number.isNaN(notice.endsAt.getTime())) fields.endsAt = 'is not a date-time';
  else if (notice.endsAt !== null && notice.endsAt.getTime() <= notice.startsAt.getTime()) fields.endsAt = 'must be after startsAt';

  const { targetKind, locationId, assetId } = notice;
  if (targetKind === 'location' && locationId === null) fields.locationId = 'is required when targetKind is location';
  if (targetKind !== 'location' && locationId !== null) fields.locationId = `must be empty when targetKind is ${targetKind}`;
  if (targetKind === 'asset' && assetId === null) fields.assetId = 'is required when targetKind is asset';
  if (targetKind !== 'asset' && assetId !== null) fields.assetId = `must be empty when targetKind is ${targetKind}`;

  if (fields.locationId === undefined && locationId !== null && !(await db('locations').where({ id: locationId }).first('id'))) {
    fields.locationId = `no location with id ${locationId}`;
  }
  if (
    fields.assetId === undefined &&
    assetId !== null &&
    !(await db('assets').where({ id: assetId }).whereNull('deleted_at').first('id'))
  ) {
    fields.assetId = `no asset with id ${assetId}`;
  }
  if (Object.keys(fields).length > 0) throw new ValidationError('The notice is not valid', fields);
}

/** A PATCH merges into what is stored and checks the result (an end after the start): one at a time per notice (ADR-012). */
export const noticeLockKey = (id: number) => `notifications.notice:${id}`;

export async function createNotice(db: Db, actor: Actor, input: NoticeInput): Promise<Notice> {
  const notice = {
    startsAt: input.startsAt === undefined ? new Date() : toDate(input.startsAt),
    endsAt: input.endsAt == null ? null : toDate(input.endsAt),
    targetKind: input.targetKind,
    locationId: input.locationId ?? null,
    assetId: input.assetId ?? null,
  };
  return inTransaction(db, async (trx) => {
    await checkNotice(trx, notice);
    const row = encodeRow(CODEC, {
      title: input.title,
      body: input.body ?? null,
      severity: input.severity,
      starts_at: notice.startsAt,
      ends_at: notice.endsAt,
      target_kind: notice.targetKind,
      location_id: notice.locationId,
      asset_id: notice.assetId,
      dismissable: input.dismissable ?? true,
      created_by: actor.userId,
    });
    const [id] = await trx(TABLE).insert(row);
    const created = await load(trx, Number(id));
    await recordAudit(trx, actor, { action: 'create', objectType: OBJECT_TYPE, objectId: created.id, after: created });
    return created;
  });
}

/**
 * Changes the fields given. Changing targetKind drops the target id of the old kind unless the
 * patch sets it, so `{targetKind: 'site'}` alone turns a location notice into a site-wide one.
 */
export async function updateNotice(db: Db, actor: Actor, id: number, patch: NoticePatch): Promise<Notice> {
  return inTransaction(
    db,
    async (trx) => {
      const before = await load(trx, id);
      const targetKind = patch.targetKind ?? before.targetKind;
      const kindChanged = targetKind !== before.targetKind;
      const pickId = (given: number | null | undefined, current: number | null) =>
        given !== undefined ? given : kindChanged ? null : current;
      const merged = {
        startsAt: patch.startsAt === undefined ? before.startsAt : toDate(patch.startsAt),
        endsAt: patch.endsAt === undefined ? before.endsAt : patch.endsAt === null ? null : toDate(patch.endsAt),
        targetKind,
        locationId: pickId(patch.locationId, before.location?.id ?? null),
        assetId: pickId(patch.assetId, before.asset?.id ?? null),
      };
      await checkNotice(trx, merged);
      const changes: Row = {
        starts_at: merged.startsAt,
        ends_at: merged.endsAt,
        target_kind: merged.targetKind,
        location_id: merged.locationId,
        asset_id: merged.assetId,
      };
      if (patch.title !== undefined) changes.title = patch.title;
      if (patch.body !== undefined) changes.body = patch.body;
      if (patch.severity !== undefined) changes.severity = patch.severity;
      if (patch.dismissable !== undefined) changes.dismissable = patch.dismissable;
      await trx(TABLE)
        .where({ id })
        .update(encodeRow(CODEC, { ...changes, updated_at: new Date() }));
      const after = await load(trx, id);
      await recordAudit(trx, actor, { action: 'update', objectType: OBJECT_TYPE, objectId: id, before, after });
      return after;
    },
    { serializeOn: [noticeLockKey(id)] },
  );
}

export async function deleteNotice(db: Db, actor: Actor, id: number): Promise<void> {
  await inTransaction(
    db,
    async (trx) => {
      const before = await load(trx, id);
      // Its dismissals go with it (ON DELETE CASCADE).
      await trx(TABLE).where({ id }).delete();
      await recordAudit(trx, actor, { action: 'delete', objectType: OBJECT_TYPE, objectId: id, before });
    },
    { serializeOn: [noticeLockKey(id)] },
  );
}

export interface Dismissal {
  noticeId: number;
  userId: number;
  dismissedAt: Date;
}

/** The user hides the notice for themselves; dismissing twice keeps the first time. Not dismissable: 409. */
export async function dismissNotice(db: Db, actor: Actor, id: number): Promise<Dismissal> {
  if (actor.userId === null) throw new ValidationError('Only a user can dismiss a notice', { userId: 'is required' });
  const userId = actor.userId;
  return inTransaction(
    db,
    async (trx) => {
      const notice = await load(trx, id);
      if (!notice.dismissable)
        throw new ConflictError(`Notice ${id} cannot be dismissed`, {
          suggestion: 'Critical instructions stay until they end; ask an editor to change or end the notice.',
        });
      const existing = (await trx(DISMISSALS).where({ notice_id: id, user_id: userId }).first()) as Row | undefined;
      if (existing) return { noticeId: id, userId, dismissedAt: decodeRow<Row>({ dismissed_at: 'date' }, existing).dismissed_at as Date };
      const dismissedAt = new Date();
      await trx(DISMISSALS).insert(encodeRow({ dismissed_at: 'date' }, { notice_id: id, user_id: userId, dismissed_at: dismissedAt }));
      await recordAudit(trx, actor, { action: 'dismiss', objectType: OBJECT_TYPE, objectId: id, after: { noticeId: id, userId } });
      return { noticeId: id, userId, dismissedAt };
    },
    { serializeOn: [noticeLockKey(id)] },
  );
}

/** The ids of a location path ("/1/4/9/"), the location itself last. */
function idsOfPath(path: string): number[] {
  return path.split('/').filter(Boolean).map(Number);
}

export type ActiveFor = { locationId: number; assetId?: undefined } | { assetId: number; locationId?: undefined };

/**
 * The notices active at `now` for a location or an asset, critical first, then newest, without
 * those `userId` dismissed. A location sees site-wide notices, those on itself or any location
 * above it, and those on assets kept right there. An asset sees site-wide notices, those on its
 * location and above, and its own.
 */
export async function activeNotices(db: Db, target: ActiveFor, userId: number | null, now = new Date()): Promise<Notice[]> {
  let locationIds: number[] = [];
  let assetIds: Knex.QueryBuilder | number[];
  if (target.locationId !== undefined) {
    const location = (await db('locations').where({ id: target.locationId }).first('path')) as Row | undefined;
    if (!location) throw new NotFoundError(`There is no location with id ${target.locationId}`);
    locationIds = idsOfPath(location.path as string);
    assetIds = db('assets').select('id').where('location_id', target.locationId).whereNull('deleted_at');
  } else {
    const asset = (await db({ a: 'assets' })
      .leftJoin({ l: 'locations' }, 'l.id', 'a.location_id')
      .where('a.id', target.assetId)
      .whereNull('a.deleted_at')
      .first('a.id', 'l.path')) as Row | undefined;
    if (!asset) throw new NotFoundError(`There is no asset with id ${target.assetId}`);
    locationIds = asset.path ? idsOfPath(asset.path as string) : [];
    assetIds = [target.assetId];
  }
  const q = selectNotices(db).where((w) => {
    w.where('n.target_kind', 'site');
    if (locationIds.length > 0) w.orWhere((l) => l.where('n.target_kind', 'location').whereIn('n.location_id', locationIds));
    w.orWhere((a) => a.where('n.target_kind', 'asset').whereIn('n.asset_id', assetIds).whereNull('a.deleted_at'));
  });
  whereActive(q, now);
  if (userId !== null)
    q.whereNotExists(
      db(DISMISSALS)
        .select(db.raw('1'))
        .whereRaw('?? = ??', [`${DISMISSALS}.notice_id`, 'n.id'])
        .where(`${DISMISSALS}.user_id`, userId),
    );
  q.orderByRaw("case when n.severity = 'critical' then 0 else 1 end").orderBy('n.starts_at', 'desc').orderBy('n.id', 'desc');
  return ((await q) as Row[]).map((row) => toNotice(row, now));
}

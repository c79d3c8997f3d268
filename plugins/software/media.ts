// Removable media (USB sticks, DVDs, SD cards) and their checkouts: one open checkout per medium,
// overdue past its expected day.

import type { Knex } from 'knex';
import {
  decodeRow,
  encodeRow,
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
import { countOf, dateOnly, dayOf, mediumLockKey, TIMES, type Page, type Row, type MediaKind } from './common.js';

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
    .select('c.id', 'c.media_id', 'c.user_id', 'c.checked_out_at', 'c.expected_back_on', 'c.checked_in_at', {
      media_label: 'm.label',
      media_kind: 'm.kind',
      username: 'u.username',
      display_name: 'u.display_name',
    });
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
  const open =
    ids.length === 0 ? [] : ((await selectCheckouts(db).whereIn('c.open_media_id', ids)) as Row[]).map((row) => toCheckout(row, now));
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

export async function listMedia(
  db: Knex,
  query: { limit: number; offset: number; kind?: MediaKind },
  now = new Date(),
): Promise<Page<Medium>> {
  const q = db('software_media');
  if (query.kind !== undefined) q.where('kind', query.kind);
  const count = await countOf(q);
  const rows = (await q.clone().select('*').orderByRaw('lower(label), id').limit(query.limit).offset(query.offset)) as Row[];
  return { count, results: await withOpenCheckouts(db, rows, now) };
}

export async function createMedium(db: Db, actor: Actor, input: MediumInput): Promise<Medium> {
  return inTransaction(db, async (trx) => {
    const [id] = await trx('software_media')
      .insert({
        label: input.label,
        label_key: textKey(input.label),
        kind: input.kind,
        capacity: input.capacity ?? null,
        notes: input.notes ?? null,
      })
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
  return inTransaction(
    db,
    async (trx) => {
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
        .insert(
          encodeRow(CHECKOUT_CODEC, {
            media_id: mediaId,
            user_id: input.userId,
            checked_out_at: now,
            expected_back_on: input.expectedBackOn,
            open_media_id: mediaId,
          }),
        )
        .catch((error: unknown) => {
          // Another request checked it out between the check and the insert.
          if (isUniqueViolation(error)) throw alreadyOut();
          throw error;
        });
      const checkout = toCheckout((await selectCheckouts(trx).where('c.id', Number(id)).first()) as Row, now);
      await recordAudit(trx, actor, { action: 'checkout', objectType: 'software.medium', objectId: mediaId, after: checkout });
      return checkout;
    },
    { serializeOn: [mediumLockKey(mediaId)] },
  );
}

/** Takes a medium back; 409 when it is not out. */
export async function checkinMedium(db: Db, actor: Actor, mediaId: number, now = new Date()): Promise<Checkout> {
  return inTransaction(
    db,
    async (trx) => {
      const medium = await loadMedium(trx, mediaId, now);
      if (!medium.checkout) throw new ConflictError(`Medium ${medium.label} is not checked out`);
      await trx('software_media_checkouts')
        .where({ id: medium.checkout.id })
        .update(encodeRow(CHECKOUT_CODEC, { checked_in_at: now, open_media_id: null, updated_at: formatUtcDatetime(now) }));
      const checkout = toCheckout((await selectCheckouts(trx).where('c.id', medium.checkout.id).first()) as Row, now);
      await recordAudit(trx, actor, {
        action: 'checkin',
        objectType: 'software.medium',
        objectId: mediaId,
        before: medium.checkout,
        after: checkout,
      });
      return checkout;
    },
    { serializeOn: [mediumLockKey(mediaId)] },
  );
}

/** Open checkouts whose expected day has passed, the longest overdue first. */
export async function overdueCheckouts(db: Db, now = new Date()): Promise<Checkout[]> {
  const rows = (await selectCheckouts(db)
    .whereNotNull('c.open_media_id')
    .where('c.expected_back_on', '<', dayOf(now))
    .orderBy('c.expected_back_on')
    .orderBy('c.id')) as Row[];
  return rows.map((row) => toCheckout(row, now));
}

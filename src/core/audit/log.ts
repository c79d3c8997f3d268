// The audit log: every write records who did what to which object, with the object before and
// after, and the request it came from. Written in the same transaction as the change.

import type { Knex } from 'knex';
import { decodeRow, encodeRow, type RowCodec } from '../db/values.js';

/** Who is acting: a user through the API or the CLI (user null for the CLI run by site IT). */
export interface Actor {
  userId: number | null;
  username: string | null;
  /** The API request id, or null from the CLI. */
  requestId: string | null;
}

/** The CLI acting on behalf of the person at the terminal (recorded as `cli:<os user>`). */
export function cliActor(osUser: string): Actor {
  return { userId: null, username: `cli:${osUser}`, requestId: null };
}

export interface AuditEntryInput {
  action: string;
  objectType: string;
  objectId: string | number | null;
  before?: unknown;
  after?: unknown;
  /**
   * The asset the entry belongs to, for the asset's history. Left out, it is the object id of an
   * `asset` entry, else the `assetId` the record after (or before) the change names.
   */
  assetId?: number | null;
}

export interface AuditEntry {
  id: number;
  at: Date;
  userId: number | null;
  username: string | null;
  action: string;
  objectType: string;
  objectId: string | null;
  before: unknown;
  after: unknown;
  requestId: string | null;
  assetId: number | null;
}

const AUDIT_CODEC: RowCodec = { at: 'date', before: 'json', after: 'json' };

/** Secrets never enter the audit log, whatever object they came with. */
const REDACTED_KEYS = new Set([
  'password',
  'password_hash',
  'passwordHash',
  'token',
  'token_hash',
  'tokenHash',
  'license_key',
  'licenseKey',
]);

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, REDACTED_KEYS.has(key) ? '[redacted]' : redact(inner)]));
  }
  return value;
}

function namedAssetId(record: unknown): number | null {
  if (!record || typeof record !== 'object') return null;
  const value = (record as { assetId?: unknown }).assetId;
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : null;
}

/** The asset an entry belongs to (AuditEntryInput.assetId), or null for one of no asset. */
export function auditAssetId(entry: AuditEntryInput): number | null {
  if (entry.assetId !== undefined) return entry.assetId;
  if (entry.objectType === 'asset') return namedAssetId({ assetId: Number(entry.objectId ?? NaN) });
  return namedAssetId(entry.after) ?? namedAssetId(entry.before);
}

function auditRow(actor: Actor, entry: AuditEntryInput, at: Date): Record<string, unknown> {
  return encodeRow(AUDIT_CODEC, {
    at,
    user_id: actor.userId,
    username: actor.username,
    action: entry.action,
    object_type: entry.objectType,
    object_id: entry.objectId === null ? null : String(entry.objectId),
    before: entry.before === undefined ? null : redact(entry.before),
    after: entry.after === undefined ? null : redact(entry.after),
    request_id: actor.requestId,
    asset_id: auditAssetId(entry),
  });
}

export async function recordAudit(db: Knex | Knex.Transaction, actor: Actor, entry: AuditEntryInput): Promise<void> {
  await db('audit_log').insert(auditRow(actor, entry, new Date()));
}

/** Many entries in one statement per 500 (an import's batch): the same rows recordAudit writes, one `at` for all. */
export async function recordAuditMany(db: Knex | Knex.Transaction, actor: Actor, entries: readonly AuditEntryInput[]): Promise<void> {
  const at = new Date();
  const rows = entries.map((entry) => auditRow(actor, entry, at));
  for (let i = 0; i < rows.length; i += 500) await db('audit_log').insert(rows.slice(i, i + 500));
}

export interface AuditQuery {
  objectType?: string;
  objectId?: string;
  userId?: number;
  /** Only the entries of this asset: the asset itself, its plugin details and records. */
  assetId?: number;
  limit: number;
  offset: number;
}

export async function listAudit(db: Knex, query: AuditQuery): Promise<{ count: number; results: AuditEntry[] }> {
  const base = db('audit_log').modify((q) => {
    if (query.objectType !== undefined) q.where('object_type', query.objectType);
    if (query.objectId !== undefined) q.where('object_id', query.objectId);
    if (query.userId !== undefined) q.where('user_id', query.userId);
    if (query.assetId !== undefined) q.where('asset_id', query.assetId);
  });
  const [{ count }] = (await base.clone().count({ count: '*' })) as Array<{ count: number | string }>;
  const rows = (await base.clone().select('*').orderBy('id', 'desc').limit(query.limit).offset(query.offset)) as Array<
    Record<string, unknown>
  >;
  return {
    count: Number(count),
    results: rows.map((row) => {
      const r = decodeRow<Record<string, unknown>>(AUDIT_CODEC, row);
      return {
        id: Number(r.id),
        at: r.at as Date,
        userId: r.user_id === null ? null : Number(r.user_id),
        username: r.username as string | null,
        action: r.action as string,
        objectType: r.object_type as string,
        objectId: r.object_id as string | null,
        before: r.before,
        after: r.after,
        requestId: r.request_id as string | null,
        assetId: r.asset_id === null || r.asset_id === undefined ? null : Number(r.asset_id),
      };
    }),
  };
}

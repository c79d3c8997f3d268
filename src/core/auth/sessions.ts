// Login sessions kept in the site database (ADR-012). A session JWT carries a random session id;
// the `sessions` row it names (by hash) says whether the session still counts. Every request reads
// that row together with the user in one query, so ending a session — logout, a password reset, a
// role change, a disabled account, `shopdb user logout-all` — holds on every replica from the very
// next request. Nothing about a session is cached in a process.

import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAudit, type Actor } from '../audit/log.js';
import { decodeRow, encodeRow, formatUtcDatetime, type RowCodec } from '../db/values.js';
import { inTransaction, writeUnlessContended, type Db } from '../db/transaction.js';
import { NotFoundError } from '../errors.js';
import { toAuthenticatedUser } from '../users/rows.js';
import type { AuthenticatedUser, RoleName } from './types.js';

export const SESSION_END_REASONS = ['logout', 'logout-all', 'password-reset', 'role-change', 'disabled', 'admin', 'restore'] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

/** How stale `last_seen_at` may get before a request refreshes it (one write a minute at most). */
export const LAST_SEEN_RESOLUTION_MS = 60_000;
/** Ended and expired rows are kept this long (for `user sessions --all`), then pruned at a login. */
export const ENDED_SESSION_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

const SESSION_CODEC: RowCodec = { created_at: 'date', expires_at: 'date', last_seen_at: 'date', revoked_at: 'date' };

/** A session id: 128 random bits, base64url. Only its hash is stored. */
function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

export function hashSessionId(sid: string): string {
  return createHash('sha256').update(sid).digest('hex');
}

export interface NewSession {
  /** The database id (public: lists and `DELETE /api/sessions/:id` use it). */
  id: number;
  /** The secret id the JWT carries. */
  sid: string;
  expiresAt: Date;
}

export interface SessionOrigin {
  ip?: string | null;
  userAgent?: string | null;
}

export async function createSession(
  db: Knex,
  userId: number,
  lifetimeSeconds: number,
  origin: SessionOrigin = {},
  now = new Date(),
): Promise<NewSession> {
  const sid = newSessionId();
  const expiresAt = new Date(now.getTime() + Math.max(1, Math.floor(lifetimeSeconds)) * 1000);
  const row = encodeRow(SESSION_CODEC, {
    sid_hash: hashSessionId(sid),
    user_id: userId,
    created_at: now,
    expires_at: expiresAt,
    last_seen_at: now,
    ip: origin.ip?.slice(0, 45) ?? null,
    user_agent: origin.userAgent?.slice(0, 255) ?? null,
  });
  const [id] = await inTransaction(db, (trx) => trx('sessions').insert(row));
  // About one login in fifty sweeps out the rows kept past their retention.
  if (Math.random() < 0.02) await pruneSessions(db, now);
  return { id: Number(id), sid, expiresAt };
}

export interface ResolvedSession {
  sessionId: number;
  user: AuthenticatedUser;
}

/**
 * The user of a live session: not ended, not expired, its user enabled. One read (the session
 * row joined with its user), plus a write of `last_seen_at` at most once a minute.
 */
export async function resolveSession(db: Knex, sid: string, now = new Date()): Promise<ResolvedSession | null> {
  const raw = (await db({ s: 'sessions' })
    .join({ u: 'users' }, 'u.id', 's.user_id')
    .where('s.sid_hash', hashSessionId(sid))
    .first(
      's.id',
      's.expires_at',
      's.revoked_at',
      's.last_seen_at',
      { user_id: 'u.id' },
      'u.username',
      'u.display_name',
      'u.role',
      'u.auth_source',
      'u.disabled',
    )) as Record<string, unknown> | undefined;
  if (raw === undefined) return null;
  const row = decodeRow<{
    id: number;
    expires_at: Date;
    revoked_at: Date | null;
    last_seen_at: Date | null;
    user_id: number;
    username: string;
    display_name: string | null;
    role: RoleName;
    auth_source: 'local' | 'ldap';
    disabled: boolean;
  }>({ ...SESSION_CODEC, disabled: 'boolean' }, raw);
  if (row.revoked_at !== null || row.expires_at.getTime() <= now.getTime() || row.disabled) return null;
  if (row.last_seen_at === null || now.getTime() - row.last_seen_at.getTime() >= LAST_SEEN_RESOLUTION_MS) {
    await writeUnlessContended(() =>
      db('sessions')
        .where('id', row.id)
        .update(encodeRow(SESSION_CODEC, { last_seen_at: now })),
    );
  }
  return {
    sessionId: Number(row.id),
    user: toAuthenticatedUser({
      id: row.user_id,
      username: row.username,
      display_name: row.display_name,
      role: row.role,
      auth_source: row.auth_source,
    }),
  };
}

/** Ends the session a JWT carries (logout). False when it had already ended or never existed. */
export async function endSessionBySid(db: Knex, sid: string, reason: SessionEndReason = 'logout', now = new Date()): Promise<boolean> {
  const ended = await inTransaction(db, (trx) =>
    trx('sessions')
      .where('sid_hash', hashSessionId(sid))
      .whereNull('revoked_at')
      .update(encodeRow(SESSION_CODEC, { revoked_at: now, revoked_reason: reason })),
  );
  return ended > 0;
}

/**
 * Ends every live session of a user, inside the caller's transaction when given one (so a
 * password reset and the end of the sessions it invalidates commit together). Returns how many.
 */
export async function endUserSessions(
  db: Db,
  userId: number,
  reason: SessionEndReason,
  now = new Date(),
  exceptSessionId?: number,
): Promise<number> {
  return db('sessions')
    .where('user_id', userId)
    .modify((q) => {
      if (exceptSessionId !== undefined) q.whereNot('id', exceptSessionId);
    })
    .whereNull('revoked_at')
    .where('expires_at', '>', formatUtcDatetime(now))
    .update(encodeRow(SESSION_CODEC, { revoked_at: now, revoked_reason: reason }));
}

/** Ends every live session of the site (after a restore). Returns how many. */
export async function endAllSessions(db: Knex, reason: SessionEndReason, now = new Date()): Promise<number> {
  if (!(await db.schema.hasTable('sessions'))) return 0;
  return inTransaction(db, (trx) =>
    trx('sessions')
      .whereNull('revoked_at')
      .where('expires_at', '>', formatUtcDatetime(now))
      .update(encodeRow(SESSION_CODEC, { revoked_at: now, revoked_reason: reason })),
  );
}

export interface SessionInfo {
  id: number;
  userId: number;
  username: string;
  status: 'active' | 'expired' | 'ended';
  createdAt: Date;
  expiresAt: Date;
  lastSeenAt: Date | null;
  endedAt: Date | null;
  endedReason: string | null;
  ip: string | null;
  userAgent: string | null;
}

function toInfo(raw: Record<string, unknown>, now: Date): SessionInfo {
  const row = decodeRow<Record<string, unknown>>(SESSION_CODEC, raw);
  const revokedAt = (row.revoked_at as Date | null) ?? null;
  const expiresAt = row.expires_at as Date;
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    username: row.username as string,
    status: revokedAt !== null ? 'ended' : expiresAt.getTime() <= now.getTime() ? 'expired' : 'active',
    createdAt: row.created_at as Date,
    expiresAt,
    lastSeenAt: (row.last_seen_at as Date | null) ?? null,
    endedAt: revokedAt,
    endedReason: (row.revoked_reason as string | null) ?? null,
    ip: (row.ip as string | null) ?? null,
    userAgent: (row.user_agent as string | null) ?? null,
  };
}

export interface SessionQuery {
  userId?: number;
  /** Also the ended and expired sessions still kept; live ones only when false. */
  includeEnded?: boolean;
}

/** Sessions, newest first (live ones only unless `includeEnded`). */
export async function listSessions(db: Knex, query: SessionQuery = {}, now = new Date()): Promise<SessionInfo[]> {
  const q = db({ s: 'sessions' })
    .join({ u: 'users' }, 'u.id', 's.user_id')
    .select(
      's.id',
      's.user_id',
      'u.username',
      's.created_at',
      's.expires_at',
      's.last_seen_at',
      's.revoked_at',
      's.revoked_reason',
      's.ip',
      's.user_agent',
    )
    .orderBy('s.id', 'desc');
  if (query.userId !== undefined) q.where('s.user_id', query.userId);
  if (!query.includeEnded) q.whereNull('s.revoked_at').where('s.expires_at', '>', formatUtcDatetime(now));
  else {
    // What pruning would drop is left out even before a login has got round to dropping it.
    const kept = formatUtcDatetime(new Date(now.getTime() - ENDED_SESSION_RETENTION_MS));
    q.where('s.expires_at', '>=', kept).where((w) => w.whereNull('s.revoked_at').orWhere('s.revoked_at', '>=', kept));
  }
  return ((await q) as Array<Record<string, unknown>>).map((row) => toInfo(row, now));
}

/**
 * Ends one session by its id; audited. A session that had already ended is left as it was. With
 * `ownerId` (a user ending their own), another user's session is "not found".
 */
export async function endSessionById(
  db: Knex,
  actor: Actor,
  id: number,
  now = new Date(),
  options: { ownerId?: number } = {},
): Promise<{ session: SessionInfo; alreadyEnded: boolean }> {
  return inTransaction(db, async (trx) => {
    const query = trx({ s: 'sessions' }).join({ u: 'users' }, 'u.id', 's.user_id').where('s.id', id);
    if (options.ownerId !== undefined) query.where('s.user_id', options.ownerId);
    const raw = (await query.first('s.*', 'u.username')) as Record<string, unknown> | undefined;
    if (raw === undefined)
      throw new NotFoundError(`There is no session with id ${id}`, {
        suggestion: 'List the sessions (GET /api/sessions, `shopdb user sessions`) to find its id.',
      });
    const before = toInfo(raw, now);
    if (before.status !== 'active') return { session: before, alreadyEnded: true };
    const reason: SessionEndReason = options.ownerId !== undefined ? 'logout' : 'admin';
    await trx('sessions')
      .where('id', id)
      .update(encodeRow(SESSION_CODEC, { revoked_at: now, revoked_reason: reason }));
    await recordAudit(trx, actor, {
      action: 'end',
      objectType: 'session',
      objectId: id,
      after: { userId: before.userId, username: before.username, reason },
    });
    return { session: { ...before, status: 'ended', endedAt: now, endedReason: reason }, alreadyEnded: false };
  });
}

/** `shopdb user logout-all` and `POST /api/users/:id/logout-all`: ends every live session of a user; audited. */
export async function logoutEverywhere(db: Knex, actor: Actor, user: { id: number; username: string }, now = new Date()): Promise<number> {
  return inTransaction(db, async (trx) => {
    const ended = await endUserSessions(trx, user.id, 'logout-all', now);
    await recordAudit(trx, actor, {
      action: 'logout-all',
      objectType: 'user',
      objectId: user.id,
      after: { username: user.username, sessionsEnded: ended },
    });
    return ended;
  });
}

/** Drops rows that ended or expired more than ENDED_SESSION_RETENTION_MS ago. */
export async function pruneSessions(db: Knex, now = new Date()): Promise<number> {
  const before = formatUtcDatetime(new Date(now.getTime() - ENDED_SESSION_RETENTION_MS));
  return inTransaction(db, (trx) => trx('sessions').where('expires_at', '<', before).orWhere('revoked_at', '<', before).delete());
}

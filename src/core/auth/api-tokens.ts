// API tokens for scripts and integrations: `shopdb_` + 43 characters (32 random bytes,
// base64url). Only the SHA-256 of a token is stored (a token is random enough that a slow hash
// adds nothing), plus its first 12 characters so people can tell tokens apart and revoke one.
// The token itself is returned once, by createApiToken.

import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAudit, type Actor } from '../audit/log.js';
import { decodeRow, encodeValue, type RowCodec } from '../db/values.js';
import { inTransaction, writeUnlessContended } from '../db/transaction.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import { findUserRowById, toAuthenticatedUser } from '../users/rows.js';
import { atLeast, type AuthenticatedUser, type RoleName } from './types.js';

export const TOKEN_PREFIX = 'shopdb_';
export const TOKEN_PATTERN = /^shopdb_[A-Za-z0-9_-]{43}$/;
/** How many leading characters are kept in clear: `shopdb_` plus 5 random ones. */
export const TOKEN_PREFIX_LENGTH = 12;
/**
 * read: GET only; write: what the user's role allows; summary:read: `GET /api/summary` and
 * nothing else, for a fleet's central instance (ADR-021).
 */
export const TOKEN_SCOPES = ['read', 'write', 'summary:read'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** last_used_at is written at most once a minute per token, so a busy script does not turn every read into a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

const TOKEN_CODEC: RowCodec = {
  expires_at: 'date',
  last_used_at: 'date',
  revoked_at: 'date',
  created_at: 'date',
  updated_at: 'date',
  disabled: 'boolean',
};

export interface CreateApiTokenInput {
  userId: number;
  name: string;
  scope: TokenScope;
  /** null or absent: the token does not expire. */
  expiresAt?: Date | null;
}

export interface CreatedApiToken {
  id: number;
  /** The only time the token is ever available: it is not stored. */
  token: string;
  prefix: string;
  name: string;
  scope: TokenScope;
  expiresAt: Date | null;
}

export interface ApiTokenInfo {
  id: number;
  userId: number;
  username: string;
  name: string;
  prefix: string;
  scope: TokenScope;
  status: 'active' | 'expired' | 'revoked';
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface ResolvedApiToken {
  user: AuthenticatedUser;
  tokenId: number;
  scope: TokenScope;
}

/** The scope that may read the site summary only. */
export const SUMMARY_SCOPE = 'summary:read' satisfies TokenScope;

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** `90d`, `12h`, `4w`, `1y` from `now`. */
export function expiryFromDuration(text: string, now = new Date()): Date {
  const match = /^\s*(\d{1,5})\s*([hdwy])\s*$/i.exec(text);
  const amount = match ? Number(match[1]) : 0;
  if (!match || amount < 1) {
    throw new ValidationError(`Cannot read the duration "${text}"`, {
      expiresIn: 'must be a number and a unit: h (hours), d (days), w (weeks) or y (years), e.g. 90d',
    });
  }
  const hours = { h: 1, d: 24, w: 24 * 7, y: 24 * 365 }[match[2]!.toLowerCase() as 'h' | 'd' | 'w' | 'y'];
  return new Date(now.getTime() + amount * hours * 3_600_000);
}

function statusOf(row: { revoked_at: Date | null; expires_at: Date | null }, now: Date): ApiTokenInfo['status'] {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at !== null && row.expires_at.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

interface TokenRow {
  id: number;
  user_id: number;
  username: string;
  name: string;
  token_prefix: string;
  scope: TokenScope;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const INFO_COLUMNS = [
  't.id',
  't.user_id',
  'u.username',
  't.name',
  't.token_prefix',
  't.scope',
  't.created_at',
  't.expires_at',
  't.last_used_at',
  't.revoked_at',
];

function toInfo(raw: Record<string, unknown>, now: Date): ApiTokenInfo {
  const row = decodeRow<TokenRow>(TOKEN_CODEC, raw);
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    username: row.username,
    name: row.name,
    prefix: row.token_prefix,
    scope: row.scope,
    status: statusOf(row, now),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

function validateTokenInput(input: CreateApiTokenInput, now: Date): string {
  const name = input.name.trim();
  const fields: Record<string, string> = {};
  if (name.length < 1 || name.length > 100) fields.name = 'must be 1 to 100 characters';
  if (!(TOKEN_SCOPES as readonly string[]).includes(input.scope)) fields.scope = `must be one of ${TOKEN_SCOPES.join(', ')}`;
  if (input.expiresAt != null && (Number.isNaN(input.expiresAt.getTime()) || input.expiresAt.getTime() <= now.getTime()))
    fields.expiresAt = 'must be in the future';
  if (Object.keys(fields).length > 0) throw new ValidationError(`Invalid API token: ${Object.keys(fields).join(', ')}`, fields);
  return name;
}

export async function createApiToken(db: Knex, actor: Actor, input: CreateApiTokenInput): Promise<CreatedApiToken> {
  const now = new Date();
  const name = validateTokenInput(input, now);
  const expiresAt = input.expiresAt ?? null;
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const prefix = token.slice(0, TOKEN_PREFIX_LENGTH);

  return inTransaction(db, async (trx) => {
    const user = await findUserRowById(trx, input.userId);
    if (user === null) throw new NotFoundError(`No user with id ${input.userId}`);
    if (user.disabled) {
      throw new ConflictError(`"${user.username}" is disabled: a token for them would not work`, { suggestion: 'Enable the user first.' });
    }
    const [id] = await trx('api_tokens').insert({
      user_id: user.id,
      name,
      token_prefix: prefix,
      token_hash: hashApiToken(token),
      scope: input.scope,
      expires_at: encodeValue('date', expiresAt),
    });
    const created: CreatedApiToken = { id: Number(id), token, prefix, name, scope: input.scope, expiresAt };
    await recordAudit(trx, actor, {
      action: 'create',
      objectType: 'api_token',
      objectId: created.id,
      after: { userId: user.id, username: user.username, name, prefix, scope: input.scope, expiresAt },
    });
    return created;
  });
}

/**
 * Who a bearer token belongs to. Null for anything that is not a live token: malformed, unknown,
 * revoked, expired, or belonging to a disabled user (enabling the user brings their tokens back).
 */
export async function resolveApiToken(db: Knex, token: string, now = new Date()): Promise<ResolvedApiToken | null> {
  if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return null;
  const raw = (await db('api_tokens as t')
    .join('users as u', 'u.id', 't.user_id')
    .where('t.token_hash', hashApiToken(token))
    .first(
      't.id',
      't.scope',
      't.expires_at',
      't.revoked_at',
      't.last_used_at',
      'u.id as user_id',
      'u.username',
      'u.display_name',
      'u.role',
      'u.auth_source',
      'u.disabled',
    )) as Record<string, unknown> | undefined;
  if (raw === undefined) return null;
  const row = decodeRow<{
    id: number;
    scope: TokenScope;
    expires_at: Date | null;
    revoked_at: Date | null;
    last_used_at: Date | null;
    user_id: number;
    username: string;
    display_name: string | null;
    role: RoleName;
    auth_source: 'local' | 'ldap';
    disabled: boolean;
  }>(TOKEN_CODEC, raw);
  if (row.disabled || statusOf(row, now) !== 'active') return null;
  if (row.last_used_at === null || now.getTime() - row.last_used_at.getTime() >= LAST_USED_RESOLUTION_MS) {
    await writeUnlessContended(() =>
      db('api_tokens')
        .where('id', row.id)
        .update({ last_used_at: encodeValue('date', now) }),
    );
  }
  return {
    user: toAuthenticatedUser({
      id: row.user_id,
      username: row.username,
      display_name: row.display_name,
      role: row.role,
      auth_source: row.auth_source,
    }),
    tokenId: Number(row.id),
    scope: row.scope,
  };
}

export interface RevokeResult {
  token: ApiTokenInfo;
  /** True when it was revoked before (then nothing is written or audited). */
  alreadyRevoked: boolean;
}

/** Who asks to create a token, for `assertMayCreateToken`. */
export interface TokenRequester {
  userId: number;
  role: RoleName;
  /** How the requester signed in: a token may not make tokens. */
  via: 'session' | 'token' | 'cli';
}

/**
 * Self-service limits on tokens: anyone signed in with a password makes tokens for themself, and a
 * token never does more than its user may (it acts with the user's role: a viewer's token reads
 * only). Only an admin makes a token for someone else or a `summary:read` token, the fleet's
 * site-wide credential. A token cannot mint tokens, so a leaked one cannot outlive its revocation.
 */
export function assertMayCreateToken(requester: TokenRequester, input: Pick<CreateApiTokenInput, 'userId' | 'scope'>): void {
  if (requester.via === 'token') {
    throw new ForbiddenError('An API token cannot create API tokens', {
      suggestion: 'Sign in with your password (POST /api/auth/login) and create it with that session.',
    });
  }
  if (requester.role === 'admin') return;
  if (input.userId !== requester.userId) {
    throw new ForbiddenError('Only an admin creates API tokens for other users', {
      suggestion: 'Leave out userId to create a token of your own.',
    });
  }
  if (input.scope === SUMMARY_SCOPE) {
    throw new ForbiddenError("Only an admin creates summary:read tokens: they are the site's credential for the fleet roll-up", {
      suggestion: 'Ask an admin, or create a read token for yourself.',
    });
  }
  if (input.scope === 'write' && !atLeast(requester.role, 'editor')) {
    throw new ForbiddenError(`A ${requester.role}'s token can only read: a token does what its user may do`, {
      suggestion: 'Create it with scope read.',
    });
  }
}

export interface RevokeOptions {
  /** Only this user's token may be revoked (self-service); another user's is "not found". */
  ownerId?: number;
}

/** By id (digits), by the 12-character prefix `shopdb_xxxxx`, or by the whole token if someone pastes it. */
export async function revokeApiToken(
  db: Knex,
  actor: Actor,
  idOrPrefix: string | number,
  options: RevokeOptions = {},
): Promise<RevokeResult> {
  const key = String(idOrPrefix).trim();
  const now = new Date();
  return inTransaction(db, async (trx) => {
    const query = trx('api_tokens as t').join('users as u', 'u.id', 't.user_id').select(INFO_COLUMNS);
    if (/^\d+$/.test(key)) query.where('t.id', Number(key));
    else if (TOKEN_PATTERN.test(key)) query.where('t.token_hash', hashApiToken(key));
    else query.where('t.token_prefix', key);
    if (options.ownerId !== undefined) query.where('t.user_id', options.ownerId);
    const matches = (await query) as Array<Record<string, unknown>>;
    if (matches.length === 0) {
      throw new NotFoundError(`No API token with id or prefix "${key}"`, {
        suggestion: 'List the tokens (`shopdb user token list`) to find its id or prefix.',
      });
    }
    if (matches.length > 1) {
      const ids = matches.map((m) => Number(m.id)).join(', ');
      throw new ConflictError(`The prefix "${key}" matches ${matches.length} tokens (ids ${ids})`, {
        suggestion: 'Revoke it by id instead.',
      });
    }
    const before = toInfo(matches[0]!, now);
    if (before.revokedAt !== null) return { token: before, alreadyRevoked: true };
    await trx('api_tokens')
      .where('id', before.id)
      .update({ revoked_at: encodeValue('date', now), updated_at: encodeValue('date', now) });
    const token: ApiTokenInfo = { ...before, status: 'revoked', revokedAt: now };
    await recordAudit(trx, actor, {
      action: 'revoke',
      objectType: 'api_token',
      objectId: token.id,
      before: { status: before.status },
      after: { userId: token.userId, username: token.username, name: token.name, prefix: token.prefix, status: 'revoked' },
    });
    return { token, alreadyRevoked: false };
  });
}

/** Every token (or one user's), newest last, with its status; never a hash. */
export async function listApiTokens(db: Knex, userId?: number): Promise<ApiTokenInfo[]> {
  const now = new Date();
  const rows = (await db('api_tokens as t')
    .join('users as u', 'u.id', 't.user_id')
    .select(INFO_COLUMNS)
    .modify((q) => {
      if (userId !== undefined) q.where('t.user_id', userId);
    })
    .orderBy('t.id')) as Array<Record<string, unknown>>;
  return rows.map((raw) => toInfo(raw, now));
}

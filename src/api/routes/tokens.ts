// API tokens: list (never a secret), create (the token is in this one response and nowhere else,
// ever), and revoke. Admins see and manage everyone's; every other signed-in user their own,
// within their role (assertMayCreateToken). Through src/core/auth/api-tokens.ts, audited.

import type { FastifyInstance } from 'fastify';
import {
  assertMayCreateToken,
  createApiToken,
  expiryFromDuration,
  listApiTokens,
  revokeApiToken,
  TOKEN_SCOPES,
  type TokenScope,
} from '../../core/auth/api-tokens.js';
import { actorOf, ownScope, principalOf, requireRole } from '../auth/guards.js';
import { errorResponses } from '../errors.js';
import { listQuerySchema, pageOf, pageSchema, type PageQuery } from '../pagination.js';
import { idParams, rowId } from '../schemas.js';

const dateTimeOrNull = { type: ['string', 'null'], format: 'date-time' } as const;
const scope = {
  type: 'string',
  enum: TOKEN_SCOPES,
  description: 'read: GET only; write: what the role allows; summary:read: GET /api/summary only.',
} as const;

export const apiTokenSchema = {
  type: 'object',
  required: ['id', 'userId', 'username', 'name', 'prefix', 'scope', 'status', 'createdAt', 'expiresAt', 'lastUsedAt', 'revokedAt'],
  properties: {
    id: { type: 'integer' },
    userId: { type: 'integer' },
    username: { type: 'string' },
    name: { type: 'string' },
    prefix: { type: 'string', description: 'The first characters of the token, to tell tokens apart.' },
    scope,
    status: { type: 'string', enum: ['active', 'expired', 'revoked'] },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: dateTimeOrNull,
    lastUsedAt: dateTimeOrNull,
    revokedAt: dateTimeOrNull,
  },
} as const;

const createdTokenSchema = {
  type: 'object',
  required: ['id', 'token', 'prefix', 'name', 'scope', 'expiresAt'],
  properties: {
    id: { type: 'integer' },
    token: { type: 'string', description: 'Shown this once: only its hash is stored.' },
    prefix: { type: 'string' },
    name: { type: 'string' },
    scope,
    expiresAt: dateTimeOrNull,
  },
} as const;

interface ListTokensQuery extends PageQuery {
  user_id?: number;
}

interface CreateTokenBody {
  name: string;
  scope: TokenScope;
  /** Whose token; the caller's own when absent. */
  userId?: number;
  /** e.g. 90d, 12h, 4w, 1y; no expiry when absent. */
  expiresIn?: string;
}

const tags = ['tokens'];
const schemas = {
  list: {
    summary: "List API tokens, with their status: everyone's for an admin, your own otherwise.",
    tags,
    querystring: listQuerySchema({ user_id: rowId }),
    response: { 200: pageSchema(apiTokenSchema), ...errorResponses },
  },
  create: {
    summary:
      "Create an API token; the response carries the token, once. Yours within your role (a viewer's reads only); for another user or summary:read, admins only. Needs a password session, not a token.",
    tags,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'scope'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 100 },
        scope,
        userId: rowId,
        expiresIn: {
          type: 'string',
          maxLength: 10,
          pattern: '^\\d{1,5}[hdwyHDWY]$',
          description: 'Lifetime: a number and h, d, w or y (e.g. 90d).',
        },
      },
    },
    response: { 201: createdTokenSchema, ...errorResponses },
  },
  revoke: {
    summary: 'Revoke an API token (an admin any, others their own); revoking one that is already revoked changes nothing.',
    tags,
    params: idParams,
    response: { 204: { type: 'null' }, ...errorResponses },
  },
} as const;

export default async function tokenRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', requireRole('viewer'));

  app.get<{ Querystring: ListTokensQuery }>('/tokens', { schema: schemas.list }, async (request) =>
    pageOf(request, request.query, await listApiTokens(request.db, ownScope(request, request.query.user_id))),
  );

  app.post<{ Body: CreateTokenBody }>('/tokens', { schema: schemas.create }, async (request, reply) => {
    const { name, scope, userId, expiresIn } = request.body;
    const principal = principalOf(request);
    const input = {
      userId: userId ?? principal.user.id,
      name,
      scope,
      expiresAt: expiresIn === undefined ? null : expiryFromDuration(expiresIn),
    };
    assertMayCreateToken({ userId: principal.user.id, role: principal.user.role, via: principal.via }, input);
    const created = await createApiToken(request.db, actorOf(request), input);
    return reply.code(201).header('cache-control', 'no-store').send(created);
  });

  // 204 like every other delete; GET /api/tokens shows the token's status afterwards.
  app.delete<{ Params: { id: number } }>('/tokens/:id', { schema: schemas.revoke }, async (request, reply) => {
    const { user } = principalOf(request);
    await revokeApiToken(request.db, actorOf(request), request.params.id, user.role === 'admin' ? {} : { ownerId: user.id });
    return reply.code(204).send();
  });
}

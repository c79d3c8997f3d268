// Login sessions: list them (who, since when, from where, last seen) and end one. Admins see
// everyone's; every other signed-in user their own.
// Ending all of a user's sessions is POST /api/users/:id/logout-all. Through
// src/core/auth/sessions.ts; every end is audited.

import type { FastifyInstance } from 'fastify';
import { endSessionById, listSessions } from '../../core/auth/sessions.js';
import { actorOf, ownScope, principalOf, requireRole } from '../auth/guards.js';
import { errorResponses } from '../errors.js';
import { listQuerySchema, pageOf, pageSchema, type PageQuery } from '../pagination.js';
import { idParams, rowId } from '../schemas.js';

const dateTime = { type: 'string', format: 'date-time' } as const;
const dateTimeOrNull = { type: ['string', 'null'], format: 'date-time' } as const;

export const sessionSchema = {
  type: 'object',
  required: ['id', 'userId', 'username', 'status', 'createdAt', 'expiresAt', 'lastSeenAt', 'endedAt', 'endedReason', 'ip', 'userAgent'],
  properties: {
    id: { type: 'integer' },
    userId: { type: 'integer' },
    username: { type: 'string' },
    status: { type: 'string', enum: ['active', 'expired', 'ended'] },
    createdAt: dateTime,
    expiresAt: dateTime,
    lastSeenAt: { ...dateTimeOrNull, description: 'Updated at most once a minute.' },
    endedAt: dateTimeOrNull,
    endedReason: { type: ['string', 'null'], description: 'logout, logout-all, password-reset, role-change, disabled or admin.' },
    ip: { type: ['string', 'null'] },
    userAgent: { type: ['string', 'null'] },
  },
} as const;

interface ListSessionsQuery extends PageQuery {
  user_id?: number;
  all?: boolean;
}

const tags = ['sessions'];
const schemas = {
  list: {
    summary:
      "List login sessions, newest first: the live ones, or with all=true also those ended or expired in the last 7 days (an admin everyone's, others their own).",
    tags,
    querystring: listQuerySchema({ user_id: rowId, all: { type: 'boolean', default: false } }),
    response: { 200: pageSchema(sessionSchema), ...errorResponses },
  },
  end: {
    summary: 'End a login session: its token stops working on every server at once (an admin any, others their own).',
    tags,
    params: idParams,
    response: { 204: { type: 'null' }, ...errorResponses },
  },
} as const;

export default async function sessionRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', requireRole('viewer'));

  app.get<{ Querystring: ListSessionsQuery }>('/sessions', { schema: schemas.list }, async (request) =>
    pageOf(
      request,
      request.query,
      await listSessions(request.db, { userId: ownScope(request, request.query.user_id), includeEnded: request.query.all === true }),
    ),
  );

  app.delete<{ Params: { id: number } }>('/sessions/:id', { schema: schemas.end }, async (request, reply) => {
    const { user } = principalOf(request);
    await endSessionById(request.db, actorOf(request), request.params.id, new Date(), user.role === 'admin' ? {} : { ownerId: user.id });
    return reply.code(204).send();
  });
}

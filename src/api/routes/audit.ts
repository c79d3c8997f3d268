// The audit log, for admins: who changed what, newest first, filtered by object or user.

import type { FastifyInstance } from 'fastify';
import { listAudit } from '../../core/audit/log.js';
import { requireRole } from '../auth/guards.js';
import { errorResponses } from '../errors.js';
import { listQuerySchema, page, pageSchema, type PageQuery } from '../pagination.js';

export const auditEntrySchema = {
  type: 'object',
  required: ['id', 'at', 'userId', 'username', 'action', 'objectType', 'objectId', 'before', 'after', 'requestId'],
  properties: {
    id: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    userId: { type: ['integer', 'null'] },
    username: { type: ['string', 'null'] },
    action: { type: 'string' },
    objectType: { type: 'string' },
    objectId: { type: ['string', 'null'] },
    before: { description: 'The object before the change (null for a creation).' },
    after: { description: 'The object after the change (null for a deletion).' },
    requestId: { type: ['string', 'null'], description: 'The API request that made the change (x-request-id); null from the CLI.' },
  },
} as const;

interface AuditQuerystring extends PageQuery {
  object_type?: string;
  object_id?: string;
  user_id?: number;
}

const schema = {
  summary: 'Read the audit log, newest first (admin).',
  tags: ['audit'],
  querystring: listQuerySchema({
    object_type: { type: 'string', minLength: 1, maxLength: 64, description: 'e.g. user, api_token, asset.' },
    object_id: { type: 'string', minLength: 1, maxLength: 64 },
    user_id: { type: 'integer', minimum: 1, maximum: 2_147_483_647 },
  }),
  response: { 200: pageSchema(auditEntrySchema), ...errorResponses },
} as const;

export default async function auditRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: AuditQuerystring }>('/audit', { schema, onRequest: requireRole('admin') }, async (request) => {
    const { object_type: objectType, object_id: objectId, user_id: userId, limit, offset } = request.query;
    return page(request, request.query, await listAudit(request.db, { objectType, objectId, userId, limit, offset }));
  });
}

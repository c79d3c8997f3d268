// GET /api/assets/:id/history: an asset's audit entries for every signed-in role (the full
// audit log, /api/audit, stays admin-only). One call into core/inventory/history.ts.

import type { FastifyInstance } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { assetHistory } from '../../../core/inventory/history.js';
import { requireRole } from '../../auth/guards.js';
import { errorResponses } from '../../errors.js';
import { listQuerySchema, page, pageSchema, type PageQuery } from '../../pagination.js';
import { auditEntrySchema } from '../audit.js';
import { idParams } from './schemas.js';

const historyQuery = listQuerySchema();

export default async function assetHistoryRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: FromSchema<typeof idParams>; Querystring: PageQuery }>(
    '/assets/:id/history',
    {
      onRequest: requireRole('viewer'),
      schema: {
        summary: "An asset's history: the audit entries of the asset, its plugin details and its plugin records, newest first.",
        description: 'Any signed-in role. The full audit log (/api/audit) is for admins.',
        tags: ['assets'],
        params: idParams,
        querystring: historyQuery,
        response: { 200: pageSchema(auditEntrySchema), ...errorResponses },
      },
    },
    async (request) => {
      const enabled = (await app.plugins.state(request.db)).enabledList;
      return page(request, request.query, await assetHistory(request.db, request.params.id, enabled, request.query));
    },
  );
}

// Monitoring from the site's Zabbix (issue 16): one asset's status, the site's open problems, and
// an editor's pin or unpin of one asset. Handlers stay thin: one call into src/core/monitoring each.
// Without ZABBIX_URL every status says "not configured"; pinning needs Zabbix and answers 409.

import type { FastifyInstance } from 'fastify';
import { UserError } from '../../core/errors.js';
import { pinAsset, unpinAsset } from '../../core/monitoring/pins.js';
import { listOpenProblems } from '../../core/monitoring/report.js';
import { SEVERITIES, statusesFor, type Severity } from '../../core/monitoring/service.js';
import { actorOf, requireRole } from '../auth/guards.js';
import { errorResponses } from '../errors.js';
import { idParams } from './inventory/schemas.js';
import { monitoringStatusSchema, pinSchema, problemSchema } from './monitoring-schemas.js';

const tags = ['monitoring'];

class MonitoringNotConfiguredError extends UserError {
  override readonly code: string = 'MONITORING_NOT_CONFIGURED';
  readonly httpStatus = 409;
}

export default async function monitoringRoutes(app: FastifyInstance): Promise<void> {
  const configured = () => {
    if (app.monitoring === null)
      throw new MonitoringNotConfiguredError('Zabbix monitoring is not configured on this site (ZABBIX_URL is empty)');
    return app.monitoring;
  };

  app.get<{ Params: { id: number } }>(
    '/assets/:id/monitoring',
    {
      onRequest: requireRole('viewer'),
      schema: {
        summary: "One asset's status in Zabbix, its open problems and how old they are.",
        tags,
        params: idParams,
        response: { 200: monitoringStatusSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { getAsset } = await import('../../core/inventory/assets.js');
      await getAsset(request.db, request.params.id, (await app.plugins.state(request.db)).enabledList);
      return (await statusesFor(app.monitoring, request.db, [request.params.id])).get(request.params.id);
    },
  );

  app.put<{ Params: { id: number }; Body: { hostid: string } }>(
    '/assets/:id/monitoring/pin',
    {
      onRequest: requireRole('editor'),
      schema: {
        summary: 'Pin the asset to a Zabbix host (replacing its pin).',
        tags,
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['hostid'],
          properties: { hostid: { type: 'string', pattern: '^[0-9]{1,20}$' } },
        },
        response: { 200: pinSchema, ...errorResponses },
      },
    },
    async (request) => pinAsset(request.db, configured(), actorOf(request), request.params.id, request.body.hostid),
  );

  app.delete<{ Params: { id: number } }>(
    '/assets/:id/monitoring/pin',
    {
      onRequest: requireRole('editor'),
      schema: { summary: 'Unpin the asset from its Zabbix host.', tags, params: idParams, response: { ...errorResponses } },
    },
    async (request, reply) => {
      await unpinAsset(request.db, actorOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: { location?: number; severity?: Severity } }>(
    '/monitoring/problems',
    {
      onRequest: requireRole('viewer'),
      schema: {
        summary: "The site's open problems in Zabbix, on pinned assets, most severe first.",
        tags,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            location: {
              type: 'integer',
              minimum: 1,
              maximum: 2_147_483_647,
              description: 'Location id; includes every location under it.',
            },
            severity: { type: 'string', enum: [...SEVERITIES], description: 'The least severity shown.' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['results', 'checkedAt', 'ageSeconds', 'stale', 'reason'],
            properties: {
              results: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    ...problemSchema.properties,
                    asset: {
                      type: 'object',
                      properties: {
                        id: { type: 'integer' },
                        assetTag: { type: 'string' },
                        name: { type: 'string' },
                        location: { type: ['object', 'null'], properties: { id: { type: 'integer' }, name: { type: 'string' } } },
                      },
                    },
                  },
                },
              },
              checkedAt: { type: ['string', 'null'], format: 'date-time' },
              ageSeconds: { type: ['integer', 'null'] },
              stale: { type: 'boolean' },
              reason: { type: ['string', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) =>
      listOpenProblems(request.db, app.monitoring, { locationId: request.query.location, minSeverity: request.query.severity }),
  );
}

// Probes for load balancers and orchestrators. /api/health is liveness: the process answers,
// nothing else is touched. /api/ready is readiness: the database is reachable and migrated.

import type { FastifyInstance } from 'fastify';
import { databaseTargetFromConfig } from '../../core/db/connect.js';
import { ReadinessProbe } from '../readiness.js';

const healthSchema = {
  summary: 'Liveness: the server process is up (never touches the database).',
  tags: ['health'],
  response: {
    200: {
      type: 'object',
      required: ['status', 'version'],
      properties: { status: { type: 'string', enum: ['ok'] }, version: { type: 'string' } },
    },
  },
} as const;

const readySchema = {
  summary: 'Readiness: the database is reachable and its migrations are current.',
  tags: ['health'],
  response: {
    200: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ready'] } },
    },
    503: {
      type: 'object',
      required: ['status', 'reason'],
      properties: { status: { type: 'string', enum: ['not-ready'] }, reason: { type: 'string' } },
    },
  },
} as const;

export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  const probe = new ReadinessProbe(app.database, app.site.migrationSources, databaseTargetFromConfig(app.site.config));

  app.get('/health', { schema: healthSchema }, async () => ({ status: 'ok' as const, version: app.site.version }));

  app.get('/ready', { schema: readySchema }, async (_request, reply) => {
    const readiness = await probe.check();
    if (readiness.ready) return { status: 'ready' as const };
    return reply.code(503).header('retry-after', '5').send({ status: 'not-ready' as const, reason: readiness.reason });
  });
}

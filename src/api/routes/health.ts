// Probes for load balancers and orchestrators. /api/health is liveness: the process answers,
// nothing else is touched. /api/ready is readiness: the database is reachable and migrated. Why
// it is not ready (which names the database host) goes to the log and to an admin who sends
// credentials, never to an anonymous caller.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { databaseTargetFromConfig } from '../../core/db/connect.js';
import { atLeast } from '../../core/auth/types.js';
import { readRestoreMarker, RestoreInterruptedError } from '../../core/backup/restore-marker.js';
import { ReadinessProbe } from '../readiness.js';

/** What an anonymous caller of /api/ready learns when the server is not ready. */
export const ANONYMOUS_NOT_READY_REASON = 'not ready; the reason is in the server log (and shown to an admin who sends credentials)';

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
  summary: 'Readiness: the database is reachable and its migrations are current. The reason it is not ready is shown to admins only.',
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

/** True when the request carries an admin's valid credentials; never throws (a probe sends none). */
async function isAdmin(request: FastifyRequest): Promise<boolean> {
  if (request.headers.authorization === undefined && request.headers.cookie === undefined) return false;
  try {
    return atLeast((await request.server.auth.authenticate(request)).user.role, 'admin');
  } catch {
    return false;
  }
}

export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  const probe = new ReadinessProbe(app.database, app.site.migrationSources, databaseTargetFromConfig(app.site.config), {
    interruptedRestore: () => {
      const marker = readRestoreMarker(app.site.config);
      return marker ? new RestoreInterruptedError(marker).message : null;
    },
  });

  app.get('/health', { schema: healthSchema }, async () => ({ status: 'ok' as const, version: app.site.version }));

  let lastLoggedReason: string | null = null;
  app.get('/ready', { schema: readySchema }, async (request, reply) => {
    const readiness = await probe.check();
    if (readiness.ready) {
      lastLoggedReason = null;
      return { status: 'ready' as const };
    }
    // Probes come every few seconds: a reason is logged when it changes, not each time.
    if (readiness.reason !== lastLoggedReason) {
      request.log.warn({ reason: readiness.reason }, 'not ready');
      lastLoggedReason = readiness.reason;
    }
    const admin = await isAdmin(request);
    return reply
      .code(503)
      .header('retry-after', '5')
      .send({ status: 'not-ready' as const, reason: admin ? readiness.reason : ANONYMOUS_NOT_READY_REASON });
  });
}

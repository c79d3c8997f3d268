// Request ids: a sane incoming `x-request-id` (a proxy's or a client's) is kept so one id follows
// a request across systems; anything else gets a fresh UUID. The id is in every log line of the
// request (`requestId`), in the `x-request-id` response header, and in the audit entries it writes.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export const REQUEST_ID_HEADER = 'x-request-id';
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Fastify's `genReqId`: the incoming id when it is sane, else a new UUID. */
export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

async function requestIdPlugin(app: FastifyInstance): Promise<void> {
  // onRequest is the first hook: even a 404, a 413 or a 500 carries the id.
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
}

export default fp(requestIdPlugin, { name: 'shopdb-request-id' });

// Graceful shutdown needs one thing Fastify does not do by itself: a request that was already in
// flight when close() began still answers on a kept-alive connection, which would then stay open
// until the client lets go. Once closing, every response says `Connection: close`, so the socket
// ends with the response and the server can finish closing.

import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

async function drainPlugin(app: FastifyInstance): Promise<void> {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    if (closing && request.raw.httpVersionMajor < 2) reply.header('connection', 'close');
  });
}

export default fp(drainPlugin, { name: 'shopdb-drain' });

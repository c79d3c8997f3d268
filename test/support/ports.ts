// Free TCP ports on loopback. No vitest import: the global set-up uses it too.

import { createServer } from 'node:net';

/** A TCP port nothing listens on right now (HTTP_PORT cannot be 0). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

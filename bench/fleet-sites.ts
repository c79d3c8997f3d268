// The loopback sites `bench/fleet-status.ts` pulls, in a process of their own so that their work
// does not share the central's event loop: one real shopdb app (`buildApp`) per site .env, each
// over its own SQLite file and listening on its own ephemeral loopback port. Driven over IPC:
// `start` → `{ready, urls}`, `stop` or a lost parent → exit.

import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/api/app.js';
import { loadConfig } from '../src/core/config/index.js';

export interface SitesStartMessage {
  type: 'start';
  envFiles: string[];
  /** Added before each answer: the round trip to a site over the WAN, which loopback lacks. */
  latencyMs: number;
}

export type SitesMessage = { type: 'ready'; urls: string[] } | { type: 'error'; message: string };

const apps: FastifyInstance[] = [];

async function start(message: SitesStartMessage): Promise<SitesMessage> {
  const urls: string[] = [];
  for (const envFile of message.envFiles) {
    const config = loadConfig({ envFile, cwd: dirname(envFile), env: {} });
    const app = await buildApp({ config, logger: false });
    apps.push(app);
    if (message.latencyMs > 0) app.addHook('onRequest', () => new Promise<void>((resolve) => setTimeout(resolve, message.latencyMs)));
    await app.listen({ host: '127.0.0.1', port: 0 });
    urls.push(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
  }
  return { type: 'ready', urls };
}

async function stop(): Promise<void> {
  for (const app of apps.splice(0)) await app.close().catch(() => {});
  if (process.connected) process.disconnect();
}

// Ctrl-C reaches the whole process group: the parent decides when the sites stop.
process.on('SIGINT', () => {});
process.on('disconnect', () => void stop());
process.on('message', (message: { type: string }) => {
  if (message.type === 'start') {
    start(message as SitesStartMessage).then(
      (reply) => process.send?.(reply),
      (error: Error) => process.send?.({ type: 'error', message: error.stack ?? error.message } satisfies SitesMessage),
    );
  } else if (message.type === 'stop') {
    void stop();
  }
});

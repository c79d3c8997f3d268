// The two servers `bench/api-list.ts` measures, in a process of their own so that autocannon
// (in the parent) does not share their event loop: the real shopdb app (`buildApp`, its own
// knex pool, auth and all) and a minimal Fastify + mysql2 route that runs the statements the
// real list query runs, captured beforehand, and answers with their rows. Both listen on
// ephemeral loopback ports. Driven over IPC: `start` → `{ready}`, `stop` or a lost parent → exit.

import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import mysql from 'mysql2/promise';
import { buildApp } from '../src/api/app.js';
import { loadConfig } from '../src/core/config/index.js';

export interface CapturedStatement {
  sql: string;
  bindings: unknown[];
}

export interface StartMessage {
  type: 'start';
  envFile: string;
  dir: string;
  mysql: { host: string; port: number; user: string; password: string; database: string; poolMax: number };
  /** Per bench case, the querystring parameter that selects it, its value, and the statements to run. */
  cases: Array<{ parameter: string; value: string; statements: CapturedStatement[] }>;
}

export type ServerMessage = { type: 'ready'; shopdb: string; minimal: string } | { type: 'error'; message: string };

const SQL_MODE = 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

function urlOf(app: FastifyInstance): string {
  const address = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

/** The baseline: no plugins, no auth, no schema; the same SQL, one pool of the same size. */
async function minimalApp(options: StartMessage): Promise<{ app: FastifyInstance; pool: mysql.Pool }> {
  const { poolMax, ...connection } = options.mysql;
  const pool = mysql.createPool({ ...connection, connectionLimit: poolMax, charset: 'utf8mb4', timezone: 'Z', supportBigNumbers: true });
  // The session settings shopdb's pool applies to each new connection (src/core/db/connect.ts).
  pool.on('connection', (conn) => {
    conn.query(`SET SESSION time_zone = '+00:00', SESSION sql_mode = '${SQL_MODE}'`);
  });
  const app = Fastify({ logger: false });
  app.get('/api/assets', async (request, reply) => {
    const query = request.query as Record<string, string>;
    const match = options.cases.find((c) => query[c.parameter] === c.value);
    if (!match) return reply.code(400).send({ error: 'unknown case' });
    const results: unknown[] = [];
    for (const statement of match.statements) {
      const [rows] = await pool.query(statement.sql, statement.bindings);
      results.push(rows);
    }
    return { results };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, pool };
}

let shutdown: (() => Promise<void>) | null = null;

async function start(options: StartMessage): Promise<ServerMessage> {
  const config = loadConfig({ envFile: options.envFile, cwd: options.dir, env: {} });
  const shopdb = await buildApp({ config, logger: false });
  await shopdb.listen({ host: '127.0.0.1', port: 0 });
  const minimal = await minimalApp(options);
  shutdown = async () => {
    await shopdb.close();
    await minimal.app.close();
    await minimal.pool.end();
  };
  return { type: 'ready', shopdb: urlOf(shopdb), minimal: urlOf(minimal.app) };
}

async function stop(): Promise<void> {
  const close = shutdown;
  shutdown = null;
  await close?.().catch(() => {});
  if (process.connected) process.disconnect();
}

// Ctrl-C reaches the whole process group: the parent decides when the servers stop.
process.on('SIGINT', () => {});
process.on('disconnect', () => void stop());
process.on('message', (message: { type: string }) => {
  if (message.type === 'start') {
    start(message as StartMessage).then(
      (reply) => process.send?.(reply),
      (error: Error) => process.send?.({ type: 'error', message: error.stack ?? error.message } satisfies ServerMessage),
    );
  } else if (message.type === 'stop') {
    void stop();
  }
});

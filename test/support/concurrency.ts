// The concurrency suites' harness: a migrated site on MySQL/MariaDB with the bundled plugins, the
// real HTTP server listening on loopback, and helpers that fire many requests at once and repeat
// the race. Each invariant test reads the database afterwards to check the rule held. Each suite
// runs on the single server and, when the run has a Galera cluster, again with two replicas on
// two of its nodes taking the racing requests in turn.

import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import { join } from 'node:path';
import { describe, inject } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/core/config/index.js';
import { databaseTargetFromConfig, openDatabase } from '../../src/core/db/connect.js';
import { bundledCatalog } from './plugins.js';
import { makeUser, TEST_PASSWORD, type ApiSite } from './api.js';
import { createMigratedTestSite } from './migrated-site.js';
import { writeEnvFile } from './site.js';
import type { RoleName } from '../../src/core/auth/types.js';

/** How many requests race in each round, and how many rounds each test runs. */
export const RACERS = 8;
export const ROUNDS = 6;

/** Where the racing requests go: one MySQL server, or two replicas on two nodes of a Galera cluster. */
export type RaceTarget = 'mysql' | 'galera';

/**
 * MySQL/MariaDB only: that is where a check-then-write breaks (REPEATABLE READ snapshots, many
 * connections). Skipped with the reason when no server is configured.
 */
export function describeOnMysql(title: string, body: () => void): void {
  const probe = inject('mysql');
  if (probe.available) describe(`${title} [mysql]`, body);
  else describe.skip(`${title} [mysql — skipped: ${probe.reason}]`, body);
}

/** On a 3-node Galera cluster (SHOPDB_TEST_GALERA=1); skipped with the reason otherwise. */
export function describeOnGalera(title: string, body: () => void): void {
  const probe = inject('galera');
  if (probe.available) describe(`${title} [galera]`, body);
  else describe.skip(`${title} [galera — skipped: ${probe.reason}]`, body);
}

/** The suite once on the single server and once across two replicas on a cluster. */
export function describeOnEachMysql(title: string, body: (target: RaceTarget) => void): void {
  describeOnMysql(title, () => body('mysql'));
  describeOnGalera(`${title}, split across two replicas on two nodes`, () => body('galera'));
}

export interface HttpAnswer {
  status: number;
  body: any;
}

export interface LiveApi {
  api: ApiSite;
  app: FastifyInstance;
  url: string;
  /** A session token per role, logged in through the API. */
  tokens: Record<RoleName, string>;
  call(method: string, path: string, body?: unknown, token?: string): Promise<HttpAnswer>;
  close(): Promise<void>;
}

/**
 * A site with `plugins` installed, served over real HTTP on 127.0.0.1 (pool large enough for the
 * racers). On 'galera' the site lives on the cluster's first node and a second replica serves it
 * through the second node; `call` sends each request to the next replica in turn.
 */
export async function startLiveApi(plugins: string[] = [], target: RaceTarget = 'mysql'): Promise<LiveApi> {
  const nodes = target === 'galera' ? galeraNodes() : undefined;
  const site = await createMigratedTestSite('mysql', {
    env: { DB_POOL_MAX: String(RACERS * 3) },
    mysqlServer: nodes?.[0],
    plugins,
    app: true,
  });
  const { api, app } = site;
  const catalog = await bundledCatalog();
  const urls = [await listenOnLoopback(app)];
  let second: { app: FastifyInstance; db: Knex } | undefined;
  if (nodes) {
    const envFile = join(api.site.dir, 'second-node.env');
    writeEnvFile(envFile, { ...api.site.vars, DB_PORT: String(nodes[1]!.port) });
    const config = loadConfig({ envFile, cwd: api.site.dir, env: {} });
    const db = await openDatabase(databaseTargetFromConfig(config));
    second = { db, app: await buildApp({ config, db, logger: false, pluginCatalog: catalog }) };
    urls.push(await listenOnLoopback(second.app));
  }
  let turn = 0;
  const call = async (method: string, path: string, body?: unknown, token?: string): Promise<HttpAnswer> => {
    const url = urls[turn++ % urls.length]!;
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed };
  };
  const tokens = {} as Record<RoleName, string>;
  for (const role of ['admin', 'editor', 'viewer'] as const) {
    const user = await makeUser(api.db, role);
    const answer = await call('POST', '/api/auth/login', { username: user.username, password: TEST_PASSWORD });
    if (answer.status !== 200) throw new Error(`login of ${user.username} failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    tokens[role] = (answer.body as { token: string }).token;
  }
  return {
    api,
    app,
    url: urls[0]!,
    tokens,
    call,
    async close() {
      if (second) {
        await second.app.close();
        await second.db.destroy();
      }
      await site.cleanup();
    },
  };
}

function galeraNodes() {
  const probe = inject('galera');
  if (!probe.available) throw new Error(`a Galera cluster was asked for but there is none: ${probe.reason}`);
  return probe.nodes;
}

async function listenOnLoopback(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/** Starts `count` calls in the same tick and waits for all of them. */
export async function race<T>(count: number, start: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => start(i)));
}

/** How many answers had each status, e.g. { 201: 1, 409: 7 }. */
export function statusCounts(answers: readonly HttpAnswer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
  return counts;
}

/** Fails with every non-2xx/4xx answer shown: a race must never end in a 5xx. */
export function no5xx(answers: readonly HttpAnswer[]): void {
  const bad = answers.filter((answer) => answer.status >= 500);
  if (bad.length > 0) throw new Error(`${bad.length} of ${answers.length} answers were 5xx: ${JSON.stringify(bad.slice(0, 3))}`);
}

let counter = 0;
/** A name no other test of this run uses. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/** Creates an asset of `type` through the API (editor) and returns its id. */
export async function createAssetVia(live: LiveApi, type: string, tag = unique('T'), extra: Record<string, unknown> = {}): Promise<number> {
  const statusId = await inServiceStatusId(live);
  const answer = await live.call('POST', '/api/assets', { assetTag: tag, name: tag, type, statusId, ...extra }, live.tokens.editor);
  if (answer.status !== 201) throw new Error(`creating ${type} ${tag}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return (answer.body as { id: number }).id;
}

let statusIds = new WeakMap<LiveApi, number>();
/** A status label assets can be given (made on first use). */
export async function inServiceStatusId(live: LiveApi): Promise<number> {
  const known = statusIds.get(live);
  if (known !== undefined) return known;
  const existing = (await live.api.db('status_labels').first('id')) as { id: number } | undefined;
  let id = existing?.id;
  if (id === undefined) {
    const created = await live.call(
      'POST',
      '/api/status-labels',
      { name: 'In service', color: '#00aa00', kind: 'deployable' },
      live.tokens.admin,
    );
    if (created.status !== 201) throw new Error(`creating a status label: ${created.status} ${JSON.stringify(created.body)}`);
    id = (created.body as { id: number }).id;
  }
  statusIds.set(live, Number(id));
  return Number(id);
}

/** For tests that close and reopen a site: forget cached ids. */
export function forgetCachedIds(): void {
  statusIds = new WeakMap();
}

// The API suites' harness: a migrated throwaway site on either engine, users made through the
// real user service, an app built with `buildApp` per test, and the checks every error shares.

import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Knex } from 'knex';
import { expect } from 'vitest';
import { buildApp, type BuildAppOptions } from '../../src/api/app.js';
import { cliActor } from '../../src/core/audit/log.js';
import type { RoleName } from '../../src/core/auth/types.js';
import type { LoadedConfig } from '../../src/core/config/index.js';
import { migrateSite } from '../../src/core/migrations/site.js';
import { createUser } from '../../src/core/users/service.js';
import { createSite, type CreateSiteOptions, type EngineName, type TestSite } from './site.js';

export const TEST_PASSWORD = 'correct-horse-battery-staple';
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdefghijklmnopqrstuvwxyz';

export interface ApiSite {
  site: TestSite;
  db: Knex;
  config(): LoadedConfig;
  /** A fresh app over this site's database (the pool stays the suite's). */
  app(options?: Partial<BuildAppOptions>): Promise<FastifyInstance>;
  cleanup(): Promise<void>;
}

/** A migrated site with a JWT secret; `extra` adds .env lines. */
export async function createApiSite(
  engine: EngineName,
  extra: Record<string, string> = {},
  options: CreateSiteOptions = {},
): Promise<ApiSite> {
  const site = await createSite(engine, { JWT_SECRET: TEST_JWT_SECRET, COOKIE_SECURE: 'false', LOG_LEVEL: 'silent', ...extra }, options);
  await migrateSite({ config: site.config() });
  const db = await site.open();
  const apps: FastifyInstance[] = [];
  return {
    site,
    db,
    config: () => site.config(),
    async app(options = {}) {
      const app = await buildApp({ config: site.config(), db, logger: false, ...options });
      apps.push(app);
      return app;
    },
    async cleanup() {
      for (const app of apps) await app.close();
      await db.destroy();
      await site.cleanup();
    },
  };
}

let userCounter = 0;

/** A local user with TEST_PASSWORD, made through the user service (as `shopdb user create` does). */
export async function makeUser(db: Knex, role: RoleName, username = `${role}${++userCounter}`): Promise<{ id: number; username: string }> {
  const { user } = await createUser(db, cliActor('test'), { username, role, password: TEST_PASSWORD });
  return { id: user.id, username: user.username };
}

export async function login(app: FastifyInstance, username: string, password = TEST_PASSWORD): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
}

/** The session JWT of a successful login, for `Authorization: Bearer`. */
export async function tokenFor(app: FastifyInstance, username: string): Promise<string> {
  const response = await login(app, username);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ token: string }>().token;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The one error shape, with the status and (optionally) the code expected. */
export function expectError(
  response: LightMyRequestResponse | { statusCode: number; body: string },
  status: number,
  code?: string,
): { code: string; message: string; fields: Record<string, string> } {
  expect(response.statusCode, response.body).toBe(status);
  const body = JSON.parse(response.body) as { error: { code: string; message: string; fields: Record<string, string> } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'fields', 'message']);
  expect(typeof body.error.code).toBe('string');
  expect(typeof body.error.message).toBe('string');
  expect(typeof body.error.fields).toBe('object');
  if (code !== undefined) expect(body.error.code).toBe(code);
  return body.error;
}

export { freePort } from './ports.js';

export interface SlowRequest {
  /** Sends the rest of the body; resolves with the status and body of the response. */
  finish(): Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>;
  /** Rejects if the connection is cut before a response. */
  response: Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>;
}

/** A JSON POST whose body arrives in two parts: the server has the request in flight in between. */
export async function slowJsonPost(url: string, payload: unknown): Promise<SlowRequest> {
  const { request } = await import('node:http');
  const body = Buffer.from(JSON.stringify(payload));
  const half = Math.floor(body.length / 2);
  const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(body.length) } });
  const response = new Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', reject);
    });
  });
  response.catch(() => {});
  req.write(body.subarray(0, half));
  req.flushHeaders();
  return {
    response,
    finish() {
      req.end(body.subarray(half));
      return response;
    },
  };
}

/** Resolves when `predicate` holds, polling every 25 ms; throws after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

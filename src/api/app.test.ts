// Database suite (SQLite and MySQL): the app's infrastructure — probes, the one error shape,
// request ids, CORS and security headers, logging, and the OpenAPI document — through `inject`.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createApiSite, expectError, login, makeUser, TEST_PASSWORD, type ApiSite } from '../../test/support/api.js';
import { adminQuery, throwawayName } from '../../test/support/mysql.js';
import { createSite, describeEachEngine, tempDir, type TestSite } from '../../test/support/site.js';
import { migrateSite } from '../core/migrations/site.js';
import { buildApp, trustProxyOption } from './app.js';
import { LOGIN_LIMITS } from '../core/auth/login-throttle.js';
import { ANONYMOUS_NOT_READY_REASON } from './routes/health.js';
import { siteMigrationSources } from '../core/migrations/sources.js';

/** Collects pino's JSON lines. */
function logCapture(): { stream: Writable; lines: () => Array<Record<string, unknown>>; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    stream,
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describeEachEngine('HTTP API infrastructure', (engine) => {
  let api: ApiSite;
  let app: FastifyInstance;

  beforeAll(async () => {
    api = await createApiSite(engine, { CORS_ORIGINS: 'https://shopdb.plant.example', HTTP_BODY_LIMIT: '2048' });
  });
  afterAll(async () => api.cleanup());
  beforeAll(async () => {
    app = await api.app();
  });

  describe('probes', () => {
    it('answers /api/health with the version, without a login', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/health' });

      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    });

    it('answers /api/ready with 200 on a migrated, reachable database', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/ready' });

      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'ready' });
    });
  });

  describe('the one error shape', () => {
    it('answers an unknown path with 404', async () => {
      const error = expectError(await app.inject({ method: 'GET', url: '/api/no-such-thing' }), 404, 'NOT_FOUND');

      expect(error.message).toContain('/api/no-such-thing');
    });

    it('answers a known path with the wrong method with 405 and Allow', async () => {
      const response = await app.inject({ method: 'DELETE', url: '/api/health' });

      expectError(response, 405, 'METHOD_NOT_ALLOWED');
      expect(response.headers.allow).toBe('GET, HEAD');
    });

    it('answers 405 for a parametrised path too', async () => {
      const response = await app.inject({ method: 'PUT', url: '/api/users/12/disable' });

      expectError(response, 405, 'METHOD_NOT_ALLOWED');
      expect(response.headers.allow).toBe('POST');
    });

    it('answers a URL with broken percent-encoding with 400', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/users/%ZZ' });

      expectError(response, 400, 'BAD_URL');
      expect(response.headers['x-request-id']).toEqual(expect.any(String));
    });

    it('refuses malformed JSON with 400', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: '{"username": "a", ',
      });

      expectError(response, 400, 'INVALID_JSON');
    });

    it('refuses an empty JSON body and prototype poisoning with 400', async () => {
      expectError(
        await app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: '' }),
        400,
      );
      const poisoned = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: '{"username":"a","password":"b","__proto__":{"admin":true}}',
      });
      expectError(poisoned, 400);
    });

    it('refuses bodies that are not JSON with 415', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'content-type': 'text/plain' },
        payload: 'username=a&password=b',
      });

      expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('refuses a body over HTTP_BODY_LIMIT with 413', async () => {
      const response = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'a', password: 'x'.repeat(4096) } });

      expectError(response, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('names every bad field: wrong types, missing and unknown fields', async () => {
      const response = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 42, isAdmin: true } });

      const error = expectError(response, 400, 'VALIDATION_FAILED');
      expect(error.fields).toEqual({ username: 'must be string', password: 'is required', isAdmin: 'is not allowed' });
    });

    it('does not coerce body types (a number is not a string, an array is not a string)', async () => {
      expectError(
        await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: ['admin'], password: 'x' } }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(await app.inject({ method: 'POST', url: '/api/auth/login', payload: [] }), 400, 'VALIDATION_FAILED');
    });

    it('hides the details of an unexpected error behind a generic 500, and logs them', async () => {
      const logs = logCapture();
      const local = await api.app({ logger: { stream: logs.stream, level: 'info' } });
      local.get('/api/boom', async () => {
        throw new Error('secret internal detail');
      });

      const response = await local.inject({ method: 'GET', url: '/api/boom' });

      const error = expectError(response, 500, 'INTERNAL_ERROR');
      expect(error.message).not.toContain('secret');
      expect(error.message).toContain(String(response.headers['x-request-id']));
      const logged = logs.lines().find((line) => line.msg === 'request failed');
      expect(logged?.requestId).toBe(response.headers['x-request-id']);
      expect(JSON.stringify(logged)).toContain('secret internal detail');
    });
  });

  describe('request ids', () => {
    it('keeps a sane incoming x-request-id', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/health', headers: { 'x-request-id': 'lb-7f3a.9_Z-1' } });

      expect(response.headers['x-request-id']).toBe('lb-7f3a.9_Z-1');
    });

    it.each([
      ['too long', 'a'.repeat(65)],
      ['with spaces and quotes', 'abc def"'],
      ['with a newline', 'abc\ndef'],
      ['empty', ''],
    ])('replaces an incoming id that is %s with a generated one', async (_what, incoming) => {
      const response = await app.inject({ method: 'GET', url: '/api/health', headers: { 'x-request-id': incoming } });

      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('generates one when none is sent, also on errors', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/missing' });

      expect(response.statusCode).toBe(404);
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('CORS and security headers', () => {
    it('allows a listed origin, with credentials', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/health', headers: { origin: 'https://shopdb.plant.example' } });

      expect(response.headers['access-control-allow-origin']).toBe('https://shopdb.plant.example');
      expect(response.headers['access-control-allow-credentials']).toBe('true');
    });

    it('answers a preflight from a listed origin', async () => {
      const response = await app.inject({
        method: 'OPTIONS',
        url: '/api/users',
        headers: {
          origin: 'https://shopdb.plant.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });

      expect(response.statusCode).toBeLessThan(300);
      expect(response.headers['access-control-allow-origin']).toBe('https://shopdb.plant.example');
      expect(String(response.headers['access-control-allow-methods'])).toContain('POST');
    });

    it('gives another origin no CORS headers, and no server error', async () => {
      for (const request of [
        { method: 'GET' as const, url: '/api/health', headers: { origin: 'https://evil.example' } },
        {
          method: 'OPTIONS' as const,
          url: '/api/users',
          headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
        },
        { method: 'GET' as const, url: '/api/health', headers: { origin: 'null' } },
      ]) {
        const response = await app.inject(request);
        expect(response.statusCode, request.url).toBeLessThan(500);
        expect(response.headers['access-control-allow-origin']).toBeUndefined();
        expect(response.headers['access-control-allow-credentials']).toBeUndefined();
      }
    });

    it('sends helmet security headers', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/health' });

      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(response.headers['content-security-policy']).toContain("default-src 'self'");
      expect(response.headers['x-powered-by']).toBeUndefined();
    });
  });

  describe('logs', () => {
    it('writes JSON lines with the request id and never a password, token or cookie', async () => {
      const logs = logCapture();
      const local = await api.app({ logger: { stream: logs.stream, level: 'trace' } });
      const admin = await makeUser(api.db, 'admin');
      const loggedIn = await login(local, admin.username);
      const token = loggedIn.json<{ token: string }>().token;
      const cookie = String(loggedIn.headers['set-cookie']).split(';')[0]!;
      await local.inject({ method: 'GET', url: '/api/auth/me', headers: { ...bearer(token), 'x-request-id': 'trace-me-1' } });
      await local.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } });
      await login(local, admin.username, 'not-the-password-at-all');

      const text = logs.text();
      expect(text).not.toContain(TEST_PASSWORD);
      expect(text).not.toContain('not-the-password-at-all');
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.split('.')[2]);
      expect(text.toLowerCase()).not.toContain('authorization');
      const requestLines = logs.lines().filter((line) => line.req !== undefined || line.res !== undefined);
      expect(requestLines.length).toBeGreaterThanOrEqual(8);
      for (const line of requestLines) expect(line.requestId, JSON.stringify(line)).toEqual(expect.any(String));
      expect(logs.lines().filter((line) => line.requestId === 'trace-me-1').length).toBeGreaterThanOrEqual(2);
    });
  });

  describe('OpenAPI', () => {
    it('documents every route from its schemas', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/openapi.json' });

      expect(response.statusCode).toBe(200);
      const document = response.json<{
        openapi: string;
        paths: Record<string, Record<string, { requestBody?: unknown; parameters?: unknown[] }>>;
      }>();
      expect(document.openapi).toMatch(/^3\./);
      // (Inventory and plugin routes add more; these are the ones this app always has.)
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining([
          '/api/audit',
          '/api/auth/login',
          '/api/auth/logout',
          '/api/auth/me',
          '/api/health',
          '/api/ready',
          '/api/tokens',
          '/api/tokens/{id}',
          '/api/users',
          '/api/users/{id}',
          '/api/users/{id}/disable',
          '/api/users/{id}/enable',
        ]),
      );
      expect(Object.keys(document.paths['/api/users']!).sort()).toEqual(['get', 'post']);
      expect(document.paths['/api/auth/login']!.post!.requestBody).toBeDefined();
      expect(JSON.stringify(document.paths['/api/audit']!.get!.parameters)).toContain('object_type');
    });
  });
});

describeEachEngine('HTTP API readiness', (engine) => {
  const sites: TestSite[] = [];
  const apps: FastifyInstance[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const site of sites) await site.cleanup();
  });

  it('answers 503 while migrations are pending, with the reason in the log and not in the answer to an anonymous caller', async () => {
    const site = await createSite(engine);
    sites.push(site);
    const db = await site.open();
    const logs = logCapture();
    const app = await buildApp({ config: site.config(), db, logger: { stream: logs.stream, level: 'warn' } });
    apps.push(app);

    const response = await app.inject({ method: 'GET', url: '/api/ready' });

    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'not-ready', reason: ANONYMOUS_NOT_READY_REASON });
    expect(logs.lines().find((line) => line.msg === 'not ready')).toMatchObject({
      reason: expect.stringMatching(/pending migration.*shopdb migrate/),
    });
    await app.close();
    await db.destroy();
  });

  it('tells an admin who sends credentials why it is not ready; a viewer learns no more than anyone', async () => {
    const api = await createApiSite(engine);
    try {
      const admin = await makeUser(api.db, 'admin');
      const viewer = await makeUser(api.db, 'viewer');
      // A plugin whose migration is not applied: the site is reachable but not current.
      const pending = tempDir('shopdb-pending-');
      writeFileSync(join(pending, '20990101A-later.js'), 'export async function up() {}\nexport async function down() {}\n');
      const sources = siteMigrationSources().register({
        id: 'plugin:later',
        label: 'plugin later',
        tableName: 'shopdb_plugin_later_migrations',
        directory: pending,
      });
      const app = await api.app({ migrationSources: sources });
      const adminToken = (await login(app, admin.username)).json<{ token: string }>().token;
      const viewerToken = (await login(app, viewer.username)).json<{ token: string }>().token;

      const asAdmin = await app.inject({ method: 'GET', url: '/api/ready', headers: bearer(adminToken) });
      const asViewer = await app.inject({ method: 'GET', url: '/api/ready', headers: bearer(viewerToken) });
      const withBadToken = await app.inject({ method: 'GET', url: '/api/ready', headers: bearer('not.a.jwt') });

      expect(asAdmin.statusCode).toBe(503);
      expect(asAdmin.json()).toEqual({
        status: 'not-ready',
        reason: 'database schema is not current (plugin later: 1 pending migration); run `shopdb migrate`',
      });
      for (const other of [asViewer, withBadToken])
        expect(other.json()).toEqual({ status: 'not-ready', reason: ANONYMOUS_NOT_READY_REASON });
    } finally {
      await api.cleanup();
    }
  });

  it('keeps running while the database is unreachable, answers ready 503, and recovers', async () => {
    // Given a database that does not exist yet (a SQLite file, or a MySQL database, not created)
    let extra: Record<string, string>;
    let createDatabase = async (_site: TestSite) => {};
    if (engine === 'sqlite') {
      extra = { DB_SQLITE_PATH: './later/shopdb.sqlite' };
    } else {
      const name = throwawayName();
      extra = { DB_NAME: name };
      createDatabase = async (site) => {
        await adminQuery(site.server!, `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      };
    }
    const site = await createSite(engine, extra);
    sites.push(site);
    const app = await buildApp({ config: site.config(), logger: false, databaseRetry: { initialDelayMs: 50, maxDelayMs: 200 } });
    apps.push(app);

    // When the app is up, health answers and ready says why it is not ready
    expect((await app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
    const notReady = await app.inject({ method: 'GET', url: '/api/ready' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json<{ reason: string }>().reason).toBe(ANONYMOUS_NOT_READY_REASON);
    // and routes that need the database answer 503 in the error shape
    expectError(
      await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'a', password: 'b' } }),
      503,
      'DATABASE_UNAVAILABLE',
    );

    // Then once the database exists and is migrated, the retries find it
    await createDatabase(site);
    await migrateSite({ config: site.config() });
    const deadline = Date.now() + 60_000;
    let status = 503;
    while (status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await app.inject({ method: 'GET', url: '/api/ready' })).statusCode;
    }
    expect(status).toBe(200);
    await app.close();
    if (engine === 'mysql') await adminQuery(site.server!, `DROP DATABASE IF EXISTS \`${extra.DB_NAME}\``);
  });

  it('closes the pool it opened when the app closes', async () => {
    const site = await createSite(engine);
    sites.push(site);
    await migrateSite({ config: site.config() });
    const app = await buildApp({ config: site.config(), logger: false });
    expect((await app.inject({ method: 'GET', url: '/api/ready' })).statusCode).toBe(200);
    const pool = app.database.get();

    await app.close();

    await expect(pool.raw('select 1')).rejects.toThrow();
    expect(() => app.database.get()).toThrow(/shutting down/);
  });
});

describe('TRUST_PROXY', () => {
  it('turns a hop count into a trust function for the n nearest proxies', () => {
    const trust = trustProxyOption(2) as (address: string, hop: number) => boolean;

    expect([trust('10.0.0.1', 0), trust('10.0.0.2', 1), trust('203.0.113.9', 2)]).toEqual([true, true, false]);
    expect(trustProxyOption(false)).toBe(false);
    expect(trustProxyOption(['10.0.0.0/8'])).toEqual(['10.0.0.0/8']);
  });

  it('takes the client address from X-Forwarded-For only from a trusted proxy', async () => {
    const api = await createApiSite('sqlite', { TRUST_PROXY: '127.0.0.1' });
    try {
      const app = await api.app();
      let n = 0;
      // A new username each time, so only the per-IP limit can trip.
      const attempt = (forwardedFor: string, remoteAddress = '127.0.0.1') =>
        app.inject({
          method: 'POST',
          url: '/api/auth/login',
          remoteAddress,
          headers: { 'x-forwarded-for': forwardedFor },
          payload: { username: `nobody${++n}`, password: 'wrong' },
        });
      for (let i = 0; i < LOGIN_LIMITS.perIp.max; i++) expect((await attempt('198.51.100.7')).statusCode).toBe(401);

      // The per-IP limit follows the forwarded address behind the trusted proxy …
      expectError(await attempt('198.51.100.7'), 429, 'RATE_LIMITED');
      expect((await attempt('198.51.100.8')).statusCode).toBe(401);
      // … but an untrusted peer cannot pick its address with the header.
      for (let i = 0; i < LOGIN_LIMITS.perIp.max; i++) expect((await attempt(`192.0.2.${i}`, '10.1.1.1')).statusCode).toBe(401);
      expectError(await attempt('192.0.2.200', '10.1.1.1'), 429, 'RATE_LIMITED');
    } finally {
      await api.cleanup();
    }
  });
});

describe('JWT_SECRET missing in development', () => {
  it('signs sessions with a throwaway key for this run, and says so', async () => {
    const api = await createApiSite('sqlite', { JWT_SECRET: '' });
    try {
      const logs = logCapture();
      const app = await api.app({ logger: { stream: logs.stream, level: 'warn' } });
      const user = await makeUser(api.db, 'viewer');

      const loggedIn = await login(app, user.username);
      const me = await app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(loggedIn.json<{ token: string }>().token) });

      expect(me.statusCode).toBe(200);
      expect(logs.lines().some((line) => String(line.msg).startsWith('JWT_SECRET is not set'))).toBe(true);
      // Another app (a restart) has another key: the old session is gone.
      const restarted = await api.app();
      expectError(
        await restarted.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(loggedIn.json<{ token: string }>().token) }),
        401,
      );
    } finally {
      await api.cleanup();
    }
  });
});

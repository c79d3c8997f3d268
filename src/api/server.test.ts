// Database suite (SQLite and MySQL): the real listener — fetch over TCP, and graceful shutdown:
// no new connections after the signal, requests in flight finish, the pool is closed.

import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, makeUser, slowJsonPost, TEST_JWT_SECRET, TEST_PASSWORD, waitUntil } from '../../test/support/api.js';
import { createSite, describeEachEngine, type TestSite } from '../../test/support/site.js';
import { UserError } from '../core/errors.js';
import { migrateSite } from '../core/migrations/site.js';
import { startServer, type RunningServer } from './server.js';

function logCapture(): { stream: Writable; messages: () => string[] } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    stream,
    messages: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => String((JSON.parse(line) as { msg: unknown }).msg)),
  };
}

describeEachEngine('HTTP server', (engine) => {
  let site: TestSite;
  let username: string;
  const running: RunningServer[] = [];

  beforeAll(async () => {
    site = await createSite(engine, { JWT_SECRET: TEST_JWT_SECRET, COOKIE_SECURE: 'false', HTTP_PORT: String(await freePort()) });
    await migrateSite({ config: site.config() });
    const db = await site.open();
    username = (await makeUser(db, 'viewer')).username;
    await db.destroy();
  });
  afterAll(async () => {
    for (const server of running) await server.stop().catch(() => {});
    await site.cleanup();
  });

  it('answers real HTTP requests (fetch) on its port', async () => {
    const server = await startServer({ config: site.config(), logger: false, signals: new EventEmitter() });
    running.push(server);

    const health = await fetch(`${server.url}/api/health`);
    const loginResponse = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: TEST_PASSWORD }),
    });
    const me = await fetch(`${server.url}/api/auth/me`, { headers: { cookie: loginResponse.headers.getSetCookie()[0]!.split(';')[0]! } });

    expect(health.status).toBe(200);
    expect(health.headers.get('x-request-id')).toBeTruthy();
    expect(loginResponse.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { username } });
    const notFound = await fetch(`${server.url}/api/nothing-here`);
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String), fields: {} } });
    await server.stop();
  });

  it('on SIGTERM stops accepting, finishes the request in flight, then closes the pool', async () => {
    const signals = new EventEmitter();
    const logs = logCapture();
    const server = await startServer({ config: site.config(), logger: { stream: logs.stream, level: 'info' }, signals });
    running.push(server);
    const pool = server.app.database.get();

    // Given a login whose body is still arriving
    const inFlight = await slowJsonPost(`${server.url}/api/auth/login`, { username, password: TEST_PASSWORD });
    await waitUntil(() => logs.messages().includes('incoming request'), 45_000, 'the request to arrive');

    // When the process is told to stop
    signals.emit('SIGTERM');
    await waitUntil(() => logs.messages().some((message) => message.startsWith('shutting down')), 45_000, 'shutdown to start');

    // Then new connections are refused, the request in flight still gets its answer
    await expect(fetch(`${server.url}/api/health`)).rejects.toThrow();
    const answered = await inFlight.finish();
    expect(answered.statusCode).toBe(200);
    expect(answered.headers.connection).toBe('close');
    expect(JSON.parse(answered.body)).toMatchObject({ user: { username } });
    // and the server stops cleanly, with the database pool closed
    expect(await server.stopped).toMatchObject({ stoppedBy: 'SIGTERM', forced: false, url: server.url });
    await expect(pool.raw('select 1')).rejects.toThrow();
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('cuts a request that outlasts the grace period', async () => {
    const signals = new EventEmitter();
    const logs = logCapture();
    const server = await startServer({
      config: site.config(),
      logger: { stream: logs.stream, level: 'info' },
      signals,
      timeouts: { shutdownGraceMs: 300 },
    });
    running.push(server);
    const stuck = await slowJsonPost(`${server.url}/api/auth/login`, { username, password: TEST_PASSWORD });
    await waitUntil(() => logs.messages().includes('incoming request'), 45_000, 'the request to arrive');

    signals.emit('SIGINT');

    expect(await server.stopped).toMatchObject({ stoppedBy: 'SIGINT', forced: true });
    await expect(stuck.response).rejects.toThrow();
  });

  it('says plainly when the port is taken', async () => {
    const first = await startServer({ config: site.config(), logger: false, signals: new EventEmitter() });
    running.push(first);

    const second = startServer({ config: site.config(), logger: false, signals: new EventEmitter() });

    await expect(second).rejects.toBeInstanceOf(UserError);
    await expect(second).rejects.toThrow(/already in use/);
    await first.stop();
  });
});

// End-to-end: `shopdb serve` as site IT runs it, through bin/run.js as a child process — it
// refuses an unsafe production configuration, serves, shuts down gracefully on SIGTERM with the
// request in flight answered, and stays up (not ready) while the database is unreachable.

import { execa, type ResultPromise } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeUser, slowJsonPost, TEST_JWT_SECRET, TEST_PASSWORD, waitUntil } from '../../test/support/api.js';
import { binPath, runBin } from '../../test/support/cli.js';
import { createSite, writeEnvFile, type TestSite } from '../../test/support/site.js';
import { migrateSite } from '../core/migrations/site.js';

interface ServeProcess {
  child: ResultPromise;
  url: string;
  logs: () => Array<Record<string, unknown>>;
}

function serve(envFile: string, port: number, extraEnv: Record<string, string> = {}): ServeProcess {
  const child = execa(binPath, ['serve', '--env-file', envFile], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', HTTP_PORT: String(port), ...extraEnv },
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    timeout: 60_000,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    logs: () =>
      stderr
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

async function waitForHealth(server: ServeProcess): Promise<void> {
  await waitUntil(
    async () => {
      try {
        return (await fetch(`${server.url}/api/health`)).ok;
      } catch {
        return false;
      }
    },
    30_000,
    `${server.url}/api/health`,
  );
}

describe('shopdb serve', () => {
  let site: TestSite;
  let username: string;
  const children: ResultPromise[] = [];

  beforeAll(async () => {
    site = await createSite('sqlite', { JWT_SECRET: TEST_JWT_SECRET, COOKIE_SECURE: 'false', LOG_LEVEL: 'info' });
    await migrateSite({ config: site.config() });
    const db = await site.open();
    username = (await makeUser(db, 'viewer')).username;
    await db.destroy();
  });
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });
  afterAll(async () => site.cleanup());

  it('refuses to start in production with a placeholder JWT_SECRET, listing every problem (exit 2)', async () => {
    const envFile = `${site.dir}/production.env`;
    writeEnvFile(envFile, { SHOPDB_ENV: 'production', DB_CLIENT: 'sqlite', JWT_SECRET: 'change-me', CORS_ORIGINS: '*' });

    const human = await runBin(['serve', '--env-file', envFile], { env: { HTTP_PORT: String(await freePort()) } });
    const json = await runBin(['serve', '--env-file', envFile, '--json']);

    expect(human.exitCode).toBe(2);
    expect(human.stderr).toContain('JWT_SECRET: still has a placeholder value');
    expect(human.stderr).toContain('CORS_ORIGINS: allows every origin');
    expect(human.stderr).not.toMatch(/listening/i);
    expect(json.exitCode).toBe(2);
    expect(json.json.error).toMatchObject({ code: 'CONFIG_INVALID', exitCode: 2 });
    expect(json.json.error.details.join('\n')).toMatch(/JWT_SECRET[\s\S]*CORS_ORIGINS|CORS_ORIGINS[\s\S]*JWT_SECRET/);
  });

  it('serves, and on SIGTERM finishes the request in flight and exits 0', async () => {
    const server = serve(site.envFile, await freePort());
    children.push(server.child);
    await waitForHealth(server);

    // Given a login whose body is still arriving
    const inFlight = await slowJsonPost(`${server.url}/api/auth/login`, { username, password: TEST_PASSWORD });
    await waitUntil(
      () => server.logs().some((line) => line.msg === 'incoming request' && (line.req as { url?: string })?.url === '/api/auth/login'),
      45_000,
      'the login to arrive',
    );

    // When the process gets SIGTERM
    server.child.kill('SIGTERM');
    await waitUntil(() => server.logs().some((line) => String(line.msg).startsWith('shutting down')), 45_000, 'shutdown to begin');
    const answered = await inFlight.finish();

    // Then the request is answered, and the process exits 0 after closing
    expect(answered.statusCode).toBe(200);
    expect(JSON.parse(answered.body)).toMatchObject({ user: { username } });
    const result = await server.child;
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toMatch(/Stopped after \d+ s \(SIGTERM\)/);
    const stopped = server.logs().find((line) => line.msg === 'stopped');
    expect(stopped).toMatchObject({ stoppedBy: 'SIGTERM', forced: false });
    // Every log line is JSON, and request lines carry the request id.
    for (const line of server.logs().filter((entry) => entry.req !== undefined)) expect(line.requestId).toEqual(expect.any(String));
  });

  it('keeps running while the database is unreachable; /api/ready answers 503 and the log says why', async () => {
    const envFile = `${site.dir}/missing-db.env`;
    writeEnvFile(envFile, {
      SHOPDB_ENV: 'development',
      DB_CLIENT: 'sqlite',
      DB_SQLITE_PATH: './not-created-yet.sqlite',
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'warn',
    });
    const server = serve(envFile, await freePort());
    children.push(server.child);
    await waitForHealth(server);

    const ready = await fetch(`${server.url}/api/ready`);

    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { status: string; reason: string };
    expect(body.status).toBe('not-ready');
    // The reason names where the database is: the log has it, an anonymous caller does not.
    expect(body.reason).not.toContain('not-created-yet');
    await waitUntil(
      () => server.logs().some((line) => line.msg === 'not ready' && String(line.reason).includes('No SQLite database at')),
      45_000,
      'the not-ready reason in the log',
    );
    expect(server.logs().some((line) => line.msg === 'database unavailable; retrying')).toBe(true);
    server.child.kill('SIGTERM');
    expect((await server.child).exitCode).toBe(0);
  });
});

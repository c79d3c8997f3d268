// Two `shopdb serve` replicas on one MariaDB database, as a site runs them behind its proxy: two
// real processes through bin/run.js, requests alternating between them. Whatever one replica
// learns about a login (a lockout, a logout, a password reset, an unlock) the other must know
// from its very next request (ADR-012: the revocation delay is zero), and a restart forgets
// nothing. Client addresses come from X-Forwarded-For, which the replicas trust from loopback
// only (TRUST_PROXY=127.0.0.1), as from a proxy on the same host.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { LOGIN_LIMITS } from '../src/core/auth/login-throttle.js';
import { createApiSite, makeUser, TEST_PASSWORD, type ApiSite } from './support/api.js';
import { runBin } from './support/cli.js';
import { describeOnMysql } from './support/concurrency.js';
import { callReplica, startServeReplica, stopServeReplica, type ServeReplica } from './support/replicas.js';

const WRONG_PASSWORD = 'not-the-password-at-all';

describeOnMysql('two serve replicas on one database', () => {
  let api: ApiSite;
  const replicas: ServeReplica[] = [];
  let addressCounter = 0;
  /** A fresh client address per test, so the per-address counters of one test never touch another. */
  const newAddress = () => `10.77.${Math.floor(++addressCounter / 250)}.${(addressCounter % 250) + 1}`;

  const startReplica = (name: string, port?: number) => startServeReplica(name, api.site.envFile, { port });

  const loginAt = (replica: ServeReplica, username: string, password: string, from: string) =>
    callReplica(replica, 'POST', '/api/auth/login', { body: { username, password }, from });

  async function tokenFrom(replica: ServeReplica, username: string, password = TEST_PASSWORD): Promise<string> {
    const answer = await loginAt(replica, username, password, newAddress());
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body.token as string;
  }

  const meStatus = async (replica: ServeReplica, token: string) => (await callReplica(replica, 'GET', '/api/auth/me', { token })).status;

  /** The status each replica gives the token, e.g. `{ a: 200, b: 200 }`. */
  const statusOnEach = async (token: string) => ({ a: await meStatus(replicas[0]!, token), b: await meStatus(replicas[1]!, token) });

  beforeAll(async () => {
    api = await createApiSite('mysql', { TRUST_PROXY: '127.0.0.1', LOG_LEVEL: 'warn' });
    replicas.push(await startReplica('a'), await startReplica('b'));
  }, 240_000);

  afterAll(async () => {
    for (const replica of replicas) await stopServeReplica(replica);
    await api?.cleanup();
  });

  it(`shares one lockout: ${LOGIN_LIMITS.perUserAndIp.max} failures alternating between the replicas lock the username on both, and \`user unlock\` frees it on both`, async () => {
    const target = await makeUser(api.db, 'viewer');
    const attacker = newAddress();

    for (let i = 0; i < LOGIN_LIMITS.perUserAndIp.max; i++) {
      expect((await loginAt(replicas[i % 2]!, target.username, WRONG_PASSWORD, attacker)).status).toBe(401);
    }
    const lockedA = await loginAt(replicas[0]!, target.username, TEST_PASSWORD, attacker);
    const lockedB = await loginAt(replicas[1]!, target.username, TEST_PASSWORD, attacker);

    expect([lockedA.status, lockedB.status]).toEqual([429, 429]);
    expect(lockedB.body.error.code).toBe('RATE_LIMITED');

    const unlock = await runBin(['user', 'unlock', target.username, '--env-file', api.site.envFile]);
    expect(unlock.exitCode, unlock.stderr).toBe(0);
    expect((await loginAt(replicas[1]!, target.username, TEST_PASSWORD, attacker)).status).toBe(200);
    expect((await loginAt(replicas[0]!, target.username, TEST_PASSWORD, attacker)).status).toBe(200);
  });

  it(`checks at most ${LOGIN_LIMITS.perUserAndIp.max} passwords when ${LOGIN_LIMITS.perUserAndIp.max * 4} guesses arrive at once, split across the replicas`, async () => {
    const target = await makeUser(api.db, 'viewer');
    const attacker = newAddress();

    const answers = await Promise.all(
      Array.from({ length: LOGIN_LIMITS.perUserAndIp.max * 4 }, (_, i) =>
        loginAt(replicas[i % 2]!, target.username, WRONG_PASSWORD, attacker),
      ),
    );

    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(LOGIN_LIMITS.perUserAndIp.max);
    expect(statuses.filter((status) => status === 429)).toHaveLength(LOGIN_LIMITS.perUserAndIp.max * 3);
  });

  it('ends a session on both replicas when it logs out on one', async () => {
    const target = await makeUser(api.db, 'editor');
    const token = await tokenFrom(replicas[0]!, target.username);
    const other = await tokenFrom(replicas[1]!, target.username);
    expect(await statusOnEach(token)).toEqual({ a: 200, b: 200 });

    expect((await callReplica(replicas[1]!, 'POST', '/api/auth/logout', { token })).status).toBe(204);

    expect(await statusOnEach(token)).toEqual({ a: 401, b: 401 });
    // The user's other session is theirs to keep.
    expect(await statusOnEach(other)).toEqual({ a: 200, b: 200 });
  });

  it('ends every session on both replicas after a password reset from the CLI; only the new password logs in', async () => {
    const target = await makeUser(api.db, 'editor');
    const tokens = [await tokenFrom(replicas[0]!, target.username), await tokenFrom(replicas[1]!, target.username)];
    const newPassword = 'a-brand-new-shop-floor-password';

    const reset = await runBin(['user', 'reset-password', target.username, '--password-stdin', '--env-file', api.site.envFile], {
      input: newPassword,
    });

    expect(reset.exitCode, reset.stderr).toBe(0);
    for (const token of tokens) expect(await statusOnEach(token)).toEqual({ a: 401, b: 401 });
    expect((await loginAt(replicas[0]!, target.username, TEST_PASSWORD, newAddress())).status).toBe(401);
    expect((await loginAt(replicas[1]!, target.username, TEST_PASSWORD, newAddress())).status).toBe(401);
    const fresh = await tokenFrom(replicas[1]!, target.username, newPassword);
    expect(await statusOnEach(fresh)).toEqual({ a: 200, b: 200 });
  });

  it('ends every session on both replicas after `user logout-all` and after an admin ends them through the API', async () => {
    const target = await makeUser(api.db, 'viewer');
    const admin = await makeUser(api.db, 'admin');
    const adminToken = await tokenFrom(replicas[0]!, admin.username);
    const first = [await tokenFrom(replicas[0]!, target.username), await tokenFrom(replicas[1]!, target.username)];

    const logoutAll = await runBin(['user', 'logout-all', target.username, '--env-file', api.site.envFile, '--json']);

    expect(logoutAll.exitCode, logoutAll.stderr).toBe(0);
    for (const token of first) expect(await statusOnEach(token)).toEqual({ a: 401, b: 401 });

    const second = [await tokenFrom(replicas[0]!, target.username), await tokenFrom(replicas[1]!, target.username)];
    const ended = await callReplica(replicas[1]!, 'POST', `/api/users/${target.id}/logout-all`, { token: adminToken });
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    expect(ended.body.ended).toBe(2);
    for (const token of second) expect(await statusOnEach(token)).toEqual({ a: 401, b: 401 });
    expect(await statusOnEach(adminToken)).toEqual({ a: 200, b: 200 });
  });

  it('keeps a lockout and an ended session across a restart of a replica', async () => {
    const target = await makeUser(api.db, 'viewer');
    const attacker = newAddress();
    for (let i = 0; i < LOGIN_LIMITS.perUserAndIp.max; i++) {
      expect((await loginAt(replicas[i % 2]!, target.username, WRONG_PASSWORD, attacker)).status).toBe(401);
    }
    const token = await tokenFrom(replicas[0]!, target.username);
    expect((await callReplica(replicas[0]!, 'POST', '/api/auth/logout', { token })).status).toBe(204);

    const port = replicas[0]!.port;
    await stopServeReplica(replicas[0]!);
    replicas[0] = await startReplica('a (restarted)', port);

    expect((await loginAt(replicas[0]!, target.username, TEST_PASSWORD, attacker)).status).toBe(429);
    expect(await statusOnEach(token)).toEqual({ a: 401, b: 401 });
  }, 180_000);
});

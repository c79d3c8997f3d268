// Database suite (SQLite and MySQL): login, sessions, API tokens, roles and rate limits, with
// the attacks a session scheme must survive (alg none, foreign keys, tampering, expiry).

import { generateKeyPairSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  bearer,
  createApiSite,
  expectError,
  login,
  makeUser,
  TEST_JWT_SECRET,
  TEST_PASSWORD,
  tokenFor,
  type ApiSite,
} from '../../../test/support/api.js';
import { createApiToken, revokeApiToken } from '../../core/auth/api-tokens.js';
import { cliActor } from '../../core/audit/log.js';
import { resetPassword, setUserDisabled, updateUserProfile } from '../../core/users/service.js';
import { unlockUsername } from '../../core/auth/login-throttle.js';
import { describeEachEngine } from '../../../test/support/site.js';
import { LOGIN_LIMITS } from './routes.js';

const admin = cliActor('test');

function cookieOf(setCookie: string | string[] | undefined): string {
  return (Array.isArray(setCookie) ? setCookie[0]! : String(setCookie)).split(';')[0]!;
}

/** base64url JSON, for forging tokens by hand. */
const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describeEachEngine('HTTP API authentication', (engine) => {
  let api: ApiSite;
  let app: FastifyInstance;
  let viewer: { id: number; username: string };
  let editor: { id: number; username: string };
  let boss: { id: number; username: string };

  beforeAll(async () => {
    api = await createApiSite(engine);
    viewer = await makeUser(api.db, 'viewer');
    editor = await makeUser(api.db, 'editor');
    boss = await makeUser(api.db, 'admin');
  });
  afterAll(async () => api.cleanup());
  // A fresh app per test; the login counters live in the database, so each test uses addresses of its own.
  beforeEach(async () => {
    app = await api.app();
  });

  describe('login', () => {
    it('returns the user and a token, and sets an HttpOnly session cookie', async () => {
      const response = await login(app, viewer.username);

      expect(response.statusCode).toBe(200);
      const body = response.json<{ user: Record<string, unknown>; token: string; expiresAt: string }>();
      expect(body.user).toEqual({ id: viewer.id, username: viewer.username, displayName: null, role: 'viewer', authSource: 'local' });
      expect(body.token.split('.')).toHaveLength(3);
      expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(7.9 * 3600 * 1000);
      expect(response.headers['cache-control']).toBe('no-store');
      const cookie = String(response.headers['set-cookie']);
      expect(cookie).toMatch(new RegExp(`^shopdb_session=${body.token.replace(/\./g, '\\.')};`));
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Lax');
      expect(cookie).toContain('Path=/');
      expect(cookie).toContain('Max-Age=28800');
      expect(cookie).not.toContain('Secure');
    });

    it('accepts the username in any case', async () => {
      expect((await login(app, viewer.username.toUpperCase())).statusCode).toBe(200);
    });

    it('answers a wrong password, an unknown user and a disabled user with the same 401', async () => {
      const disabled = await makeUser(api.db, 'viewer');
      await setUserDisabled(api.db, admin, disabled.username, true);

      const wrongPassword = expectError(await login(app, viewer.username, 'not-the-password'), 401, 'INVALID_CREDENTIALS');
      const unknownUser = expectError(await login(app, 'nobody-by-that-name'), 401, 'INVALID_CREDENTIALS');
      const disabledUser = expectError(await login(app, disabled.username), 401, 'INVALID_CREDENTIALS');

      expect(unknownUser).toEqual(wrongPassword);
      expect(disabledUser).toEqual(wrongPassword);
    });

    it('logout clears the cookie', async () => {
      const response = await app.inject({ method: 'POST', url: '/api/auth/logout' });

      expect(response.statusCode).toBe(204);
      const cookie = String(response.headers['set-cookie']);
      expect(cookie).toMatch(/^shopdb_session=;/);
      expect(cookie).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/);
    });
  });

  describe('cookie attributes from the configuration', () => {
    it('sets Secure, SameSite=Strict and the Domain when configured', async () => {
      const strict = await createApiSite(engine, {
        COOKIE_SECURE: 'true',
        COOKIE_SAMESITE: 'strict',
        COOKIE_DOMAIN: 'shopdb.plant.example',
        COOKIE_NAME: 'plant_session',
        JWT_EXPIRES_IN: '30m',
      });
      try {
        const local = await strict.app();
        const user = await makeUser(strict.db, 'viewer');

        const cookie = String((await login(local, user.username)).headers['set-cookie']);

        expect(cookie).toMatch(/^plant_session=/);
        expect(cookie).toContain('Secure');
        expect(cookie).toContain('SameSite=Strict');
        expect(cookie).toContain('Domain=shopdb.plant.example');
        expect(cookie).toContain('Max-Age=1800');
        expect(cookie).toContain('HttpOnly');
      } finally {
        await strict.cleanup();
      }
    });
  });

  describe('login limits (kept in the database)', () => {
    const attempt = (target: FastifyInstance, remoteAddress: string, username: string, password = 'wrong-guess-of-a-password') =>
      target.inject({ method: 'POST', url: '/api/auth/login', remoteAddress, payload: { username, password } });

    it(`refuses an address after ${LOGIN_LIMITS.perIp.max} failed attempts, whatever the usernames, with retry-after; other addresses go on`, async () => {
      for (let i = 0; i < LOGIN_LIMITS.perIp.max; i++) expect((await attempt(app, '10.9.0.1', `someone-${i}`)).statusCode).toBe(401);

      const limited = await attempt(app, '10.9.0.1', viewer.username, TEST_PASSWORD);

      expectError(limited, 429, 'RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(60);
      expect((await attempt(app, '10.9.0.2', viewer.username, TEST_PASSWORD)).statusCode).toBe(200);
    });

    it(`locks a username from one address after ${LOGIN_LIMITS.perUserAndIp.max} failures, even with the right password, but not from another address`, async () => {
      const target = await makeUser(api.db, 'viewer');
      for (let i = 0; i < LOGIN_LIMITS.perUserAndIp.max; i++)
        expect((await attempt(app, '10.8.0.1', target.username)).statusCode).toBe(401);

      const locked = await attempt(app, '10.8.0.1', target.username.toUpperCase(), TEST_PASSWORD);
      const elsewhere = await attempt(app, '10.8.0.2', target.username, TEST_PASSWORD);

      expectError(locked, 429, 'RATE_LIMITED');
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(60);
      expect(elsewhere.statusCode).toBe(200);
    });

    it(`locks a sprayed username for new addresses after ${LOGIN_LIMITS.perUser.max} failures, while its known address and the server's own host still log in`, async () => {
      const target = await makeUser(api.db, 'admin');
      // The admin has logged in from their workstation before.
      expect((await attempt(app, '10.7.9.9', target.username, TEST_PASSWORD)).statusCode).toBe(200);
      // A spray from many addresses, each staying under the per-address limits.
      for (let i = 0; i < LOGIN_LIMITS.perUser.max; i++)
        expect((await attempt(app, `10.7.${Math.floor(i / 4)}.${(i % 4) + 1}`, target.username)).statusCode).toBe(401);

      const stranger = await attempt(app, '10.7.200.1', target.username, TEST_PASSWORD);
      const workstation = await attempt(app, '10.7.9.9', target.username, TEST_PASSWORD);
      const serverHost = await attempt(app, '127.0.0.1', target.username, TEST_PASSWORD);

      expectError(stranger, 429, 'RATE_LIMITED');
      expect(workstation.statusCode).toBe(200);
      expect(serverHost.statusCode).toBe(200);
    });

    it('does not count successful logins, and a success starts the address-and-username count over', async () => {
      for (let i = 0; i < LOGIN_LIMITS.perIp.max + 2; i++)
        expect((await attempt(app, '10.6.0.1', editor.username, TEST_PASSWORD)).statusCode).toBe(200);
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < LOGIN_LIMITS.perUserAndIp.max - 1; i++)
          expect((await attempt(app, '10.6.0.2', editor.username)).statusCode).toBe(401);
        expect((await attempt(app, '10.6.0.2', editor.username, TEST_PASSWORD)).statusCode).toBe(200);
      }
    });

    it('keeps a lockout across a restart and across servers, until `unlockUsername` clears it', async () => {
      const target = await makeUser(api.db, 'viewer');
      for (let i = 0; i < LOGIN_LIMITS.perUserAndIp.max; i++)
        expect((await attempt(app, '10.5.0.1', target.username)).statusCode).toBe(401);
      await app.close();

      const restarted = await api.app();
      const other = await api.app();

      expectError(await attempt(restarted, '10.5.0.1', target.username, TEST_PASSWORD), 429, 'RATE_LIMITED');
      expectError(await attempt(other, '10.5.0.1', target.username, TEST_PASSWORD), 429, 'RATE_LIMITED');
      expect(await unlockUsername(api.db, target.username.toUpperCase())).toBeGreaterThan(0);
      expect((await attempt(other, '10.5.0.1', target.username, TEST_PASSWORD)).statusCode).toBe(200);
    });

    it(`checks at most ${LOGIN_LIMITS.perUserAndIp.max} passwords when ${LOGIN_LIMITS.perUserAndIp.max * 3} guesses arrive at once`, async () => {
      const target = await makeUser(api.db, 'viewer');
      const answers = await Promise.all(
        Array.from({ length: LOGIN_LIMITS.perUserAndIp.max * 3 }, () => attempt(app, '10.4.0.1', target.username)),
      );

      const statuses = answers.map((answer) => answer.statusCode).sort();
      expect(statuses.filter((status) => status === 401)).toHaveLength(LOGIN_LIMITS.perUserAndIp.max);
      expect(statuses.filter((status) => status === 429)).toHaveLength(LOGIN_LIMITS.perUserAndIp.max * 2);
    });
  });

  describe('ending sessions', () => {
    const me = (target: FastifyInstance, token: string) => target.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });

    it('logout ends that session for the bearer JWT and the cookie alike, and no other session of the user', async () => {
      const user = await makeUser(api.db, 'editor');
      const first = await login(app, user.username);
      const second = await tokenFor(app, user.username);
      const token = first.json<{ token: string }>().token;

      const out = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: cookieOf(first.headers['set-cookie']) } });

      expect(out.statusCode).toBe(204);
      expectError(await me(app, token), 401, 'UNAUTHORIZED');
      expectError(
        await app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: cookieOf(first.headers['set-cookie']) } }),
        401,
      );
      expect((await me(app, second)).statusCode).toBe(200);
    });

    it('a password reset, a role change, a disable (even once enabled again) and logout-all each end every session of the user', async () => {
      const user = await makeUser(api.db, 'editor');
      const sessions = async () => [await tokenFor(app, user.username), await tokenFor(app, user.username)];
      const allRefused = async (tokens: string[]) => {
        for (const token of tokens) expectError(await me(app, token), 401);
      };

      let tokens = await sessions();
      await resetPassword(api.db, admin, user.username, TEST_PASSWORD);
      await allRefused(tokens);

      tokens = await sessions();
      await updateUserProfile(api.db, admin, user.username, { role: 'viewer' });
      await allRefused(tokens);

      tokens = await sessions();
      await setUserDisabled(api.db, admin, user.username, true);
      await setUserDisabled(api.db, admin, user.username, false);
      await allRefused(tokens);

      tokens = await sessions();
      const bossToken = await tokenFor(app, boss.username);
      const ended = await app.inject({ method: 'POST', url: `/api/users/${user.id}/logout-all`, headers: bearer(bossToken) });
      expect(ended.json()).toEqual({ ended: 2 });
      await allRefused(tokens);
      // Changing only the display name ends nothing.
      const kept = await tokenFor(app, user.username);
      await updateUserProfile(api.db, admin, user.username, { displayName: 'Kept Session' });
      expect((await me(app, kept)).statusCode).toBe(200);
    });

    it('an admin lists live sessions and ends one by id; a viewer sees only their own', async () => {
      const user = await makeUser(api.db, 'viewer');
      const token = await tokenFor(app, user.username);
      const bossToken = await tokenFor(app, boss.username);

      const listed = await app.inject({ method: 'GET', url: `/api/sessions?user_id=${user.id}`, headers: bearer(bossToken) });
      expect(listed.statusCode).toBe(200);
      const [session] = listed.json<{ results: Array<{ id: number; status: string; username: string; ip: string }> }>().results;
      expect(session).toMatchObject({ status: 'active', username: user.username, ip: '127.0.0.1' });
      expect(listed.body).not.toContain(token);
      const own = await app.inject({ method: 'GET', url: '/api/sessions', headers: bearer(token) });
      expect(own.json<{ results: Array<{ userId: number }> }>().results.map((s) => s.userId)).toEqual([user.id]);
      expectError(await app.inject({ method: 'GET', url: `/api/sessions?user_id=${boss.id}`, headers: bearer(token) }), 403);

      const end = await app.inject({ method: 'DELETE', url: `/api/sessions/${session!.id}`, headers: bearer(bossToken) });

      expect(end.statusCode).toBe(204);
      expectError(await me(app, token), 401);
      const all = await app.inject({ method: 'GET', url: `/api/sessions?user_id=${user.id}&all=true`, headers: bearer(bossToken) });
      expect(all.json<{ results: unknown[] }>().results).toEqual([
        expect.objectContaining({ id: session!.id, status: 'ended', endedReason: 'admin' }),
      ]);
      expectError(await app.inject({ method: 'DELETE', url: '/api/sessions/987654', headers: bearer(bossToken) }), 404);
    });

    it('refuses a JWT signed with the right secret that names no session (as issued before sessions were kept)', async () => {
      const legacy = jwt.sign({ role: 'editor', username: editor.username }, TEST_JWT_SECRET, {
        subject: String(editor.id),
        expiresIn: 600,
      });
      const unknownSession = jwt.sign({ role: 'editor', username: editor.username }, TEST_JWT_SECRET, {
        subject: String(editor.id),
        expiresIn: 600,
        jwtid: 'AAAAAAAAAAAAAAAAAAAAAA',
      });

      expectError(await me(app, legacy), 401);
      expectError(await me(app, unknownSession), 401);
    });
  });

  describe('sessions', () => {
    it('accepts the cookie and the bearer JWT', async () => {
      const response = await login(app, editor.username);
      const viaCookie = await app.inject({
        method: 'GET',
        url: '/api/auth/me',
        headers: { cookie: cookieOf(response.headers['set-cookie']) },
      });
      const viaBearer = await app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(response.json<{ token: string }>().token) });

      for (const me of [viaCookie, viaBearer]) {
        expect(me.statusCode).toBe(200);
        expect(me.json()).toEqual({ user: expect.objectContaining({ id: editor.id, role: 'editor' }), via: 'session', tokenScope: null });
      }
    });

    it('answers 401 without credentials, and with a malformed Authorization header', async () => {
      expectError(await app.inject({ method: 'GET', url: '/api/auth/me' }), 401, 'UNAUTHORIZED');
      const basic = await app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
      expectError(basic, 401, 'UNAUTHORIZED');
      expect(basic.headers['www-authenticate']).toBe('Bearer');
    });

    it.each([
      [
        'alg none',
        () =>
          `${segment({ alg: 'none', typ: 'JWT' })}.${segment({ sub: '1', role: 'admin', username: 'x', exp: Math.floor(Date.now() / 1000) + 600 })}.`,
      ],
      [
        'a wrong secret',
        () => jwt.sign({ role: 'admin', username: 'x' }, 'another-secret-another-secret-another', { subject: '1', expiresIn: 600 }),
      ],
      [
        'an expired token',
        () => jwt.sign({ role: 'viewer', username: 'x', exp: Math.floor(Date.now() / 1000) - 10 }, TEST_JWT_SECRET, { subject: '1' }),
      ],
      [
        'RS256 (key confusion)',
        () => {
          const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
          return jwt.sign({ role: 'admin', username: 'x' }, privateKey, { algorithm: 'RS256', subject: '1', expiresIn: 600 });
        },
      ],
      [
        'HS512 with the right secret',
        () => jwt.sign({ role: 'admin', username: 'x' }, TEST_JWT_SECRET, { algorithm: 'HS512', subject: '1', expiresIn: 600 }),
      ],
      [
        'a subject that is not a user id',
        () => jwt.sign({ role: 'admin', username: 'x' }, TEST_JWT_SECRET, { subject: '1 or 1=1', expiresIn: 600 }),
      ],
      [
        'a user that does not exist',
        () => jwt.sign({ role: 'admin', username: 'x' }, TEST_JWT_SECRET, { subject: '987654', expiresIn: 600 }),
      ],
      ['garbage', () => 'not.a.jwt'],
    ])('refuses %s with 401', async (_what, forge) => {
      const response = await app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(forge()) });

      expectError(response, 401, 'UNAUTHORIZED');
    });

    it('refuses a tampered payload (role raised, signature kept)', async () => {
      const token = await tokenFor(app, viewer.username);
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const forged = `${header}.${segment({ ...claims, role: 'admin' })}.${signature}`;

      expectError(await app.inject({ method: 'GET', url: '/api/users', headers: bearer(forged) }), 401, 'UNAUTHORIZED');
    });

    it('refuses the session of a user disabled after login, via cookie and bearer', async () => {
      const user = await makeUser(api.db, 'editor');
      const response = await login(app, user.username);
      await setUserDisabled(api.db, admin, user.username, true);

      expectError(await app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(response.json<{ token: string }>().token) }), 401);
      expectError(
        await app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: cookieOf(response.headers['set-cookie']) } }),
        401,
      );
    });

    it('refuses a cookie-authenticated write from another site, but not a read', async () => {
      const cookie = cookieOf((await login(app, boss.username)).headers['set-cookie']);
      const write = {
        method: 'POST' as const,
        url: '/api/users',
        payload: { username: 'csrf-victim', password: TEST_PASSWORD, role: 'admin' },
      };

      const crossSite = await app.inject({ ...write, headers: { cookie, origin: 'https://evil.example' } });
      const read = await app.inject({ method: 'GET', url: '/api/users', headers: { cookie, origin: 'https://evil.example' } });
      const sameSite = await app.inject({ ...write, headers: { cookie, origin: 'http://localhost:80', host: 'localhost:80' } });

      expectError(crossSite, 403, 'CROSS_SITE_REQUEST');
      expect(read.statusCode).toBe(200);
      expect(sameSite.statusCode).toBe(201);
    });
  });

  describe('API tokens', () => {
    it('a read token may read but not write', async () => {
      const { token } = await createApiToken(api.db, admin, { userId: boss.id, name: 'reporting', scope: 'read' });

      const me = await app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });
      expect(me.json()).toMatchObject({ user: { id: boss.id }, via: 'token', tokenScope: 'read' });
      expect((await app.inject({ method: 'GET', url: '/api/users', headers: bearer(token) })).statusCode).toBe(200);
      const write = await app.inject({
        method: 'POST',
        url: '/api/users',
        headers: bearer(token),
        payload: { username: 'by-read-token', password: TEST_PASSWORD, role: 'viewer' },
      });
      expectError(write, 403, 'READ_ONLY_TOKEN');
    });

    it('a write token of an admin may write', async () => {
      const { token } = await createApiToken(api.db, admin, { userId: boss.id, name: 'provisioning', scope: 'write' });

      const write = await app.inject({
        method: 'POST',
        url: '/api/users',
        headers: bearer(token),
        payload: { username: 'by-write-token', password: TEST_PASSWORD, role: 'viewer' },
      });

      expect(write.statusCode).toBe(201);
    });

    it('refuses a revoked token, a made-up token, and the token of a disabled user', async () => {
      const revoked = await createApiToken(api.db, admin, { userId: editor.id, name: 'old', scope: 'write' });
      await revokeApiToken(api.db, admin, revoked.id);
      const owner = await makeUser(api.db, 'editor');
      const ofDisabled = await createApiToken(api.db, admin, { userId: owner.id, name: 'leaver', scope: 'read' });
      await setUserDisabled(api.db, admin, owner.username, true);

      for (const token of [revoked.token, `shopdb_${'A'.repeat(43)}`, ofDisabled.token, 'shopdb_short']) {
        expectError(await app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) }), 401, 'UNAUTHORIZED');
      }
    });
  });

  describe('roles', () => {
    const newUser = (username: string) => ({
      method: 'POST' as const,
      url: '/api/users',
      payload: { username, password: TEST_PASSWORD, role: 'viewer' },
    });

    it('a viewer cannot create users', async () => {
      const token = await tokenFor(app, viewer.username);

      expectError(await app.inject({ ...newUser('made-by-viewer'), headers: bearer(token) }), 403, 'FORBIDDEN');
    });

    it("an editor cannot manage users, other users' tokens or read the audit log", async () => {
      const token = await tokenFor(app, editor.username);

      expectError(await app.inject({ ...newUser('made-by-editor'), headers: bearer(token) }), 403, 'FORBIDDEN');
      expectError(await app.inject({ method: 'GET', url: '/api/users', headers: bearer(token) }), 403, 'FORBIDDEN');
      expectError(await app.inject({ method: 'POST', url: `/api/users/${viewer.id}/disable`, headers: bearer(token) }), 403, 'FORBIDDEN');
      expectError(await app.inject({ method: 'GET', url: `/api/tokens?user_id=${viewer.id}`, headers: bearer(token) }), 403, 'FORBIDDEN');
      expectError(await app.inject({ method: 'GET', url: '/api/audit', headers: bearer(token) }), 403, 'FORBIDDEN');
    });

    it('an admin can', async () => {
      const token = await tokenFor(app, boss.username);

      const created = await app.inject({ ...newUser('made-by-admin'), headers: bearer(token) });

      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ user: { username: 'made-by-admin', role: 'viewer', disabled: false } });
    });

    it('checks the role before validating the body', async () => {
      const token = await tokenFor(app, viewer.username);

      expectError(await app.inject({ method: 'POST', url: '/api/users', headers: bearer(token), payload: { nonsense: true } }), 403);
      expectError(await app.inject({ method: 'POST', url: '/api/users', payload: { nonsense: true } }), 401);
    });
  });
});

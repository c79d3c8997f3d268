// Database suite (SQLite and MySQL): accounts people look after themselves. A signed-in user
// changes their own password (the current one required, guesses limited like logins, other
// sessions ended, this one kept), sees and ends their own sessions, and makes, lists and revokes
// their own API tokens, never beyond their role; only admins reach other users' records.

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createApiSite, expectError, login, makeUser, TEST_PASSWORD, tokenFor, type ApiSite } from '../../../test/support/api.js';
import { describeEachEngine } from '../../../test/support/site.js';

const NEW_PASSWORD = 'quarter-inch-drive-ratchet-77';

describeEachEngine('self-service accounts', (engine) => {
  let api: ApiSite;
  let app: FastifyInstance;
  let boss: { id: number; username: string };
  let bossAuth: Record<string, string>;

  beforeAll(async () => {
    api = await createApiSite(engine);
    app = await api.app();
    boss = await makeUser(api.db, 'admin');
    bossAuth = bearer(await tokenFor(app, boss.username));
  });
  afterAll(async () => api?.cleanup());

  const me = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/api/auth/me', headers });
  const createToken = (headers: Record<string, string>, payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/api/tokens', headers, payload });

  describe('API tokens', () => {
    it('an editor makes, lists and revokes their own tokens, and their token acts as an editor', async () => {
      const editor = await makeUser(api.db, 'editor');
      const auth = bearer(await tokenFor(app, editor.username));
      const bossToken = (await createToken(bossAuth, { name: 'boss script', scope: 'write' })).json<{ id: number; token: string }>();

      const created = await createToken(auth, { name: 'label printer', scope: 'write', expiresIn: '30d' });

      expect(created.statusCode, created.body).toBe(201);
      const token = created.json<{ id: number; token: string }>();
      expect((await me(bearer(token.token))).json()).toMatchObject({ user: { id: editor.id, role: 'editor' }, tokenScope: 'write' });
      // Never more than an editor: admin routes stay closed to the editor's token.
      expectError(await app.inject({ method: 'GET', url: '/api/users', headers: bearer(token.token) }), 403, 'FORBIDDEN');
      const listed = await app.inject({ method: 'GET', url: '/api/tokens', headers: auth });
      expect(listed.json<{ results: Array<{ userId: number; name: string }> }>().results).toEqual([
        expect.objectContaining({ userId: editor.id, name: 'label printer' }),
      ]);
      // Someone else's token is not there for them: "not found", and it keeps working.
      expectError(await app.inject({ method: 'DELETE', url: `/api/tokens/${bossToken.id}`, headers: auth }), 404, 'NOT_FOUND');
      expect((await me(bearer(bossToken.token))).statusCode).toBe(200);
      const revoked = await app.inject({ method: 'DELETE', url: `/api/tokens/${token.id}`, headers: auth });
      expect(revoked.statusCode).toBe(204);
      expectError(await me(bearer(token.token)), 401);
      const audit = await api
        .db('audit_log')
        .where({ object_type: 'api_token', object_id: String(token.id) })
        .orderBy('id')
        .pluck('action');
      expect(audit).toEqual(['create', 'revoke']);
    });

    it.each([
      [
        'a token for another user',
        'editor',
        (other: number) => ({ name: 'x', scope: 'read', userId: other }),
        'Only an admin creates API tokens for other users',
      ],
      ['a summary:read token', 'editor', () => ({ name: 'x', scope: 'summary:read' }), 'Only an admin creates summary:read tokens'],
      ["a viewer's write token", 'viewer', () => ({ name: 'x', scope: 'write' }), "A viewer's token can only read"],
    ] as const)('refuses %s with 403, writing nothing', async (_what, role, payload, message) => {
      const user = await makeUser(api.db, role);
      const auth = bearer(await tokenFor(app, user.username));
      const before = await api.db('api_tokens').count({ n: '*' }).first();

      const error = expectError(await createToken(auth, payload(boss.id)), 403, 'FORBIDDEN');

      expect(error.message).toContain(message);
      expect(await api.db('api_tokens').count({ n: '*' }).first()).toEqual(before);
    });

    it("a viewer makes a read token of their own; nobody lists another user's tokens but an admin", async () => {
      const viewer = await makeUser(api.db, 'viewer');
      const auth = bearer(await tokenFor(app, viewer.username));

      const created = await createToken(auth, { name: 'wall display', scope: 'read' });

      expect(created.statusCode, created.body).toBe(201);
      expectError(await app.inject({ method: 'GET', url: `/api/tokens?user_id=${boss.id}`, headers: auth }), 403, 'FORBIDDEN');
      const asAdmin = await app.inject({ method: 'GET', url: `/api/tokens?user_id=${viewer.id}`, headers: bossAuth });
      expect(asAdmin.json<{ results: Array<{ name: string }> }>().results.map((t) => t.name)).toEqual(['wall display']);
    });

    it("an API token cannot mint tokens, not even an admin's", async () => {
      const adminToken = (await createToken(bossAuth, { name: 'automation', scope: 'write' })).json<{ token: string }>().token;

      const error = expectError(await createToken(bearer(adminToken), { name: 'child', scope: 'write' }), 403, 'FORBIDDEN');

      expect(error.message).toContain('An API token cannot create API tokens');
    });
  });

  describe('sessions', () => {
    it("a viewer lists and ends their own sessions, and cannot see or end anyone else's", async () => {
      const viewer = await makeUser(api.db, 'viewer');
      const first = await tokenFor(app, viewer.username);
      const second = await tokenFor(app, viewer.username);
      const bossSessions = await app.inject({ method: 'GET', url: `/api/sessions?user_id=${boss.id}`, headers: bossAuth });
      const bossSession = bossSessions.json<{ results: Array<{ id: number }> }>().results[0]!;

      const own = await app.inject({ method: 'GET', url: '/api/sessions', headers: bearer(first) });

      const sessions = own.json<{ results: Array<{ id: number; userId: number }> }>().results;
      expect(sessions.map((s) => s.userId)).toEqual([viewer.id, viewer.id]);
      expectError(await app.inject({ method: 'DELETE', url: `/api/sessions/${bossSession.id}`, headers: bearer(first) }), 404, 'NOT_FOUND');
      expect((await me(bossAuth)).statusCode).toBe(200);
      // The newest is the second login: ending it from the first leaves the first signed in.
      const ended = await app.inject({ method: 'DELETE', url: `/api/sessions/${sessions[0]!.id}`, headers: bearer(first) });
      expect(ended.statusCode).toBe(204);
      expectError(await me(bearer(second)), 401);
      expect((await me(bearer(first))).statusCode).toBe(200);
    });
  });

  describe('changing your own password', () => {
    const change = (headers: Record<string, string>, currentPassword: string, newPassword: string) =>
      app.inject({ method: 'POST', url: '/api/auth/password', headers, payload: { currentPassword, newPassword } });

    it('needs the current password; ends the other sessions and keeps this one; the new password logs in', async () => {
      const editor = await makeUser(api.db, 'editor');
      const here = await tokenFor(app, editor.username);
      const elsewhere = await tokenFor(app, editor.username);

      const wrong = expectError(await change(bearer(here), 'not-my-password-at-all', NEW_PASSWORD), 400, 'VALIDATION_FAILED');
      expect(wrong.fields).toEqual({ currentPassword: 'is not your current password' });
      expectError(await change(bearer(here), TEST_PASSWORD, 'password1234'), 400);
      expect((await login(app, editor.username)).statusCode).toBe(200);

      const changed = await change(bearer(here), TEST_PASSWORD, NEW_PASSWORD);

      expect(changed.statusCode, changed.body).toBe(204);
      expect((await me(bearer(here))).statusCode).toBe(200);
      expectError(await me(bearer(elsewhere)), 401);
      expect((await login(app, editor.username)).statusCode).toBe(401);
      expect((await login(app, editor.username, NEW_PASSWORD)).statusCode).toBe(200);
      const audit = await api
        .db('audit_log')
        .where({ object_type: 'user', object_id: String(editor.id), action: 'password_change' })
        .count({ n: '*' })
        .first();
      expect(Number(audit?.n)).toBe(1);
    });

    it('limits guesses at the current password like logins: the sixth wrong one from an address is a 429', async () => {
      const viewer = await makeUser(api.db, 'viewer');
      const auth = bearer(await tokenFor(app, viewer.username));
      const statuses: number[] = [];

      for (let i = 0; i < 6; i++) statuses.push((await change(auth, `wrong-guess-number-${i}`, NEW_PASSWORD)).statusCode);

      expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
      const limited = await change(auth, TEST_PASSWORD, NEW_PASSWORD);
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('is refused through an API token, and for a directory account', async () => {
      const editor = await makeUser(api.db, 'editor');
      const session = bearer(await tokenFor(app, editor.username));
      const apiToken = (await createToken(session, { name: 'script', scope: 'write' })).json<{ token: string }>().token;

      expectError(await change(bearer(apiToken), TEST_PASSWORD, NEW_PASSWORD), 403, 'FORBIDDEN');
      await api.db('users').where({ id: editor.id }).update({ auth_source: 'ldap' });
      const directory = expectError(await change(session, TEST_PASSWORD, NEW_PASSWORD), 409, 'CONFLICT');
      expect(directory.message).toContain('signs in through the directory');
    });
  });
});

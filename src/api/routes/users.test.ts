// Database suite (SQLite and MySQL): /api/users for admins — list, look up, create, change the
// password, disable and enable — each write audited with the request's id.

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createApiSite, expectError, login, makeUser, TEST_PASSWORD, tokenFor, type ApiSite } from '../../../test/support/api.js';
import { describeEachEngine } from '../../../test/support/site.js';
import { listAudit } from '../../core/audit/log.js';

describeEachEngine('HTTP API users', (engine) => {
  let api: ApiSite;
  let app: FastifyInstance;
  let headers: Record<string, string>;
  let boss: { id: number; username: string };

  beforeAll(async () => {
    api = await createApiSite(engine);
    app = await api.app();
    boss = await makeUser(api.db, 'admin', 'boss');
    headers = bearer(await tokenFor(app, boss.username));
  });
  afterAll(async () => api.cleanup());

  describe('create', () => {
    it('creates a user (201), never returns a password hash, and audits with the request id', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/api/users',
        headers: { ...headers, 'x-request-id': 'create-user-1' },
        payload: { username: 'machinist.ana', password: TEST_PASSWORD, role: 'editor', displayName: 'Ana Machinist', email: 'ana@plant.example' },
      });

      expect(response.statusCode).toBe(201);
      const { user } = response.json<{ user: Record<string, unknown> }>();
      expect(user).toEqual({
        id: expect.any(Number),
        username: 'machinist.ana',
        displayName: 'Ana Machinist',
        email: 'ana@plant.example',
        role: 'editor',
        authSource: 'local',
        disabled: false,
        lastLoginAt: null,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(response.body).not.toMatch(/hash|scrypt/i);
      const audit = await listAudit(api.db, { objectType: 'user', objectId: String(user.id), limit: 10, offset: 0 });
      expect(audit.results[0]).toMatchObject({ action: 'create', userId: boss.id, username: 'boss', requestId: 'create-user-1' });
      expect((await login(app, 'machinist.ana')).statusCode).toBe(200);
    });

    it('answers a taken username with 409', async () => {
      const response = await app.inject({ method: 'POST', url: '/api/users', headers, payload: { username: 'BOSS', password: TEST_PASSWORD, role: 'viewer' } });

      expectError(response, 409, 'USER_EXISTS');
    });

    it('names the field the core rules refuse (a short password) with 400', async () => {
      const response = await app.inject({ method: 'POST', url: '/api/users', headers, payload: { username: 'shorty', password: 'short', role: 'viewer' } });

      const error = expectError(response, 400, 'VALIDATION_FAILED');
      expect(Object.keys(error.fields)).toEqual(['password']);
    });

    it('refuses a common password, and one built on the username, with 400; no user is created', async () => {
      const common = await app.inject({ method: 'POST', url: '/api/users', headers, payload: { username: 'weakling', password: 'Password1234!', role: 'viewer' } });
      const ownName = await app.inject({ method: 'POST', url: '/api/users', headers, payload: { username: 'weakling', password: 'weakling-2026', role: 'viewer' } });

      const commonError = expectError(common, 400, 'VALIDATION_FAILED');
      expect(commonError.message).toContain('too easy to guess');
      expect(commonError.fields).toEqual({ password: 'must not be a common password or a simple pattern' });
      expect(expectError(ownName, 400, 'VALIDATION_FAILED').fields).toEqual({ password: 'must not be built on the username' });
      expect(await api.db('users').where('username', 'weakling').first()).toBeUndefined();
    });

    it.each([
      ['an unknown role', { username: 'x1', password: TEST_PASSWORD, role: 'superuser' }, 'role'],
      ['an unknown field', { username: 'x2', password: TEST_PASSWORD, role: 'viewer', isAdmin: true }, 'isAdmin'],
      ['a username with spaces', { username: 'bad name', password: TEST_PASSWORD, role: 'viewer' }, 'username'],
      ['a 5,000-character username', { username: 'a'.repeat(5000), password: TEST_PASSWORD, role: 'viewer' }, 'username'],
      ['a number for the username', { username: 7, password: TEST_PASSWORD, role: 'viewer' }, 'username'],
      ['a missing password', { username: 'x3', role: 'viewer' }, 'password'],
    ])('refuses %s with 400 naming the field', async (_what, payload, field) => {
      const error = expectError(await app.inject({ method: 'POST', url: '/api/users', headers, payload }), 400, 'VALIDATION_FAILED');

      expect(Object.keys(error.fields)).toContain(field);
    });
  });

  describe('read', () => {
    it('lists users in pages', async () => {
      for (const name of ['page-a', 'page-b', 'page-c']) await makeUser(api.db, 'viewer', name);

      const first = await app.inject({ method: 'GET', url: '/api/users?limit=2', headers });

      expect(first.statusCode).toBe(200);
      const body = first.json<{ count: number; next: string | null; previous: string | null; results: Array<{ username: string }> }>();
      expect(body.count).toBeGreaterThanOrEqual(4);
      expect(body.results).toHaveLength(2);
      expect(body.previous).toBeNull();
      expect(body.next).toBe('/api/users?limit=2&offset=2');
      const second = (await app.inject({ method: 'GET', url: body.next!, headers })).json<{ previous: string; results: unknown[] }>();
      expect(second.previous).toBe('/api/users?limit=2&offset=0');
    });

    it('gets one user, and 404 for an unknown id', async () => {
      expect((await app.inject({ method: 'GET', url: `/api/users/${boss.id}`, headers })).json()).toMatchObject({ user: { id: boss.id, username: 'boss' } });
      expectError(await app.inject({ method: 'GET', url: '/api/users/999999', headers }), 404, 'NOT_FOUND');
    });

    it.each(['abc', '0', '-1', '1.5', '99999999999999999999'])('refuses the id %s with 400', async (id) => {
      expectError(await app.inject({ method: 'GET', url: `/api/users/${id}`, headers }), 400, 'VALIDATION_FAILED');
    });

    it.each(['limit=-1', 'limit=0', 'limit=1001', 'limit=abc', 'offset=-5', 'offset=1e30', 'limit=1&limit=2', 'sort=username'])(
      'refuses the query %s with 400',
      async (query) => {
        expectError(await app.inject({ method: 'GET', url: `/api/users?${query}`, headers }), 400, 'VALIDATION_FAILED');
      },
    );
  });

  describe('change', () => {
    it('sets a new password (PATCH), after which only the new one works', async () => {
      const user = await makeUser(api.db, 'viewer');
      const newPassword = 'a-brand-new-passphrase-42';

      const response = await app.inject({ method: 'PATCH', url: `/api/users/${user.id}`, headers, payload: { password: newPassword } });

      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ user: { id: user.id } });
      expect((await login(app, user.username, newPassword)).statusCode).toBe(200);
      expectError(await login(app, user.username, TEST_PASSWORD), 401);
    });

    it('refuses a weak new password (PATCH) with 400 and changes nothing else in the same request', async () => {
      const user = await makeUser(api.db, 'viewer');

      const response = await app.inject({ method: 'PATCH', url: `/api/users/${user.id}`, headers, payload: { password: 'qwertyuiop1234', role: 'editor', displayName: 'Not Applied' } });

      expectError(response, 400, 'VALIDATION_FAILED');
      expect(await api.db('users').where('id', user.id).first('role', 'display_name')).toEqual({ role: 'viewer', display_name: null });
      expect((await login(app, user.username)).statusCode).toBe(200);
    });

    it('changes role, display name and email (PATCH), audited; an admin cannot change their own role', async () => {
      const user = await makeUser(api.db, 'viewer');

      const response = await app.inject({ method: 'PATCH', url: `/api/users/${user.id}`, headers, payload: { role: 'editor', displayName: 'Eve Ng', email: 'eve@plant.example' } });
      const own = await app.inject({ method: 'PATCH', url: `/api/users/${boss.id}`, headers, payload: { role: 'viewer' } });
      const badEmail = await app.inject({ method: 'PATCH', url: `/api/users/${user.id}`, headers, payload: { email: 'not-an-email' } });

      expect(response.statusCode, response.body).toBe(200);
      expect(response.json().user).toMatchObject({ role: 'editor', displayName: 'Eve Ng', email: 'eve@plant.example' });
      expectError(own, 409);
      expectError(badEmail, 400);
      const audit = await app.inject({ method: 'GET', url: `/api/audit?object_type=user&object_id=${user.id}`, headers });
      expect(audit.json().results[0]).toMatchObject({ action: 'update', before: { role: 'viewer' }, after: { role: 'editor' } });
    });

    it('refuses an empty or unknown PATCH with 400', async () => {
      expectError(await app.inject({ method: 'PATCH', url: `/api/users/${boss.id}`, headers, payload: {} }), 400, 'VALIDATION_FAILED');
      expectError(await app.inject({ method: 'PATCH', url: `/api/users/${boss.id}`, headers, payload: { passwordHash: 'x' } }), 400, 'VALIDATION_FAILED');
    });

    it('disables and enables a user; a disabled user cannot log in', async () => {
      const user = await makeUser(api.db, 'editor');

      const disabled = await app.inject({ method: 'POST', url: `/api/users/${user.id}/disable`, headers });
      expect(disabled.json()).toMatchObject({ user: { id: user.id, disabled: true }, changed: true });
      expect((await app.inject({ method: 'POST', url: `/api/users/${user.id}/disable`, headers })).json()).toMatchObject({ changed: false });
      expectError(await login(app, user.username), 401);

      const enabled = await app.inject({ method: 'POST', url: `/api/users/${user.id}/enable`, headers });
      expect(enabled.json()).toMatchObject({ user: { disabled: false }, changed: true });
      expect((await login(app, user.username)).statusCode).toBe(200);
      const audit = await listAudit(api.db, { objectType: 'user', objectId: String(user.id), limit: 10, offset: 0 });
      expect(audit.results.map((entry) => entry.action).slice(0, 2)).toEqual(['enable', 'disable']);
    });

    it('will not let an admin disable themselves', async () => {
      expectError(await app.inject({ method: 'POST', url: `/api/users/${boss.id}/disable`, headers }), 409, 'CONFLICT');
    });
  });
});

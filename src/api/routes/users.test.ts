// Database suite (SQLite and MySQL): /api/users for admins — list, look up, create, change the
// password, disable and enable — each write audited with the request's id.

import { describe, expect, it } from 'vitest';
import { expectError, login, makeUser, TEST_PASSWORD } from '../../../test/support/api.js';
import { useMigratedSite } from '../../../test/support/migrated-site.js';
import { describeEachEngine } from '../../../test/support/site.js';
import { listAudit } from '../../core/audit/log.js';

describeEachEngine('HTTP API users', (engine) => {
  const s = useMigratedSite(engine, { users: { admin: 'boss' }, app: true });

  describe('create', () => {
    it('creates a user (201), never returns a password hash, and audits with the request id', async () => {
      const response = await s.app.inject({
        method: 'POST',
        url: '/api/users',
        headers: { ...s.as.admin, 'x-request-id': 'create-user-1' },
        payload: {
          username: 'machinist.ana',
          password: TEST_PASSWORD,
          role: 'editor',
          displayName: 'Ana Machinist',
          email: 'ana@plant.example',
        },
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
      const audit = await listAudit(s.db, { objectType: 'user', objectId: String(user.id), limit: 10, offset: 0 });
      expect(audit.results[0]).toMatchObject({ action: 'create', userId: s.user.admin.id, username: 'boss', requestId: 'create-user-1' });
      expect((await login(s.app, 'machinist.ana')).statusCode).toBe(200);
    });

    it('answers a taken username with 409', async () => {
      const response = await s.app.inject({
        method: 'POST',
        url: '/api/users',
        headers: s.as.admin,
        payload: { username: 'BOSS', password: TEST_PASSWORD, role: 'viewer' },
      });

      expectError(response, 409, 'USER_EXISTS');
    });

    it('names the field the core rules refuse (a short password) with 400', async () => {
      const response = await s.app.inject({
        method: 'POST',
        url: '/api/users',
        headers: s.as.admin,
        payload: { username: 'shorty', password: 'short', role: 'viewer' },
      });

      const error = expectError(response, 400, 'VALIDATION_FAILED');
      expect(Object.keys(error.fields)).toEqual(['password']);
    });

    it('refuses a common password, and one built on the username, with 400; no user is created', async () => {
      const common = await s.app.inject({
        method: 'POST',
        url: '/api/users',
        headers: s.as.admin,
        payload: { username: 'weakling', password: 'Password1234!', role: 'viewer' },
      });
      const ownName = await s.app.inject({
        method: 'POST',
        url: '/api/users',
        headers: s.as.admin,
        payload: { username: 'weakling', password: 'weakling-2026', role: 'viewer' },
      });

      const commonError = expectError(common, 400, 'VALIDATION_FAILED');
      expect(commonError.message).toContain('too easy to guess');
      expect(commonError.fields).toEqual({ password: 'must not be a common password or a simple pattern' });
      expect(expectError(ownName, 400, 'VALIDATION_FAILED').fields).toEqual({ password: 'must not be built on the username' });
      expect(await s.db('users').where('username', 'weakling').first()).toBeUndefined();
    });

    it.each([
      ['an unknown role', { username: 'x1', password: TEST_PASSWORD, role: 'superuser' }, 'role'],
      ['an unknown field', { username: 'x2', password: TEST_PASSWORD, role: 'viewer', isAdmin: true }, 'isAdmin'],
      ['a username with spaces', { username: 'bad name', password: TEST_PASSWORD, role: 'viewer' }, 'username'],
      ['a 5,000-character username', { username: 'a'.repeat(5000), password: TEST_PASSWORD, role: 'viewer' }, 'username'],
      ['a number for the username', { username: 7, password: TEST_PASSWORD, role: 'viewer' }, 'username'],
      ['a missing password', { username: 'x3', role: 'viewer' }, 'password'],
    ])('refuses %s with 400 naming the field', async (_what, payload, field) => {
      const error = expectError(
        await s.app.inject({ method: 'POST', url: '/api/users', headers: s.as.admin, payload }),
        400,
        'VALIDATION_FAILED',
      );

      expect(Object.keys(error.fields)).toContain(field);
    });
  });

  describe('read', () => {
    it('lists users in pages', async () => {
      for (const name of ['page-a', 'page-b', 'page-c']) await makeUser(s.db, 'viewer', name);

      const first = await s.app.inject({ method: 'GET', url: '/api/users?limit=2', headers: s.as.admin });

      expect(first.statusCode).toBe(200);
      const body = first.json<{ count: number; next: string | null; previous: string | null; results: Array<{ username: string }> }>();
      expect(body.count).toBeGreaterThanOrEqual(4);
      expect(body.results).toHaveLength(2);
      expect(body.previous).toBeNull();
      expect(body.next).toBe('/api/users?limit=2&offset=2');
      const second = (await s.app.inject({ method: 'GET', url: body.next!, headers: s.as.admin })).json<{
        previous: string;
        results: unknown[];
      }>();
      expect(second.previous).toBe('/api/users?limit=2&offset=0');
    });

    it('gets one user, and 404 for an unknown id', async () => {
      expect((await s.app.inject({ method: 'GET', url: `/api/users/${s.user.admin.id}`, headers: s.as.admin })).json()).toMatchObject({
        user: { id: s.user.admin.id, username: 'boss' },
      });
      expectError(await s.app.inject({ method: 'GET', url: '/api/users/999999', headers: s.as.admin }), 404, 'NOT_FOUND');
    });

    it.each(['abc', '0', '-1', '1.5', '99999999999999999999'])('refuses the id %s with 400', async (id) => {
      expectError(await s.app.inject({ method: 'GET', url: `/api/users/${id}`, headers: s.as.admin }), 400, 'VALIDATION_FAILED');
    });

    it.each(['limit=-1', 'limit=0', 'limit=1001', 'limit=abc', 'offset=-5', 'offset=1e30', 'limit=1&limit=2', 'sort=username'])(
      'refuses the query %s with 400',
      async (query) => {
        expectError(await s.app.inject({ method: 'GET', url: `/api/users?${query}`, headers: s.as.admin }), 400, 'VALIDATION_FAILED');
      },
    );
  });

  describe('change', () => {
    it('sets a new password (PATCH), after which only the new one works', async () => {
      const user = await makeUser(s.db, 'viewer');
      const newPassword = 'a-brand-new-passphrase-42';

      const response = await s.app.inject({
        method: 'PATCH',
        url: `/api/users/${user.id}`,
        headers: s.as.admin,
        payload: { password: newPassword },
      });

      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ user: { id: user.id } });
      expect((await login(s.app, user.username, newPassword)).statusCode).toBe(200);
      expectError(await login(s.app, user.username, TEST_PASSWORD), 401);
    });

    it('refuses a weak new password (PATCH) with 400 and changes nothing else in the same request', async () => {
      const user = await makeUser(s.db, 'viewer');

      const response = await s.app.inject({
        method: 'PATCH',
        url: `/api/users/${user.id}`,
        headers: s.as.admin,
        payload: { password: 'qwertyuiop1234', role: 'editor', displayName: 'Not Applied' },
      });

      expectError(response, 400, 'VALIDATION_FAILED');
      expect(await s.db('users').where('id', user.id).first('role', 'display_name')).toEqual({ role: 'viewer', display_name: null });
      expect((await login(s.app, user.username)).statusCode).toBe(200);
    });

    it('changes role, display name and email (PATCH), audited; an admin cannot change their own role', async () => {
      const user = await makeUser(s.db, 'viewer');

      const response = await s.app.inject({
        method: 'PATCH',
        url: `/api/users/${user.id}`,
        headers: s.as.admin,
        payload: { role: 'editor', displayName: 'Eve Ng', email: 'eve@plant.example' },
      });
      const own = await s.app.inject({
        method: 'PATCH',
        url: `/api/users/${s.user.admin.id}`,
        headers: s.as.admin,
        payload: { role: 'viewer' },
      });
      const badEmail = await s.app.inject({
        method: 'PATCH',
        url: `/api/users/${user.id}`,
        headers: s.as.admin,
        payload: { email: 'not-an-email' },
      });

      expect(response.statusCode, response.body).toBe(200);
      expect(response.json().user).toMatchObject({ role: 'editor', displayName: 'Eve Ng', email: 'eve@plant.example' });
      expectError(own, 409);
      expectError(badEmail, 400);
      const audit = await s.app.inject({ method: 'GET', url: `/api/audit?object_type=user&object_id=${user.id}`, headers: s.as.admin });
      expect(audit.json().results[0]).toMatchObject({ action: 'update', before: { role: 'viewer' }, after: { role: 'editor' } });
    });

    it('refuses an empty or unknown PATCH with 400', async () => {
      expectError(
        await s.app.inject({ method: 'PATCH', url: `/api/users/${s.user.admin.id}`, headers: s.as.admin, payload: {} }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await s.app.inject({ method: 'PATCH', url: `/api/users/${s.user.admin.id}`, headers: s.as.admin, payload: { passwordHash: 'x' } }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('disables and enables a user; a disabled user cannot log in', async () => {
      const user = await makeUser(s.db, 'editor');

      const disabled = await s.app.inject({ method: 'POST', url: `/api/users/${user.id}/disable`, headers: s.as.admin });
      expect(disabled.json()).toMatchObject({ user: { id: user.id, disabled: true }, changed: true });
      expect((await s.app.inject({ method: 'POST', url: `/api/users/${user.id}/disable`, headers: s.as.admin })).json()).toMatchObject({
        changed: false,
      });
      expectError(await login(s.app, user.username), 401);

      const enabled = await s.app.inject({ method: 'POST', url: `/api/users/${user.id}/enable`, headers: s.as.admin });
      expect(enabled.json()).toMatchObject({ user: { disabled: false }, changed: true });
      expect((await login(s.app, user.username)).statusCode).toBe(200);
      const audit = await listAudit(s.db, { objectType: 'user', objectId: String(user.id), limit: 10, offset: 0 });
      expect(audit.results.map((entry) => entry.action).slice(0, 2)).toEqual(['enable', 'disable']);
    });

    it('will not let an admin disable themselves', async () => {
      expectError(
        await s.app.inject({ method: 'POST', url: `/api/users/${s.user.admin.id}/disable`, headers: s.as.admin }),
        409,
        'CONFLICT',
      );
    });
  });
});

// Database suite (SQLite and MySQL): /api/tokens for admins — the token is shown once, listed
// without its secret, and stops working when revoked.

import { describe, expect, it } from 'vitest';
import { bearer, expectError, makeUser } from '../../../test/support/api.js';
import { useMigratedSite } from '../../../test/support/migrated-site.js';
import { describeEachEngine } from '../../../test/support/site.js';

describeEachEngine('HTTP API tokens', (engine) => {
  const s = useMigratedSite(engine, { users: { admin: true }, app: true });

  it('creates a token for a user once, lists it without the secret, and revokes it', async () => {
    const scanner = await makeUser(s.db, 'viewer');

    const created = await s.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: s.as.admin,
      payload: { name: 'barcode scanner', scope: 'read', userId: scanner.id, expiresIn: '90d' },
    });

    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const token = created.json<{ id: number; token: string; prefix: string; expiresAt: string }>();
    expect(token.token).toMatch(/^shopdb_[A-Za-z0-9_-]{43}$/);
    expect(token.token.startsWith(token.prefix)).toBe(true);
    expect(Date.parse(token.expiresAt) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    expect((await s.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token.token) })).json()).toMatchObject({
      user: { id: scanner.id },
      tokenScope: 'read',
    });

    const list = await s.app.inject({ method: 'GET', url: `/api/tokens?user_id=${scanner.id}`, headers: s.as.admin });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(token.token);
    expect(list.json()).toMatchObject({
      count: 1,
      next: null,
      previous: null,
      results: [{ id: token.id, name: 'barcode scanner', status: 'active', username: scanner.username }],
    });

    const revoked = await s.app.inject({ method: 'DELETE', url: `/api/tokens/${token.id}`, headers: s.as.admin });
    expect(revoked.statusCode).toBe(204);
    expect(revoked.body).toBe('');
    expectError(await s.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token.token) }), 401);
    const listed = await s.app.inject({ method: 'GET', url: `/api/tokens?user_id=${scanner.id}`, headers: s.as.admin });
    expect(listed.json()).toMatchObject({ results: [{ id: token.id, status: 'revoked' }] });
    // Revoking it again changes nothing and answers the same.
    const again = await s.app.inject({ method: 'DELETE', url: `/api/tokens/${token.id}`, headers: s.as.admin });
    expect([again.statusCode, again.body]).toEqual([204, '']);
  });

  it("defaults to the caller's own token", async () => {
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: s.as.admin,
      payload: { name: 'mine', scope: 'write' },
    });

    expect(created.statusCode).toBe(201);
    expect(
      (await s.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(created.json<{ token: string }>().token) })).json(),
    ).toMatchObject({ user: { id: s.user.admin.id }, tokenScope: 'write' });
  });

  describe('refusals', () => {
    it.each([
      ['an unknown scope', { name: 'x', scope: 'admin' }, 'scope'],
      ['a bad lifetime', { name: 'x', scope: 'read', expiresIn: 'forever' }, 'expiresIn'],
      ['a zero lifetime', { name: 'x', scope: 'read', expiresIn: '0d' }, 'expiresIn'],
      ['an unknown field', { name: 'x', scope: 'read', secret: 'mine' }, 'secret'],
      ['a missing name', { scope: 'read' }, 'name'],
    ])('refuses %s with 400', async (_what, payload, field) => {
      const error = expectError(
        await s.app.inject({ method: 'POST', url: '/api/tokens', headers: s.as.admin, payload }),
        400,
        'VALIDATION_FAILED',
      );

      expect(Object.keys(error.fields)).toContain(field);
    });

    it('answers 404 for a token of an unknown user, and for revoking an unknown token', async () => {
      expectError(
        await s.app.inject({
          method: 'POST',
          url: '/api/tokens',
          headers: s.as.admin,
          payload: { name: 'x', scope: 'read', userId: 987654 },
        }),
        404,
        'NOT_FOUND',
      );
      expectError(await s.app.inject({ method: 'DELETE', url: '/api/tokens/987654', headers: s.as.admin }), 404, 'NOT_FOUND');
    });
  });
});

// Database suite (SQLite and MySQL): API tokens from creation to revocation.

import type { Knex } from 'knex';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSite, describeEachEngine, type TestSite } from '../../../test/support/site.js';
import { cliActor, listAudit } from '../audit/log.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { migrateSite } from '../migrations/site.js';
import { createUser, setUserDisabled } from '../users/service.js';
import { createApiToken, expiryFromDuration, hashApiToken, listApiTokens, resolveApiToken, revokeApiToken } from './api-tokens.js';

const actor = cliActor('site-it');

describe('expiryFromDuration', () => {
  const now = new Date('2026-11-27T12:00:00.000Z');

  it('reads hours, days, weeks and years', () => {
    expect(expiryFromDuration('12h', now).toISOString()).toBe('2026-11-28T00:00:00.000Z');
    expect(expiryFromDuration('90d', now).toISOString()).toBe('2027-02-25T12:00:00.000Z');
    expect(expiryFromDuration('2w', now).toISOString()).toBe('2026-12-11T12:00:00.000Z');
    expect(expiryFromDuration('1y', now).toISOString()).toBe('2027-11-27T12:00:00.000Z');
  });

  it('refuses anything else, saying what it accepts', () => {
    for (const text of ['', '90', 'd', '0d', '3m', '-1d', '1.5d', 'forever']) {
      expect(() => expiryFromDuration(text, now), text).toThrow(ValidationError);
    }
    expect(() => expiryFromDuration('3m', now)).toThrow(/Cannot read the duration "3m"/);
  });
});

describeEachEngine('API tokens', (engine) => {
  let site: TestSite;
  let db: Knex;
  let userId: number;

  beforeAll(async () => {
    site = await createSite(engine);
    await migrateSite({ config: site.config() });
    db = await site.open();
    ({
      user: { id: userId },
    } = await createUser(db, actor, {
      username: 'robot',
      displayName: 'Label printer',
      role: 'editor',
      password: 'a long enough password',
    }));
  });
  afterAll(async () => {
    await db?.destroy();
    await site?.cleanup();
  });
  beforeEach(async () => {
    await db('api_tokens').del();
    await db('audit_log').del();
    await setUserDisabled(db, actor, 'robot', false);
  });

  it('creates a shopdb_ token once, stores only its SHA-256 and prefix, and resolves it to the user', async () => {
    const created = await createApiToken(db, actor, { userId, name: 'label printer', scope: 'read' });

    expect(created.token).toMatch(/^shopdb_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ prefix: created.token.slice(0, 12), name: 'label printer', scope: 'read', expiresAt: null });
    const rows = (await db('api_tokens').select('*')) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).toBe(hashApiToken(created.token));
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(created.token);
    expect(JSON.stringify(rows)).not.toContain(created.token.slice(12));

    const resolved = await resolveApiToken(db, created.token);
    expect(resolved).toEqual({
      user: { id: userId, username: 'robot', displayName: 'Label printer', role: 'editor', authSource: 'local' },
      tokenId: created.id,
      scope: 'read',
    });
  });

  it('records when a token was last used', async () => {
    const created = await createApiToken(db, actor, { userId, name: 'ci', scope: 'write' });
    const before = (await listApiTokens(db, userId))[0]!;

    await resolveApiToken(db, created.token);

    const after = (await listApiTokens(db, userId))[0]!;
    expect(before.lastUsedAt).toBeNull();
    expect(after.lastUsedAt).toBeInstanceOf(Date);
    expect(Math.abs(after.lastUsedAt!.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('resolves unknown and malformed tokens to null', async () => {
    const created = await createApiToken(db, actor, { userId, name: 'ci', scope: 'write' });
    const tampered = created.token.slice(0, -1) + (created.token.endsWith('A') ? 'B' : 'A');

    for (const token of [
      tampered,
      'shopdb_',
      '',
      created.token.slice(0, 12),
      `${created.token} `,
      created.token.toUpperCase(),
      hashApiToken(created.token),
    ]) {
      expect(await resolveApiToken(db, token), token).toBeNull();
    }
  });

  it('resolves a revoked token to null', async () => {
    const created = await createApiToken(db, actor, { userId, name: 'ci', scope: 'write' });

    const result = await revokeApiToken(db, actor, created.id);

    expect(result.alreadyRevoked).toBe(false);
    expect(result.token).toMatchObject({ id: created.id, status: 'revoked', username: 'robot' });
    expect(await resolveApiToken(db, created.token)).toBeNull();
  });

  it('resolves an expired token to null (and a live one until then)', async () => {
    const created = await createApiToken(db, actor, {
      userId,
      name: 'short-lived',
      scope: 'read',
      expiresAt: new Date(Date.now() + 60 * 60_000),
    });

    expect(await resolveApiToken(db, created.token)).not.toBeNull();
    expect(await resolveApiToken(db, created.token, new Date(Date.now() + 2 * 60 * 60_000))).toBeNull();
    await db('api_tokens').where('id', created.id).update({ expires_at: '2020-01-01 00:00:00.000' });
    expect(await resolveApiToken(db, created.token)).toBeNull();
    expect((await listApiTokens(db))[0]!.status).toBe('expired');
  });

  it("stops a disabled user's tokens, and brings them back when the user is enabled", async () => {
    const created = await createApiToken(db, actor, { userId, name: 'ci', scope: 'write' });

    await setUserDisabled(db, actor, 'robot', true);
    const whileDisabled = await resolveApiToken(db, created.token);
    await setUserDisabled(db, actor, 'robot', false);

    expect(whileDisabled).toBeNull();
    expect(await resolveApiToken(db, created.token)).not.toBeNull();
  });

  it('refuses a token for a disabled or missing user, a bad scope, an empty name or a past expiry', async () => {
    await expect(createApiToken(db, actor, { userId: 999_999, name: 'x', scope: 'read' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(createApiToken(db, actor, { userId, name: ' ', scope: 'read' })).rejects.toBeInstanceOf(ValidationError);
    await expect(createApiToken(db, actor, { userId, name: 'x', scope: 'admin' as 'read' })).rejects.toBeInstanceOf(ValidationError);
    await expect(
      createApiToken(db, actor, { userId, name: 'x', scope: 'read', expiresAt: new Date(Date.now() - 1000) }),
    ).rejects.toBeInstanceOf(ValidationError);
    await setUserDisabled(db, actor, 'robot', true);
    await expect(createApiToken(db, actor, { userId, name: 'x', scope: 'read' })).rejects.toBeInstanceOf(ConflictError);
    expect(await listApiTokens(db)).toEqual([]);
  });

  it('revokes by id, by prefix or by the whole token; says when it was already revoked; refuses unknown ones', async () => {
    const [a, b, c] = [
      await createApiToken(db, actor, { userId, name: 'a', scope: 'read' }),
      await createApiToken(db, actor, { userId, name: 'b', scope: 'read' }),
      await createApiToken(db, actor, { userId, name: 'c', scope: 'read' }),
    ];

    expect((await revokeApiToken(db, actor, String(a!.id))).token.name).toBe('a');
    expect((await revokeApiToken(db, actor, b!.prefix)).token.name).toBe('b');
    expect((await revokeApiToken(db, actor, c!.token)).token.name).toBe('c');
    expect((await revokeApiToken(db, actor, a!.prefix)).alreadyRevoked).toBe(true);
    await expect(revokeApiToken(db, actor, 'shopdb_nope0')).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeApiToken(db, actor, '999999')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses a prefix that matches two tokens, naming their ids', async () => {
    const a = await createApiToken(db, actor, { userId, name: 'a', scope: 'read' });
    const b = await createApiToken(db, actor, { userId, name: 'b', scope: 'read' });
    await db('api_tokens').where('id', b.id).update({ token_prefix: a.prefix });

    await expect(revokeApiToken(db, actor, a.prefix)).rejects.toThrow(new RegExp(`matches 2 tokens \\(ids ${a.id}, ${b.id}\\)`));
  });

  it("lists every token, or one user's, with status and never a hash", async () => {
    const other = (
      await createUser(db, actor, { username: `other-${engine}-${Date.now()}`, role: 'viewer', password: 'a long enough password' })
    ).user;
    const live = await createApiToken(db, actor, { userId, name: 'live', scope: 'write', expiresAt: new Date(Date.now() + 86_400_000) });
    const gone = await createApiToken(db, actor, { userId: other.id, name: 'gone', scope: 'read' });
    await revokeApiToken(db, actor, gone.id);

    const all = await listApiTokens(db);
    const mine = await listApiTokens(db, userId);

    expect(all.map((t) => [t.name, t.status, t.username])).toEqual([
      ['live', 'active', 'robot'],
      ['gone', 'revoked', other.username],
    ]);
    expect(mine.map((t) => t.id)).toEqual([live.id]);
    expect(mine[0]!.expiresAt?.getTime()).toBe(live.expiresAt!.getTime());
    expect(mine[0]!.createdAt).toBeInstanceOf(Date);
    const text = JSON.stringify(all);
    expect(text).not.toContain(hashApiToken(live.token));
    expect(text).not.toContain(live.token);
    expect(Object.keys(all[0]!)).not.toContain('tokenHash');
  });

  it('audits token create and revoke with the prefix and never the token or its hash', async () => {
    const created = await createApiToken(db, actor, { userId, name: 'audited', scope: 'write' });
    await revokeApiToken(db, actor, created.id);
    await revokeApiToken(db, actor, created.id);

    const { results } = await listAudit(db, { objectType: 'api_token', objectId: String(created.id), limit: 10, offset: 0 });

    expect(results.map((e) => e.action).reverse()).toEqual(['create', 'revoke']);
    expect(results.every((e) => e.username === 'cli:site-it')).toBe(true);
    expect(results[1]!.after).toMatchObject({ userId, username: 'robot', name: 'audited', prefix: created.prefix, scope: 'write' });
    const everything = JSON.stringify(await db('audit_log').select('*'));
    expect(everything).not.toContain(created.token);
    expect(everything).not.toContain(created.token.slice(12));
    expect(everything).not.toContain(hashApiToken(created.token));
  });
});

import type { Knex } from 'knex';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runBin, runCommand } from '../../../../test/support/cli.js';
import { describeEachEngine, type TestSite } from '../../../../test/support/site.js';
import { createMigratedSite, expectNoSecrets } from '../../../../test/support/users.js';
import { listAudit } from '../../../core/audit/log.js';
import { hashApiToken, resolveApiToken } from '../../../core/auth/api-tokens.js';
import UserCreate from '../create.js';
import UserDisable from '../disable.js';
import UserEnable from '../enable.js';
import UserTokenCreate from './create.js';
import UserTokenList from './list.js';
import UserTokenRevoke from './revoke.js';

const DAY_MS = 86_400_000;

describeEachEngine('shopdb user token', (engine) => {
  let site: TestSite;
  let env: string[];
  beforeAll(async () => {
    site = await createMigratedSite(engine);
    env = ['--env-file', site.envFile];
    for (const username of ['bot', 'other']) await runCommand(UserCreate, [username, '--role', 'editor', '--generate', ...env]);
  });
  afterAll(async () => site?.cleanup());

  const withDb = async <T>(work: (db: Knex) => Promise<T>): Promise<T> => {
    const db = await site.open();
    try {
      return await work(db);
    } finally {
      await db.destroy();
    }
  };
  const resolve = (token: string) => withDb((db) => resolveApiToken(db, token));

  it('creates a token that resolves to the user, shown once in JSON; the database holds only its hash (in-process)', async () => {
    const result = await runCommand(UserTokenCreate, ['bot', '--name', 'label printer', '--scope', 'read', ...env, '--json']);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json).toMatchObject({ username: 'bot', name: 'label printer', scope: 'read', expiresAt: null });
    expect(result.json.token).toMatch(/^shopdb_[A-Za-z0-9_-]{43}$/);
    expect(result.json.prefix).toBe(result.json.token.slice(0, 12));
    expectNoSecrets(result.stdout + result.stderr, result.json.token);
    expect(await resolve(result.json.token)).toMatchObject({ user: { username: 'bot' }, scope: 'read', tokenId: result.json.id });
    const stored = await withDb((db) => db('api_tokens').where('id', result.json.id).first());
    expect(JSON.stringify(stored)).not.toContain(result.json.token);
    expect(stored.token_hash).toBe(hashApiToken(result.json.token));
  });

  it('prints only the token on stdout, for TOKEN=$(…), and what it is on stderr (bin)', async () => {
    const result = await runBin([
      'user',
      'token',
      'create',
      'bot',
      '--name',
      'nightly import',
      '--scope',
      'write',
      '--expires-in',
      '90d',
      ...env,
    ]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^shopdb_[A-Za-z0-9_-]{43}$/);
    expect(result.stderr).toContain('"nightly import" (write, expires ');
    expect(result.stderr).toContain('shown only this once');
    expect(result.stderr).not.toContain(result.stdout);
    const resolved = await resolve(result.stdout);
    expect(resolved?.scope).toBe('write');
    const listed = await runCommand(UserTokenList, ['bot', ...env, '--json']);
    const expiresAt = new Date(listed.json.tokens.find((t: { name: string }) => t.name === 'nightly import').expiresAt).getTime();
    expect(Math.abs(expiresAt - (Date.now() + 90 * DAY_MS))).toBeLessThan(60_000);
  });

  it('refuses a missing --name or --scope, a bad scope or duration (exit 2), and an unknown user (exit 1)', async () => {
    const noScope = await runCommand(UserTokenCreate, ['bot', '--name', 'x', ...env]);
    const noName = await runCommand(UserTokenCreate, ['bot', '--scope', 'read', ...env]);
    const badScope = await runCommand(UserTokenCreate, ['bot', '--name', 'x', '--scope', 'admin', ...env]);
    const badDuration = await runCommand(UserTokenCreate, ['bot', '--name', 'x', '--scope', 'read', '--expires-in', '3 months', ...env]);
    const unknown = await runCommand(UserTokenCreate, ['ghost', '--name', 'x', '--scope', 'read', ...env, '--json']);

    for (const result of [noScope, noName, badScope, badDuration]) expect(result.exitCode, result.stderr).toBe(2);
    expect(badDuration.stderr).toContain('90d');
    expect(unknown.exitCode).toBe(1);
    expect(unknown.json.error.code).toBe('NOT_FOUND');
    expectNoSecrets(unknown.stdout);
  });

  it("lists tokens, all or one user's, without tokens or hashes (in-process --json, bin table)", async () => {
    const mine = await runCommand(UserTokenCreate, ['other', '--name', 'listed', '--scope', 'read', ...env, '--json']);

    const all = await runCommand(UserTokenList, [...env, '--json']);
    const others = await runCommand(UserTokenList, ['other', ...env, '--json']);
    const table = await runBin(['user', 'token', 'list', 'other', ...env]);
    const unknown = await runBin(['user', 'token', 'list', 'ghost', ...env]);

    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.json.tokens.length).toBeGreaterThan(others.json.tokens.length);
    expect(others.json.tokens).toEqual([
      expect.objectContaining({ id: mine.json.id, username: 'other', name: 'listed', prefix: mine.json.prefix, status: 'active' }),
    ]);
    expectNoSecrets(all.stdout + others.stdout);
    expect(table.exitCode, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+PREFIX\s+USER\s+NAME\s+SCOPE\s+STATUS/);
    expect(table.stdout).toContain(mine.json.prefix);
    expectNoSecrets(table.stdout + table.stderr);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('No user named "ghost"');
  });

  it('revokes by prefix (bin) and by id (in-process); a revoked token no longer resolves; revoking again changes nothing', async () => {
    const a = await runCommand(UserTokenCreate, ['bot', '--name', 'revoke-a', '--scope', 'read', ...env, '--json']);
    const b = await runCommand(UserTokenCreate, ['bot', '--name', 'revoke-b', '--scope', 'read', ...env, '--json']);

    const byPrefix = await runBin(['user', 'token', 'revoke', a.json.prefix, ...env]);
    const byId = await runCommand(UserTokenRevoke, [String(b.json.id), ...env, '--json']);
    const again = await runCommand(UserTokenRevoke, [String(b.json.id), ...env, '--json']);
    const unknown = await runBin(['user', 'token', 'revoke', 'shopdb_00000', ...env, '--json']);

    expect(byPrefix.exitCode, byPrefix.stderr).toBe(0);
    expect(byPrefix.stdout).toContain(`Revoked token #${a.json.id} ${a.json.prefix}`);
    expect(byId.json).toMatchObject({ alreadyRevoked: false, token: { id: b.json.id, status: 'revoked', username: 'bot' } });
    expectNoSecrets(byId.stdout);
    expect(again.json.alreadyRevoked).toBe(true);
    expect(await resolve(a.json.token)).toBeNull();
    expect(await resolve(b.json.token)).toBeNull();
    expect(unknown.exitCode).toBe(1);
    expect(unknown.json.error.code).toBe('NOT_FOUND');
  });

  it('stops every token of a disabled user until they are enabled', async () => {
    const created = await runCommand(UserTokenCreate, ['other', '--name', 'paused', '--scope', 'write', ...env, '--json']);

    await runCommand(UserDisable, ['other', ...env]);
    const whileDisabled = await resolve(created.json.token);
    await runCommand(UserEnable, ['other', ...env]);

    expect(whileDisabled).toBeNull();
    expect(await resolve(created.json.token)).not.toBeNull();
  });

  it('audits token create and revoke without the token or its hash', async () => {
    const created = await runCommand(UserTokenCreate, ['bot', '--name', 'audited', '--scope', 'read', ...env, '--json']);
    await runCommand(UserTokenRevoke, [created.json.prefix, ...env]);

    const { results } = await withDb((db) =>
      listAudit(db, { objectType: 'api_token', objectId: String(created.json.id), limit: 10, offset: 0 }),
    );

    expect(results.map((e) => e.action).reverse()).toEqual(['create', 'revoke']);
    const text = JSON.stringify(results);
    expect(text).not.toContain(created.json.token);
    expect(text).not.toContain(hashApiToken(created.json.token));
    expectNoSecrets(text);
  });
});

// Database suite (SQLite and MySQL): GET /api/summary on a demo site with every bundled plugin —
// its figures, that it carries no rows or user data, its short cache — and summary:read tokens,
// which open this route and no other (every path of the served OpenAPI document is tried).

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createApiSite, expectError, makeUser, tokenFor, type ApiSite } from '../../../test/support/api.js';
import { runCommand } from '../../../test/support/cli.js';
import { bundledCatalog } from '../../../test/support/plugins.js';
import { describeEachEngine } from '../../../test/support/site.js';
import PluginInstall from '../../commands/plugin/install.js';
import Seed from '../../commands/seed.js';
import { cliActor } from '../../core/audit/log.js';
import { createApiToken, revokeApiToken } from '../../core/auth/api-tokens.js';
import { createBackup } from '../../core/backup/create.js';
import { DirectoryMigrationSource, coreMigrationSource } from '../../core/migrations/sources.js';
import type { SiteSummary } from '../../core/summary/site-summary.js';

const admin = cliActor('test');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

describeEachEngine('GET /api/summary', (engine) => {
  let api: ApiSite;
  let app: FastifyInstance;
  let viewer: { id: number; username: string };
  let boss: { id: number; username: string };

  beforeAll(async () => {
    api = await createApiSite(engine, { SHOPDB_SITE_NAME: 'plant-7' });
    for (const [command, argv] of [
      [PluginInstall, ['--all']],
      [Seed, ['--demo']],
    ] as const) {
      const result = await runCommand(command, [...argv, '--env-file', api.site.envFile]);
      expect(result.exitCode, result.stderr).toBe(0);
    }
    app = await api.app({ pluginCatalog: await bundledCatalog() });
    viewer = await makeUser(api.db, 'viewer');
    boss = await makeUser(api.db, 'admin');
  });
  afterAll(async () => api.cleanup());

  const summaryWith = async (target: FastifyInstance, token: string) =>
    target.inject({ method: 'GET', url: '/api/summary', headers: bearer(token) });

  it('gives any logged-in user the site in figures: versions, schema heads, plugins and their headlines, asset counts, backup age', async () => {
    const response = await summaryWith(app, await tokenFor(app, viewer.username));

    expect(response.statusCode, response.body).toBe(200);
    const summary = response.json<SiteSummary>();
    const reader = new DirectoryMigrationSource(coreMigrationSource().directory);
    const coreNames = (await reader.getMigrations()).map((m) => reader.getMigrationName(m));
    expect(summary).toMatchObject({ format: 1, site: 'plant-7', shopdbVersion: app.site.version });
    expect(Math.abs(Date.parse(summary.generatedAt) - Date.now())).toBeLessThan(60_000);
    expect(summary.schema[0]).toEqual({ source: 'core', head: coreNames.at(-1), applied: coreNames.length });
    expect(summary.schema.map((s) => s.source).sort()).toEqual(['core', ...summary.plugins.map((p) => `plugin:${p.name}`)].sort());
    expect(summary.plugins.map((p) => p.name).sort()).toEqual([
      'computers',
      'equipment',
      'network',
      'notifications',
      'printers',
      'software',
    ]);
    expect(summary.plugins.every((p) => p.enabled && p.error === null)).toBe(true);
    const headlines = Object.fromEntries(summary.plugins.flatMap((p) => p.headlines.map((h) => [`${p.name}/${h.key}`, h.value])));
    expect(Object.keys(headlines).sort()).toEqual([
      'equipment/critical-machines',
      'equipment/overdue-pm',
      'notifications/active-critical-notices',
      'notifications/active-notices',
      'printers/low-consumables',
      'software/licences-expired',
      'software/licences-over-seats',
      'software/overdue-media-checkouts',
    ]);
    const assets = Number(((await api.db('assets').whereNull('deleted_at').count({ n: '*' })) as Array<{ n: number }>)[0]!.n);
    expect(summary.assets.total).toBe(assets);
    for (const dimension of [summary.assets.byType, summary.assets.byStatus, summary.assets.byLocation]) {
      expect(dimension.reduce((sum, entry) => sum + entry.count, 0)).toBe(assets);
    }
    const roots = (await api.db('locations').whereNull('parent_id').select('code')) as Array<{ code: string }>;
    for (const entry of summary.assets.byLocation) expect(entry.key === null || roots.some((r) => r.code === entry.key)).toBe(true);
    expect(summary.backup).toEqual({ state: 'none', createdAt: null, ageSeconds: null, reason: expect.stringContaining('no backup') });
  });

  it('names no asset and no user', async () => {
    const body = (await summaryWith(app, await tokenFor(app, viewer.username))).body;

    const tags = (await api.db('assets').select('asset_tag', 'serial')) as Array<{ asset_tag: string; serial: string | null }>;
    const users = (await api.db('users').select('username')) as Array<{ username: string }>;
    for (const { asset_tag: tag, serial } of tags) {
      expect(body).not.toContain(`"${tag}"`);
      if (serial) expect(body).not.toContain(serial);
    }
    for (const { username } of users) expect(body).not.toContain(username);
  });

  it('is built once for pollers arriving within its few seconds', async () => {
    const token = await tokenFor(app, viewer.username);
    const local = await api.app({ pluginCatalog: await bundledCatalog() });

    const answers = await Promise.all(Array.from({ length: 8 }, () => summaryWith(local, token)));

    expect(new Set(answers.map((a) => a.json<SiteSummary>().generatedAt)).size).toBe(1);
    expect(answers[0]!.headers['cache-control']).toBe('private, max-age=5');
  });

  it('reports the age of the newest backup that passes its checks', async () => {
    if (engine === 'mysql') return; // the same code reads the folder on both engines; SQLite needs no client tools
    await createBackup({ config: api.config(), path: process.env.PATH ?? '' });
    const local = await api.app({ pluginCatalog: await bundledCatalog() });

    const summary = (await summaryWith(local, await tokenFor(local, viewer.username))).json<SiteSummary>();

    expect(summary.backup).toMatchObject({ state: 'found', reason: null });
    expect(summary.backup.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(summary.backup.ageSeconds).toBeLessThan(120);
  });

  describe('summary:read tokens', () => {
    it('read /api/summary, and are refused with 403 on every other path and method of the OpenAPI document', async () => {
      const { token } = await createApiToken(api.db, admin, { userId: viewer.id, name: 'fleet', scope: 'summary:read' });
      const document = (
        await app.inject({ method: 'GET', url: '/api/openapi.json', headers: bearer(await tokenFor(app, boss.username)) })
      ).json<{ paths: Record<string, Record<string, unknown>> }>();
      const calls = Object.entries(document.paths).flatMap(([path, operations]) =>
        METHODS.filter((method) => method in operations).map((method) => ({ method, url: path.replace(/\{[^}]+\}/g, '1') })),
      );
      expect(calls.length).toBeGreaterThan(40);
      expect(calls).toContainEqual({ method: 'get', url: '/api/summary' });

      expect((await summaryWith(app, token)).statusCode).toBe(200);
      const refused: string[] = [];
      for (const call of [
        ...calls.filter((c) => c.url !== '/api/summary'),
        { method: 'get', url: '/api/openapi.json' },
        { method: 'get', url: '/api/no-such-route' },
      ]) {
        const response = await app.inject({
          method: call.method.toUpperCase() as 'GET',
          url: call.url,
          headers: bearer(token),
          payload: call.method === 'get' || call.method === 'delete' ? undefined : {},
        });
        if (response.statusCode !== 403 || response.json<{ error: { code: string } }>().error.code !== 'SUMMARY_ONLY_TOKEN')
          refused.push(`${call.method} ${call.url}: ${response.statusCode}`);
      }
      expect(refused).toEqual([]);
    });

    it('are created by an admin through the API, listed with their scope, and stop working once revoked', async () => {
      const bossToken = await tokenFor(app, boss.username);
      const created = await app.inject({
        method: 'POST',
        url: '/api/tokens',
        headers: bearer(bossToken),
        payload: { name: 'central', scope: 'summary:read' },
      });
      expect(created.statusCode, created.body).toBe(201);
      const { id, token, scope } = created.json<{ id: number; token: string; scope: string }>();
      expect(scope).toBe('summary:read');
      const listed = await app.inject({ method: 'GET', url: `/api/tokens?user_id=${boss.id}`, headers: bearer(bossToken) });
      expect(listed.json<{ results: Array<{ id: number; scope: string }> }>().results).toContainEqual(
        expect.objectContaining({ id, scope: 'summary:read' }),
      );
      // An admin's summary token is still a summary token: the role does not widen it.
      expectError(await app.inject({ method: 'GET', url: '/api/users', headers: bearer(token) }), 403, 'SUMMARY_ONLY_TOKEN');
      expect((await summaryWith(app, token)).statusCode).toBe(200);

      await revokeApiToken(api.db, admin, id);

      expectError(await summaryWith(app, token), 401, 'UNAUTHORIZED');
    });

    it('a viewer may not create one (admins only), and the summary needs credentials', async () => {
      const viewerToken = await tokenFor(app, viewer.username);
      expectError(
        await app.inject({
          method: 'POST',
          url: '/api/tokens',
          headers: bearer(viewerToken),
          payload: { name: 'x', scope: 'summary:read' },
        }),
        403,
      );
      expectError(await app.inject({ method: 'GET', url: '/api/summary' }), 401, 'UNAUTHORIZED');
    });
  });
});

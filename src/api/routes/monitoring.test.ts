// Database suite (SQLite and MySQL): a Zabbix that is down (a refused port) or hung (a port that
// accepts and never answers) costs the inventory nothing. /api/assets and /api/assets/:id never
// ask Zabbix; include=monitoring waits at most ZABBIX_TIMEOUT once, then the breaker answers at
// once, with monitoring `unknown` and the reason; /api/ready stays ready. Without ZABBIX_URL the
// status says "not configured" and pinning answers 409.

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createApiSite, expectError, freePort, makeUser, tokenFor, type ApiSite } from '../../../test/support/api.js';
import { createTestAssetTypes } from '../../../test/support/inventory.js';
import { describeEachEngine } from '../../../test/support/site.js';
import { startBlackHole } from '../../../test/support/zabbix-standin.js';
import { cliActor } from '../../core/audit/log.js';
import { formatUtcDatetime } from '../../core/db/values.js';
import { createAsset } from '../../core/inventory/assets.js';
import { statusLabels } from '../../core/inventory/reference.js';

const TIMEOUT_MS = 1500;

describeEachEngine('monitoring when Zabbix is down or hung', (engine) => {
  for (const kind of ['refused', 'black hole'] as const) {
    describe(kind, () => {
      let api: ApiSite;
      let app: FastifyInstance;
      let token: string;
      let assetId: number;
      let hole: Awaited<ReturnType<typeof startBlackHole>> | null = null;
      const sent: string[] = [];

      beforeAll(async () => {
        hole = kind === 'black hole' ? await startBlackHole() : null;
        const url = hole?.url ?? `http://127.0.0.1:${await freePort()}/api_jsonrpc.php`;
        api = await createApiSite(engine, {
          ZABBIX_URL: url,
          ZABBIX_API_TOKEN: 'a-token-that-never-leaves',
          ZABBIX_TIMEOUT: `${TIMEOUT_MS}ms`,
          ZABBIX_CONNECT_TIMEOUT: '1s',
        });
        await createTestAssetTypes(api.db, cliActor('test'));
        const status = (await statusLabels.create(api.db, cliActor('test'), { name: 'In service', color: '#22aa22', kind: 'deployable' }))
          .id;
        for (let i = 0; i < 20; i++) {
          const asset = await createAsset(api.db, cliActor('test'), {
            assetTag: `M-${i}`,
            name: `machine ${i}`,
            type: 'equipment',
            hostname: `m-${i}`,
            statusId: status,
          });
          await api.db('monitoring_pins').insert({
            asset_id: asset.id,
            hostid: String(10_000 + i),
            host: `m-${i}`,
            matched_how: 'hostname',
            matched_at: formatUtcDatetime(new Date()),
            matched_by: 'cli:test',
          });
          assetId = asset.id;
        }
        app = await api.app({ monitoringOptions: { onRequest: (method) => sent.push(method) } });
        await makeUser(api.db, 'viewer', `viewer-${kind.replace(' ', '-')}`);
        token = await tokenFor(app, `viewer-${kind.replace(' ', '-')}`);
      });
      afterAll(async () => {
        await api?.cleanup();
        await hole?.close();
      });

      it('answers /api/assets and /api/assets/:id without asking Zabbix', async () => {
        expect((await app.inject({ method: 'GET', url: '/api/assets?limit=50', headers: bearer(token) })).statusCode).toBe(200);
        expect((await app.inject({ method: 'GET', url: `/api/assets/${assetId}`, headers: bearer(token) })).statusCode).toBe(200);
        expect(sent).toEqual([]);
        expect(hole?.connections() ?? 0).toBe(0);
      });

      it('include=monitoring waits at most ZABBIX_TIMEOUT once, then answers through the breaker with unknown and the reason', async () => {
        const started = Date.now();
        const first = await app.inject({ method: 'GET', url: '/api/assets?limit=50&include=monitoring', headers: bearer(token) });
        const firstMs = Date.now() - started;
        expect(first.statusCode).toBe(200);
        const firstPage = first.json<{
          count: number;
          results: Array<{ monitoring: { state: string; reason: string; stale: boolean } }>;
        }>();
        expect(firstPage.count).toBe(20);
        expect(new Set(firstPage.results.map((a) => a.monitoring.state))).toEqual(new Set(['unknown']));
        expect(firstPage.results[0]!.monitoring.reason).toMatch(
          kind === 'refused' ? /cannot reach 127\.0\.0\.1:\d+: ECONNREFUSED/ : /did not answer within 1500 ms/,
        );
        expect(firstPage.results[0]!.monitoring.stale).toBe(true);
        // One apiinfo.version, bounded by the timeout (generous margin for a loaded machine).
        expect(sent).toEqual(['apiinfo.version']);
        expect(firstMs).toBeLessThan(TIMEOUT_MS + 10_000);

        const second = await app.inject({ method: 'GET', url: `/api/assets/${assetId}/monitoring`, headers: bearer(token) });
        expect(second.json()).toMatchObject({ state: 'unknown', stale: true });
        expect(second.json<{ reason: string }>().reason).toMatch(kind === 'refused' ? /ECONNREFUSED/ : /did not answer/);
        const third = await app.inject({ method: 'GET', url: '/api/assets?limit=50&include=monitoring', headers: bearer(token) });
        expect(third.statusCode).toBe(200);
        // Nothing more was sent: the breaker (and the shared last error) answered.
        expect(sent).toEqual(['apiinfo.version']);
        expect(hole?.connections() ?? 1).toBe(1);
        expect(third.body).not.toContain('a-token-that-never-leaves');
      });

      it('/api/ready stays ready', async () => {
        const ready = await app.inject({ method: 'GET', url: '/api/ready' });
        expect(ready.statusCode, ready.body).toBe(200);
      });
    });
  }
});

describeEachEngine('monitoring without ZABBIX_URL', (engine) => {
  let api: ApiSite;
  beforeAll(async () => {
    api = await createApiSite(engine);
  });
  afterAll(async () => api?.cleanup());

  it('says "not configured" in every status and refuses a pin with 409', async () => {
    const app = await api.app();
    await createTestAssetTypes(api.db, cliActor('test'));
    const status = (await statusLabels.create(api.db, cliActor('test'), { name: 'In service', color: '#22aa22', kind: 'deployable' })).id;
    const asset = await createAsset(api.db, cliActor('test'), { assetTag: 'M-1', name: 'machine', type: 'equipment', statusId: status });
    await makeUser(api.db, 'editor', 'editor-nz');
    const token = await tokenFor(app, 'editor-nz');
    expect((await app.inject({ method: 'GET', url: `/api/assets/${asset.id}/monitoring`, headers: bearer(token) })).json()).toMatchObject({
      state: 'unknown',
      reason: expect.stringContaining('not configured'),
    });
    expectError(
      await app.inject({
        method: 'PUT',
        url: `/api/assets/${asset.id}/monitoring/pin`,
        headers: bearer(token),
        payload: { hostid: '10084' },
      }),
      409,
      'MONITORING_NOT_CONFIGURED',
    );
    expect((await app.inject({ method: 'GET', url: '/api/monitoring/problems', headers: bearer(token) })).json()).toMatchObject({
      results: [],
      reason: expect.stringContaining('not configured'),
    });
  });
});

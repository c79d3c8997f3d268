// Concurrency suite (MySQL/MariaDB): the core inventory rules hold when requests race through the
// real HTTP server (ADR-012) — one asset per tag whatever its case, no part-of cycle, no location
// under itself with every path matching its parent's, and PATCHes of custom data that all land.

import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createAssetVia,
  describeOnEachMysql,
  inServiceStatusId,
  no5xx,
  race,
  RACERS,
  ROUNDS,
  startLiveApi,
  statusCounts,
  unique,
  type LiveApi,
} from '../../../../test/support/concurrency.js';

describeOnEachMysql('core inventory under concurrent requests', (target) => {
  let live: LiveApi;

  beforeAll(async () => {
    live = await startLiveApi([], target);
    const type = await live.call(
      'POST',
      '/api/asset-types',
      {
        key: 'fixture',
        label: 'Fixture',
        fields: Array.from({ length: RACERS }, (_, i) => ({ key: `f${i}`, label: `Field ${i}`, type: 'integer' })),
      },
      live.tokens.admin,
    );
    expect(type.status, JSON.stringify(type.body)).toBe(201);
  });
  afterAll(async () => live.close());

  it(`creates one asset when ${RACERS} requests race for one tag in different cases, never a 500`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const tag = unique('RACE');
      const statusId = await inServiceStatusId(live);
      const spellings = (i: number) => (i % 2 === 0 ? tag.toUpperCase() : tag.toLowerCase());

      const answers = await race(RACERS, (i) =>
        live.call('POST', '/api/assets', { assetTag: spellings(i), name: `racer ${i}`, type: 'fixture', statusId }, live.tokens.editor),
      );

      no5xx(answers);
      expect(statusCounts(answers), `round ${round}`).toEqual({ 201: 1, 409: RACERS - 1 });
      const rows = (await live.api.db('assets').whereRaw('lower(asset_tag) = ?', [tag.toLowerCase()]).select('id')) as unknown[];
      expect(rows).toHaveLength(1);
    }
  });

  it(`keeps every one of ${RACERS} racing PATCHes of different custom fields`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const id = await createAssetVia(live, 'fixture');

      const answers = await race(RACERS, (i) =>
        live.call('PATCH', `/api/assets/${id}`, { customData: { [`f${i}`]: i } }, live.tokens.editor),
      );

      no5xx(answers);
      expect(statusCounts(answers)).toEqual({ 200: RACERS });
      const read = await live.call('GET', `/api/assets/${id}`, undefined, live.tokens.viewer);
      expect(read.body.customData, `round ${round}`).toEqual(Object.fromEntries(Array.from({ length: RACERS }, (_, i) => [`f${i}`, i])));
    }
  });

  it(`never closes a part-of cycle when ${RACERS} links of a ring race`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const ids: number[] = [];
      for (let i = 0; i < RACERS; i++) ids.push(await createAssetVia(live, 'fixture'));

      const answers = await race(RACERS, (i) =>
        live.call('POST', `/api/assets/${ids[i]}/links`, { targetId: ids[(i + 1) % RACERS], linkType: 'part-of' }, live.tokens.editor),
      );

      no5xx(answers);
      expect(statusCounts(answers), `round ${round}`).toEqual({ 201: RACERS - 1, 409: 1 });
      const links = (await live.api
        .db('asset_links')
        .whereIn('source_asset_id', ids)
        .where('link_type', 'part-of')
        .select('source_asset_id', 'target_asset_id')) as Array<{ source_asset_id: number; target_asset_id: number }>;
      expect(hasCycle(links.map((l) => [Number(l.source_asset_id), Number(l.target_asset_id)])), `round ${round}`).toBe(false);
    }
  });

  it(`never puts a location under itself, and keeps every path its parent's, when ${RACERS} moves race`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const ids: number[] = [];
      for (let i = 0; i < RACERS; i++) {
        const created = await live.call(
          'POST',
          '/api/locations',
          { kind: 'area', code: unique('L'), name: `Area ${i}` },
          live.tokens.editor,
        );
        ids.push(created.body.id);
      }

      // Each one under the next: all but one move can stand.
      const answers = await race(RACERS, (i) =>
        live.call('PATCH', `/api/locations/${ids[i]}`, { parentId: ids[(i + 1) % RACERS] }, live.tokens.editor),
      );

      no5xx(answers);
      expect(statusCounts(answers), `round ${round}: ${JSON.stringify(answers.filter((a) => a.status >= 400).map((a) => a.body))}`).toEqual(
        { 200: RACERS - 1, 409: 1 },
      );
      const rows = (await live.api.db('locations').whereIn('id', ids).select('id', 'parent_id', 'path')) as Array<{
        id: number;
        parent_id: number | null;
        path: string;
      }>;
      const byId = new Map(rows.map((row) => [Number(row.id), row]));
      expect(hasCycle(rows.filter((r) => r.parent_id !== null).map((r) => [Number(r.id), Number(r.parent_id)]))).toBe(false);
      for (const row of rows) {
        const parent = row.parent_id === null ? null : byId.get(Number(row.parent_id))!;
        expect(row.path, `location ${row.id}`).toBe(`${parent?.path ?? '/'}${row.id}/`);
      }
    }
  });
});

function hasCycle(edges: Array<[number, number]>): boolean {
  const next = new Map<number, number[]>();
  for (const [from, to] of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const state = new Map<number, 'open' | 'done'>();
  const visit = (node: number): boolean => {
    if (state.get(node) === 'open') return true;
    if (state.get(node) === 'done') return false;
    state.set(node, 'open');
    const found = (next.get(node) ?? []).some(visit);
    state.set(node, 'done');
    return found;
  };
  return [...next.keys()].some(visit);
}

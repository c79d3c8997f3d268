// Concurrency suite (MySQL/MariaDB): a printer's page counter never goes down, and a consumable
// is one row, when readings race through the real HTTP server (ADR-012).

import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createAssetVia,
  describeOnEachMysql,
  no5xx,
  race,
  RACERS,
  ROUNDS,
  startLiveApi,
  statusCounts,
  type LiveApi,
} from '../../test/support/concurrency.js';

const base = '/api/plugins/printers';

describeOnEachMysql('printers plugin under concurrent requests', (target) => {
  let live: LiveApi;

  beforeAll(async () => {
    live = await startLiveApi(['printers'], target);
  });
  afterAll(async () => live.close());

  it(`keeps the counter from going down when ${RACERS} readings, each fine on its own, race`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const printer = await createAssetVia(live, 'printer');
      const start = Date.now() - 60 * 60_000;
      // Later readings with lower counts: any two of them together break the rule.
      const answers = await race(RACERS, (i) =>
        live.call(
          'POST',
          `${base}/printers/${printer}/page-counts`,
          { recordedAt: new Date(start + i * 60_000).toISOString(), totalPages: 10_000 - i * 100 },
          live.tokens.editor,
        ),
      );

      no5xx(answers);
      expect(statusCounts(answers), `round ${round}`).toEqual({ 201: 1, 400: RACERS - 1 });
      const readings = (await live.api
        .db('printers_page_counts')
        .where({ asset_id: printer })
        .orderBy(['recorded_at', 'id'])
        .select('total_pages')) as Array<{ total_pages: number }>;
      const totals = readings.map((row) => Number(row.total_pages));
      expect(totals, `round ${round}`).toEqual([...totals].sort((a, b) => a - b));
    }
  });

  it(`makes one consumable row when ${RACERS} first readings of it race, in any case of its colour`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const printer = await createAssetVia(live, 'printer');

      const answers = await race(RACERS, (i) =>
        live.call(
          'PUT',
          `${base}/printers/${printer}/consumables`,
          { kind: 'toner', colour: i % 2 ? 'Cyan' : 'cyan', levelPercent: 50 + i },
          live.tokens.editor,
        ),
      );

      no5xx(answers);
      expect(statusCounts(answers), `round ${round}`).toEqual({ 201: 1, 200: RACERS - 1 });
      expect(await live.api.db('printers_consumables').where({ asset_id: printer }).select('id')).toHaveLength(1);
    }
  });
});

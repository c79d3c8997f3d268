// Concurrency suite (MySQL/MariaDB): a maintenance record never ends before it starts, machine
// numbers stay unique whatever their case, and racing PATCHes of a machine all land (ADR-012).

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
  unique,
  type LiveApi,
} from '../../test/support/concurrency.js';

const base = '/api/plugins/equipment';

describeOnEachMysql('equipment plugin under concurrent requests', (target) => {
  let live: LiveApi;

  beforeAll(async () => {
    live = await startLiveApi(['equipment'], target);
  });
  afterAll(async () => live.close());

  it(`never leaves a maintenance record completed before it started when ${RACERS} PATCHes race`, async () => {
    const machine = await createAssetVia(live, 'equipment');
    const t0 = Date.parse('2026-03-02T07:00:00Z');
    for (let round = 0; round < ROUNDS; round++) {
      const record = await live.call(
        'POST',
        `${base}/machines/${machine}/maintenance`,
        { type: 'corrective', startedAt: new Date(t0).toISOString() },
        live.tokens.editor,
      );
      expect(record.status, JSON.stringify(record.body)).toBe(201);

      // Half close it an hour in, half move its start two hours later: each is fine alone.
      const answers = await race(RACERS, (i) =>
        live.call(
          'PATCH',
          `${base}/maintenance/${record.body.id}`,
          i % 2 ? { completedAt: new Date(t0 + 3_600_000).toISOString() } : { startedAt: new Date(t0 + 7_200_000).toISOString() },
          live.tokens.editor,
        ),
      );

      no5xx(answers);
      const row = (await live.api.db('equipment_maintenance').where({ id: record.body.id }).first('started_at', 'completed_at')) as {
        started_at: unknown;
        completed_at: unknown;
      };
      const read = await live.call('GET', `${base}/machines/${machine}/maintenance?limit=1000`, undefined, live.tokens.viewer);
      const stored = read.body.results.find((r: { id: number }) => r.id === record.body.id);
      expect(
        row.completed_at === null || Date.parse(stored.completedAt) >= Date.parse(stored.startedAt),
        `round ${round}: ${JSON.stringify(stored)}`,
      ).toBe(true);
      expect(answers.filter((a) => a.status === 400).length, `round ${round}`).toBeGreaterThan(0);
    }
  });

  it(`gives a machine number to one of ${RACERS} machines racing for it, whatever its case`, async () => {
    const machines: number[] = [];
    for (let i = 0; i < RACERS; i++) machines.push(await createAssetVia(live, 'equipment'));
    for (let round = 0; round < ROUNDS; round++) {
      const number = unique('M').replace(/-/g, '');

      const answers = await race(RACERS, (i) =>
        live.call(
          'PUT',
          `${base}/machines/${machines[i]}`,
          { machineNumber: i % 2 ? number.toLowerCase() : number.toUpperCase() },
          live.tokens.editor,
        ),
      );

      no5xx(answers);
      expect(statusCounts(answers), `round ${round}`).toEqual({ 200: 1, 409: RACERS - 1 });
      const holders = (await live.api
        .db('equipment_machines')
        .whereRaw('lower(machine_number) = ?', [number.toLowerCase()])
        .select('asset_id')) as unknown[];
      expect(holders).toHaveLength(1);
      // Free them for the next round.
      for (const id of machines) await live.call('PUT', `${base}/machines/${id}`, { machineNumber: null }, live.tokens.editor);
    }
  });

  it(`keeps every one of ${RACERS} racing PATCHes of different machine details`, async () => {
    const fields = [
      { builder: 'DMG MORI' },
      { axes: 5 },
      { spindles: 2 },
      { controllerMake: 'Heidenhain' },
      { controllerVersion: 'TNC 640' },
      { criticality: 'high' },
      { nextPmDue: '2027-01-15' },
      { dncPort: 9100 },
    ];
    for (let round = 0; round < ROUNDS; round++) {
      const machine = await createAssetVia(live, 'equipment');

      const answers = await race(RACERS, (i) =>
        live.call('PUT', `${base}/machines/${machine}`, fields[i % fields.length], live.tokens.editor),
      );

      no5xx(answers);
      const read = await live.call('GET', `${base}/machines/${machine}`, undefined, live.tokens.viewer);
      expect(read.body, `round ${round}`).toMatchObject(Object.assign({}, ...fields));
    }
  });
});

// Concurrency suite (MySQL/MariaDB): the software plugin's rules hold when requests race
// through the real HTTP server — a licence never has more installations than seats, and a
// medium is out to one person at a time (ADR-012).

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

const base = '/api/plugins/software';

describeOnEachMysql('software plugin under concurrent requests', (target) => {
  let live: LiveApi;
  let computers: number[];

  beforeAll(async () => {
    live = await startLiveApi(['computers', 'software'], target);
    computers = [];
    for (let i = 0; i < RACERS; i++) computers.push(await createAssetVia(live, 'computer'));
  });
  afterAll(async () => live.close());

  it(`gives a one-seat licence to exactly one of ${RACERS} installations racing for it, ${ROUNDS} times over`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const title = await live.call('POST', `${base}/titles`, { name: unique('CAM'), version: '1' }, live.tokens.editor);
      const licence = await live.call('POST', `${base}/licences`, { titleId: title.body.id, seats: 1 }, live.tokens.editor);
      expect(licence.status, JSON.stringify(licence.body)).toBe(201);

      const answers = await race(RACERS, (i) =>
        live.call(
          'POST',
          `${base}/installations`,
          { titleId: title.body.id, assetId: computers[i], licenceId: licence.body.id },
          live.tokens.editor,
        ),
      );

      no5xx(answers);
      expect(statusCounts(answers), `round ${round}`).toEqual({ 201: 1, 409: RACERS - 1 });
      const [{ used }] = (await live.api
        .db('software_installations')
        .where({ licence_id: licence.body.id })
        .count({ used: '*' })) as Array<{ used: number }>;
      expect(Number(used), `seats used of 1, round ${round}`).toBe(1);
    }
  });

  it(`keeps a three-seat licence at three when ${RACERS} installations race`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const title = await live.call('POST', `${base}/titles`, { name: unique('ERP'), version: '2' }, live.tokens.editor);
      const licence = await live.call('POST', `${base}/licences`, { titleId: title.body.id, seats: 3 }, live.tokens.editor);

      const answers = await race(RACERS, (i) =>
        live.call(
          'POST',
          `${base}/installations`,
          { titleId: title.body.id, assetId: computers[i], licenceId: licence.body.id },
          live.tokens.editor,
        ),
      );

      no5xx(answers);
      expect(statusCounts(answers)).toEqual({ 201: 3, 409: RACERS - 3 });
      const read = await live.call('GET', `${base}/licences/${licence.body.id}`, undefined, live.tokens.viewer);
      expect(read.body).toMatchObject({ seats: 3, seatsUsed: 3 });
    }
  });

  it(`leaves no installation on a deleted computer when installs and deletes of ${RACERS / 2} computers race`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const doomed: number[] = [];
      for (let i = 0; i < RACERS / 2; i++) doomed.push(await createAssetVia(live, 'computer'));
      const title = await live.call('POST', `${base}/titles`, { name: unique('MES'), version: '3' }, live.tokens.editor);
      const licence = await live.call('POST', `${base}/licences`, { titleId: title.body.id, seats: RACERS }, live.tokens.editor);

      const answers = await race(RACERS, (i) =>
        i % 2 === 0
          ? live.call(
              'POST',
              `${base}/installations`,
              { titleId: title.body.id, assetId: doomed[i / 2], licenceId: licence.body.id },
              live.tokens.editor,
            )
          : live.call('DELETE', `/api/assets/${doomed[(i - 1) / 2]}`, undefined, live.tokens.editor),
      );

      no5xx(answers);
      const stranded = (await live.api
        .db({ i: 'software_installations' })
        .join({ a: 'assets' }, 'a.id', 'i.asset_id')
        .whereNotNull('a.deleted_at')
        .where('i.licence_id', licence.body.id)
        .select('i.id')) as unknown[];
      expect(stranded, `round ${round}: installations holding seats on deleted computers`).toHaveLength(0);
    }
  });

  it(`checks a medium out to one of ${RACERS} racing users, and in once`, async () => {
    const users = (await live.api.db('users').select('id').orderBy('id')) as Array<{ id: number }>;
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    for (let round = 0; round < ROUNDS; round++) {
      const medium = await live.call('POST', `${base}/media`, { label: unique('USB'), kind: 'usb' }, live.tokens.editor);

      const out = await race(RACERS, (i) =>
        live.call(
          'POST',
          `${base}/media/${medium.body.id}/checkout`,
          { userId: users[i % users.length]!.id, expectedBackOn: tomorrow },
          live.tokens.editor,
        ),
      );
      const back = await race(RACERS, () => live.call('POST', `${base}/media/${medium.body.id}/checkin`, {}, live.tokens.editor));

      no5xx([...out, ...back]);
      expect(statusCounts(out)).toEqual({ 201: 1, 409: RACERS - 1 });
      expect(statusCounts(back)).toEqual({ 200: 1, 409: RACERS - 1 });
      const rows = (await live.api.db('software_media_checkouts').where({ media_id: medium.body.id }).select('checked_in_at')) as unknown[];
      expect(rows).toHaveLength(1);
    }
  });
});

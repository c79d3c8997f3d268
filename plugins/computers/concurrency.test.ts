// Concurrency suite (MySQL/MariaDB): racing PATCHes of a computer's details all land, and
// interface names stay unique per PC whatever their case (ADR-012).

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

const base = '/api/plugins/computers';

describeOnEachMysql('computers plugin under concurrent requests', (target) => {
  let live: LiveApi;

  beforeAll(async () => {
    live = await startLiveApi(['computers'], target);
  });
  afterAll(async () => live.close());

  it(`keeps every one of ${RACERS} racing PATCHes of different host details, and the domain rule`, async () => {
    const fields = [
      { os: 'Windows 11 IoT' },
      { osVersion: '24H2' },
      { warrantyEnd: '2029-06-30' },
      { lastSeenAt: '2026-11-30T08:00:00.000Z' },
      { domainJoined: true, domainName: 'p7.example.com' },
    ];
    for (let round = 0; round < ROUNDS; round++) {
      const pc = await createAssetVia(live, 'computer');

      const answers = await race(RACERS, (i) => live.call('PATCH', `${base}/hosts/${pc}`, fields[i % fields.length], live.tokens.editor));

      no5xx(answers);
      expect(statusCounts(answers)).toEqual({ 200: RACERS });
      const read = await live.call('GET', `${base}/hosts/${pc}`, undefined, live.tokens.viewer);
      expect(read.body, `round ${round}`).toMatchObject(Object.assign({}, ...fields));
    }
  });

  it(`registers one interface name per PC when ${RACERS} requests race with it in different cases`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const pc = await createAssetVia(live, 'computer');
      const mac = (i: number) => `02:00:00:${round.toString(16).padStart(2, '0')}:00:${i.toString(16).padStart(2, '0')}`;

      const answers = await race(RACERS, (i) =>
        live.call('POST', `${base}/hosts/${pc}/interfaces`, { name: i % 2 ? 'Ethernet' : 'ETHERNET', mac: mac(i) }, live.tokens.editor),
      );

      no5xx(answers);
      expect(statusCounts(answers), `round ${round}`).toEqual({ 201: 1, 409: RACERS - 1 });
      expect(await live.api.db('computers_interfaces').where({ asset_id: pc }).select('id')).toHaveLength(1);
    }
  });
});

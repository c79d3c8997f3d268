// Concurrency suite (MySQL/MariaDB): a port is in one link at most, on either side of it, when
// links race through the real HTTP server; and no port is left on a VLAN that a racing delete
// removed (ADR-012).

import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createAssetVia,
  describeOnEachMysql,
  no5xx,
  race,
  RACERS,
  ROUNDS,
  startLiveApi,
  type LiveApi,
} from '../../test/support/concurrency.js';

const base = '/api/plugins/network';

describeOnEachMysql('network plugin under concurrent requests', (target) => {
  let live: LiveApi;

  beforeAll(async () => {
    live = await startLiveApi(['network'], target);
  });
  afterAll(async () => live.close());

  it(`keeps each port in one link when ${RACERS} links of a chain (each port in two of them) race`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const device = await createAssetVia(live, 'network-device');
      const ports: number[] = [];
      for (let i = 0; i <= RACERS; i++) {
        const port = await live.call('POST', `${base}/devices/${device}/ports`, { name: `Gi1/0/${i + 1}` }, live.tokens.editor);
        expect(port.status, JSON.stringify(port.body)).toBe(201);
        ports.push(port.body.id);
      }

      // Port i into port i+1: every inner port is asked for twice, once on each side.
      const answers = await race(RACERS, (i) =>
        live.call('POST', `${base}/links`, { portId: ports[i], toPortId: ports[i + 1] }, live.tokens.editor),
      );

      no5xx(answers);
      expect(answers.filter((a) => a.status === 201).length).toBeGreaterThan(0);
      const links = (await live.api.db('network_port_links').whereIn('port_a_id', ports).select('port_a_id', 'port_b_id')) as Array<{
        port_a_id: number;
        port_b_id: number | null;
      }>;
      const uses = new Map<number, number>();
      for (const link of links)
        for (const port of [link.port_a_id, link.port_b_id]) if (port !== null) uses.set(Number(port), (uses.get(Number(port)) ?? 0) + 1);
      expect(
        [...uses.values()].every((count) => count === 1),
        `round ${round}: ${JSON.stringify(links)}`,
      ).toBe(true);
    }
  });

  it(`never leaves a port on a removed VLAN when a delete of the VLAN races ${RACERS - 1} ports set to it`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const vlanId = 3000 + round;
      const vlan = await live.call('POST', `${base}/vlans`, { vlanId, name: `race ${round}` }, live.tokens.editor);
      expect(vlan.status, JSON.stringify(vlan.body)).toBe(201);
      const device = await createAssetVia(live, 'network-device');
      const ports: number[] = [];
      for (let i = 1; i < RACERS; i++) {
        const port = await live.call('POST', `${base}/devices/${device}/ports`, { name: `Gi1/0/${i}` }, live.tokens.editor);
        ports.push(port.body.id);
      }

      const answers = await race(RACERS, (i) =>
        i === 0
          ? live.call('DELETE', `${base}/vlans/${vlan.body.id}`, undefined, live.tokens.editor)
          : live.call('PATCH', `${base}/ports/${ports[i - 1]}`, { vlan: vlanId }, live.tokens.editor),
      );

      no5xx(answers);
      const patches = answers.slice(1).map((a) => a.status);
      const onVlan = Number((await live.api.db('network_ports').whereIn('id', ports).where({ vlan: vlanId }).count({ n: '*' }))[0]!.n);
      const kept = await live.api.db('network_vlans').where({ vlan_id: vlanId }).first('id');
      // Either the delete went first (each port change after it is a 400), or a port was on the VLAN
      // by then and the delete was refused (409) while every port change went through.
      if (answers[0]!.status === 204) {
        expect({ patches, onVlan, kept }, `round ${round}`).toEqual({ patches: patches.map(() => 400), onVlan: 0, kept: undefined });
      } else {
        expect(answers[0]!.status, `round ${round}`).toBe(409);
        expect({ patches, onVlan }, `round ${round}`).toEqual({ patches: patches.map(() => 200), onVlan: RACERS - 1 });
        expect(kept).toBeDefined();
      }
    }
  });
});

// Losing nodes of a Galera cluster under two real `shopdb serve` replicas. The suite starts a
// cluster of its own (it kills nodes; the run's shared cluster must stay whole for the others).
// A replica whose node is gone, or whose node has lost quorum, is out of rotation (/api/ready
// 503 with the reason) and answers requests 503, never 500; when the nodes are back it is ready
// again without a restart.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiSite, makeUser, TEST_PASSWORD, waitUntil, type ApiSite } from './support/api.js';
import { runBin } from './support/cli.js';
import { galeraAvailability, startGaleraCluster, type GaleraCluster } from './support/galera.js';
import { callReplica, startServeReplica, stopServeReplica, type ServeReplica } from './support/replicas.js';
import { writeEnvFile } from './support/site.js';

const galera = galeraAvailability();
const describeWithCluster = galera.available ? describe : describe.skip;
const title = 'a Galera cluster losing nodes under two serve replicas';

describeWithCluster(galera.available ? `${title} [galera]` : `${title} [galera — skipped: ${galera.reason}]`, () => {
  let cluster: GaleraCluster;
  let api: ApiSite;
  let a: ServeReplica;
  let b: ServeReplica;
  let token: string;
  let assetId: number;

  const ready = async (replica: ServeReplica) => (await callReplica(replica, 'GET', '/api/ready', { token })).status;

  beforeAll(async () => {
    cluster = await startGaleraCluster();
    const [node1, node2] = cluster.nodes;
    api = await createApiSite('mysql', { LOG_LEVEL: 'warn' }, { mysqlServer: node1!.server });
    const secondEnvFile = `${api.site.dir}/second-node.env`;
    writeEnvFile(secondEnvFile, { ...api.site.vars, DB_PORT: String(node2!.port) });
    a = await startServeReplica('a (node 1)', api.site.envFile);
    b = await startServeReplica('b (node 2)', secondEnvFile);
    const admin = await makeUser(api.db, 'admin');
    token = (await callReplica(a, 'POST', '/api/auth/login', { body: { username: admin.username, password: TEST_PASSWORD } })).body.token;
    const status = await callReplica(a, 'POST', '/api/status-labels', {
      body: { name: 'In service', color: '#00aa00', kind: 'deployable' },
      token,
    });
    await callReplica(a, 'POST', '/api/asset-types', { body: { key: 'fixture', label: 'Fixture', fields: [] }, token });
    const asset = await callReplica(a, 'POST', '/api/assets', {
      body: { assetTag: 'CNC-1', name: 'Mill', type: 'fixture', statusId: status.body.id },
      token,
    });
    expect(asset.status, JSON.stringify(asset.body)).toBe(201);
    assetId = asset.body.id;
  }, 300_000);

  afterAll(async () => {
    for (const replica of [a, b]) if (replica) await stopServeReplica(replica);
    await api?.db.destroy().catch(() => {});
    await cluster?.stop();
  });

  it('takes a replica out of rotation at once when its node dies, and back in when the node has rejoined; the other goes on serving', async () => {
    const [, node2] = cluster.nodes;
    expect([await ready(a), await ready(b)]).toEqual([200, 200]);

    await node2!.kill();

    // The very next probe: the node's connections are gone.
    const probe = await callReplica(b, 'GET', '/api/ready', { token });
    expect(probe.status).toBe(503);
    // Credentials cannot be checked without the database, so the caller gets the anonymous
    // answer; the log has the reason.
    await waitUntil(() => /"reason":"database unavailable: /.test(b.stderr()), 30_000, 'the not-ready reason in the log');
    const refused = await callReplica(b, 'PATCH', `/api/assets/${assetId}`, { body: { name: 'Mill (via b)' }, token });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('DATABASE_UNAVAILABLE');
    expect(await ready(a)).toBe(200);
    expect((await callReplica(a, 'PATCH', `/api/assets/${assetId}`, { body: { name: 'Mill (via a)' }, token })).status).toBe(200);

    await node2!.start();

    await waitUntil(async () => (await ready(b)) === 200, 60_000, 'replica b to be ready again');
    const read = await callReplica(b, 'GET', `/api/assets/${assetId}`, { token });
    expect(read.body.name).toBe('Mill (via a)');
  }, 300_000);

  it('answers 503 with the reason, not 500, on a node that lost quorum, and refuses a backup there with exit 3; ready again once the nodes are back', async () => {
    const [, node2, node3] = cluster.nodes;

    await node3!.kill();
    await node2!.kill();

    // Node 1 alone is a minority of the last primary component: it notices within Galera's
    // inactivity timeout and stops taking work.
    await waitUntil(
      async () => (await cluster.status(cluster.nodes[0]!, 'wsrep_cluster_status')) !== 'Primary',
      120_000,
      'node 1 to lose the primary component',
    );
    const probe = await callReplica(a, 'GET', '/api/ready', { token });
    expect(probe.status).toBe(503);
    // The admin's token cannot be checked on such a node, so the reason is the anonymous one;
    // the log has it (asserted below).
    const write = await callReplica(a, 'PATCH', `/api/assets/${assetId}`, { body: { name: 'Mill (no quorum)' }, token });
    expect(write.status).toBe(503);
    expect(write.body.error.code).toBe('DATABASE_UNAVAILABLE');
    await waitUntil(() => /primary component/.test(a.stderr()), 30_000, 'the not-ready reason in the log');
    expect(a.stderr()).not.toMatch(/"level":50.*INTERNAL_ERROR/);

    const backup = await runBin(['backup', '--env-file', api.site.envFile]);
    expect(backup.exitCode, backup.stderr).toBe(3);
    expect(backup.stderr).toMatch(/^Error: .*(primary component|not ready for work)/m);
    expect(backup.stderr).not.toMatch(/Unexpected error|report it/);

    // The nodes come back (each rejoins from its saved view of the cluster) and the replicas follow.
    await Promise.all([node2!.start(), node3!.start()]);

    await waitUntil(async () => (await ready(a)) === 200 && (await ready(b)) === 200, 120_000, 'both replicas to be ready again');
    expect((await callReplica(b, 'PATCH', `/api/assets/${assetId}`, { body: { name: 'Mill (back)' }, token })).status).toBe(200);
    expect((await callReplica(a, 'GET', `/api/assets/${assetId}`, { token })).body.name).toBe('Mill (back)');
  }, 420_000);
});

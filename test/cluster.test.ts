// Two real `shopdb serve` replicas on two nodes of a 3-node MariaDB Galera cluster (the run's
// shared cluster; SHOPDB_TEST_GALERA=1), as a site runs them when it outgrows one database
// server. Concurrent writes split across the replicas collide in Galera's certification, not in
// a lock: each must end as one applied change or a clean refusal, never a 500 (ADR-014).

import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { coreMigrationSource } from '../src/core/migrations/sources.js';
import { migrateRollback } from '../src/core/migrations/service.js';
import { migrateSite } from '../src/core/migrations/site.js';
import { createApiSite, makeUser, TEST_JWT_SECRET, TEST_PASSWORD, type ApiSite } from './support/api.js';
import { runBin } from './support/cli.js';
import { describeOnGalera } from './support/concurrency.js';
import { adminQuery, throwawayName, type MysqlServer } from './support/mysql.js';
import { callReplica, startServeReplica, stopServeReplica, type ReplicaAnswer, type ServeReplica } from './support/replicas.js';
import { createSite, withSiteDb, writeEnvFile } from './support/site.js';

const CONCURRENT = 20;

describeOnGalera('two serve replicas on two nodes of a Galera cluster', () => {
  let api: ApiSite;
  let nodes: MysqlServer[];
  const replicas: ServeReplica[] = [];
  let editor: string;
  let admin: string;
  let statusId: number;
  let secondEnvFile: string;

  const onEach = <T>(count: number, send: (replica: ServeReplica, i: number) => Promise<T>) =>
    Promise.all(Array.from({ length: count }, (_, i) => send(replicas[i % 2]!, i)));
  const statuses = (answers: ReplicaAnswer[]) => {
    const counts: Record<number, number> = {};
    for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
    return counts;
  };
  const fiveHundreds = (answers: ReplicaAnswer[]) => answers.filter((answer) => answer.status >= 500).map((answer) => answer.body);

  beforeAll(async () => {
    const probe = inject('galera');
    if (!probe.available) throw new Error(probe.reason);
    nodes = probe.nodes;
    api = await createApiSite('mysql', { LOG_LEVEL: 'warn', DB_POOL_MAX: '30' }, { mysqlServer: nodes[0] });
    const login = async (role: 'editor' | 'admin') => {
      const user = await makeUser(api.db, role);
      const answer = await callReplica(replicas[0]!, 'POST', '/api/auth/login', {
        body: { username: user.username, password: TEST_PASSWORD },
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return answer.body.token as string;
    };
    secondEnvFile = `${api.site.dir}/second-node.env`;
    writeEnvFile(secondEnvFile, { ...api.site.vars, DB_PORT: String(nodes[1]!.port) });
    replicas.push(await startServeReplica('a (node 1)', api.site.envFile), await startServeReplica('b (node 2)', secondEnvFile));
    editor = await login('editor');
    admin = await login('admin');
    const status = await callReplica(replicas[1]!, 'POST', '/api/status-labels', {
      body: { name: 'In service', color: '#00aa00', kind: 'deployable' },
      token: admin,
    });
    expect(status.status, JSON.stringify(status.body)).toBe(201);
    statusId = status.body.id;
    const type = await callReplica(replicas[0]!, 'POST', '/api/asset-types', {
      body: { key: 'fixture', label: 'Fixture', fields: [{ key: 'size', label: 'Size', type: 'integer' }] },
      token: admin,
    });
    expect(type.status, JSON.stringify(type.body)).toBe(201);
  }, 240_000);

  afterAll(async () => {
    for (const replica of replicas) await stopServeReplica(replica);
    await api?.cleanup();
  });

  it(`takes ${CONCURRENT} concurrent PATCHes of one asset split across the replicas: no 5xx, the last one applied is what stands, one audit entry per change`, async () => {
    const created = await callReplica(replicas[0]!, 'POST', '/api/assets', {
      body: { assetTag: 'CNC-PATCH-1', name: 'Mill', type: 'fixture', statusId },
      token: editor,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as number;

    const answers = await onEach(CONCURRENT, (replica, i) =>
      callReplica(replica, 'PATCH', `/api/assets/${id}`, { body: { name: `Mill ${i}`, customData: { size: i } }, token: editor }),
    );

    expect(JSON.stringify(fiveHundreds(answers))).toBe('[]');
    expect(statuses(answers)).toEqual({ 200: CONCURRENT });
    const row = (await api.db('assets').where({ id }).first('name', 'custom_data')) as { name: string; custom_data: string | object };
    const submitted = Array.from({ length: CONCURRENT }, (_, i) => `Mill ${i}`);
    expect(submitted).toContain(row.name);
    // Name and custom data come from the same request: no write was half-applied over another.
    expect(typeof row.custom_data === 'string' ? JSON.parse(row.custom_data) : row.custom_data).toEqual({
      size: Number(row.name.split(' ')[1]),
    });
    const audited = (await api
      .db('audit_log')
      .where({ object_type: 'asset', object_id: String(id), action: 'update' })
      .count({ n: '*' })) as Array<{ n: number }>;
    expect(Number(audited[0]!.n)).toBe(CONCURRENT);
    // Read through the other node, the same final state.
    const other = await callReplica(replicas[1]!, 'GET', `/api/assets/${id}`, { token: editor });
    expect(other.body.name).toBe(row.name);
  });

  it(`takes ${CONCURRENT} concurrent creates split across the replicas: no 5xx; ids need not be consecutive (Galera's auto-increment step)`, async () => {
    const answers = await onEach(CONCURRENT, (replica, i) =>
      callReplica(replica, 'POST', '/api/assets', {
        body: { assetTag: `CNC-NEW-${i}`, name: `Lathe ${i}`, type: 'fixture', statusId },
        token: editor,
      }),
    );

    expect(JSON.stringify(fiveHundreds(answers))).toBe('[]');
    expect(statuses(answers)).toEqual({ 201: CONCURRENT });
    const rows = (await api.db('assets').where('asset_tag', 'like', 'CNC-NEW-%').select('id')) as Array<{ id: number }>;
    expect(rows).toHaveLength(CONCURRENT);
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(CONCURRENT);
  });

  it(`creates one asset when ${CONCURRENT} creates of one tag race across the replicas; the rest are 409`, async () => {
    const answers = await onEach(CONCURRENT, (replica, i) =>
      callReplica(replica, 'POST', '/api/assets', {
        body: { assetTag: i % 2 ? 'cnc-same' : 'CNC-SAME', name: `Press ${i}`, type: 'fixture', statusId },
        token: editor,
      }),
    );

    expect(JSON.stringify(fiveHundreds(answers))).toBe('[]');
    expect(statuses(answers)).toEqual({ 201: 1, 409: CONCURRENT - 1 });
  });

  it('ends a session on both replicas when it logs out through one node, at the very next request', async () => {
    const user = await makeUser(api.db, 'viewer');
    const login = await callReplica(replicas[0]!, 'POST', '/api/auth/login', {
      body: { username: user.username, password: TEST_PASSWORD },
    });
    const token = login.body.token as string;
    expect((await callReplica(replicas[1]!, 'GET', '/api/auth/me', { token })).status).toBe(200);

    expect((await callReplica(replicas[1]!, 'POST', '/api/auth/logout', { token })).status).toBe(204);

    // No wait: node 1 reads what node 2 committed (wsrep_sync_wait).
    expect((await callReplica(replicas[0]!, 'GET', '/api/auth/me', { token })).status).toBe(401);
    expect((await callReplica(replicas[1]!, 'GET', '/api/auth/me', { token })).status).toBe(401);
  });

  it('doctor reports the node, its state, the cluster size and flow control', async () => {
    const doctor = await runBin(['doctor', '--env-file', secondEnvFile, '--json']);

    const cluster = doctor.json.checks.find((check: { id: string }) => check.id === 'cluster');
    expect(cluster, doctor.stdout).toMatchObject({
      status: 'pass',
      data: { node: 'node2', state: 'Synced', clusterStatus: 'Primary', clusterSize: 3 },
    });
    expect(cluster.message).toMatch(/^node2: Synced, Primary component of 3 node\(s\), flow control paused \d+\.\d% of the time$/);
  });

  it('serialises two `plugin install --all` run at once on two nodes: one installs, the other waits and finds them installed, 10 rounds', async () => {
    for (let round = 0; round < 10; round++) {
      const name = throwawayName('shopdb_pi');
      await adminQuery(nodes[0]!, `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      try {
        const envFiles = [0, 1].map((n) => {
          const file = `${api.site.dir}/install-${round}-${n}.env`;
          writeEnvFile(file, { ...api.site.vars, DB_NAME: name, DB_PORT: String(nodes[n]!.port) });
          return file;
        });
        expect((await runBin(['migrate', '--env-file', envFiles[0]!])).exitCode).toBe(0);

        const runs = await Promise.all(envFiles.map((file) => runBin(['plugin', 'install', '--all', '--env-file', file, '--json'])));

        for (const run of runs) expect([0, 5], `round ${round}: ${run.stdout}${run.stderr}`).toContain(run.exitCode);
        const actions = runs
          .filter((run) => run.exitCode === 0)
          .map((run) => new Set(run.json.plugins.map((p: { action: string }) => p.action)));
        expect(
          actions.filter((set) => set.has('installed')),
          `round ${round}`,
        ).toHaveLength(1);
        const installed = await adminQuery<Array<{ n: number }>>(nodes[2]!, `SELECT COUNT(*) AS n FROM \`${name}\`.installed_plugins`);
        expect(Number(installed[0]!.n)).toBe(runs.find((run) => run.exitCode === 0)!.json.plugins.length);
      } finally {
        await adminQuery(nodes[0]!, `DROP DATABASE IF EXISTS \`${name}\``);
      }
    }
  }, 600_000);

  it('runs the migrations once when `update` is started on two hosts at once, through two nodes, 10 rounds', async () => {
    for (let round = 0; round < 10; round++) {
      const site = await createSite('mysql', { JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'warn' }, { mysqlServer: nodes[0] });
      try {
        await migrateSite({ config: site.config() });
        await withSiteDb(site, (db) => migrateRollback(db, coreMigrationSource(), { step: 1 }));
        // Two hosts: each its own .env (its own node) and its own backup directory.
        const envFiles = [0, 1].map((n) => {
          const file = `${site.dir}/host-${n}.env`;
          writeEnvFile(file, { ...site.vars, DB_PORT: String(nodes[n]!.port), BACKUP_DIR: `${site.dir}/backups-${n}` });
          return file;
        });

        const runs = await Promise.all(envFiles.map((file) => runBin(['update', '--env-file', file, '--json'])));

        for (const run of runs) expect(run.exitCode, `round ${round}: ${run.stdout}${run.stderr}`).toBe(0);
        expect(
          runs.flatMap((run) => run.json.applied as string[]),
          `round ${round}`,
        ).toHaveLength(1);
        const records = await adminQuery<Array<{ name: string; n: number }>>(
          nodes[2]!,
          `SELECT name, COUNT(*) AS n FROM \`${site.database}\`.shopdb_migrations GROUP BY name HAVING COUNT(*) > 1`,
        );
        expect(records).toEqual([]);
        const status = await runBin(['migrate', 'status', '--env-file', envFiles[1]!, '--json']);
        expect(status.json.upToDate).toBe(true);
      } finally {
        await site.cleanup();
      }
    }
  }, 600_000);

  it('backs up from one node and restores through another with identical CHECKSUM TABLE results', async () => {
    const checksums = async (server: MysqlServer) => {
      const tables = (
        await adminQuery<Array<{ t: string }>>(
          server,
          'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? AND table_type = ? ORDER BY table_name',
          [api.site.database, 'BASE TABLE'],
        )
      ).map((row) => row.t);
      const rows = await adminQuery<Array<{ Table: string; Checksum: number }>>(
        server,
        `CHECKSUM TABLE ${tables.map((t) => `\`${api.site.database}\`.\`${t}\``).join(', ')}`,
      );
      return Object.fromEntries(rows.map((row) => [row.Table, row.Checksum]));
    };
    // Nothing writes to the site while the two are compared (the replicas stay idle).
    const backup = await runBin(['backup', '--env-file', api.site.envFile, '--json']);
    expect(backup.exitCode, backup.stderr).toBe(0);
    expect(backup.json.manifest.database.cluster).toEqual({ kind: 'galera', node: 'node1', size: 3 });
    const before = await checksums(nodes[0]!);

    const restore = await runBin(['restore', backup.json.file, '--yes', '--env-file', secondEnvFile, '--json']);

    expect(restore.exitCode, restore.stderr).toBe(0);
    const afterOnNode2 = await checksums(nodes[1]!);
    const afterOnNode3 = await checksums(nodes[2]!);
    // Sessions end on a restore (their rows change); every other table is as it was.
    const withoutSessions = (sums: Record<string, number>) =>
      Object.fromEntries(Object.entries(sums).filter(([table]) => !table.endsWith('.sessions')));
    expect(withoutSessions(afterOnNode2)).toEqual(withoutSessions(before));
    expect(afterOnNode3).toEqual(afterOnNode2);
  }, 180_000);
});

// Reads and writes through `shopdb serve` replicas on a 3-node MariaDB Galera cluster (ADR-014):
// does the asset list scale when a second replica on a second node takes half the traffic, and
// does a mix of concurrent writes split across two nodes end without a single error?
//
// Starts a throwaway cluster on loopback (test/support/galera.ts: Debian's mariadbd + galera-4,
// run as the mysql user), migrates a site on it with every bundled plugin, loads N assets, then
// starts two real `shopdb serve` processes (bin/run.js, as a site runs them) on node 1 and node 2.
// The same run measures, with the same total of client connections and in alternating order:
//   one replica   all connections to the replica on node 1
//   two replicas  half the connections to each replica
// and prints requests/s, p50/p99 and the ratio (goal: two ≥ 1.6× one). Then the write mix: PATCHes
// of a few hot assets, creates and reads, all at once across both replicas; goal: 0 errors (any
// non-2xx or failed request), the final state checked in the database. Last, failover: node 2 is
// killed; how long until its replica answers /api/ready 503 (goal: ≤ 2 s) while the other goes on,
// and how long until it is back once the node has rejoined. Everything is removed at the end,
// also on failure or Ctrl-C.
//
// Usage: npm run bench:cluster -- [options]     (or: npx tsx bench/cluster.ts [options])
//   --rows N          assets to load (default 20000)
//   --duration S      seconds of each measured run (default 10)
//   --rounds N        measured runs per configuration, alternating (default 3)
//   --warmup S        unmeasured seconds per configuration before the first run (default 3)
//   --connections N   client connections in all, split over the replicas (default 16)
//   --writes N        requests in the write mix (default 600)
//   --pin-hosts       each replica with its node on a CPU of its own (replica a + node 1 on CPU 0,
//                     replica b + nodes 2 and 3 on CPU 1), as if each pair ran on its own host: on
//                     a small machine the unpinned figures only show that its cores are all used
//   --json            print the results as JSON on stdout instead of the table
//
// Needs root (the nodes run as the mysql user), mariadb-server, galera-4 and rsync, and a build
// (`npm run build`): the replicas are bin/run.js. All traffic stays on 127.0.0.1.
// Exit codes: 0 measured (whether or not the goals are met); 1 failed; 2 usage; 130 interrupted.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { execa, type ResultPromise } from 'execa';
import { cliActor } from '../src/core/audit/log.js';
import { createApiToken } from '../src/core/auth/api-tokens.js';
import { loadConfig } from '../src/core/config/index.js';
import { databaseTargetFromConfig, openDatabase } from '../src/core/db/connect.js';
import { migrateSite } from '../src/core/migrations/site.js';
import { loadPluginCatalog, shopdbVersion } from '../src/core/plugins/catalog.js';
import { installPlugins } from '../src/core/plugins/service.js';
import { seedSite } from '../src/core/seed/index.js';
import { createUser } from '../src/core/users/service.js';
import { galeraPrerequisites, startGaleraCluster, type GaleraCluster } from '../test/support/galera.js';
import { adminQuery } from '../test/support/mysql.js';
import { freePort } from '../test/support/ports.js';
import { FILTER_STATUS, loadSite } from './api-list-data.js';
import { BenchRun, Cancelled, log, parseBenchOptions, thousands, UsageProblem } from './harness.js';

const READ_GOAL = 1.6;
const HOT_ASSETS = 5;
const self = fileURLToPath(import.meta.url);
const root = join(dirname(self), '..');
const bin = join(root, 'bin', 'run.js');

interface Options {
  rows: number;
  duration: number;
  rounds: number;
  warmup: number;
  connections: number;
  writes: number;
  pinHosts: boolean;
  json: boolean;
}

const bench = new BenchRun();
const checkpoint = () => bench.checkpoint();

const parseOptions = (argv: string[]): Options | null =>
  parseBenchOptions(argv, {
    rows: { integer: 20_000, min: 1 },
    duration: { integer: 10, min: 1 },
    rounds: { integer: 3, min: 1 },
    warmup: { integer: 3, min: 0 },
    connections: { integer: 16, min: 2 },
    writes: { integer: 600, min: 1 },
    pinHosts: { flag: true },
    json: { flag: true },
  });

// ── replicas ───────────────────────────────────────────────────────────────────────────────

interface Replica {
  name: string;
  url: string;
  child: ResultPromise;
}

async function startReplica(name: string, envFile: string): Promise<Replica> {
  const port = await freePort();
  const child = execa(process.execPath, [bin, 'serve', '--env-file', envFile], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', HTTP_PORT: String(port) },
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const replica: Replica = { name, url: `http://127.0.0.1:${port}`, child };
  bench.cleanup(`stop the replica ${name}`, async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await child;
    clearTimeout(timer);
  });
  const deadline = Date.now() + 90_000;
  for (;;) {
    checkpoint();
    if (child.exitCode !== null) throw new Error(`the replica ${name} exited (${child.exitCode}): ${stderr}`);
    try {
      if ((await fetch(`${replica.url}/api/ready`)).ok) return replica;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the replica ${name} was not ready within 90 s: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// ── CPU time: where the machine's cores went during a run ───────────────────────────────────

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface CpuProbe {
  name: string;
  pid(): number | undefined;
}

/** utime + stime of one process, in clock ticks (0 once it is gone). */
function processTicks(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which may itself hold spaces: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Busy ticks of the whole machine, all CPUs. */
function machineTicks(): number {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = values.map(Number);
  return user! + nice! + system! + irq! + softirq! + steal!;
}

const cpuProbes: CpuProbe[] = [];

function sampleCpu(): Map<string, number> {
  const sample = new Map(cpuProbes.map((probe) => [probe.name, processTicks(probe.pid())]));
  sample.set('machine', machineTicks());
  return sample;
}

/** Cores each probe used between two samples `seconds` apart. */
function coresUsed(before: Map<string, number>, after: Map<string, number>, seconds: number): Record<string, number> {
  const cores: Record<string, number> = {};
  for (const [name, ticks] of after) cores[name] = Math.round(((ticks - (before.get(name) ?? 0)) / ticksPerSecond / seconds) * 100) / 100;
  return cores;
}

// ── reads ──────────────────────────────────────────────────────────────────────────────────

interface Run {
  completed: number;
  failed: number;
  seconds: number;
  p50: number;
  p99: number;
  cores: Record<string, number>;
}

function cannon(url: string, headers: Record<string, string>, connections: number, duration: number): Promise<Result> {
  checkpoint();
  return new Promise((resolve, reject) => {
    let stopped = () => {};
    const instance = autocannon({ url, connections, duration, headers, pipelining: 1, timeout: 30 }, (error, result) => {
      stopped();
      if (error) reject(error);
      else if (bench.cancelled) reject(new Cancelled('interrupted'));
      else resolve(result);
    });
    stopped = bench.onStop(() => instance.stop());
  });
}

/** Loads every target at once for `seconds`, each with its share of the connections. */
async function loadAtOnce(targets: string[], headers: Record<string, string>, connections: number, seconds: number): Promise<Run> {
  const share = Math.floor(connections / targets.length);
  const before = sampleCpu();
  const started = performance.now();
  const results = await Promise.all(targets.map((url) => cannon(url, headers, share, seconds)));
  const cores = coresUsed(before, sampleCpu(), (performance.now() - started) / 1000);
  const latency = (pick: (r: Result) => number) => Math.max(...results.map(pick));
  return {
    completed: results.reduce((n, r) => n + r['2xx'], 0),
    failed: results.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
    seconds: Math.max(...results.map((r) => r.duration)),
    p50: latency((r) => r.latency.p50),
    p99: latency((r) => r.latency.p99),
    cores,
  };
}

interface ReadMeasurement {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  failed: number;
  rounds: number[];
  /** Mean cores used per process over the measured rounds, and by the whole machine. */
  cores: Record<string, number>;
}

async function measureReads(
  options: Options,
  configurations: Record<'one' | 'two', string[]>,
  headers: Record<string, string>,
): Promise<Record<'one' | 'two', ReadMeasurement>> {
  const order = ['one', 'two'] as const;
  const runs: Record<'one' | 'two', Run[]> = { one: [], two: [] };
  if (options.warmup > 0) for (const name of order) await loadAtOnce(configurations[name], headers, options.connections, options.warmup);
  for (let round = 0; round < options.rounds; round++) {
    // A B, B A, …: a slow spell of the machine does not land on one configuration only.
    for (const name of round % 2 === 0 ? order : [...order].reverse()) {
      log(`  reads, round ${round + 1}/${options.rounds}: ${name === 'one' ? 'one replica' : 'two replicas'}, ${options.duration} s…`);
      runs[name].push(await loadAtOnce(configurations[name], headers, options.connections, options.duration));
    }
  }
  const summary = (list: Run[]): ReadMeasurement => ({
    requestsPerSecond: list.reduce((n, r) => n + r.completed, 0) / list.reduce((n, r) => n + r.seconds, 0),
    p50: Math.max(...list.map((r) => r.p50)),
    p99: Math.max(...list.map((r) => r.p99)),
    failed: list.reduce((n, r) => n + r.failed, 0),
    rounds: list.map((r) => Math.round(r.completed / r.seconds)),
    cores: Object.fromEntries(
      Object.keys(list[0]!.cores).map((name) => [
        name,
        Math.round((list.reduce((n, r) => n + r.cores[name]!, 0) / list.length) * 100) / 100,
      ]),
    ),
  });
  return { one: summary(runs.one), two: summary(runs.two) };
}

// ── writes ─────────────────────────────────────────────────────────────────────────────────

interface WriteMix {
  requests: number;
  seconds: number;
  byKind: Record<string, Record<string, number>>;
  errors: string[];
  checks: string[];
}

async function writeMix(
  options: Options,
  replicas: Replica[],
  token: string,
  ids: { hot: number[]; statusId: number; typeKey: string },
): Promise<WriteMix> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const byKind: Record<string, Record<string, number>> = {};
  const errors: string[] = [];
  const lastName = new Map<number, Set<string>>(ids.hot.map((id) => [id, new Set()]));
  let next = 0;
  const one = async (i: number) => {
    const replica = replicas[i % replicas.length]!;
    const kind = ['patch', 'patch', 'patch', 'patch', 'create', 'create', 'create', 'read', 'read', 'read'][i % 10]!;
    let request: { method: string; path: string; body?: unknown };
    if (kind === 'patch') {
      const id = ids.hot[i % ids.hot.length]!;
      const name = `Hot ${id} edit ${i}`;
      lastName.get(id)!.add(name);
      request = { method: 'PATCH', path: `/api/assets/${id}`, body: { name, notes: `bench edit ${i}` } };
    } else if (kind === 'create') {
      request = {
        method: 'POST',
        path: '/api/assets',
        body: { assetTag: `BENCH-W-${i}`, name: `Bench write ${i}`, type: ids.typeKey, statusId: ids.statusId },
      };
    } else {
      request = { method: 'GET', path: `/api/assets/${ids.hot[i % ids.hot.length]}` };
    }
    let outcome: string;
    try {
      const response = await fetch(`${replica.url}${request.path}`, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
      });
      const text = await response.text();
      outcome = String(response.status);
      if (response.status >= 300)
        errors.push(`${request.method} ${request.path} via ${replica.name}: ${response.status} ${text.slice(0, 200)}`);
    } catch (error) {
      outcome = 'failed';
      errors.push(`${request.method} ${request.path} via ${replica.name}: ${(error as Error).message}`);
    }
    const counts = (byKind[kind] ??= {});
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (next < options.writes) {
        checkpoint();
        await one(next++);
      }
    }),
  );
  return { requests: options.writes, seconds: (performance.now() - started) / 1000, byKind, errors, checks: [] };
}

// ── failover ───────────────────────────────────────────────────────────────────────────────

interface Failover {
  /** From SIGKILL of node 2 to the first 503 of replica b's /api/ready. */
  outOfRotationMs: number;
  /** How long that first 503 took to answer. */
  probeAnswerMs: number;
  /** Replica a's answers to the asset list while node 2 was down. */
  otherReplica: Record<string, number>;
  /** From starting node 2 again to replica b's first 200 (the node's state transfer included). */
  backInRotationMs: number;
}

async function failover(cluster: GaleraCluster, replicas: Replica[], headers: Record<string, string>, path: string): Promise<Failover> {
  const [a, b] = replicas as [Replica, Replica];
  const node2 = cluster.nodes[1]!;
  const probe = async (replica: Replica) => {
    const started = performance.now();
    const status = await fetch(`${replica.url}/api/ready`).then(
      (r) => r.status,
      () => 0,
    );
    return { status, ms: performance.now() - started };
  };
  const killed = performance.now();
  await node2.kill();
  let first: { status: number; ms: number };
  for (;;) {
    checkpoint();
    first = await probe(b);
    if (first.status === 503) break;
    if (performance.now() - killed > 60_000)
      throw new Error(`replica b still answered ${first.status} to /api/ready 60 s after its node was killed`);
  }
  const outOfRotationMs = performance.now() - killed;
  const otherReplica: Record<string, number> = {};
  for (let i = 0; i < 50; i++) {
    const status = String(
      await fetch(a.url + path, { headers }).then(
        (r) => r.status,
        () => 'failed',
      ),
    );
    otherReplica[status] = (otherReplica[status] ?? 0) + 1;
  }
  const restarted = performance.now();
  await node2.start();
  for (;;) {
    checkpoint();
    if ((await probe(b)).status === 200) break;
    if (performance.now() - restarted > 180_000) throw new Error('replica b was not ready 180 s after its node was started again');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { outOfRotationMs, probeAnswerMs: first.ms, otherReplica, backInRotationMs: performance.now() - restarted };
}

// ── output ─────────────────────────────────────────────────────────────────────────────────

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i > 0 && /^[\d,.]+×?$/.test(cell) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

// ── the run ────────────────────────────────────────────────────────────────────────────────

async function run(options: Options): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const prerequisites = galeraPrerequisites();
  if (!prerequisites.available) throw new UsageProblem(prerequisites.reason);
  if (!existsSync(join(root, 'oclif.manifest.json')))
    throw new UsageProblem('no build to run the replicas from: run `npm run build` first');

  log('Starting a 3-node Galera cluster on loopback…');
  const clusterStarted = Date.now();
  const cluster: GaleraCluster = await startGaleraCluster();
  bench.cleanup('stop the cluster', () => cluster.stop());
  const [node1, node2] = cluster.nodes;
  log(`  synced in ${((Date.now() - clusterStarted) / 1000).toFixed(1)} s (ports ${cluster.nodes.map((n) => n.port).join(', ')}).`);
  checkpoint();

  const database = 'shopdb_bench_cluster';
  await adminQuery(node1!.server, `CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const dir = mkdtempSync(join(tmpdir(), 'shopdb-bench-cluster-'));
  bench.cleanup(`remove ${dir}`, async () => rmSync(dir, { recursive: true, force: true }));
  const env = (port: number): string =>
    Object.entries({
      SHOPDB_ENV: 'development',
      SHOPDB_SITE_NAME: 'bench-cluster',
      DB_CLIENT: 'mysql',
      DB_HOST: '127.0.0.1',
      DB_PORT: String(port),
      DB_USER: 'root',
      DB_NAME: database,
      JWT_SECRET: 'bench-jwt-secret-0123456789abcdefghijklmnopqrstuvwxyz',
      COOKIE_SECURE: 'false',
      LOG_LEVEL: 'warn',
    })
      .map(([k, v]) => `${k}=${v}\n`)
      .join('');
  const envFiles = [join(dir, 'node1.env'), join(dir, 'node2.env')];
  writeFileSync(envFiles[0]!, env(node1!.port), { mode: 0o600 });
  writeFileSync(envFiles[1]!, env(node2!.port), { mode: 0o600 });

  log('Migrating, installing every plugin and seeding through node 1…');
  const config = loadConfig({ envFile: envFiles[0]!, cwd: dir, env: {} });
  await migrateSite({ config });
  const db = await openDatabase(databaseTargetFromConfig(config));
  bench.cleanup('close the bench connection', () => db.destroy());
  const actor = cliActor('bench');
  await seedSite(db, { demo: false, actor });
  const catalog = await loadPluginCatalog({ coreVersion: shopdbVersion(), packageDirs: [] });
  await installPlugins(
    { db, catalog, actor },
    { names: catalog.plugins.filter((entry) => entry.problems.length === 0).map((entry) => entry.manifest.name) },
  );
  checkpoint();
  const loadStarted = Date.now();
  const site = await loadSite(db, { rows: options.rows, cancelled: () => bench.cancelled });
  await db.raw('ANALYZE TABLE assets, locations, asset_models, manufacturers, status_labels, asset_types');
  log(`  ${thousands(site.rows)} assets in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s.`);

  const { user } = await createUser(db, actor, {
    username: 'bench-editor',
    role: 'editor',
    password: `bench-${Math.random().toString(36).slice(2)}-pw-0123456789`,
  });
  const { token } = await createApiToken(db, actor, { userId: user.id, name: 'bench', scope: 'write' });
  const headers = { authorization: `Bearer ${token}` };
  const hot = ((await db('assets').whereNull('deleted_at').orderBy('id').limit(HOT_ASSETS).select('id')) as Array<{ id: number }>).map(
    (r) => Number(r.id),
  );
  const typeKey = 'other';

  log('Starting two `shopdb serve` replicas (node 1, node 2)…');
  const replicas = [await startReplica('a (node 1)', envFiles[0]!), await startReplica('b (node 2)', envFiles[1]!)];
  if (options.pinHosts) {
    if (availableParallelism() < 2) throw new UsageProblem('--pin-hosts needs at least 2 CPUs');
    // -a: every thread of the process (mariadbd's and Node's workers too).
    const pin = (cpu: number, pid: number | undefined) =>
      pid && execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    pin(0, replicas[0]!.child.pid);
    pin(0, node1!.pid());
    pin(1, replicas[1]!.child.pid);
    pin(1, node2!.pid());
    pin(1, cluster.nodes[2]!.pid());
    log('  pinned: replica a + node 1 on CPU 0; replica b + nodes 2, 3 on CPU 1 (the load generator floats).');
  }
  cpuProbes.push(
    ...replicas.map((replica) => ({ name: `replica ${replica.name.slice(0, 1)}`, pid: () => replica.child.pid })),
    ...cluster.nodes.map((node) => ({ name: node.name, pid: () => node.pid() })),
    { name: 'load generator', pid: () => process.pid },
  );
  const path = `/api/assets?limit=50&status=${site.filterStatusId}`;
  for (const replica of replicas) {
    const answer = await fetch(replica.url + path, { headers });
    if (answer.status !== 200) throw new Error(`${replica.name} answered ${answer.status} to ${path}: ${await answer.text()}`);
  }

  log(`Reads: GET ${path} (${thousands(site.liveByStatus[FILTER_STATUS] ?? 0)} matching), ${options.connections} connections in all…`);
  const reads = await measureReads(options, { one: [replicas[0]!.url + path], two: replicas.map((r) => r.url + path) }, headers);
  const ratio = reads.two.requestsPerSecond / reads.one.requestsPerSecond;

  log(
    `Writes: ${options.writes} requests (40 % PATCH of ${HOT_ASSETS} hot assets, 30 % create, 30 % read), ${options.connections} at a time across both replicas…`,
  );
  const writes = await writeMix(options, replicas, token, { hot, statusId: site.filterStatusId, typeKey });
  // The database agrees with the answers: every create is there once, every hot asset carries a submitted name.
  const created = (await db('assets').where('asset_tag', 'like', 'BENCH-W-%').count({ n: '*' })) as Array<{ n: number }>;
  const createdAnswers = writes.byKind.create?.['201'] ?? 0;
  writes.checks.push(`${Number(created[0]!.n)} created assets in the database for ${createdAnswers} answers 201`);
  if (Number(created[0]!.n) !== createdAnswers)
    writes.errors.push(`created assets in the database (${created[0]!.n}) differ from answers 201 (${createdAnswers})`);
  const audited = (await db('audit_log')
    .where({ object_type: 'asset', action: 'update' })
    .whereIn('object_id', hot.map(String))
    .count({ n: '*' })) as Array<{ n: number }>;
  const patchAnswers = writes.byKind.patch?.['200'] ?? 0;
  writes.checks.push(`${Number(audited[0]!.n)} audit entries for ${patchAnswers} answers 200 to PATCH`);
  if (Number(audited[0]!.n) !== patchAnswers)
    writes.errors.push(`audit entries for the hot assets (${audited[0]!.n}) differ from answers 200 to PATCH (${patchAnswers})`);

  log('Failover: kill node 2, watch replica b leave the rotation and replica a go on, start node 2 again…');
  const failed = await failover(cluster, replicas, headers, path);

  const context = {
    cluster: `3 nodes of ${(await adminQuery<Array<{ v: string }>>(node1!.server, 'select version() as v'))[0]!.v} on loopback`,
    rows: options.rows,
    cpus: availableParallelism(),
    loadAverageBefore: loadBefore,
    connections: options.connections,
    pinnedHosts: options.pinHosts,
  };
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ ...context, readGoal: READ_GOAL, reads: { ...reads, ratio }, writes, failover: failed }, null, 2)}\n`,
    );
    return;
  }
  const lines = [
    `${context.cluster}; ${thousands(options.rows)} assets; ${options.connections} client connections in all; ${options.rounds} × ${options.duration} s per configuration after ${options.warmup} s warm-up`,
    `load average before the run ${loadBefore.toFixed(2)}, on ${context.cpus} CPUs (${options.pinHosts ? 'pinned: replica a + node 1 on CPU 0, replica b + nodes 2 and 3 on CPU 1, the load generator floats' : 'the nodes, the replicas and the load generator share them'})`,
    '',
    table([
      ['reads', 'requests/s', 'p50 ms', 'p99 ms', 'failed', 'per round (req/s)'],
      [
        'one replica (node 1)',
        thousands(reads.one.requestsPerSecond),
        String(reads.one.p50),
        String(reads.one.p99),
        String(reads.one.failed),
        reads.one.rounds.map(thousands).join(', '),
      ],
      [
        'two replicas (nodes 1, 2)',
        thousands(reads.two.requestsPerSecond),
        String(reads.two.p50),
        String(reads.two.p99),
        String(reads.two.failed),
        reads.two.rounds.map(thousands).join(', '),
      ],
    ]),
    '',
    'cores used (mean over the rounds; the machine figure includes everything else running on it):',
    table([
      ['', ...Object.keys(reads.one.cores)],
      ['one replica', ...Object.values(reads.one.cores).map((n) => n.toFixed(2))],
      ['two replicas', ...Object.values(reads.two.cores).map((n) => n.toFixed(2))],
    ]),
    '',
    `two / one: ${ratio.toFixed(2)}× — ${ratio >= READ_GOAL ? `goal met (≥ ${READ_GOAL}×)` : `goal missed (≥ ${READ_GOAL}×)`}`,
    '',
    `write mix: ${writes.requests} requests in ${writes.seconds.toFixed(1)} s (${thousands(writes.requests / writes.seconds)} requests/s)`,
    ...Object.entries(writes.byKind).map(
      ([kind, counts]) =>
        `  ${kind}: ${Object.entries(counts)
          .map(([status, n]) => `${n} × ${status}`)
          .join(', ')}`,
    ),
    ...writes.checks.map((check) => `  ${check}`),
    writes.errors.length === 0
      ? 'write mix: 0 errors — goal met'
      : `write mix: ${writes.errors.length} errors — goal missed; first ones:\n${writes.errors
          .slice(0, 5)
          .map((e) => `  ${e}`)
          .join('\n')}`,
    '',
    `failover: replica b answered /api/ready 503 ${Math.round(failed.outOfRotationMs)} ms after its node was killed (that probe took ${Math.round(failed.probeAnswerMs)} ms) — ${failed.outOfRotationMs <= 2000 ? 'goal met (≤ 2 s)' : 'goal missed (≤ 2 s)'}`,
    `  replica a meanwhile: ${Object.entries(failed.otherReplica)
      .map(([status, n]) => `${n} × ${status}`)
      .join(', ')}`,
    `  back in rotation ${(failed.backInRotationMs / 1000).toFixed(1)} s after node 2 was started again (its state transfer included), without restarting serve`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await bench.main('cluster bench', self, parseOptions, run);

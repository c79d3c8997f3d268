// What Zabbix monitoring costs the asset list: `GET /api/assets?limit=50&include=monitoring` with
// warm caches against the same list without it, in the same run, on the same app.
//
// A throwaway SQLite site with 200 assets, the 50 of the page pinned to Zabbix hosts. Zabbix is the
// recorded-protocol stand-in (test/support/zabbix-standin.ts, answering as 7.2): with warm caches
// the list never calls Zabbix, which the bench checks by counting the calls during each measured
// run — what is measured is shopdb's own work (reading the pins and the shared cache, building the
// statuses). Prints requests/s and p50/p99 of both and their ratio (goal: ≥ 0.8×).
//
// Usage: npm run bench:zabbix -- [--duration S] [--rounds N] [--connections N] [--json]
// Exit codes: 0 measured (whether or not the goal is met); 1 failed; 2 usage; 130 interrupted.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon, { type Result } from 'autocannon';
import { buildApp } from '../src/api/app.js';
import { cliActor } from '../src/core/audit/log.js';
import { createApiToken } from '../src/core/auth/api-tokens.js';
import { loadConfig } from '../src/core/config/index.js';
import { databaseTargetFromConfig, openDatabase } from '../src/core/db/connect.js';
import { formatUtcDatetime } from '../src/core/db/values.js';
import { createAsset } from '../src/core/inventory/assets.js';
import { statusLabels } from '../src/core/inventory/reference.js';
import { migrateSite } from '../src/core/migrations/site.js';
import { createUser } from '../src/core/users/service.js';
import { createTestAssetTypes } from '../test/support/inventory.js';
import { startZabbixStandIn } from '../test/support/zabbix-standin.js';
import { BenchRun, Cancelled, integerOption, log, thousands } from './harness.js';

const GOAL = 0.8;

interface Options {
  duration: number;
  rounds: number;
  connections: number;
  json: boolean;
}

function parse(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return null;
  return {
    duration: values.duration ? integerOption('--duration', values.duration, 1) : 5,
    rounds: values.rounds ? integerOption('--rounds', values.rounds, 1) : 2,
    connections: values.connections ? integerOption('--connections', values.connections, 1) : 10,
    json: values.json === true,
  };
}

function measure(run: BenchRun, url: string, headers: Record<string, string>, options: Options): Promise<Result> {
  return new Promise((resolve, reject) => {
    let stopped = () => {};
    const instance = autocannon(
      { url, headers, duration: options.duration, connections: options.connections, pipelining: 1, timeout: 30 },
      (error, result) => {
        stopped();
        if (error) reject(error);
        else if (run.cancelled) reject(new Cancelled('interrupted'));
        else resolve(result);
      },
    );
    stopped = run.onStop(() => instance.stop());
  });
}

async function bench(run: BenchRun, options: Options): Promise<void> {
  const standIn = await startZabbixStandIn('7.2.3');
  run.cleanup('stop the Zabbix stand-in', () => standIn.close());
  const dir = mkdtempSync(join(tmpdir(), 'shopdb-bench-zabbix-'));
  run.cleanup(`remove ${dir}`, async () => rmSync(dir, { recursive: true, force: true }));
  const envFile = join(dir, '.env');
  const vars: Record<string, string> = {
    SHOPDB_ENV: 'development',
    DB_CLIENT: 'sqlite',
    JWT_SECRET: 'bench-jwt-secret-0123456789abcdefghijklmnopqrstuvwxyz',
    LOG_LEVEL: 'silent',
    ZABBIX_URL: standIn.url,
    ZABBIX_API_TOKEN: standIn.token,
    ZABBIX_PROBLEM_TTL: '60s',
    ZABBIX_HOST_MAP_TTL: '1h',
  };
  writeFileSync(
    envFile,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
    { mode: 0o600 },
  );
  const config = loadConfig({ envFile, cwd: dir, env: {} });
  await migrateSite({ config });
  const db = await openDatabase(databaseTargetFromConfig(config), { create: true });
  run.cleanup('close the database', () => db.destroy());
  const actor = cliActor('bench');
  await createTestAssetTypes(db, actor);
  const status = (await statusLabels.create(db, actor, { name: 'In service', color: '#22aa22', kind: 'deployable' })).id;
  for (let i = 0; i < 200; i++) {
    const asset = await createAsset(db, actor, {
      assetTag: `M-${String(i).padStart(4, '0')}`,
      name: `machine ${i}`,
      type: 'equipment',
      hostname: `m-${i}`,
      statusId: status,
    });
    if (i < 50)
      await db('monitoring_pins').insert({
        asset_id: asset.id,
        hostid: String(20_000 + i),
        host: `m-${i}`,
        matched_how: 'hostname',
        matched_at: formatUtcDatetime(new Date()),
        matched_by: 'cli:bench',
      });
  }
  const { user } = await createUser(db, actor, { username: 'bench', role: 'viewer', password: 'correct-horse-battery-staple' });
  const { token } = await createApiToken(db, actor, { userId: user.id, name: 'bench', scope: 'read' });
  const headers = { authorization: `Bearer ${token}` };
  const app = await buildApp({ config, db, logger: false });
  run.cleanup('close the app', () => app.close());
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const cases = { without: `${base}/api/assets?limit=50`, monitoring: `${base}/api/assets?limit=50&include=monitoring` };

  const results: Record<keyof typeof cases, Result[]> = { without: [], monitoring: [] };
  let zabbixCallsMeasured = 0;
  for (let round = 0; round < options.rounds; round++) {
    // Warm (unmeasured): fills the shared cache if it has aged out.
    const warm = await fetch(cases.monitoring, { headers });
    const page = (await warm.json()) as { results: Array<{ monitoring: { state: string } }> };
    if (page.results.filter((a) => a.monitoring.state === 'ok').length !== 50)
      throw new Error(`the warm-up page is not 50 ok assets: ${JSON.stringify(page.results.map((a) => a.monitoring.state))}`);
    for (const name of (round % 2 === 0 ? ['without', 'monitoring'] : ['monitoring', 'without']) as Array<keyof typeof cases>) {
      run.checkpoint();
      const before = standIn.requests.length;
      log(`round ${round + 1}: ${name} (${options.duration} s)`);
      results[name].push(await measure(run, cases[name], headers, options));
      zabbixCallsMeasured += standIn.requests.length - before;
    }
  }
  const summary = (list: Result[]) => ({
    requestsPerSecond: list.reduce((sum, r) => sum + r.requests.average, 0) / list.length,
    p50Ms: Math.max(...list.map((r) => r.latency.p50)),
    p99Ms: Math.max(...list.map((r) => r.latency.p99)),
    errors: list.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
  });
  const without = summary(results.without);
  const monitoring = summary(results.monitoring);
  const ratio = monitoring.requestsPerSecond / without.requestsPerSecond;
  const report = { without, monitoring, ratio: Number(ratio.toFixed(3)), goal: GOAL, met: ratio >= GOAL, zabbixCallsMeasured };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `GET /api/assets?limit=50 (50 pinned, warm caches, ${options.connections} connections, ${options.rounds} × ${options.duration} s each)\n`,
  );
  process.stdout.write(
    `  without monitoring      ${thousands(without.requestsPerSecond)} req/s  p50 ${without.p50Ms} ms  p99 ${without.p99Ms} ms\n`,
  );
  process.stdout.write(
    `  include=monitoring      ${thousands(monitoring.requestsPerSecond)} req/s  p50 ${monitoring.p50Ms} ms  p99 ${monitoring.p99Ms} ms\n`,
  );
  process.stdout.write(
    `  ratio ${ratio.toFixed(2)}× (goal ≥ ${GOAL}×: ${report.met ? 'met' : 'NOT met'}); Zabbix calls while measuring: ${zabbixCallsMeasured}; errors: ${without.errors + monitoring.errors}\n`,
  );
}

const run = new BenchRun();
await run.main('bench:zabbix', fileURLToPath(import.meta.url), parse, (options) => bench(run, options));

// Throughput of `GET /api/assets` on a large site, against a minimal route running the same SQL.
//
// Creates a throwaway MariaDB/MySQL database (shopdb_bench_<random>), migrates it with shopdb's
// own migrations, seeds the reference data, bulk-loads N assets (bench/api-list-data.ts), then
// starts the real app (buildApp, API-token auth) and a minimal Fastify + mysql2 route that runs
// the statements listAssets runs, captured from knex's `query` event (bench/api-list-servers.ts).
// autocannon measures both, in this run, for a status filter and a free-text search. Prints
// requests/s, p50 and p99 latency and their ratio (goal: shopdb ≥ 0.7× minimal), then each
// statement and its EXPLAIN. The database is dropped at the end, also on failure or Ctrl-C.
//
// Usage: npm run bench:api -- [options]     (or: npx tsx bench/api-list.ts [options])
//   --rows N          assets to load (default 100000)
//   --duration S      seconds of each measured run (default 10)
//   --rounds N        measured runs per server and case, in alternating order (default 2)
//   --warmup S        unmeasured seconds per server and case before the first run (default 2)
//   --connections N   concurrent connections (default 10)
//   --search TEXT     the search case's text (default "cmm-", ~0.35 % of the assets)
//   --keep            keep the database (its name is printed) instead of dropping it
//   --json            print the results as JSON on stdout instead of the table
//
// The server: $SHOPDB_BENCH_MYSQL_URL, else $SHOPDB_TEST_MYSQL_URL, else mysql://root@127.0.0.1:3306;
// its user must be allowed to create databases. All traffic stays on 127.0.0.1.
// Exit codes: 0 measured (whether or not the goal is met); 1 failed; 2 usage; 130 interrupted.

import type { ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import type { Knex } from 'knex';
import mysql from 'mysql2/promise';
import { cliActor } from '../src/core/audit/log.js';
import { createApiToken } from '../src/core/auth/api-tokens.js';
import { listAssets, type AssetQuery } from '../src/core/inventory/assets.js';
import { createUser } from '../src/core/users/service.js';
import type { MysqlServer } from '../test/support/mysql.js';
import { DEFAULT_SEARCH, FILTER_STATUS, loadSite } from './api-list-data.js';
import type { CapturedStatement, ServerMessage, StartMessage } from './api-list-servers.js';
import { BenchRun, benchServer, Cancelled, log, parseBenchOptions, thousands, UsageProblem } from './harness.js';

const GOAL = 0.7;
const self = fileURLToPath(import.meta.url);
const root = join(dirname(self), '..');

interface Options {
  rows: number;
  duration: number;
  warmup: number;
  connections: number;
  rounds: number;
  search: string;
  keep: boolean;
  json: boolean;
}

/** Requests per second: whole numbers, except below 10 where a decimal still says something. */
const rate = (n: number) => (n < 10 ? n.toFixed(1) : thousands(n));

function parseOptions(argv: string[]): Options | null {
  const options = parseBenchOptions(argv, {
    rows: { integer: 100_000, min: 1 },
    duration: { integer: 10, min: 1 },
    warmup: { integer: 2, min: 0 },
    connections: { integer: 10, min: 1 },
    rounds: { integer: 2, min: 1 },
    search: { text: DEFAULT_SEARCH },
    keep: { flag: true },
    json: { flag: true },
  });
  if (options && (options.search.length === 0 || options.search.length > 200))
    throw new UsageProblem('--search must be 1 to 200 characters');
  return options;
}

// ── interruption and cleanup ───────────────────────────────────────────────────────────────

const bench = new BenchRun();
const checkpoint = () => bench.checkpoint();

// ── database ───────────────────────────────────────────────────────────────────────────────

async function adminConnection(server: MysqlServer, database?: string): Promise<mysql.Connection> {
  return mysql.createConnection({ ...server, database, connectTimeout: 5000, supportBigNumbers: true });
}

/** Every statement `run` sends through `db`, with its bindings, in order. */
async function captureStatements(db: Knex, run: () => Promise<unknown>): Promise<CapturedStatement[]> {
  const statements: CapturedStatement[] = [];
  const listener = (query: { sql: string; bindings?: unknown[] }) =>
    statements.push({ sql: query.sql, bindings: [...(query.bindings ?? [])] });
  db.on('query', listener);
  try {
    await run();
  } finally {
    db.off('query', listener);
  }
  return statements;
}

type ExplainRow = Record<string, unknown>;

async function explain(connection: mysql.Connection, statement: CapturedStatement): Promise<ExplainRow[]> {
  const [rows] = await connection.query(`EXPLAIN ${statement.sql}`, statement.bindings);
  return rows as ExplainRow[];
}

// ── servers and load ───────────────────────────────────────────────────────────────────────

async function startServers(message: StartMessage): Promise<{ child: ChildProcess; shopdb: string; minimal: string }> {
  const child = bench.forkHelper('the servers', join(root, 'bench', 'api-list-servers.ts'), root);
  const reply = await new Promise<ServerMessage>((resolve, reject) => {
    child.once('message', (m) => resolve(m as ServerMessage));
    child.once('exit', (code) => reject(new Error(`the server process exited (${code}) before it was ready`)));
    child.send(message);
  });
  if (reply.type === 'error') throw new Error(`the servers did not start: ${reply.message}`);
  return { child, shopdb: reply.shopdb, minimal: reply.minimal };
}

function cannon(options: Options, url: string, headers: Record<string, string>, duration: number): Promise<Result> {
  checkpoint();
  return new Promise((resolve, reject) => {
    let stopped = () => {};
    const instance = autocannon(
      { url, connections: options.connections, duration, headers, pipelining: 1, timeout: 30 },
      (error, result) => {
        stopped();
        if (error) reject(error);
        else if (bench.cancelled) reject(new Cancelled('interrupted'));
        else resolve(result);
      },
    );
    stopped = bench.onStop(() => instance.stop());
  });
}

interface Measurement {
  /** Completed requests over the measured time of all rounds. */
  requestsPerSecond: number;
  /** Means over the rounds. */
  p50: number;
  p99: number;
  requests: number;
  /** Requests/s of each round, to show the spread. */
  rounds: number[];
}

interface Run {
  completed: number;
  seconds: number;
  p50: number;
  p99: number;
}

/**
 * Waits until the database runs no statement for the bench database: a request autocannon gave
 * up on at the end of a run still runs to completion, and must not slow the next run down.
 */
async function settle(connection: mysql.Connection, database: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const [rows] = (await connection.query(
      "select count(*) as busy from information_schema.PROCESSLIST where DB = ? and COMMAND = 'Query' and ID <> connection_id()",
      [database],
    )) as unknown as [Array<{ busy: number }>];
    if (Number(rows[0]!.busy) === 0 || Date.now() > deadline) return;
    checkpoint();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function runOnce(
  options: Options,
  idle: () => Promise<void>,
  label: string,
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<Run> {
  const result = await cannon(options, url, headers, seconds);
  await idle();
  const failed = result.non2xx + result.errors + result.timeouts;
  if (failed > 0)
    throw new Error(
      `${label}: ${result.non2xx} non-2xx responses, ${result.errors} errors, ${result.timeouts} timeouts out of ${result.requests.sent} requests`,
    );
  return { completed: result['2xx'], seconds: result.duration, p50: result.latency.p50, p99: result.latency.p99 };
}

/**
 * Both servers, warmed up once, then `rounds` measured runs each in alternating order (A B, B A,
 * …) so that a slow spell of the machine does not land on one server only.
 */
async function measurePair(
  options: Options,
  idle: () => Promise<void>,
  name: string,
  targets: { shopdb: { url: string; headers: Record<string, string> }; minimal: { url: string; headers: Record<string, string> } },
): Promise<{ shopdb: Measurement; minimal: Measurement }> {
  const order = ['shopdb', 'minimal'] as const;
  const runs: Record<(typeof order)[number], Run[]> = { shopdb: [], minimal: [] };
  if (options.warmup > 0) {
    for (const server of order)
      await runOnce(options, idle, `${server} ${name} warm-up`, targets[server].url, targets[server].headers, options.warmup);
  }
  for (let round = 0; round < options.rounds; round++) {
    for (const server of round % 2 === 0 ? order : [...order].reverse()) {
      log(`  ${name}, round ${round + 1}/${options.rounds}: ${server}, ${options.duration} s…`);
      runs[server].push(await runOnce(options, idle, `${server} ${name}`, targets[server].url, targets[server].headers, options.duration));
    }
  }
  const summary = (list: Run[]): Measurement => {
    const completed = list.reduce((n, r) => n + r.completed, 0);
    const mean = (f: (r: Run) => number) => Math.round((list.reduce((n, r) => n + f(r), 0) / list.length) * 10) / 10;
    return {
      requestsPerSecond: completed / list.reduce((n, r) => n + r.seconds, 0),
      p50: mean((r) => r.p50),
      p99: mean((r) => r.p99),
      requests: completed,
      rounds: list.map((r) => Math.round((r.completed / r.seconds) * 10) / 10),
    };
  };
  return { shopdb: summary(runs.shopdb), minimal: summary(runs.minimal) };
}

// ── output ─────────────────────────────────────────────────────────────────────────────────

interface CaseResult {
  name: string;
  query: string;
  matching: number;
  countCapped: boolean;
  shopdb: Measurement;
  minimal: Measurement;
  /** shopdb's requests/s over the minimal route's; null when the minimal route completed none. */
  ratio: number | null;
  statements: Array<CapturedStatement & { explain: ExplainRow[] }>;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const numeric = (cell: string) => /^[\d,. ]+[×+]?$/.test(cell);
  return rows
    .map((row) =>
      row
        .map((cell, i) => (numeric(cell) && i > 0 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function explainTable(rows: ExplainRow[]): string {
  const columns = ['id', 'select_type', 'table', 'type', 'key', 'key_len', 'ref', 'rows', 'filtered', 'Extra'].filter((c) =>
    rows.some((r) => c in r),
  );
  return table([columns, ...rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '' : String(r[c]))))]);
}

function report(context: { server: string; rows: number; options: Options; load: { before: number } }, cases: CaseResult[]): string {
  const { options } = context;
  const lines = [
    `GET /api/assets on ${thousands(context.rows)} assets, ${context.server}; ${options.connections} connections; ${options.rounds} × ${options.duration} s per server and case after ${options.warmup} s warm-up`,
    `load average before the run ${context.load.before.toFixed(2)}, on ${availableParallelism()} CPUs`,
    '',
  ];
  const rows: string[][] = [['case', 'matching rows', 'server', 'requests/s', 'p50 ms', 'p99 ms', 'ratio', 'per round (req/s)']];
  for (const c of cases) {
    const matching = `${thousands(c.matching)}${c.countCapped ? '+' : ''}`;
    const ratio = c.ratio === null ? 'n/a' : `${c.ratio.toFixed(2)}×`;
    const perRound = (m: Measurement) => m.rounds.map(rate).join(', ');
    rows.push([
      c.name,
      matching,
      'shopdb',
      rate(c.shopdb.requestsPerSecond),
      String(c.shopdb.p50),
      String(c.shopdb.p99),
      ratio,
      perRound(c.shopdb),
    ]);
    rows.push([
      '',
      '',
      'minimal',
      rate(c.minimal.requestsPerSecond),
      String(c.minimal.p50),
      String(c.minimal.p99),
      '',
      perRound(c.minimal),
    ]);
  }
  lines.push(table(rows), '');
  const missed = cases.filter((c) => c.ratio === null || c.ratio < GOAL);
  lines.push(
    missed.length === 0
      ? `Goal met: shopdb ≥ ${GOAL}× the minimal route in every case.`
      : `Goal missed (≥ ${GOAL}×) for: ${missed.map((c) => c.name).join(', ')}.`,
  );
  for (const c of cases) {
    lines.push('', `── ${c.name}: ${c.query}`);
    c.statements.forEach((s, i) => {
      lines.push('', `statement ${i + 1}: ${s.sql}`, `bindings: ${JSON.stringify(s.bindings)}`, explainTable(s.explain));
    });
  }
  return lines.join('\n');
}

// ── the run ────────────────────────────────────────────────────────────────────────────────

async function run(options: Options): Promise<void> {
  // Other work on the machine moves the absolute numbers (less so the ratio): say how busy it was.
  const loadBefore = loadavg()[0]!;
  const server = benchServer();
  log('Migrating and seeding…');
  // The asset types the bench spreads its rows over come from the bundled plugins.
  const { version, database, dir, envFile, config, db } = await bench.site(server, {
    prefix: 'shopdb-bench-',
    keep: options.keep,
    keepDir: false,
    env: { JWT_SECRET: 'bench-jwt-secret-0123456789abcdefghijklmnopqrstuvwxyz', COOKIE_SECURE: 'false', LOG_LEVEL: 'silent' },
    plugins: ['equipment', 'computers', 'printers', 'network'],
  });
  const actor = cliActor('bench');
  checkpoint();

  const started = Date.now();
  let lastReport = 0;
  const site = await loadSite(db, {
    rows: options.rows,
    cancelled: () => bench.cancelled,
    onProgress: (inserted) => {
      if (Date.now() - lastReport > 2000 || inserted === options.rows) {
        lastReport = Date.now();
        log(`  ${thousands(inserted)} / ${thousands(options.rows)} assets`);
      }
    },
  });
  // Fresh statistics, as a site that has lived with its data would have.
  await db.raw('ANALYZE TABLE assets, locations, asset_models, manufacturers, status_labels, asset_types');
  log(
    `Loaded ${thousands(site.rows)} assets, ${site.locations} locations and ${site.models} models in ${((Date.now() - started) / 1000).toFixed(1)} s (${thousands(site.liveByStatus[FILTER_STATUS] ?? 0)} live assets in "${FILTER_STATUS}").`,
  );
  checkpoint();

  const { user } = await createUser(db, actor, {
    username: 'bench-viewer',
    role: 'viewer',
    password: `bench-${Math.random().toString(36).slice(2)}-pw-0123456789`,
  });
  const { token } = await createApiToken(db, actor, { userId: user.id, name: 'bench', scope: 'read' });
  const headers = { authorization: `Bearer ${token}` };

  // What the route passes to listAssets for each querystring (src/api/routes/inventory/assets.ts).
  const cases: Array<{ name: string; parameter: string; value: string; query: AssetQuery }> = [
    {
      name: `status=${FILTER_STATUS}`,
      parameter: 'status',
      value: String(site.filterStatusId),
      query: { limit: 50, offset: 0, statusId: site.filterStatusId },
    },
    {
      name: `search=${options.search}`,
      parameter: 'search',
      value: options.search,
      query: { limit: 50, offset: 0, search: options.search },
    },
  ];
  const explainer = await adminConnection(server, database);
  const captured = [];
  for (const c of cases) {
    const statements = await captureStatements(db, () => listAssets(db, c.query));
    const explained = [];
    for (const statement of statements) explained.push({ ...statement, explain: await explain(explainer, statement) });
    captured.push({ ...c, statements: explained });
  }
  bench.cleanup('close the EXPLAIN connection', () => explainer.end());
  const idle = () => settle(explainer, database);

  const servers = await startServers({
    type: 'start',
    envFile,
    dir,
    mysql: {
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database,
      poolMax: config.values.DB_POOL_MAX,
    },
    cases: captured.map((c) => ({
      parameter: c.parameter,
      value: c.value,
      statements: c.statements.map(({ sql, bindings }) => ({ sql, bindings })),
    })),
  });

  const results: CaseResult[] = [];
  for (const c of captured) {
    const path = `/api/assets?limit=50&${c.parameter}=${encodeURIComponent(c.value)}`;
    // Both must answer, and with the same page, before their speed means anything.
    const real = await fetch(servers.shopdb + path, { headers });
    const body = (await real.json()) as { count: number; countCapped?: boolean; results: Array<{ id: number }> };
    if (real.status !== 200) throw new Error(`shopdb answered ${real.status} to ${path}: ${JSON.stringify(body)}`);
    const bare = (await (await fetch(servers.minimal + path)).json()) as { results: Array<Array<{ id: number | string }>> };
    const page = JSON.stringify(body.results.map((a) => a.id));
    if (!bare.results.some((rows) => JSON.stringify(rows.map((row) => Number(row.id))) === page)) {
      throw new Error(`no statement of the minimal route returns shopdb's page for ${path}: the captured SQL is not what the route runs`);
    }
    log(`${c.name}: ${thousands(body.count)}${body.countCapped ? '+' : ''} matching assets`);
    const { shopdb, minimal } = await measurePair(options, idle, c.name, {
      shopdb: { url: servers.shopdb + path, headers },
      minimal: { url: servers.minimal + path, headers: {} },
    });
    results.push({
      name: c.name,
      query: path,
      matching: body.count,
      countCapped: body.countCapped === true,
      shopdb,
      minimal,
      ratio: minimal.requestsPerSecond > 0 ? shopdb.requestsPerSecond / minimal.requestsPerSecond : null,
      statements: c.statements,
    });
  }

  const context = { server: `${version} at ${server.host}:${server.port}`, rows: options.rows, options, load: { before: loadBefore } };
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ...context, goal: GOAL, cases: results }, null, 2)}\n`);
  } else {
    process.stdout.write(`${report(context, results)}\n`);
  }
}

await bench.main('api-list', self, parseOptions, run);

// How long a new site takes to get its schema: `shopdb migrate` then `shopdb plugin install --all`
// from an empty database, through the real binary (process start-up included, as site IT runs
// it), on SQLite and on MariaDB/MySQL. Each round uses a fresh database; prints each round and
// the median. Goal: under 1 s on SQLite and under 5 s on MariaDB for both commands together.
// Also prints `shopdb config show` (start-up without a database) and the same two steps run
// in-process through the core services (the work alone, without two process start-ups).
//
// Usage: npm run bench:plugins -- [--rounds N] [--json]
// The server: $SHOPDB_BENCH_MYSQL_URL, else $SHOPDB_TEST_MYSQL_URL, else mysql://root@127.0.0.1:3306
// (its user must be allowed to create databases); skipped with the reason when it does not answer.
// Exit codes: 0 measured; 1 failed; 2 usage.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import mysql from 'mysql2/promise';
import { cliActor } from '../src/core/audit/log.js';
import { loadConfig } from '../src/core/config/index.js';
import { databaseTargetFromConfig, withDatabase } from '../src/core/db/connect.js';
import { migrateSite } from '../src/core/migrations/site.js';
import { packageRoot } from '../src/core/paths.js';
import { catalogOptionsFromConfig, loadPluginCatalog } from '../src/core/plugins/catalog.js';
import { installPlugins } from '../src/core/plugins/service.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } } });
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  process.stderr.write('--rounds must be a positive integer\n');
  process.exit(2);
}

const bin = join(packageRoot, 'bin', 'run.js');
const serverUrl = new URL(process.env.SHOPDB_BENCH_MYSQL_URL ?? process.env.SHOPDB_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306');
// NODE_EXTRA_CA_CERTS adds ~75 ms to every node start on some machines; users do not have it.
const env = { ...process.env, NO_COLOR: '1', NODE_EXTRA_CA_CERTS: undefined };

interface Round {
  migrateMs: number;
  installMs: number;
  totalMs: number;
  plugins: number;
  /** `shopdb config show`: a command's start-up with no database work. */
  startupMs: number;
  /** migrateSite + installPlugins in this process (modules already loaded after round 1). */
  inProcessMs: number;
}

async function timed(args: string[], envFile: string): Promise<{ ms: number; json: any }> {
  const started = performance.now();
  const result = await execa(bin, [...args, '--env-file', envFile, '--json'], { env, reject: false });
  const ms = performance.now() - started;
  if (result.exitCode !== 0) throw new Error(`shopdb ${args.join(' ')} failed (${result.exitCode}): ${result.stderr}`);
  return { ms, json: JSON.parse(result.stdout) };
}

async function round(vars: Record<string, string>): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), 'shopdb-bench-'));
  try {
    const envFile = join(dir, '.env');
    writeFileSync(
      envFile,
      Object.entries({ SHOPDB_SITE_NAME: 'bench', ...vars })
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
      { mode: 0o600 },
    );
    const startup = await timed(['config', 'show'], envFile);
    const migrate = await timed(['migrate'], envFile);
    const install = await timed(['plugin', 'install', '--all'], envFile);
    return {
      migrateMs: migrate.ms,
      installMs: install.ms,
      totalMs: migrate.ms + install.ms,
      plugins: install.json.plugins.length,
      startupMs: startup.ms,
      inProcessMs: await inProcess(vars),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same two steps through the core services, on a second fresh database of the same engine. */
async function inProcess(vars: Record<string, string>): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'shopdb-bench-'));
  let name: string | undefined;
  try {
    const site = { ...vars };
    if (vars.DB_CLIENT === 'mysql') {
      name = `${vars.DB_NAME}_in`;
      await adminConnection!.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      site.DB_NAME = name;
    }
    const envFile = join(dir, '.env');
    writeFileSync(
      envFile,
      Object.entries({ SHOPDB_SITE_NAME: 'bench', ...site })
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
      { mode: 0o600 },
    );
    const config = loadConfig({ envFile, cwd: dir, env: {} });
    const started = performance.now();
    await migrateSite({ config });
    const catalog = await loadPluginCatalog(catalogOptionsFromConfig(config));
    await withDatabase(databaseTargetFromConfig(config), {}, (db) =>
      installPlugins({ db, catalog, actor: cliActor('bench') }, { names: [], all: true }),
    );
    return performance.now() - started;
  } finally {
    if (name) await adminConnection!.query(`DROP DATABASE IF EXISTS \`${name}\``);
    rmSync(dir, { recursive: true, force: true });
  }
}

let adminConnection: mysql.Connection | undefined;

async function mysqlRound(admin: mysql.Connection): Promise<Round> {
  const name = `shopdb_bench_${Math.random().toString(36).slice(2, 10)}`;
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  try {
    return await round({
      DB_CLIENT: 'mysql',
      DB_HOST: serverUrl.hostname,
      DB_PORT: serverUrl.port || '3306',
      DB_USER: decodeURIComponent(serverUrl.username),
      ...(serverUrl.password ? { DB_PASSWORD: decodeURIComponent(serverUrl.password) } : {}),
      DB_NAME: name,
    });
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const results: Record<string, Round[] | string> = {};
  results.sqlite = [];
  for (let i = 0; i < rounds; i++) (results.sqlite as Round[]).push(await round({ DB_CLIENT: 'sqlite' }));

  let admin: mysql.Connection | undefined;
  try {
    admin = await mysql.createConnection({
      host: serverUrl.hostname,
      port: Number(serverUrl.port || 3306),
      user: decodeURIComponent(serverUrl.username),
      password: decodeURIComponent(serverUrl.password),
      connectTimeout: 3000,
    });
  } catch (error) {
    results.mysql = `skipped: ${serverUrl.host} did not answer (${(error as Error).message})`;
  }
  adminConnection = admin;
  if (admin) {
    const [[{ version }]] = (await admin.query('SELECT VERSION() AS version')) as unknown as [[{ version: string }]];
    results.server = version;
    results.mysql = [];
    try {
      for (let i = 0; i < rounds; i++) (results.mysql as Round[]).push(await mysqlRound(admin));
    } finally {
      await admin.end();
    }
  }

  if (values.json) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    return;
  }
  const goals: Record<string, number> = { sqlite: 1000, mysql: 5000 };
  for (const engine of ['sqlite', 'mysql']) {
    const runs = results[engine];
    if (typeof runs === 'string') {
      process.stdout.write(`${engine}: ${runs}\n`);
      continue;
    }
    const label = engine === 'mysql' ? `${engine} (${results.server as string})` : engine;
    process.stdout.write(`${label}: migrate + plugin install --all (${runs[0]!.plugins} plugins), ${runs.length} rounds\n`);
    runs.forEach((r, i) =>
      process.stdout.write(
        `  round ${i + 1}: migrate ${r.migrateMs.toFixed(0)} ms + install ${r.installMs.toFixed(0)} ms = ${r.totalMs.toFixed(0)} ms   (config show ${r.startupMs.toFixed(0)} ms; in-process ${r.inProcessMs.toFixed(0)} ms)\n`,
      ),
    );
    const total = median(runs.map((r) => r.totalMs));
    process.stdout.write(
      `  median start-up (config show): ${median(runs.map((r) => r.startupMs)).toFixed(0)} ms; median in-process work: ${median(runs.map((r) => r.inProcessMs)).toFixed(0)} ms\n`,
    );
    process.stdout.write(
      `  median: migrate ${median(runs.map((r) => r.migrateMs)).toFixed(0)} ms, install ${median(runs.map((r) => r.installMs)).toFixed(0)} ms, total ${total.toFixed(0)} ms — goal < ${goals[engine]} ms: ${total < goals[engine]! ? 'met' : 'NOT met'}\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).message}\n`);
  process.exit(1);
});

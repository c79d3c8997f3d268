// `shopdb backup` against `mysqldump … | gzip`, and `shopdb restore` against `gunzip | mysql`, on
// the same data in the same run.
//
// Creates a throwaway MariaDB/MySQL database (shopdb_bench_<random>), migrates it with shopdb's own
// migrations and plugins, fills it with about N rows spread over assets, asset_links and audit_log
// (bench/backup-data.ts, a registry that other tables can join), then per round, in alternating
// order: the baseline dump (the same dump tool and flags shopdb picks, piped through gzip to a
// file) and `bin/run.js backup`; then, each into a freshly emptied database, the baseline restore
// (gunzip | the client) and `bin/run.js restore --yes`. Row counts are checked after every restore.
// Prints the times, the sizes and the ratios shopdb / baseline (goal: at most 1.10× each). The
// database and the files are removed at the end, also on failure or Ctrl-C.
//
// Usage: npm run bench:backup -- [options]     (or: npx tsx bench/backup.ts [options])
//   --rows N     rows to load in total (default 1000000)
//   --rounds N   measured rounds (default 2)
//   --keep       keep the database and the files (their names are printed)
//   --json       print the results as JSON on stdout instead of the table
//
// The server: $SHOPDB_BENCH_MYSQL_URL, else $SHOPDB_TEST_MYSQL_URL, else mysql://root@127.0.0.1:3306;
// its user must be allowed to create databases.
// Exit codes: 0 measured (whether or not the goal is met); 1 failed; 2 usage; 130 interrupted.

import { statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { localToolRunner, optionFileText } from '../src/core/backup/mysql/tools.js';
import type { MysqlServer } from '../test/support/mysql.js';
import { TABLE_GENERATORS } from './backup-data.js';
import { adminQuery, BenchRun, benchServer, log, parseBenchOptions, thousands } from './harness.js';

const GOAL = 1.1;
const self = fileURLToPath(import.meta.url);
const root = join(dirname(self), '..');
const bin = join(root, 'bin', 'run.js');

interface Options {
  rows: number;
  rounds: number;
  keep: boolean;
  json: boolean;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

const parseOptions = (argv: string[]): Options | null =>
  parseBenchOptions(argv, {
    rows: { integer: 1_000_000, min: 100 },
    rounds: { integer: 2, min: 1 },
    keep: { flag: true },
    json: { flag: true },
  });

const bench = new BenchRun();
const checkpoint = () => bench.checkpoint();

const admin = (server: MysqlServer, sql: string) => adminQuery(server, sql);

async function emptyDatabase(server: MysqlServer, database: string): Promise<void> {
  await admin(server, `DROP DATABASE IF EXISTS \`${database}\``);
  await admin(server, `CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
}

async function rowCounts(server: MysqlServer, database: string, tables: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const rows = (await admin(server, `SELECT COUNT(*) AS n FROM \`${database}\`.\`${table}\``)) as Array<{ n: number }>;
    counts[table] = Number(rows[0]?.n);
  }
  return counts;
}

async function timed(label: string, file: string, args: string[], options: { env?: Record<string, string> } = {}): Promise<number> {
  checkpoint();
  const started = performance.now();
  const result = await execa(file, args, {
    reject: false,
    env: options.env,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: true,
    maxBuffer: 64 * 1024 * 1024,
  });
  const elapsed = performance.now() - started;
  if (result.exitCode !== 0) throw new Error(`${label} failed (exit ${result.exitCode}): ${String(result.stderr).slice(0, 2000)}`);
  log(`  ${label}: ${seconds(elapsed)}`);
  return elapsed;
}

interface Measure {
  baseline: number[];
  shopdb: number[];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function run(options: Options): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const server = benchServer();
  log('Migrating, installing plugins, loading rows…');
  const { version, database, dir, envFile, db } = await bench.site(server, {
    prefix: 'shopdb-bench-backup-',
    keep: options.keep,
    env: { BACKUP_DIR: './backups', BACKUP_KEEP: '100' },
    plugins: ['equipment', 'computers', 'printers', 'network'],
  });
  try {
    const started = Date.now();
    let lastReport = 0;
    const context = {
      db,
      assets: 0,
      batchSize: 1000,
      cancelled: () => bench.cancelled,
      onProgress: (table: string, inserted: number, total: number) => {
        if (Date.now() - lastReport > 5000 || inserted === total) {
          lastReport = Date.now();
          log(`  ${table}: ${thousands(inserted)} / ${thousands(total)}`);
        }
      },
    };
    for (const generator of TABLE_GENERATORS) await generator.fill(context, Math.round(options.rows * generator.share));
    log(`Loaded in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  } finally {
    await db.destroy();
  }
  const tables = TABLE_GENERATORS.map((g) => g.table);
  const expected = await rowCounts(server, database, tables);
  const [{ total }] = (await admin(
    server,
    `SELECT COUNT(*) AS total FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${database}'`,
  )) as [{ total: number }];
  log(
    `Rows: ${Object.entries(expected)
      .map(([t, n]) => `${t} ${thousands(n)}`)
      .join(', ')} (${total} tables in all).`,
  );

  // The baseline uses the dump tool, client and flags shopdb picks for this server, so the
  // difference is shopdb's own work (manifest, checks, archive, start-up).
  const tools = await localToolRunner.open({
    connection: { ...server, database },
    serverProduct: /mariadb/i.test(version) ? 'MariaDB' : 'MySQL',
    path: process.env.PATH ?? '',
    baseDir: dir,
    composeService: 'db',
  });
  await tools.dispose();
  const dumpTool = tools.dumpFlavour === 'mariadb' ? 'mariadb-dump' : 'mysqldump';
  const client = tools.clientIsMariaDb ? 'mariadb' : 'mysql';
  const cnf = join(dir, 'bench-client.cnf');
  writeFileSync(cnf, optionFileText({ ...server, database }), { mode: 0o600 });
  const flags = `--single-transaction --quick --routines --triggers --events --hex-blob --no-tablespaces --default-character-set=utf8mb4${tools.dumpFlavour === 'mysql' ? ' --set-gtid-purged=OFF' : ''}`;
  const baselineFile = join(dir, 'baseline.sql.gz');
  const dumpCommand = `set -o pipefail; ${dumpTool} --defaults-extra-file=${cnf} ${flags} ${database} | gzip > ${baselineFile}`;
  const restoreCommand = `set -o pipefail; gunzip < ${baselineFile} | ${client} --defaults-extra-file=${cnf} ${database}`;

  const backup: Measure = { baseline: [], shopdb: [] };
  const restore: Measure = { baseline: [], shopdb: [] };
  let archive = '';
  for (let round = 1; round <= options.rounds; round++) {
    log(`Round ${round} of ${options.rounds}:`);
    const shopdbFirst = round % 2 === 0;
    const runBackups = [
      async () => backup.baseline.push(await timed('baseline backup (dump | gzip)', 'bash', ['-c', dumpCommand])),
      async () => {
        const started = performance.now();
        const result = await execa(bin, ['backup', '--env-file', envFile, '--json'], { reject: false, stdin: 'ignore' });
        const elapsed = performance.now() - started;
        if (result.exitCode !== 0) throw new Error(`shopdb backup failed: ${result.stderr}`);
        archive = (JSON.parse(result.stdout) as { file: string }).file;
        log(`  shopdb backup: ${seconds(elapsed)}`);
        backup.shopdb.push(elapsed);
      },
    ];
    for (const step of shopdbFirst ? runBackups.reverse() : runBackups) await step();
    const runRestores = [
      async () => {
        await emptyDatabase(server, database);
        restore.baseline.push(await timed('baseline restore (gunzip | client)', 'bash', ['-c', restoreCommand]));
      },
      async () => {
        await emptyDatabase(server, database);
        restore.shopdb.push(await timed('shopdb restore', bin, ['restore', archive, '--yes', '--env-file', envFile, '--json']));
      },
    ];
    for (const step of shopdbFirst ? runRestores.reverse() : runRestores) {
      await step();
      const counts = await rowCounts(server, database, tables);
      if (JSON.stringify(counts) !== JSON.stringify(expected))
        throw new Error(`restored row counts differ: ${JSON.stringify(counts)} vs ${JSON.stringify(expected)}`);
    }
  }
  const sizes = { baseline: statSync(baselineFile).size, shopdb: statSync(archive).size };
  const result = {
    server: `${version} at ${server.host}:${server.port}`,
    rows: expected,
    cpus: availableParallelism(),
    load: { before: loadBefore, after: loadavg()[0]! },
    goal: GOAL,
    backup: {
      ...backup,
      median: { baseline: median(backup.baseline), shopdb: median(backup.shopdb) },
      ratio: median(backup.shopdb) / median(backup.baseline),
    },
    restore: {
      ...restore,
      median: { baseline: median(restore.baseline), shopdb: median(restore.shopdb) },
      ratio: median(restore.shopdb) / median(restore.baseline),
    },
    sizes,
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const line = (name: string, m: Measure & { median: { baseline: number; shopdb: number }; ratio: number }) =>
    `${name.padEnd(8)} ${m.baseline.map(seconds).join(' / ').padEnd(22)} ${m.shopdb.map(seconds).join(' / ').padEnd(22)} ${m.ratio.toFixed(2)}×  ${m.ratio <= GOAL ? 'ok' : `over the ${GOAL}× goal`}`;
  process.stdout.write(
    [
      `Server ${result.server}; ${thousands(Object.values(expected).reduce((a, b) => a + b, 0))} rows (${Object.entries(expected)
        .map(([t, n]) => `${t} ${thousands(n)}`)
        .join(', ')}); ${result.cpus} CPUs; load ${loadBefore.toFixed(1)} → ${result.load.after.toFixed(1)}.`,
      `Baseline: ${dumpTool} ${flags} | gzip; gunzip | ${client}.`,
      '',
      `${''.padEnd(8)} ${'baseline (rounds)'.padEnd(22)} ${'shopdb (rounds)'.padEnd(22)} ratio of medians`,
      line('backup', result.backup),
      line('restore', result.restore),
      '',
      `Sizes: baseline ${mib(sizes.baseline)}, shopdb archive ${mib(sizes.shopdb)}.`,
    ].join('\n') + '\n',
  );
}

await bench.main('backup bench', self, parseOptions, run);

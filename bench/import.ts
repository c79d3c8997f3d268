// `shopdb import assets` and `shopdb export assets` against MariaDB/MySQL's own bulk paths, on the
// same rows in the same run (issue 15's goals):
//   - apply of N assets (equipment detail columns and a custom field) ≥ 0.25× the rows/s of
//     LOAD DATA LOCAL INFILE of the same rows into the same `assets` table (rows deleted between);
//   - the dry run ≥ 2× the apply's rows/s;
//   - peak RSS of a dry run of N and of 10 N rows within 20 % of each other (memory bounded);
//   - export of N assets ≥ 0.5× `mysql --batch -e 'SELECT …' > file` of the same columns.
// Every shopdb run is bin/run.js as a user runs it, measured with /usr/bin/time (wall, max RSS).
//
// Usage: npm run bench:import -- [--rows 100000] [--big 1000000] [--keep]
// The server: $SHOPDB_BENCH_MYSQL_URL, else $SHOPDB_TEST_MYSQL_URL, else mysql://root@127.0.0.1:3306.
// Exit codes: 0 measured (whether or not a goal is met); 1 failed.

import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { cliActor } from '../src/core/audit/log.js';
import { loadConfig } from '../src/core/config/index.js';
import { databaseTargetFromConfig, openDatabase } from '../src/core/db/connect.js';
import { textKey } from '../src/core/db/text-keys.js';
import { migrateSite } from '../src/core/migrations/site.js';
import { loadPluginCatalog, shopdbVersion } from '../src/core/plugins/catalog.js';
import { installPlugins } from '../src/core/plugins/service.js';
import { seedSite } from '../src/core/seed/index.js';
import { createThrowawayDatabase, dropDatabase, parseMysqlUrl } from '../test/support/mysql.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'run.js');
const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    big: { type: 'string', default: '1000000' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(values.rows);
const BIG = Number(values.big);
const server = parseMysqlUrl(process.env.SHOPDB_BENCH_MYSQL_URL ?? process.env.SHOPDB_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306');
const log = (line: string) => process.stderr.write(line + '\n');
const HEADER =
  'asset_tag,name,type,status,location,manufacturer,model,serial,hostname,notes,custom.cost_center,equipment.machine_number,equipment.axes,equipment.controller_make,equipment.criticality,equipment.next_pm_due';

async function writeCsv(path: string, rows: number, prefix: string): Promise<void> {
  const out = createWriteStream(path);
  out.write(HEADER + '\n');
  for (let i = 0; i < rows; i++) {
    const line = `${prefix}-${String(i).padStart(7, '0')},"Mill, bay ${i % 40}",equipment,In service,P7-B1-BAY${1 + (i % 2)},DMG MORI,DMU 65 monoBLOCK,00${i}SN,,"Note ""${i}""",CC-${i % 17},M${prefix}${i},${3 + (i % 3)},Siemens,medium,2027-0${1 + (i % 9)}-1${i % 10}\n`;
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve) => out.end(resolve));
}

/** wall seconds and max RSS (MiB) of a command. */
async function timed(
  cmd: string,
  args: string[],
  options: { cwd: string; stdout?: string; nodeOptions?: string },
): Promise<{ seconds: number; rssMiB: number; stdout: string }> {
  const started = process.hrtime.bigint();
  const env = { ...process.env, LANG: 'C.UTF-8', ...(options.nodeOptions ? { NODE_OPTIONS: options.nodeOptions } : {}) };
  const result = await execa('/usr/bin/time', ['-f', '%M', cmd, ...args], {
    cwd: options.cwd,
    reject: false,
    ...(options.stdout ? { stdout: { file: options.stdout } } : {}),
    env,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.exitCode}): ${result.stderr.slice(-2000)}`);
  const rss = Number(result.stderr.trim().split('\n').at(-1));
  return { seconds, rssMiB: rss / 1024, stdout: typeof result.stdout === 'string' ? result.stdout : '' };
}

const dir = mkdtempSync(join(tmpdir(), 'shopdb-bench-import-'));
const database = await createThrowawayDatabase(server);
const mysqlArgs = [
  '-h',
  server.host,
  '-P',
  String(server.port),
  '-u',
  server.user,
  ...(server.password ? [`-p${server.password}`] : []),
  database,
];
try {
  const envFile = join(dir, '.env');
  writeFileSync(
    envFile,
    [
      `SHOPDB_ENV=development`,
      `SHOPDB_SITE_NAME=bench`,
      `DB_CLIENT=mysql`,
      `DB_HOST=${server.host}`,
      `DB_PORT=${server.port}`,
      `DB_USER=${server.user}`,
      `DB_NAME=${database}`,
      ...(server.password ? [`DB_PASSWORD=${server.password}`] : []),
    ].join('\n') + '\n',
    { mode: 0o600 },
  );
  const config = loadConfig({ envFile, cwd: dir, env: {} });
  await migrateSite({ config });
  const db = await openDatabase(databaseTargetFromConfig(config));
  const actor = cliActor('bench');
  await installPlugins(
    { db, catalog: await loadPluginCatalog({ coreVersion: shopdbVersion(), packageDirs: [] }), actor },
    { names: ['equipment'] },
  );
  await seedSite(db, { demo: true, actor });
  await db('asset_types')
    .where({ key: 'equipment' })
    .update({ fields: JSON.stringify([{ key: 'cost_center', label: 'Cost centre', type: 'string', maxLength: 16 }]) });
  log(`Database ${database}; writing ${N.toLocaleString('en-US')} and ${BIG.toLocaleString('en-US')} row files…`);
  const small = join(dir, 'assets.csv');
  const big = join(dir, 'big.csv');
  await writeCsv(small, N, 'BENCH');
  await writeCsv(big, BIG, 'BIG');

  // The baseline: the same rows, made ready for the table (ids resolved, keys and uuids made), loaded by the server.
  const ids = async (table: string, where: Record<string, unknown>) =>
    Number(((await db(table).where(where).first('id')) as { id: number }).id);
  const typeId = await ids('asset_types', { key: 'equipment' });
  const statusId = await ids('status_labels', { name: 'In service' });
  const bays = [await ids('locations', { code: 'P7-B1-BAY1' }), await ids('locations', { code: 'P7-B1-BAY2' })];
  const modelId = await ids('asset_models', { name: 'DMU 65 monoBLOCK' });
  const tsv = join(dir, 'assets.tsv');
  const out = createWriteStream(tsv);
  for (let i = 0; i < N; i++) {
    const tag = `BENCH-${String(i).padStart(7, '0')}`;
    const line =
      [
        randomUUID(),
        tag,
        textKey(tag),
        `Mill, bay ${i % 40}`,
        '\\N',
        `00${i}SN`,
        typeId,
        modelId,
        statusId,
        bays[i % 2],
        `Note "${i}"`,
        JSON.stringify({ cost_center: `CC-${i % 17}` }),
      ].join('\t') + '\n';
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve) => out.end(resolve));
  const load = await timed(
    'mysql',
    [
      '--local-infile=1',
      ...mysqlArgs,
      '-e',
      `LOAD DATA LOCAL INFILE '${tsv}' INTO TABLE assets (uuid, asset_tag, asset_tag_key, name, hostname, serial, type_id, model_id, status_id, location_id, notes, custom_data)`,
    ],
    { cwd: dir },
  );
  log(`LOAD DATA: ${load.seconds.toFixed(1)} s`);
  await db.raw("DELETE FROM assets WHERE asset_tag LIKE 'BENCH-%'");

  const dry = await timed(bin, ['import', 'assets', small, '--dry-run', '--json', '--env-file', envFile], { cwd: dir });
  log(`dry run: ${dry.seconds.toFixed(1)} s, ${dry.rssMiB.toFixed(0)} MiB`);
  const apply = await timed(bin, ['import', 'assets', small, '--apply', '--json', '--env-file', envFile], { cwd: dir });
  const counts = JSON.parse(apply.stdout).counts as { created: number };
  if (counts.created !== N) throw new Error(`apply created ${counts.created}, not ${N}`);
  log(`apply: ${apply.seconds.toFixed(1)} s, ${apply.rssMiB.toFixed(0)} MiB`);
  const bigDry = await timed(bin, ['import', 'assets', big, '--dry-run', '--json', '--env-file', envFile], { cwd: dir });
  log(`dry run of ${BIG}: ${bigDry.seconds.toFixed(1)} s, ${bigDry.rssMiB.toFixed(0)} MiB`);
  // V8 lets its heap grow with the allocation rate when nothing caps it, so the default RSS says
  // little about what is live; with a fixed old space the same two runs show whether memory is bounded.
  const CAP = '--max-old-space-size=64';
  const smallCapped = await timed(bin, ['import', 'assets', small, '--dry-run', '--json', '--env-file', envFile], {
    cwd: dir,
    nodeOptions: CAP,
  });
  const bigCapped = await timed(bin, ['import', 'assets', big, '--dry-run', '--json', '--env-file', envFile], {
    cwd: dir,
    nodeOptions: CAP,
  });
  log(`with ${CAP}: dry run of ${N} ${smallCapped.rssMiB.toFixed(0)} MiB, of ${BIG} ${bigCapped.rssMiB.toFixed(0)} MiB`);

  const exported = await timed(bin, ['export', 'assets', '--out', join(dir, 'export.csv'), '--env-file', envFile], { cwd: dir });
  const select =
    'SELECT a.asset_tag, a.name, t.`key`, s.name, l.code, mf.name, am.name, a.serial, a.hostname, a.notes, a.custom_data, m.machine_number, m.builder, m.controller_make, m.controller_version, m.axes, m.spindles, m.dnc_ip, m.dnc_port, m.dnc_transfer_enabled, m.criticality, m.next_pm_due FROM assets a JOIN asset_types t ON t.id = a.type_id JOIN status_labels s ON s.id = a.status_id LEFT JOIN locations l ON l.id = a.location_id LEFT JOIN asset_models am ON am.id = a.model_id LEFT JOIN manufacturers mf ON mf.id = am.manufacturer_id LEFT JOIN equipment_machines m ON m.asset_id = a.id WHERE a.deleted_at IS NULL ORDER BY a.id';
  const batch = await timed('mysql', ['--batch', ...mysqlArgs, '-e', select], { cwd: dir, stdout: join(dir, 'batch.tsv') });
  const exportedRows = readFileSync(join(dir, 'export.csv'), 'utf8').split('\n').length - 2;

  const rate = (rows: number, s: number) => rows / s;
  const figures = {
    rows: N,
    loadDataRowsPerSecond: Math.round(rate(N, load.seconds)),
    applyRowsPerSecond: Math.round(rate(N, apply.seconds)),
    dryRunRowsPerSecond: Math.round(rate(N, dry.seconds)),
    applyVsLoadData: +(load.seconds / apply.seconds).toFixed(3),
    dryRunVsApply: +(apply.seconds / dry.seconds).toFixed(2),
    peakRssMiB: { [N]: Math.round(dry.rssMiB), [BIG]: Math.round(bigDry.rssMiB), apply: Math.round(apply.rssMiB) },
    rssRatio: +(bigDry.rssMiB / dry.rssMiB).toFixed(2),
    peakRssMiBWith64MiBOldSpace: { [N]: Math.round(smallCapped.rssMiB), [BIG]: Math.round(bigCapped.rssMiB) },
    rssRatioWith64MiBOldSpace: +(bigCapped.rssMiB / smallCapped.rssMiB).toFixed(2),
    exportRows: exportedRows,
    exportSeconds: +exported.seconds.toFixed(2),
    mysqlBatchSeconds: +batch.seconds.toFixed(2),
    exportVsMysqlBatch: +(batch.seconds / exported.seconds).toFixed(2),
  };
  const goal = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(JSON.stringify(figures, null, 2));
  log(
    `apply ${figures.applyVsLoadData}× LOAD DATA (goal ≥ 0.25: ${goal(figures.applyVsLoadData >= 0.25)}); dry run ${figures.dryRunVsApply}× apply (goal ≥ 2: ${goal(figures.dryRunVsApply >= 2)}); RSS ${BIG} / ${N} = ${figures.rssRatio} (goal ≤ 1.2: ${goal(figures.rssRatio <= 1.2)}; with a 64 MiB old space ${figures.rssRatioWith64MiBOldSpace}); export ${figures.exportVsMysqlBatch}× mysql --batch (goal ≥ 0.5: ${goal(figures.exportVsMysqlBatch >= 0.5)})`,
  );
  await db.destroy();
} finally {
  if (!values.keep) {
    await dropDatabase(server, database);
    rmSync(dir, { recursive: true, force: true });
  } else log(`Kept ${database} and ${dir}`);
}

// `shopdb fleet status` over many loopback sites (issue 19): is the whole pull about as fast as
// its slowest site? Makes one demo site (core schema, every bundled plugin, the demo data, a
// summary:read token), copies its SQLite file to N sites, serves them from H processes of their
// own (bench/fleet-sites.ts), then per round: each site pulled alone (the core `fleetStatus` on a
// one-site fleet file) and then all of them at once, each right after a pull that filled the
// sites' summary caches (kept 5 s), so both read cached summaries; and once with every cache
// expired (cold, shown for information). Goal: all at once within 1.5× the slowest single site.
//
// Usage: npm run bench:fleet -- [--sites N] [--hosts H] [--concurrency C] [--latency MS] [--rounds R] [--json]
//   --sites 50, --hosts 2 (processes serving the sites), --concurrency 64 (fleet status's default),
//   --latency 200 (ms each site's answer is held back: what loopback lacks — a new TLS connection
//   and the request across a WAN of 50 ms round trips is about four of them; 0 for none, where every
//   site's work shares this machine's cores and the pull measures those), --rounds 3. Prints each round and the median ratio; --json prints the numbers as JSON.
// Exit codes: 0 measured (goal met or not: the numbers say), 1 failed, 2 usage, 130 interrupted.

import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliActor } from '../src/core/audit/log.js';
import { createApiToken } from '../src/core/auth/api-tokens.js';
import { loadConfig } from '../src/core/config/index.js';
import { databaseTargetFromConfig, withDatabase } from '../src/core/db/connect.js';
import { addFleetSite } from '../src/core/fleet/fleet-file.js';
import { fleetStatus, type FleetStatusReport } from '../src/core/fleet/status.js';
import { migrateSite } from '../src/core/migrations/site.js';
import { packageRoot } from '../src/core/paths.js';
import { catalogOptionsFromConfig, loadPluginCatalog, shopdbVersion } from '../src/core/plugins/catalog.js';
import { installPlugins } from '../src/core/plugins/service.js';
import { seedSite } from '../src/core/seed/index.js';
import { createUser } from '../src/core/users/service.js';
import { defaultKnownMigrationSources } from '../src/core/backup/known-migrations.js';
import { BenchRun, log, parseBenchOptions } from './harness.js';
import type { SitesMessage, SitesStartMessage } from './fleet-sites.js';

interface Options {
  sites: number;
  hosts: number;
  concurrency: number;
  latencyMs: number;
  rounds: number;
  json: boolean;
}

interface Round {
  slowestSingleMs: number;
  medianSingleMs: number;
  fleetMs: number;
  ratio: number;
  coldFleetMs: number;
}

const bench = new BenchRun();
const actor = cliActor('bench');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function parse(argv: string[]): Options | null {
  const options = parseBenchOptions(argv, {
    sites: { integer: 50, min: 1 },
    hosts: { integer: 2, min: 1 },
    concurrency: { integer: 64, min: 1 },
    latency: { integer: 200, min: 0 },
    rounds: { integer: 3, min: 1 },
    json: { flag: true },
  });
  if (!options) return null;
  const { latency, ...rest } = options;
  return { ...rest, latencyMs: latency };
}

/** One demo site with every plugin and a summary token; its file is copied for the others. */
async function templateSite(dir: string): Promise<{ envFile: string; token: string }> {
  const envFile = join(dir, 'template.env');
  writeFileSync(
    envFile,
    [
      'SHOPDB_ENV=development',
      'SHOPDB_SITE_NAME=template',
      'DB_CLIENT=sqlite',
      'DB_SQLITE_PATH=./template.sqlite',
      'LOG_LEVEL=silent',
    ].join('\n') + '\n',
  );
  const config = loadConfig({ envFile, cwd: dir, env: {} });
  await migrateSite({ config });
  const catalog = await loadPluginCatalog(catalogOptionsFromConfig(config));
  const token = await withDatabase(databaseTargetFromConfig(config), {}, async (db) => {
    await installPlugins({ db, catalog, actor }, { names: catalog.plugins.map((p) => p.manifest.name) });
    await seedSite(db, { actor, demo: true, catalog });
    const { user } = await createUser(db, actor, { username: 'central', role: 'viewer', password: 'correct-horse-battery-staple' });
    return (await createApiToken(db, actor, { userId: user.id, name: 'bench', scope: 'summary:read' })).token;
  });
  return { envFile, token };
}

async function startHost(envFiles: string[], latencyMs: number): Promise<string[]> {
  const child = bench.forkHelper('a process serving sites', join(packageRoot, 'bench', 'fleet-sites.ts'), packageRoot);
  const reply = await new Promise<SitesMessage>((resolve, reject) => {
    child.once('message', (m) => resolve(m as SitesMessage));
    child.once('exit', (code) => reject(new Error(`a site process exited (${code}) before it was ready`)));
    child.send({ type: 'start', envFiles, latencyMs } satisfies SitesStartMessage);
  });
  if (reply.type === 'error') throw new Error(`the sites did not start: ${reply.message}`);
  return reply.urls;
}

function allOk(report: FleetStatusReport): void {
  const bad = report.sites.filter((s) => s.status !== 'ok');
  if (bad.length > 0) throw new Error(`not every site answered: ${bad.map((s) => `${s.name} ${s.status} (${s.problem})`).join('; ')}`);
}

async function run(options: Options): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'shopdb-bench-fleet-'));
  bench.cleanup(`remove ${dir}`, async () => rmSync(dir, { recursive: true, force: true }));
  log(`Making a demo site with every plugin, then ${options.sites} copies of it…`);
  const template = await templateSite(dir);
  const names = Array.from({ length: options.sites }, (_, i) => `plant-${String(i + 1).padStart(2, '0')}`);
  const envFiles = names.map((name) => {
    copyFileSync(join(dir, 'template.sqlite'), join(dir, `${name}.sqlite`));
    const envFile = join(dir, `${name}.env`);
    writeFileSync(
      envFile,
      [
        'SHOPDB_ENV=development',
        `SHOPDB_SITE_NAME=${name}`,
        'DB_CLIENT=sqlite',
        `DB_SQLITE_PATH=./${name}.sqlite`,
        'LOG_LEVEL=silent',
      ].join('\n') + '\n',
    );
    return envFile;
  });
  bench.checkpoint();
  log(`Serving them from ${options.hosts} processes, each answer ${options.latencyMs} ms late (a WAN round trip)…`);
  const perHost = Math.ceil(envFiles.length / options.hosts);
  const urls = (
    await Promise.all(
      Array.from({ length: options.hosts }, (_, h) => envFiles.slice(h * perHost, (h + 1) * perHost))
        .filter((part) => part.length > 0)
        .map((part) => startHost(part, options.latencyMs)),
    )
  ).flat();

  const fleetFile = join(dir, 'fleet.json');
  const singleFiles: string[] = [];
  for (const [i, name] of names.entries()) {
    await addFleetSite({ fleetFile, name, url: urls[i]!, token: template.token });
    const single = join(dir, `single-${name}.json`);
    await addFleetSite({ fleetFile: single, name, url: urls[i]!, token: template.token });
    singleFiles.push(single);
  }
  const config = loadConfig({ envFile: template.envFile, cwd: dir, env: {} });
  const knownSources = await defaultKnownMigrationSources(config);
  const version = shopdbVersion();
  const pull = async (file: string) => {
    const report = await fleetStatus({ fleetFile: file, knownSources, version, concurrency: options.concurrency, timeoutMs: 30_000 });
    allOk(report);
    return report.durationMs;
  };

  log('Warming up (every site once)…');
  await pull(fleetFile);
  const rounds: Round[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    bench.checkpoint();
    // Let the sites' 5 s caches expire, then fill them: singles and the fleet both read cached summaries.
    await new Promise((resolve) => setTimeout(resolve, 5_200));
    const coldFleetMs = await pull(fleetFile);
    // Each measured pull follows one that filled the site's cache, so both sides read cached summaries.
    const singles: number[] = [];
    for (const file of singleFiles) {
      await pull(file);
      singles.push(await pull(file));
    }
    await pull(fleetFile);
    const fleetMs = await pull(fleetFile);
    const slowest = Math.max(...singles);
    rounds.push({ slowestSingleMs: slowest, medianSingleMs: median(singles), fleetMs, ratio: fleetMs / slowest, coldFleetMs });
    log(
      `round ${round}: slowest single site ${slowest} ms (median ${median(singles)} ms), all ${options.sites} at once ${fleetMs} ms → ${(fleetMs / slowest).toFixed(2)}×; cold caches: ${coldFleetMs} ms`,
    );
  }
  const ratio = median(rounds.map((r) => r.ratio));
  const verdict = ratio <= 1.5 ? 'goal met' : 'goal NOT met';
  if (options.json)
    process.stdout.write(
      `${JSON.stringify({ sites: options.sites, hosts: options.hosts, concurrency: options.concurrency, latencyMs: options.latencyMs, rounds, medianRatio: ratio, goal: 1.5 }, null, 2)}\n`,
    );
  else
    process.stdout.write(
      `fleet status over ${options.sites} loopback sites (+${options.latencyMs} ms each) at concurrency ${options.concurrency}: median ${ratio.toFixed(2)}× the slowest single site (goal ≤ 1.5×: ${verdict})\n`,
    );
}

void bench.main('bench:fleet', new URL(import.meta.url).pathname, parse, run);

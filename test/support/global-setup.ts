// Runs once before the suites: makes sure bin/run.js has a fresh build to run, and finds out
// whether the MySQL suites can run. Without SHOPDB_TEST_MYSQL_URL they are skipped and say why;
// with SHOPDB_REQUIRE_MYSQL=1 an unreachable server fails the whole run instead.

import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { galeraAvailability, startGaleraCluster, type GaleraCluster } from './galera.js';
import { probeMysql, type MysqlProbe, type MysqlServer } from './mysql.js';

/** The cluster the cluster suites share (started once per run when SHOPDB_TEST_GALERA=1). */
export type GaleraProbe = { available: true; nodes: MysqlServer[] } | { available: false; reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    mysql: MysqlProbe;
    galera: GaleraProbe;
  }
}

const root = join(import.meta.dirname, '..', '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // Tests are not compiled: editing one must not trigger a rebuild under other running suites.
    if (entry.name.endsWith('.test.ts')) continue;
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function ensureBuild(): void {
  const manifest = join(root, 'oclif.manifest.json');
  const built = existsSync(manifest) ? statSync(manifest).mtimeMs : 0;
  const sources = Math.max(
    newestMtime(join(root, 'src')),
    newestMtime(join(root, 'migrations')),
    statSync(join(root, 'package.json')).mtimeMs,
  );
  if (built < sources) {
    process.stderr.write('[shopdb tests] sources changed since the last build: running `npm run build` for the bin/ tests\n');
    execSync('npm run build', { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
}

export default async function setup(project: TestProject): Promise<void | (() => Promise<void>)> {
  // SHOPDB_TEST_SKIP_BUILD=1: run in-process suites against a half-edited tree (bin/ tests may then fail).
  if (process.env.SHOPDB_TEST_SKIP_BUILD !== '1') ensureBuild();
  const probe = await probeMysql(process.env.SHOPDB_TEST_MYSQL_URL);
  if (!probe.available) {
    if (process.env.SHOPDB_REQUIRE_MYSQL === '1') {
      throw new Error(`MySQL suites are required (SHOPDB_REQUIRE_MYSQL=1) but cannot run: ${probe.reason}`);
    }
    process.stderr.write(
      `\n[shopdb tests] MySQL suites are SKIPPED: ${probe.reason}.\n  To run them: SHOPDB_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test npm test\n\n`,
    );
  } else {
    process.stderr.write(`[shopdb tests] MySQL suites run against ${probe.server} (${probe.redactedUrl})\n`);
  }
  project.provide('mysql', probe);

  const galera = galeraAvailability();
  if (!galera.available) {
    if (process.env.SHOPDB_TEST_GALERA === '1')
      throw new Error(`The cluster suites are required (SHOPDB_TEST_GALERA=1) but cannot run: ${galera.reason}`);
    project.provide('galera', galera);
    return;
  }
  const started = Date.now();
  const cluster: GaleraCluster = await startGaleraCluster();
  process.stderr.write(
    `[shopdb tests] a 3-node Galera cluster is up on ports ${cluster.nodes.map((node) => node.port).join(', ')} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  );
  project.provide('galera', { available: true, nodes: cluster.nodes.map((node) => node.server) });
  return async () => cluster.stop();
}

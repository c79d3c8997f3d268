// What every bench script shares: its usage text (the comment block at its top), its options
// declared once (`parseBenchOptions`), the server it measures on, a throwaway migrated site on it
// (`benchSite`), and one way to run — parse, run, and on Ctrl-C or SIGTERM stop at the next
// checkpoint and undo what it set up (cleanups run newest first, also after a failure). A second
// signal leaves everything as it is and says what was left. Exit codes: 0 measured, 1 failed,
// 2 usage, 130 interrupted.

import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import mysql from 'mysql2/promise';
import { cliActor } from '../src/core/audit/log.js';
import { loadConfig, type LoadedConfig } from '../src/core/config/index.js';
import { databaseTargetFromConfig, openDatabase } from '../src/core/db/connect.js';
import { migrateSite } from '../src/core/migrations/site.js';
import { loadPluginCatalog, shopdbVersion } from '../src/core/plugins/catalog.js';
import { installPlugins } from '../src/core/plugins/service.js';
import { seedSite } from '../src/core/seed/index.js';
import { parseMysqlUrl, throwawayName, type MysqlServer } from '../test/support/mysql.js';

export class UsageProblem extends Error {}
export class Cancelled extends Error {}

export const log = (message: string): void => void process.stderr.write(`${message}\n`);
export const thousands = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The `// Usage:` paragraph of a script's header comment, as plain text. */
export function usageOf(file: string): string {
  const lines = readFileSync(file, 'utf8').split('\n');
  const from = lines.findIndex((line) => line.startsWith('// Usage:'));
  return lines
    .slice(
      from,
      lines.findIndex((line, i) => i > from && !line.startsWith('//')),
    )
    .map((line) => line.replace(/^\/\/ ?/, ''))
    .join('\n');
}

/** A whole number option of at least `min`, or a UsageProblem naming the option. */
export function integerOption(name: string, text: string, min: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageProblem(`--${name} must be an integer of at least ${min} (got "${text}")`);
  return Number(text);
}

/** How an option is given: a whole number of at least `min`, a flag, or a text. */
export type OptionSpec = { integer: number; min: number } | { flag: true } | { text: string };
type OptionValue<S extends OptionSpec> = S extends { integer: number } ? number : S extends { flag: true } ? boolean : string;
export type BenchOptions<T extends Record<string, OptionSpec>> = { [K in keyof T]: OptionValue<T[K]> };

/**
 * The options of `specs` from `argv` (kebab-case names on the command line, the spec's keys in
 * the result), or null for --help / -h. A bad value is a UsageProblem naming the option.
 */
export function parseBenchOptions<T extends Record<string, OptionSpec>>(argv: string[], specs: T): BenchOptions<T> | null {
  const flagOf = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const options: Record<string, { type: 'string' | 'boolean'; default: string | boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h', default: false },
  };
  for (const [key, spec] of Object.entries(specs)) {
    options[flagOf(key)] =
      'flag' in spec
        ? { type: 'boolean', default: false }
        : { type: 'string', default: String('integer' in spec ? spec.integer : spec.text) };
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options }).values;
  } catch (error) {
    throw new UsageProblem((error as Error).message);
  }
  if (values.help) return null;
  const result: Record<string, number | boolean | string> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const value = values[flagOf(key)]!;
    result[key] = 'integer' in spec ? integerOption(flagOf(key), value as string, spec.min) : value;
  }
  return result as BenchOptions<T>;
}

/** The server the MySQL benches measure on: $SHOPDB_BENCH_MYSQL_URL, else $SHOPDB_TEST_MYSQL_URL, else root on the local default port. */
export function benchServer(): MysqlServer {
  return parseMysqlUrl(process.env.SHOPDB_BENCH_MYSQL_URL || process.env.SHOPDB_TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306');
}

/** One statement as the server's administrator, on a connection of its own. */
export async function adminQuery(server: MysqlServer, sql: string, database?: string): Promise<unknown> {
  const connection = await mysql.createConnection({ ...server, database, connectTimeout: 5000, supportBigNumbers: true });
  try {
    const [rows] = await connection.query(sql);
    return rows;
  } finally {
    await connection.end();
  }
}

/** A .env file (mode 0600): a value with anything but plain characters is single-quoted. */
export function writeBenchEnv(file: string, vars: Record<string, string>): void {
  const line = ([key, value]: [string, string]) => `${key}=${/^[\w./:@+-]*$/.test(value) ? value : `'${value}'`}`;
  writeFileSync(file, Object.entries(vars).map(line).join('\n') + '\n', { mode: 0o600 });
}

export interface BenchSiteOptions {
  /** The temp folder's name starts with this. */
  prefix: string;
  /** Keep the database (and the folder, unless keepDir is false) at the end, and say where they are. */
  keep: boolean;
  keepDir?: boolean;
  /** .env lines over the site's own (development, MySQL on `server`, site name "bench"). */
  env?: Record<string, string>;
  /** Bundled plugins installed after the seed. */
  plugins?: string[];
}

export interface BenchSite {
  server: MysqlServer;
  /** The server's version string (`select version()`). */
  version: string;
  database: string;
  dir: string;
  envFile: string;
  config: LoadedConfig;
  /** Open until the run's cleanups. */
  db: Knex;
}

export class BenchRun {
  private cancelledBy: NodeJS.Signals | null = null;
  private readonly cleanups: Array<{ what: string; run: () => Promise<void> }> = [];
  private readonly stoppers = new Set<() => void>();

  get cancelled(): boolean {
    return this.cancelledBy !== null;
  }

  /** Throws Cancelled once a signal came: call it between steps. */
  checkpoint(): void {
    if (this.cancelled) throw new Cancelled('interrupted');
  }

  /** Undone at the end, newest first, whatever happened. */
  cleanup(what: string, run: () => Promise<void>): void {
    this.cleanups.push({ what, run });
  }

  /** Something running now that a signal should stop at once (a load generator); returns its removal. */
  onStop(stop: () => void): () => void {
    this.stoppers.add(stop);
    return () => this.stoppers.delete(stop);
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.cancelled) {
      log(
        `${signal} again: stopping without cleaning up${this.cleanups.length ? ` (left: ${this.cleanups.map((c) => c.what).join(', ')})` : ''}.`,
      );
      process.exit(130);
    }
    this.cancelledBy = signal;
    log(`${signal}: stopping and cleaning up (press Ctrl-C again to leave everything as it is).`);
    for (const stop of this.stoppers) stop();
  };

  private async runCleanups(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await cleanup.run();
      } catch (error) {
        log(`Could not ${cleanup.what}: ${(error as Error).message}`);
        process.exitCode = 1;
      }
    }
  }

  /**
   * A throwaway database (shopdb_bench_<random>) on `server` and a temp folder with the site's
   * .env; migrated, seeded (no demo) and with `plugins` installed. Both go at the end of the run.
   */
  async site(server: MysqlServer, options: BenchSiteOptions): Promise<BenchSite> {
    const [{ version }] = (await adminQuery(server, 'select version() as version')) as [{ version: string }];
    const database = throwawayName('shopdb_bench');
    await adminQuery(server, `CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    log(`Database ${database} on ${server.host}:${server.port} (${version}).`);
    this.cleanup(`drop the database ${database}`, async () => {
      if (options.keep) return log(`Kept the database ${database} (--keep); drop it with: DROP DATABASE \`${database}\``);
      await adminQuery(server, `DROP DATABASE IF EXISTS \`${database}\``);
      log(`Dropped ${database}.`);
    });
    const dir = mkdtempSync(join(tmpdir(), options.prefix));
    this.cleanup(`remove ${dir}`, async () =>
      options.keep && options.keepDir !== false ? log(`Kept ${dir} (--keep).`) : rmSync(dir, { recursive: true, force: true }),
    );
    const envFile = join(dir, '.env');
    writeBenchEnv(envFile, {
      SHOPDB_ENV: 'development',
      SHOPDB_SITE_NAME: 'bench',
      DB_CLIENT: 'mysql',
      DB_HOST: server.host,
      DB_PORT: String(server.port),
      DB_USER: server.user,
      DB_NAME: database,
      ...(server.password ? { DB_PASSWORD: server.password } : {}),
      ...options.env,
    });
    const config = loadConfig({ envFile, cwd: dir, env: {} });
    await migrateSite({ config });
    const db = await openDatabase(databaseTargetFromConfig(config));
    this.cleanup('close the bench connection', () => db.destroy());
    const actor = cliActor('bench');
    await seedSite(db, { demo: false, actor });
    if (options.plugins?.length) {
      const catalog = await loadPluginCatalog({ coreVersion: shopdbVersion(), packageDirs: [] });
      await installPlugins({ db, catalog, actor }, { names: options.plugins });
    }
    return { server, version, database, dir, envFile, config, db };
  }

  /**
   * A TypeScript helper process (through tsx, with an IPC channel) that the run's cleanups stop:
   * a `{ type: 'stop' }` message, then SIGKILL if it has not exited 10 s later.
   */
  forkHelper(what: string, script: string, cwd: string): ChildProcess {
    const child = fork(script, [], { cwd, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.cleanup(`stop ${what}`, async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.connected) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    });
    return child;
  }

  /** Parses the arguments (null: --help), runs, cleans up, and sets the exit code. */
  async main<O>(name: string, file: string, parse: (argv: string[]) => O | null, run: (options: O) => Promise<void>): Promise<void> {
    let options: O | null;
    try {
      options = parse(process.argv.slice(2));
    } catch (error) {
      log(`${name}: ${(error as Error).message}\n\n${usageOf(file)}`);
      process.exitCode = 2;
      return;
    }
    if (options === null) {
      process.stdout.write(`${usageOf(file)}\n`);
      return;
    }
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    try {
      await run(options);
    } catch (error) {
      if (error instanceof Cancelled || this.cancelled) {
        process.exitCode = 130;
      } else if (error instanceof UsageProblem) {
        log(`${name}: ${error.message}`);
        process.exitCode = 2;
      } else {
        log(`${name} failed: ${(error as Error).stack ?? String(error)}`);
        process.exitCode = 1;
      }
    } finally {
      await this.runCleanups();
    }
  }
}

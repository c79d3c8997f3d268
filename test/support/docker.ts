// A stand-in `docker` for the stack commands' tests (there is no Docker engine here): an
// executable put first on PATH that records every call (argv, folder, the variables compose
// reads) and answers like docker does — versions, `compose ps --format json` rows in turn, exec of
// shopdb in the api container — including its failures (no compose plugin, no daemon, …).

import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';
import { tempDir, writeEnvFile } from './site.js';

export interface PsRow {
  Service: string;
  Name?: string;
  State: string;
  Health?: string;
  Image?: string;
  Status?: string;
  ExitCode?: number;
}

export interface Answer {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
}

export interface DockerScenario {
  /** v2: `docker compose` works; missing: the CLI has no compose plugin. */
  compose?: 'v2' | 'missing';
  /** Also put an old `docker-compose` 1.x on PATH. */
  legacyCompose?: boolean;
  daemon?: 'up' | 'down' | 'denied';
  /** Answers to `compose ps`, one per call; the last repeats. */
  ps?: PsRow[][];
  /** Print `ps` as one JSON array (compose before 2.21) instead of JSON lines. */
  psAsArray?: boolean;
  /** By compose subcommand (up, down, logs) or, for exec, by the shopdb words ("migrate", "migrate status"). */
  answers?: Record<string, Answer>;
  /** What `docker inspect --format {{json .State.Health}}` prints. */
  inspectHealth?: string;
}

export interface DockerCall {
  argv: string[];
  cwd: string;
  SHOPDB_ENV_FILE?: string;
  COMPOSE_FILE?: string;
}

const SCRIPT = String.raw`#!/usr/bin/env node
import { appendFileSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
const here = dirname(fileURLToPath(import.meta.url));
const scenario = JSON.parse(readFileSync(join(here, 'scenario.json'), 'utf8'));
const argv = process.argv.slice(2);
appendFileSync(join(here, 'calls.jsonl'), JSON.stringify({ argv, cwd: process.cwd(), SHOPDB_ENV_FILE: process.env.SHOPDB_ENV_FILE, COMPOSE_FILE: process.env.COMPOSE_FILE }) + '\n');
const answer = (a = {}) => {
  if (a.stdout) process.stdout.write(a.stdout);
  if (a.stderr) process.stderr.write(a.stderr);
  process.exit(a.exitCode ?? 0);
};
const fail = (stderr, exitCode = 1) => answer({ stderr, exitCode });
// What docker 28.2 prints without the plugin (checked against the real binary): it reads
// --short as its own flag first, so only a call without flags says compose is unknown.
if (argv[0] === 'compose' && scenario.compose === 'missing' && argv.slice(1).some((a) => a.startsWith('-'))) fail("unknown flag: " + argv.slice(1).find((a) => a.startsWith('-')) + "\n\nUsage:  docker [OPTIONS] COMMAND [ARG...]\n\nRun 'docker --help' for more information\n", 125);
if (argv[0] === 'compose' && scenario.compose === 'missing') fail("docker: unknown command: docker compose\n\nRun 'docker --help' for more information\n");
if (argv[0] === 'compose' && argv[1] === 'version') answer({ stdout: '2.39.1\n' });
if (scenario.daemon === 'down') fail('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n');
if (scenario.daemon === 'denied') fail('permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.51/info": dial unix /var/run/docker.sock: connect: permission denied\n');
if (argv[0] === 'info') answer({ stdout: '28.3.3\n' });
if (argv[0] === 'inspect') answer({ stdout: (scenario.inspectHealth ?? 'null') + '\n' });
if (argv[0] !== 'compose') fail('stand-in docker: unexpected ' + argv.join(' ') + '\n', 125);
const rest = argv.slice(1);
while (rest[0] && rest[0].startsWith('--')) rest.splice(0, rest[0].includes('=') ? 1 : 2);
const sub = rest[0];
if (sub === 'ps') {
  const counter = join(here, 'ps-count');
  const n = existsSync(counter) ? Number(readFileSync(counter, 'utf8')) : 0;
  writeFileSync(counter, String(n + 1));
  const all = scenario.ps ?? [[]];
  const rows = all[Math.min(n, all.length - 1)];
  answer({ stdout: scenario.psAsArray ? JSON.stringify(rows) + '\n' : rows.map((r) => JSON.stringify(r) + '\n').join('') });
}
if (sub === 'exec') {
  const words = rest.slice(1).filter((w) => !w.startsWith('-'));
  // words: api shopdb <command words…>
  const key = words.slice(2).join(' ');
  const given = (scenario.answers ?? {})[key];
  if (given) answer(given);
  answer({ exitCode: 2, stdout: JSON.stringify({ error: { code: 'USAGE', message: '\u0060shopdb ' + key + '\u0060 is not a shopdb command', suggestion: 'Run \u0060shopdb --help\u0060 for the list of commands.', details: [], exitCode: 2 } }) + '\n' });
}
answer((scenario.answers ?? {})[sub] ?? {});
`;

const LEGACY = '#!/bin/sh\necho "docker-compose version 1.29.2, build unknown"\n';

export class StandInDocker {
  readonly binDir: string;
  /** A folder with only `node`: PATH for "docker is not installed". */
  readonly nodeOnlyDir: string;

  constructor(readonly root: string) {
    this.binDir = join(root, 'bin');
    this.nodeOnlyDir = join(root, 'node-only');
    mkdirSync(this.binDir, { recursive: true });
    mkdirSync(this.nodeOnlyDir, { recursive: true });
    writeFileSync(join(this.binDir, 'docker'), SCRIPT, { mode: 0o755 });
    symlinkSync(process.execPath, join(this.nodeOnlyDir, 'node'));
  }

  static create(scenario: DockerScenario = {}): StandInDocker {
    const docker = new StandInDocker(tempDir('shopdb-docker-'));
    docker.setScenario(scenario);
    return docker;
  }

  setScenario(scenario: DockerScenario): void {
    writeFileSync(join(this.binDir, 'scenario.json'), JSON.stringify({ compose: 'v2', daemon: 'up', ...scenario }));
    rmSync(join(this.binDir, 'calls.jsonl'), { force: true });
    rmSync(join(this.binDir, 'ps-count'), { force: true });
    const legacy = join(this.binDir, 'docker-compose');
    if (scenario.legacyCompose) writeFileSync(legacy, LEGACY, { mode: 0o755 });
    else rmSync(legacy, { force: true });
  }

  /** PATH with the stand-in first (and node, for it and for bin/run.js). */
  get path(): string {
    return `${this.binDir}:${this.nodeOnlyDir}`;
  }

  calls(): DockerCall[] {
    const file = join(this.binDir, 'calls.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as DockerCall);
  }

  /** The calls as command lines, without the `--env-file <path>` every compose call carries. */
  commandLines(): string[] {
    return this.calls().map((call) => call.argv.join(' ').replace(/ --env-file \S+/, ''));
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A deployed site's folder: the committed docker-compose.yml next to a complete .env. */
export function createStackSite(extra: Record<string, string> = {}): { dir: string; envFile: string; cleanup: () => void } {
  const dir = tempDir('shopdb-stack-');
  const envFile = join(dir, '.env');
  copyFileSync(join(packageRoot, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
  writeEnvFile(envFile, {
    SHOPDB_ENV: 'production',
    DB_CLIENT: 'mysql',
    DB_PASSWORD: 'stack-db-password-0123',
    MYSQL_ROOT_PASSWORD: 'stack-root-password-0123',
    JWT_SECRET: 'stack-jwt-secret-0123456789abcdefghijklmnop',
    ...extra,
  });
  return { dir, envFile, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const healthyStack: PsRow[] = [
  { Service: 'api', Name: 'site-api-1', State: 'running', Health: 'healthy', Image: 'shopdb:latest', Status: 'Up 1 minute (healthy)' },
  { Service: 'db', Name: 'site-db-1', State: 'running', Health: 'healthy', Image: 'mysql:8.4', Status: 'Up 2 minutes (healthy)' },
];

export function stackWith(api: Partial<PsRow>, db: Partial<PsRow> = {}): PsRow[] {
  return [
    { ...healthyStack[0]!, ...api },
    { ...healthyStack[1]!, ...db },
  ];
}

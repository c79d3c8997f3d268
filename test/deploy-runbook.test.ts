// docs/DEPLOY.md, walked literally: every line of its `sh runbook` blocks runs in order through
// `sh -c`, with `shopdb` on PATH being bin/run.js, in a fresh site folder on MariaDB/MySQL. What
// needs Docker is played by the test, as the stack would do it:
// - `docker compose exec -T api shopdb …` runs shopdb with the api container's environment,
//   taken from docker-compose.yml (its `environment:` over the site .env, as env_file does) —
//   with the test server in place of the `db` service and a folder in place of the backups volume;
// - before the first such line, the test creates the database and user that the MySQL image
//   creates on its first start (from DB_NAME, DB_USER, DB_PASSWORD), under scratch names.
// A line whose shopdb command is not in this build yet is reported as skipped, naming it.

import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { binPath } from './support/cli.js';
import { adminQuery, parseMysqlUrl, throwawayName, type MysqlServer } from './support/mysql.js';
import { tempDir } from './support/site.js';
import { packageRoot } from '../src/core/paths.js';

const CONTAINER_BACKUPS = '/var/lib/shopdb/backups';
const IN_STACK = /^docker compose exec (?:-T )?api (shopdb .*)$/;

/** The lines of DEPLOY.md's `sh runbook` blocks, in order. */
export function runbookLines(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh runbook\n([\s\S]*?)^```$/gm)].flatMap((block) =>
    block[1]!
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#')),
  );
}

const commandIds = Object.keys(
  (JSON.parse(readFileSync(join(packageRoot, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> }).commands,
);

/** The shopdb command a line runs (`backup verify`), or null when this build has none of its words. */
function shopdbCommand(line: string): { words: string; exists: boolean } | null {
  const match = /(?:^|\|\s*)shopdb\s+(.*)$/.exec(IN_STACK.exec(line)?.[1] ?? line);
  if (!match) return null;
  const words = match[1]!
    .split(/\s+/)
    .filter((word) => /^[a-z][a-z-]*$/.test(word))
    .slice(0, 3);
  for (let n = words.length; n > 0; n--)
    if (commandIds.includes(words.slice(0, n).join(':'))) return { words: words.slice(0, n).join(' '), exists: true };
  return { words: words.slice(0, 2).join(' '), exists: false };
}

/** `${VAR}`, `${VAR:-default}` and `${VAR:?message}` as compose resolves them from the .env. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_all, name: string, kind?: string, rest?: string) => {
    const found = vars[name];
    if (found) return found;
    if (kind === '?') throw new Error(`compose would refuse to start: ${rest}`);
    return kind === '-' ? (rest ?? '') : '';
  });
}

const lines = runbookLines(readFileSync(join(packageRoot, 'docs', 'DEPLOY.md'), 'utf8'));
const probe = inject('mysql');
const describeWithMysql = probe.available ? describe : describe.skip;

describe('docs/DEPLOY.md', () => {
  it('has runbook steps, each a shopdb command on the host or in the stack', () => {
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) expect(shopdbCommand(line), line).not.toBeNull();
  });
});

describeWithMysql(`docs/DEPLOY.md runbook, step by step${probe.available ? '' : ` — skipped: ${probe.reason}`}`, () => {
  let server: MysqlServer;
  let siteDir: string;
  let shimDir: string;
  let backupsDir: string;
  let containerEnvFile: string;
  const scratch = { database: throwawayName('shopdb_rb'), user: throwawayName('rb').slice(0, 16) };
  let stackStarted = false;

  beforeAll(() => {
    server = parseMysqlUrl(probe.url!);
    siteDir = tempDir('shopdb-runbook-');
    shimDir = join(siteDir, '.bin');
    backupsDir = join(siteDir, '.volumes', 'backups');
    containerEnvFile = join(siteDir, '.volumes', 'container.env');
    mkdirSync(shimDir, { recursive: true });
    mkdirSync(backupsDir, { recursive: true });
    writeFileSync(containerEnvFile, '# as /etc/shopdb/container.env in the image\n');
    symlinkSync(binPath, join(shimDir, 'shopdb'));
  });

  afterAll(async () => {
    if (stackStarted) {
      for (const host of ['%', 'localhost', '127.0.0.1']) await adminQuery(server, `DROP USER IF EXISTS '${scratch.user}'@'${host}'`);
      await adminQuery(server, `DROP DATABASE IF EXISTS \`${scratch.database}\``);
      // `backup verify --deep` and `restore` may leave scratch schemas named after the database.
      const leftovers = await adminQuery<Array<{ name: string }>>(
        server,
        'SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE ?',
        [`${scratch.database}\\_%`],
      );
      for (const { name } of leftovers) await adminQuery(server, `DROP DATABASE IF EXISTS \`${name}\``);
    }
    rmSync(siteDir, { recursive: true, force: true });
  });

  const hostEnv = (): Record<string, string> => ({
    PATH: `${shimDir}:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
  });

  const siteVars = (): Record<string, string> => parseEnv(readFileSync(join(siteDir, '.env'), 'utf8')) as Record<string, string>;

  /** What the db container does on its first start: the database and its user, from the .env. */
  async function startStackDatabase(): Promise<void> {
    const password = siteVars().DB_PASSWORD;
    if (!password) throw new Error('the runbook wrote no DB_PASSWORD before the first step in the stack');
    await adminQuery(server, `CREATE DATABASE \`${scratch.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    for (const host of ['%', 'localhost', '127.0.0.1']) {
      await adminQuery(server, `CREATE USER '${scratch.user}'@'${host}' IDENTIFIED BY ?`, [password]);
      await adminQuery(server, `GRANT ALL ON \`${scratch.database}\`.* TO '${scratch.user}'@'${host}'`);
    }
    stackStarted = true;
  }

  /** The api container's environment: the .env (env_file), under the compose file's `environment:`. */
  function containerEnv(): Record<string, string> {
    const vars = siteVars();
    const compose = parseYaml(readFileSync(join(packageRoot, 'docker-compose.yml'), 'utf8'));
    const pinned = Object.fromEntries(
      Object.entries(compose.services.api.environment as Record<string, string>).map(([key, value]) => [
        key,
        interpolate(String(value), vars),
      ]),
    );
    expect(pinned.DB_HOST).toBe('db');
    expect(pinned.BACKUP_DIR).toBe(CONTAINER_BACKUPS);
    return {
      ...hostEnv(),
      ...vars,
      ...pinned,
      // The test server plays the db service; scratch names stand in for DB_NAME and DB_USER.
      DB_HOST: server.host,
      DB_PORT: String(server.port),
      DB_NAME: scratch.database,
      DB_USER: scratch.user,
      BACKUP_DIR: backupsDir,
      SHOPDB_ENV_FILE: containerEnvFile,
    };
  }

  function newestBackup(): string {
    const files = readdirSync(backupsDir).filter((name) => !name.startsWith('.'));
    if (files.length === 0) throw new Error(`no backup in ${backupsDir} for <newest backup>`);
    return files.map((name) => ({ name, mtime: statSync(join(backupsDir, name)).mtimeMs })).sort((a, b) => b.mtime - a.mtime)[0]!.name;
  }

  for (const line of lines) {
    const command = shopdbCommand(line)!;
    if (!command.exists) {
      it.skip(`${line} — skipped: \`shopdb ${command.words}\` is not in this build yet`, () => {});
      continue;
    }
    it(line, async () => {
      const inStack = IN_STACK.exec(line);
      let script = line;
      let env = hostEnv();
      if (inStack) {
        if (!stackStarted) await startStackDatabase();
        env = containerEnv();
        script = inStack[1]!
          .replaceAll('<newest backup>', line.includes('<newest backup>') ? newestBackup() : '')
          .replaceAll(CONTAINER_BACKUPS, backupsDir);
      }

      const result = await execa('sh', ['-c', script], {
        cwd: siteDir,
        env,
        extendEnv: false,
        reject: false,
        stdin: 'ignore',
        timeout: 120_000,
      });

      expect(result.exitCode, `${script}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(0);
    });
  }
});

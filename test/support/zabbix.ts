// A real Zabbix 6.0 API for the monitoring suites, from Debian's packages, on loopback only.
//
// Nothing here installs anything (.ci/run does): the frontend (zabbix-frontend-php) is served by
// PHP's built-in server, against a throwaway MariaDB database on the suites' MySQL server that
// holds Zabbix's own schema. Loading that schema takes ~15 s, so it is loaded once per machine
// and package version into a scratch database, dumped to a cached file, and each suite reloads
// the dump (~3 s) into a database of its own.
//
// The frontend reads a hard-coded /etc/zabbix/zabbix.conf.php. Rather than write to /etc, each
// instance copies the frontend folder with hard links (`cp -al`, no data copied), replaces the
// copy's CConfigFile.php (a new file, never the hard-linked original) with one that points at the
// instance's own config, and runs `php -S 127.0.0.1:PORT` in its own process group, which stop()
// kills whole (PHP_CLI_SERVER_WORKERS forks workers). `setpriv --pdeathsig KILL` takes the server
// down with the test process even after a kill -9.
//
// Problems are raised and resolved by writing Zabbix's own `events`/`problem` rows for a trigger
// made through the API, as zabbix_server would (the issue allows it; no server daemon runs, so
// nothing is ever polled or sent anywhere). Hosts carry any interface IP as data only.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { adminQuery, parseMysqlUrl, throwawayName, type MysqlServer } from './mysql.js';
import { freePort } from './ports.js';

export const ZABBIX_FRONTEND = '/usr/share/zabbix';
export const ZABBIX_SCHEMA_DIR = '/usr/share/zabbix-server-mysql';
const PHP = '/usr/bin/php8.2';
const SETPRIV = '/usr/bin/setpriv';
const READY_TIMEOUT_MS = 60_000;
export const ZABBIX_ADMIN = { username: 'Admin', password: 'zabbix' } as const;

// ---------------------------------------------------------------------------------------------
// Can it run here?

function zabbixMissing(): string | null {
  const needed: Array<[string, string]> = [
    [`${ZABBIX_FRONTEND}/api_jsonrpc.php`, 'zabbix-frontend-php'],
    [`${ZABBIX_FRONTEND}/include/classes/core/CConfigFile.php`, 'zabbix-frontend-php'],
    [`${ZABBIX_SCHEMA_DIR}/schema.sql.gz`, 'zabbix-server-mysql'],
    [PHP, 'php8.2-cli'],
    ['/usr/bin/mariadb', 'mariadb-client'],
    ['/usr/bin/mariadb-dump', 'mariadb-client'],
    [SETPRIV, 'util-linux'],
  ];
  const missing = needed.filter(([path]) => !existsSync(path));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map(([, pkg]) => pkg))];
    return `missing ${missing.map(([path]) => path).join(', ')}: apt-get install -y --no-install-recommends ${packages.join(' ')} php8.2-cgi php8.2-mysql`;
  }
  const modules = spawnSync(PHP, ['-m'], { encoding: 'utf8' }).stdout ?? '';
  if (!/^mysqli$/m.test(modules)) return 'PHP has no mysqli module: apt-get install -y --no-install-recommends php8.2-mysql';
  const probe = inject('mysql');
  if (!probe.available) return `no MySQL server for Zabbix's database (${probe.reason})`;
  return null;
}

let reported = false;

/**
 * Null when a Zabbix 6.0 API can be started here, else why not. With SHOPDB_TEST_ZABBIX=1 (CI) a
 * missing prerequisite throws instead: the monitoring suites are required.
 */
export function zabbixSkipReason(): string | null {
  const reason = zabbixMissing();
  if (reason === null) return null;
  if (process.env.SHOPDB_TEST_ZABBIX === '1')
    throw new Error(`The Zabbix suites are required (SHOPDB_TEST_ZABBIX=1) but cannot run: ${reason}`);
  if (!reported) {
    reported = true;
    process.stderr.write(`[shopdb tests] Zabbix suites are SKIPPED: ${reason}\n`);
  }
  return reason;
}

// ---------------------------------------------------------------------------------------------
// The schema, once per machine and package version.

function mysqlArgs(server: MysqlServer): { args: string[]; env: NodeJS.ProcessEnv } {
  // The password travels in the environment, never in argv.
  return {
    args: ['--protocol=tcp', '-h', server.host, '-P', String(server.port), '-u', server.user],
    env: { ...process.env, MYSQL_PWD: server.password },
  };
}

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: Buffer; stdoutFile?: string } = {}): void {
  const stdout = options.stdoutFile ? openSync(options.stdoutFile, 'w', 0o600) : 'pipe';
  try {
    const result = spawnSync(command, args, {
      env: options.env,
      input: options.input,
      stdio: ['pipe', stdout, 'pipe'],
      maxBuffer: 256 * 1024 * 1024,
    });
    if (result.status !== 0)
      throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}): ${String(result.stderr).slice(0, 2000)}`);
  } finally {
    if (typeof stdout === 'number') closeSync(stdout);
  }
}

function schemaFingerprint(server: MysqlServer): string {
  const hash = createHash('sha256');
  for (const file of ['schema.sql.gz', 'images.sql.gz', 'data.sql.gz']) {
    const stat = statSync(join(ZABBIX_SCHEMA_DIR, file));
    hash.update(`${file}:${stat.size}:${stat.mtimeMs};`);
  }
  hash.update(`${server.host}:${server.port}`);
  return hash.digest('hex').slice(0, 16);
}

async function withMachineLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const lock = `${name}.lock`;
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      // A holder that died (kill -9) leaves its folder behind: take it over.
      const pid = Number(readFileSync(join(lock, 'pid'), 'utf8').trim() || 0);
      if (pid > 0 && !alive(pid)) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lock}`);
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The cached dump of an empty Zabbix 6.0 database (made on first use). */
async function schemaDump(server: MysqlServer): Promise<string> {
  const file = join(tmpdir(), `shopdb-zabbix-schema-${schemaFingerprint(server)}.sql`);
  if (existsSync(file)) return file;
  return withMachineLock(file, async () => {
    if (existsSync(file)) return file;
    const scratch = throwawayName('shopdb_zbxtpl');
    await adminQuery(server, `CREATE DATABASE \`${scratch}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    try {
      const { args, env } = mysqlArgs(server);
      for (const part of ['schema.sql.gz', 'images.sql.gz', 'data.sql.gz']) {
        const sql = spawnSync('/usr/bin/zcat', [join(ZABBIX_SCHEMA_DIR, part)], { maxBuffer: 512 * 1024 * 1024 }).stdout;
        run('/usr/bin/mariadb', [...args, scratch], { env, input: sql });
      }
      const partial = `${file}.${process.pid}.tmp`;
      run('/usr/bin/mariadb-dump', [...args, '--no-tablespaces', '--skip-lock-tables', scratch], { env, stdoutFile: partial });
      renameSync(partial, file);
    } finally {
      await adminQuery(server, `DROP DATABASE IF EXISTS \`${scratch}\``);
    }
    return file;
  });
}

// ---------------------------------------------------------------------------------------------
// One instance.

export interface ZabbixApiError extends Error {
  code: number;
  data: string;
}

export interface TestZabbix {
  /** http://127.0.0.1:PORT/api_jsonrpc.php */
  url: string;
  port: number;
  /** The database Zabbix reads, on the suites' MySQL server. */
  database: string;
  server: MysqlServer;
  /** The Admin session (a super admin): what the helpers below use. */
  adminSession: string;
  /** JSON-RPC as Admin (body `auth`, as 6.0 wants). */
  call<T = unknown>(method: string, params: unknown): Promise<T>;
  /** A fresh API token of Admin (token.create + token.generate). */
  createToken(name?: string): Promise<string>;
  /**
   * A user of a group that can read only `hostgroupIds` (role "User role"), with its own token:
   * how a site's read-only monitoring account looks.
   */
  createReadOnlyToken(hostgroupIds: string[]): Promise<string>;
  hostGroup(name: string): Promise<string>;
  /** A host with one agent interface per IP (data only: nothing polls it). */
  createHost(host: string, options?: { name?: string; ips?: string[]; groupId?: string; status?: 0 | 1 }): Promise<string>;
  /** A trapper item and a trigger on it; returns the triggerid. */
  createTrigger(hostid: string, description: string, priority?: number): Promise<string>;
  /** An open problem on that trigger, as zabbix_server writes it; returns the eventid. */
  raiseProblem(triggerid: string, options?: { name?: string; severity?: number; clock?: number; acknowledged?: boolean }): Promise<string>;
  /** The recovery event, as zabbix_server writes it. */
  resolveProblem(eventid: string): Promise<void>;
  sql<T = unknown>(statement: string, values?: unknown[]): Promise<T>;
  /** The server goes away (connections refused); start() brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  cleanup(): Promise<void>;
  logFile: string;
}

function configPhp(server: MysqlServer, database: string): string {
  const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `<?php
$DB['TYPE'] = 'MYSQL';
$DB['SERVER'] = ${quote(server.host)};
$DB['PORT'] = ${quote(String(server.port))};
$DB['DATABASE'] = ${quote(database)};
$DB['USER'] = ${quote(server.user)};
$DB['PASSWORD'] = ${quote(server.password)};
$DB['SCHEMA'] = '';
$DB['ENCRYPTION'] = false;
$DB['KEY_FILE'] = '';
$DB['CERT_FILE'] = '';
$DB['CA_FILE'] = '';
$DB['VERIFY_HOST'] = false;
$DB['CIPHER_LIST'] = '';
$DB['VAULT_URL'] = '';
$DB['VAULT_DB_PATH'] = '';
$DB['VAULT_TOKEN'] = '';
$DB['DOUBLE_IEEE754'] = true;
$ZBX_SERVER = '127.0.0.1';
$ZBX_SERVER_PORT = '1';
$ZBX_SERVER_NAME = 'shopdb-test';
$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;
`;
}

/** The frontend copy: hard links, except CConfigFile.php, which is a new file naming our config. */
function copyFrontend(dir: string, configFile: string): string {
  const copy = join(dir, 'frontend');
  run('/bin/cp', ['-al', ZABBIX_FRONTEND, copy]);
  const classFile = join(copy, 'include', 'classes', 'core', 'CConfigFile.php');
  const original = readFileSync(classFile, 'utf8');
  const patched = original.replace("const CONFIG_FILE_PATH = '/etc/zabbix/zabbix.conf.php';", `const CONFIG_FILE_PATH = '${configFile}';`);
  if (patched === original) throw new Error(`CConfigFile.php of ${ZABBIX_FRONTEND} does not hold the expected CONFIG_FILE_PATH`);
  // Unlink first: writing into the hard link would change the installed package's file.
  rmSync(classFile);
  writeFileSync(classFile, patched);
  return copy;
}

async function jsonRpc(url: string, method: string, params: unknown, auth: string | null): Promise<unknown> {
  const body: Record<string, unknown> = { jsonrpc: '2.0', method, params, id: 1 };
  if (auth !== null) body.auth = auth;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json-rpc' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const answer = (await response.json()) as { result?: unknown; error?: { code: number; message: string; data: string } };
  if (answer.error) {
    const error = new Error(`${method}: ${answer.error.message} ${answer.error.data}`) as ZabbixApiError;
    error.code = answer.error.code;
    error.data = answer.error.data;
    throw error;
  }
  return answer.result;
}

export async function startZabbix(): Promise<TestZabbix> {
  const server = parseMysqlUrl(inject('mysql').url!);
  const dump = await schemaDump(server);
  const database = throwawayName('shopdb_zbx');
  await adminQuery(server, `CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const { args, env } = mysqlArgs(server);
  run('/usr/bin/mariadb', [...args, database], { env, input: readFileSync(dump) });

  const dir = mkdtempSync(join(tmpdir(), 'shopdb-zabbix-'));
  const configFile = join(dir, 'zabbix.conf.php');
  writeFileSync(configFile, configPhp(server, database), { mode: 0o600 });
  const docroot = copyFrontend(dir, configFile);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/api_jsonrpc.php`;
  const logFile = join(dir, 'php.log');
  let child: ChildProcess | null = null;

  const start = async () => {
    const log = openSync(logFile, 'a');
    child = spawn(
      SETPRIV,
      [
        '--pdeathsig',
        'KILL',
        PHP,
        '-d',
        'memory_limit=256M',
        '-d',
        'post_max_size=16M',
        '-d',
        'max_execution_time=300',
        '-d',
        'date.timezone=UTC',
        '-S',
        `127.0.0.1:${port}`,
        '-t',
        docroot,
      ],
      {
        detached: true,
        stdio: ['ignore', log, log],
        env: { PATH: process.env.PATH, PHP_CLI_SERVER_WORKERS: '4', HOME: dir },
      },
    );
    closeSync(log);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      try {
        await jsonRpc(url, 'apiinfo.version', {}, null);
        return;
      } catch (error) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(
            `Zabbix frontend did not answer on ${url}: ${(error as Error).message}\n${existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : ''}`,
            { cause: error },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running?.pid) return;
    const exited = running.exitCode !== null ? Promise.resolve() : new Promise<void>((resolve) => running.once('exit', () => resolve()));
    try {
      process.kill(-running.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
  };

  await start();
  const adminSession = (await jsonRpc(url, 'user.login', ZABBIX_ADMIN, null)) as string;
  const call = <T>(method: string, params: unknown) => jsonRpc(url, method, params, adminSession) as Promise<T>;
  const sql = <T>(statement: string, values: unknown[] = []) =>
    adminQuery<T>(server, statement.replace(/\bzbx\./g, `\`${database}\`.`), values);
  let tokens = 0;

  const tokenFor = async (userid: string, name: string) => {
    const { tokenids } = await call<{ tokenids: string[] }>('token.create', { name, userid });
    const [generated] = await call<Array<{ token: string }>>('token.generate', tokenids);
    return generated!.token;
  };

  const zabbix: TestZabbix = {
    url,
    port,
    database,
    server,
    adminSession,
    logFile,
    call,
    sql,
    async createToken(name = `shopdb-test-${++tokens}`) {
      const [admin] = await call<Array<{ userid: string }>>('user.get', { filter: { username: 'Admin' }, output: ['userid'] });
      return tokenFor(admin!.userid, name);
    },
    async createReadOnlyToken(hostgroupIds) {
      const n = ++tokens;
      const { usrgrpids } = await call<{ usrgrpids: string[] }>('usergroup.create', {
        name: `shopdb-readers-${n}`,
        // 6.0's name; 6.2 renamed it hostgroup_rights.
        rights: hostgroupIds.map((id) => ({ id, permission: 2 })),
      });
      const [role] = await call<Array<{ roleid: string }>>('role.get', { filter: { name: 'User role' }, output: ['roleid'] });
      const { userids } = await call<{ userids: string[] }>('user.create', {
        username: `shopdb-reader-${n}`,
        passwd: `Reader-${n}-Passw0rd!`,
        roleid: role!.roleid,
        usrgrps: [{ usrgrpid: usrgrpids[0] }],
      });
      return tokenFor(userids[0]!, `reader-${n}`);
    },
    async hostGroup(name) {
      const existing = await call<Array<{ groupid: string }>>('hostgroup.get', { filter: { name }, output: ['groupid'] });
      if (existing[0]) return existing[0].groupid;
      return (await call<{ groupids: string[] }>('hostgroup.create', { name })).groupids[0]!;
    },
    async createHost(host, options = {}) {
      const groupId = options.groupId ?? (await zabbix.hostGroup('shopdb-test'));
      const ips = options.ips ?? ['127.0.0.1'];
      const { hostids } = await call<{ hostids: string[] }>('host.create', {
        host,
        ...(options.name ? { name: options.name } : {}),
        status: options.status ?? 0,
        groups: [{ groupid: groupId }],
        interfaces: ips.map((ip, index) => ({ type: 1, main: index === 0 ? 1 : 0, useip: 1, ip, dns: '', port: '10050' })),
      });
      return hostids[0]!;
    },
    async createTrigger(hostid, description, priority = 4) {
      const [host] = await call<Array<{ host: string }>>('host.get', { hostids: [hostid], output: ['host'] });
      const key = `shopdb.test[${createHash('sha1').update(`${hostid}:${description}`).digest('hex').slice(0, 8)}]`;
      await call('item.create', { hostid, name: description, key_: key, type: 2, value_type: 3 });
      const { triggerids } = await call<{ triggerids: string[] }>('trigger.create', {
        description,
        expression: `last(/${host!.host}/${key})>0`,
        priority,
      });
      return triggerids[0]!;
    },
    async raiseProblem(triggerid, options = {}) {
      const [trigger] = await call<Array<{ description: string; priority: string }>>('trigger.get', {
        triggerids: [triggerid],
        output: ['description', 'priority'],
      });
      const clock = options.clock ?? Math.floor(Date.now() / 1000);
      const name = options.name ?? trigger!.description;
      const severity = options.severity ?? Number(trigger!.priority);
      const acknowledged = options.acknowledged ? 1 : 0;
      const [{ next }] = await sql<Array<{ next: number }>>('SELECT COALESCE(MAX(eventid), 0) + 1 AS next FROM zbx.events');
      await sql(
        'INSERT INTO zbx.events (eventid, source, object, objectid, clock, ns, value, acknowledged, name, severity) VALUES (?, 0, 0, ?, ?, 0, 1, ?, ?, ?)',
        [next, triggerid, clock, acknowledged, name, severity],
      );
      await sql(
        'INSERT INTO zbx.problem (eventid, source, object, objectid, clock, ns, acknowledged, name, severity) VALUES (?, 0, 0, ?, ?, 0, ?, ?, ?)',
        [next, triggerid, clock, acknowledged, name, severity],
      );
      await sql('UPDATE zbx.triggers SET value = 1, lastchange = ? WHERE triggerid = ?', [clock, triggerid]);
      return String(next);
    },
    async resolveProblem(eventid) {
      const [problem] = await sql<Array<{ objectid: number; name: string; severity: number }>>(
        'SELECT objectid, name, severity FROM zbx.problem WHERE eventid = ?',
        [eventid],
      );
      if (!problem) throw new Error(`No problem ${eventid}`);
      const clock = Math.floor(Date.now() / 1000);
      const [{ next }] = await sql<Array<{ next: number }>>('SELECT COALESCE(MAX(eventid), 0) + 1 AS next FROM zbx.events');
      await sql(
        'INSERT INTO zbx.events (eventid, source, object, objectid, clock, ns, value, acknowledged, name, severity) VALUES (?, 0, 0, ?, ?, 0, 0, 0, ?, 0)',
        [next, problem.objectid, clock, problem.name],
      );
      await sql('INSERT INTO zbx.event_recovery (eventid, r_eventid) VALUES (?, ?)', [eventid, next]);
      await sql('UPDATE zbx.problem SET r_eventid = ?, r_clock = ?, r_ns = 0 WHERE eventid = ?', [next, clock, eventid]);
      await sql('UPDATE zbx.triggers SET value = 0, lastchange = ? WHERE triggerid = ?', [clock, problem.objectid]);
    },
    stop,
    start,
    async cleanup() {
      await stop();
      await adminQuery(server, `DROP DATABASE IF EXISTS \`${database}\``).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return zabbix;
}

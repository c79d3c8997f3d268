// A real three-node MariaDB Galera cluster on loopback for the cluster suite: Debian's mariadbd
// with galera-4's provider, each node with its own data directory, ports and socket, run as the
// `mysql` user (rsync state transfer refuses to work as root), stopped by PID. The first node
// bootstraps the cluster; the others join it by state transfer. Nothing is shared with the
// machine's own MariaDB.

import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { adminQuery, type MysqlServer } from './mysql.js';
import { freePort } from './ports.js';

// Self-contained (no vitest, no app): the global set-up imports this module.
async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';
const MARIADBD = '/usr/sbin/mariadbd';

/** Whether the cluster suite runs here, and why not when it does not. */
export function galeraAvailability(): { available: true } | { available: false; reason: string } {
  if (process.env.SHOPDB_TEST_GALERA !== '1')
    return {
      available: false,
      reason: 'set SHOPDB_TEST_GALERA=1 to start a 3-node Galera cluster (needs galera-4 and rsync; .ci/run does)',
    };
  return galeraPrerequisites();
}

/** Whether this machine can start the cluster at all (the bench asks this without the opt-in). */
export function galeraPrerequisites(): { available: true } | { available: false; reason: string } {
  const missing = [MARIADBD, GALERA_PROVIDER, '/usr/bin/rsync'].filter((path) => !existsSync(path));
  if (missing.length > 0)
    return { available: false, reason: `missing ${missing.join(', ')}: apt-get install mariadb-server galera-4 rsync` };
  if (userInfo().uid !== 0)
    return { available: false, reason: 'needs root (mariadbd runs as the mysql user, its data directories are chowned to it)' };
  return { available: true };
}

export interface GaleraNode {
  name: string;
  /** The client port on 127.0.0.1. */
  port: number;
  server: MysqlServer;
  running(): boolean;
  /** The mariadbd process id while it runs (the bench reads its CPU time). */
  pid(): number | undefined;
  /** Starts the node again (joining the others) and waits until it is synced. */
  start(): Promise<void>;
  /** SIGKILL: a crash or a pulled cable, no goodbye to the cluster. */
  kill(): Promise<void>;
}

export interface GaleraCluster {
  nodes: GaleraNode[];
  /** wsrep status of one node, as SHOW STATUS gives it. */
  status(node: GaleraNode, name: string): Promise<string | null>;
  stop(): Promise<void>;
}

interface NodePorts {
  client: number;
  gcomm: number;
  ist: number;
  sst: number;
}

function nodeConfig(dir: string, name: string, ports: NodePorts, everyone: NodePorts[]): string {
  const members = everyone.map((p) => `127.0.0.1:${p.gcomm}`).join(',');
  return [
    '[mysqld]',
    `datadir=${join(dir, 'data')}`,
    `socket=${join(dir, 'mysqld.sock')}`,
    `pid-file=${join(dir, 'mysqld.pid')}`,
    `log-error=${join(dir, 'error.log')}`,
    `port=${ports.client}`,
    'bind-address=127.0.0.1',
    'user=mysql',
    'skip-name-resolve',
    'binlog_format=ROW',
    'default_storage_engine=InnoDB',
    'innodb_autoinc_lock_mode=2',
    'innodb_buffer_pool_size=64M',
    'innodb_log_file_size=48M',
    'max_connections=300',
    // Galera's strict mode, as a site should run it: every table has a primary key and is InnoDB.
    'wsrep_mode=REQUIRED_PRIMARY_KEY,STRICT_REPLICATION',
    'wsrep_on=ON',
    `wsrep_provider=${GALERA_PROVIDER}`,
    'wsrep_cluster_name=shopdb_test',
    `wsrep_cluster_address=gcomm://${members}`,
    `wsrep_node_name=${name}`,
    `wsrep_node_address=127.0.0.1:${ports.gcomm}`,
    `wsrep_node_incoming_address=127.0.0.1:${ports.client}`,
    `wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${ports.gcomm};ist.recv_addr=127.0.0.1:${ports.ist};gcache.size=64M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S"`,
    'wsrep_sst_method=rsync',
    `wsrep_sst_receive_address=127.0.0.1:${ports.sst}`,
    '',
  ].join('\n');
}

/** Starts three nodes and waits until each is synced; the cluster's root accepts TCP from 127.0.0.1 with no password. */
export async function startGaleraCluster(): Promise<GaleraCluster> {
  const root = mkdtempSync(join(tmpdir(), 'shopdb-galera-'));
  const ports: NodePorts[] = [];
  // Twelve distinct free ports (freePort can hand the same one out twice once it is closed again).
  const taken = new Set<number>();
  while (ports.length < 3) {
    const four: number[] = [];
    while (four.length < 4) {
      const port = await freePort();
      if (!taken.has(port)) {
        taken.add(port);
        four.push(port);
      }
    }
    ports.push({ client: four[0]!, gcomm: four[1]!, ist: four[2]!, sst: four[3]! });
  }
  const { uid, gid } = mysqlUser();
  chownSync(root, uid, gid);

  const children = new Map<string, ResultPromise>();
  const nodes: GaleraNode[] = ports.map((nodePorts, index) => {
    const name = `node${index + 1}`;
    const dir = join(root, name);
    mkdirSync(join(dir, 'data'), { recursive: true });
    const configFile = join(dir, 'my.cnf');
    writeFileSync(configFile, nodeConfig(dir, name, nodePorts, ports));
    execFileSync('chown', ['-R', 'mysql:mysql', dir]);
    const server: MysqlServer = { host: '127.0.0.1', port: nodePorts.client, user: 'root', password: '' };
    const socket = join(dir, 'mysqld.sock');
    const launch = (extra: string[]) => {
      const child = execa(MARIADBD, [`--defaults-file=${configFile}`, ...extra], { stdio: 'ignore', reject: false });
      children.set(name, child);
      return child;
    };
    const synced = async (child: ResultPromise) => {
      await waitUntil(
        async () => {
          if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}); see ${join(dir, 'error.log')}`);
          try {
            const out = execFileSync(
              'mariadb',
              [`--socket=${socket}`, '-uroot', '-N', '-e', "SHOW STATUS LIKE 'wsrep_local_state_comment'"],
              { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
            );
            return out.includes('Synced');
          } catch {
            return false;
          }
        },
        180_000,
        `${name} to be synced`,
      );
    };
    return {
      name,
      port: nodePorts.client,
      server,
      running: () => children.get(name)?.exitCode === null,
      pid: () => (children.get(name)?.exitCode === null ? children.get(name)?.pid : undefined),
      async start() {
        await synced(launch([]));
      },
      async kill() {
        const child = children.get(name);
        if (!child || child.exitCode !== null) return;
        child.kill('SIGKILL');
        await child;
      },
      // Used once, below: the first node bootstraps a new cluster.
      bootstrap: async () => {
        execFileSync('mariadb-install-db', [`--defaults-file=${configFile}`, '--user=mysql', '--skip-test-db'], { stdio: 'ignore' });
        const child = launch(['--wsrep-new-cluster']);
        await synced(child);
        execFileSync(
          'mariadb',
          [
            `--socket=${socket}`,
            '-uroot',
            '-e',
            "CREATE USER 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;",
          ],
          { stdio: 'ignore' },
        );
      },
    } as GaleraNode & { bootstrap(): Promise<void> };
  });

  const stop = async () => {
    for (const child of children.values()) if (child.exitCode === null) child.kill('SIGTERM');
    const deadline = setTimeout(() => {
      for (const child of children.values()) if (child.exitCode === null) child.kill('SIGKILL');
    }, 60_000);
    await Promise.all([...children.values()].map((child) => child.catch(() => undefined)));
    clearTimeout(deadline);
    rmSync(root, { recursive: true, force: true });
  };

  try {
    await (nodes[0] as GaleraNode & { bootstrap(): Promise<void> }).bootstrap();
    // Joiners one at a time: each takes a full state transfer from a synced node.
    for (const node of nodes.slice(1)) await node.start();
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    nodes,
    async status(node, name) {
      const rows = await adminQuery<Array<{ Value: string }>>(node.server, 'SHOW STATUS LIKE ?', [name]);
      return rows[0]?.Value ?? null;
    },
    stop,
  };
}

function mysqlUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'mysql'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'mysql'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

// How shopdb runs the MySQL client tools (the dump tool for backups, the client for restores and
// for SQL when the server is only reachable through them). A small registry of runners with one
// interface (ADR-010):
//   local   — the tools on this machine's PATH, picked to match the server's flavour (MariaDB's
//             mariadb-dump for MariaDB, Oracle's mysqldump for MySQL); connection settings and
//             the password in a 0600 option file that is unlinked before any tool starts: each
//             tool inherits a descriptor of it as fd 3 and reads `--defaults-extra-file=/dev/fd/3`
//             (first argument), so no kill -9 or crash can leave the password on disk (ADR-016).
//   compose — the tools inside the database container of the compose stack (`docker compose
//             exec -T <service>`), which match its server by construction; the password comes
//             from that container's own environment (MYSQL_PASSWORD / MARIADB_PASSWORD or their
//             _FILE forms) and goes into an option file inside the container. Never in argv.

import { mkdtemp, open, rm, rmdir, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { findOnPath } from '../../doctor/checks.js';
import { ExternalError, UserError } from '../../errors.js';
import { OPTION_FOLDER_PREFIX, ownerTag, sweepOptionFolders } from './leftovers.js';

export type ToolFlavour = 'mariadb' | 'mysql';

/** Connection settings of the site database (no secret is ever logged from here). */
export interface MysqlConnection {
  host: string;
  port: number;
  socketPath?: string;
  user: string;
  password?: string;
  database: string;
}

export interface ToolProcess {
  stdin: Writable | null;
  stdout: Readable | null;
  /** Resolves when the tool exits 0; rejects with an ExternalError (stderr kept for --verbose) otherwise. */
  done: Promise<void>;
  kill(): void;
}

export interface MysqlTools {
  /** e.g. "mariadb-dump (MariaDB 10.11.19 client tools)"; goes into the manifest. */
  readonly dumpDescription: string;
  readonly dumpFlavour: ToolFlavour;
  /** The restore client is MariaDB's (it understands the sandbox line of MariaDB dumps). */
  readonly clientIsMariaDb: boolean;
  /** Things worth a warning, e.g. a dump tool of the other flavour. */
  readonly warnings: string[];
  /** Runs the dump tool; its stdout is the dump. Connection options come first, then `args`. */
  dump(args: string[]): Promise<ToolProcess>;
  /** Runs the client; statements go to its stdin (or `-e`). Its stdout is piped. */
  client(args: string[], options?: { stdin?: 'pipe' | 'ignore' }): Promise<ToolProcess>;
  dispose(): Promise<void>;
}

export interface MysqlToolContext {
  connection: MysqlConnection;
  /** The server's product, from SELECT VERSION(), when it could be asked directly. */
  serverProduct?: 'MySQL' | 'MariaDB';
  /** The PATH to look for tools (and docker) on. */
  path: string;
  /** Folder of the site .env: compose runs there. */
  baseDir: string;
  envFile?: string;
  /** COMPOSE_FILE of the site (e.g. docker-compose.secrets.yml), if set. */
  composeFile?: string;
  composeService: string;
  /** Aborting it stops every running tool (SIGINT/SIGTERM of shopdb); `done` then rejects with its reason. */
  signal?: AbortSignal;
}

export interface MysqlToolRunner {
  readonly id: 'local' | 'compose';
  /** Whether shopdb can also connect to the server itself (local) or only through the tools (compose). */
  readonly directConnection: boolean;
  open(context: MysqlToolContext): Promise<MysqlTools>;
}

interface SpawnPlace {
  cwd?: string;
  /** Added to the inherited environment (COMPOSE_FILE for compose). */
  env?: Record<string, string>;
  /** Given to the tool as its fd 3 (the option file). */
  optionFd?: number;
  signal?: AbortSignal;
}

async function spawnTool(
  file: string,
  args: string[],
  stdin: 'pipe' | 'ignore',
  label: string,
  place: SpawnPlace = {},
): Promise<ToolProcess> {
  const { execa } = await import('execa');
  place.signal?.throwIfAborted();
  const child = execa(file, args, {
    cwd: place.cwd,
    env: place.env,
    // execa's types allow only 3–9 as a descriptor to pass on; Node passes any open one.
    stdio: [stdin, 'pipe', 'pipe', ...(place.optionFd === undefined ? [] : [place.optionFd as 3])],
    cancelSignal: place.signal,
    buffer: { stdout: false, stderr: true },
    maxBuffer: { stderr: 1024 * 1024 },
    reject: false,
    stripFinalNewline: true,
    // Its own process group: a Ctrl-C at the terminal or an SSH hang-up reaches shopdb only,
    // which decides what stops (a restore puts its safety backup back through a new client).
    detached: true,
  });
  const done = child.then((result) => {
    if (place.signal?.aborted) throw place.signal.reason;
    if (result.exitCode === 0 && !result.isTerminated) return;
    const stderr = typeof result.stderr === 'string' ? result.stderr : '';
    const firstLine =
      stderr.split('\n').find((line) => line.trim()) ??
      (result.isTerminated ? `stopped by ${result.signal}` : `exit code ${result.exitCode}`);
    throw new ExternalError(`${label} failed: ${firstLine.replace(/^\S+: /, '')}`, `${file} ${args.join(' ')}`, result.exitCode, stderr, {
      suggestion: 'Run with --verbose for its full output; `shopdb doctor --tag backup` checks the database and the tools.',
    });
  });
  // Awaited once its output has been read; a tool failing before that must not be an unhandled
  // rejection (which ends the process) — the awaiting caller still gets the error.
  done.catch(() => undefined);
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    done,
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}

async function toolVersion(file: string): Promise<string> {
  const { execa } = await import('execa');
  const result = await execa(file, ['--version'], { reject: false, timeout: 15_000 });
  return `${result.stdout}`.trim();
}

/** A value for a MySQL option file, quoted so that #, spaces and quotes survive. */
function optionValue(value: string): string {
  if (/[\r\n]/.test(value))
    throw new UserError('A database setting contains a line break', { suggestion: 'Check DB_USER / DB_PASSWORD / DB_HOST in the .env.' });
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function optionFileText(connection: MysqlConnection): string {
  const lines = ['[client]', `user=${optionValue(connection.user)}`];
  if (connection.password) lines.push(`password=${optionValue(connection.password)}`);
  if (connection.socketPath) lines.push(`socket=${optionValue(connection.socketPath)}`);
  else lines.push(`host=${optionValue(connection.host)}`, `port=${connection.port}`, 'protocol=TCP');
  lines.push('default-character-set=utf8mb4');
  return lines.join('\n') + '\n';
}

/**
 * Writes the option file in a private 0700 folder named after this process (so a sweep can tell
 * whose it is), opens it, and removes file and folder at once: from then on only the open
 * descriptor holds the text, and the kernel frees it when the last process holding it ends. The
 * tools open /dev/fd/3 anew, each from the start. Also removes folders left by dead runs.
 */
async function openUnlinkedOptionFile(tmp: string, text: string): Promise<FileHandle> {
  await sweepOptionFolders(tmp);
  const folder = await mkdtemp(join(tmp, `${OPTION_FOLDER_PREFIX}${ownerTag()}-`));
  const path = join(folder, 'client.cnf');
  try {
    await writeFile(path, text, { mode: 0o600, flag: 'wx' });
    const handle = await open(path, 'r');
    await unlink(path);
    await rmdir(folder);
    return handle;
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
}

interface FoundTool {
  path: string;
  flavour: ToolFlavour;
  version: string;
}

const picked = new Map<string, Promise<FoundTool | undefined>>();

/** The first tool of the wanted flavour among `names` (asked with --version, in order), else the first found; once per process. */
function pickTool(names: string[], path: string, want: ToolFlavour): Promise<FoundTool | undefined> {
  const key = `${want}\0${names.join(',')}\0${path}`;
  let found = picked.get(key);
  if (!found) {
    found = probeTools(names, path, want);
    picked.set(key, found);
  }
  return found;
}

async function probeTools(names: string[], path: string, want: ToolFlavour): Promise<FoundTool | undefined> {
  let fallback: FoundTool | undefined;
  for (const name of names) {
    const file = findOnPath(name, path);
    if (!file) continue;
    const version = await toolVersion(file);
    const tool: FoundTool = { path: file, flavour: /mariadb/i.test(version) ? 'mariadb' : 'mysql', version };
    if (tool.flavour === want) return tool;
    fallback ??= tool;
  }
  return fallback;
}

function shortVersion(version: string): string {
  const match = /Distrib ([0-9][^\s,]*)|Ver ([0-9][^\s,]*)|from ([0-9][^\s,]*)/.exec(version);
  return match?.[1] ?? match?.[2] ?? match?.[3] ?? 'unknown version';
}

export const localToolRunner: MysqlToolRunner = {
  id: 'local',
  directConnection: true,
  async open(context) {
    const want: ToolFlavour = context.serverProduct === 'MySQL' ? 'mysql' : 'mariadb';
    const [dumpTool, clientTool] = await Promise.all([
      pickTool(want === 'mysql' ? ['mysqldump', 'mariadb-dump'] : ['mariadb-dump', 'mysqldump'], context.path, want),
      pickTool(want === 'mysql' ? ['mysql', 'mariadb'] : ['mariadb', 'mysql'], context.path, want),
    ]);
    if (!dumpTool || !clientTool) {
      throw new UserError(
        `The MySQL client tools are not installed (${!dumpTool ? 'mysqldump / mariadb-dump' : 'mysql / mariadb'} not on PATH)`,
        {
          suggestion:
            want === 'mysql'
              ? 'Install the MySQL client tools (e.g. mysql-client from the MySQL APT repository); in the compose stack set BACKUP_DUMP_VIA=compose.'
              : 'Install the MariaDB client tools (Debian/Ubuntu: apt-get install mariadb-client); in the compose stack set BACKUP_DUMP_VIA=compose.',
        },
      );
    }
    const warnings: string[] = [];
    if (dumpTool.flavour !== want) {
      warnings.push(
        `The server is ${context.serverProduct ?? 'unknown'} but only ${dumpTool.flavour === 'mariadb' ? "MariaDB's" : "MySQL's"} dump tool was found (${dumpTool.path}); install the matching client tools for reliable backups.`,
      );
    }
    const optionFile = await openUnlinkedOptionFile(tmpdir(), optionFileText(context.connection));
    const first = '--defaults-extra-file=/dev/fd/3';
    const place: SpawnPlace = { optionFd: optionFile.fd, signal: context.signal };
    const dumpName = dumpTool.path.split('/').pop()!;
    return {
      dumpDescription: `${dumpName} ${shortVersion(dumpTool.version)} (${dumpTool.flavour === 'mariadb' ? 'MariaDB' : 'MySQL'} client tools)`,
      dumpFlavour: dumpTool.flavour,
      clientIsMariaDb: clientTool.flavour === 'mariadb',
      warnings,
      dump: (args) => spawnTool(dumpTool.path, [first, ...args], 'ignore', dumpName, place),
      client: (args, options) =>
        spawnTool(clientTool.path, [first, ...args], options?.stdin ?? 'pipe', clientTool.path.split('/').pop()!, place),
      async dispose() {
        await optionFile.close();
      },
    };
  },
};

/**
 * The script run inside the database container: takes the password from the container's
 * environment (never from us), writes it to a private option file there, runs the container's own
 * tool, and removes the file. printf is a shell builtin, so the password is in no process's argv.
 */
export const CONTAINER_SCRIPT = `set -eu
mode="$1"; shift
pw="\${MARIADB_PASSWORD:-\${MYSQL_PASSWORD:-}}"
pwfile="\${MARIADB_PASSWORD_FILE:-\${MYSQL_PASSWORD_FILE:-}}"
if [ -z "$pw" ] && [ -n "$pwfile" ]; then pw="$(cat "$pwfile")"; fi
umask 077
cnf="$(mktemp)"
trap 'rm -f "$cnf"' EXIT
printf '[client]\\npassword="%s"\\ndefault-character-set=utf8mb4\\n' "$(printf '%s' "$pw" | sed 's/[\\\\"]/\\\\&/g')" > "$cnf"
case "$mode" in
  dump) tools="mariadb-dump mysqldump" ;;
  client) tools="mariadb mysql" ;;
  version) for t in mariadb-dump mysqldump; do if command -v "$t" >/dev/null 2>&1; then "$t" --version; exit 0; fi; done; exit 127 ;;
  *) exit 2 ;;
esac
for t in $tools; do
  if command -v "$t" >/dev/null 2>&1; then
    "$t" --defaults-extra-file="$cnf" "$@"
    exit 0
  fi
done
echo "no $mode tool (mysqldump/mariadb-dump, mysql/mariadb) in the database container" >&2
exit 127
`;

export const composeToolRunner: MysqlToolRunner = {
  id: 'compose',
  directConnection: false,
  async open(context) {
    const docker = findOnPath('docker', context.path);
    if (!docker) {
      throw new UserError('BACKUP_DUMP_VIA=compose, but docker is not on PATH', {
        suggestion: 'Run shopdb where the compose stack runs (with docker installed), or set BACKUP_DUMP_VIA=local.',
      });
    }
    // As `shopdb up` runs compose (src/core/deploy): in the folder of the site .env, with it as --env-file.
    const compose = ['compose', ...(context.envFile ? ['--env-file', context.envFile] : [])];
    const place: SpawnPlace = {
      cwd: context.baseDir,
      env: context.composeFile ? { COMPOSE_FILE: context.composeFile } : undefined,
      signal: context.signal,
    };
    const inContainer = (mode: string, args: string[]) => [
      ...compose,
      'exec',
      '-T',
      context.composeService,
      'sh',
      '-c',
      CONTAINER_SCRIPT,
      'shopdb',
      mode,
      ...args,
    ];
    const { execa } = await import('execa');
    const probe = await execa(docker, inContainer('version', []), { reject: false, cwd: place.cwd, env: place.env, timeout: 60_000 });
    if (probe.exitCode !== 0) {
      throw new ExternalError(
        `Cannot run the dump tool in the "${context.composeService}" container: ${`${probe.stderr}`.split('\n')[0] || `exit code ${probe.exitCode}`}`,
        `docker compose exec ${context.composeService}`,
        probe.exitCode,
        `${probe.stderr}`,
        {
          suggestion: `Is the stack up (\`docker compose ps\`)? BACKUP_COMPOSE_SERVICE names the database service (now "${context.composeService}").`,
        },
      );
    }
    const version = `${probe.stdout}`.trim();
    const flavour: ToolFlavour = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
    const user = `--user=${context.connection.user}`;
    return {
      dumpDescription: `${flavour === 'mariadb' ? 'mariadb-dump' : 'mysqldump'} ${shortVersion(version)} in the ${context.composeService} container`,
      dumpFlavour: flavour,
      clientIsMariaDb: flavour === 'mariadb',
      warnings: [],
      dump: (args) =>
        spawnTool(docker, inContainer('dump', [user, ...args]), 'ignore', `dump in the ${context.composeService} container`, place),
      client: (args, options) =>
        spawnTool(
          docker,
          inContainer('client', [user, ...args]),
          options?.stdin ?? 'pipe',
          `mysql client in the ${context.composeService} container`,
          place,
        ),
      async dispose() {},
    };
  },
};

export const MYSQL_TOOL_RUNNERS: Readonly<Record<'local' | 'compose', MysqlToolRunner>> = {
  local: localToolRunner,
  compose: composeToolRunner,
};

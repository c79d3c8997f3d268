// MySQL / MariaDB backups: the server's own dump tool (mysqldump or mariadb-dump, through a
// runner from tools.ts) with a consistent snapshot, and the matching client to restore.
// The dump passes through SqlDumpFilter on the way out (row counts for the manifest, and a proof
// that restore will accept it) and on the way back in (only allowed statements reach the
// client, which runs with --binary-mode so no client command is honoured, and with the target
// database fixed by --database).

import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { clusterNodeStateVia } from '../../db/cluster.js';
import { DatabaseUnavailableError, UserError } from '../../errors.js';
import type { BackupDriver, DriverContext, LoadTarget } from '../drivers.js';
import { scratchPrefix, scratchSchemaName, sweepScratchSchemas } from './leftovers.js';
import { clientSession, directSession, quoteText, type SqlSession } from './session.js';
import { MYSQL_TOOL_RUNNERS, type MysqlConnection, type MysqlTools } from './tools.js';
import { quoteId, readInstalledPlugins, readMigrationHeads } from '../site-state.js';
import { SqlDumpFilter } from '../sql-scanner.js';

type MysqlTarget = {
  client: 'mysql';
  host: string;
  port: number;
  socketPath?: string;
  database: string;
  user: string;
  password?: string;
  poolMax: number;
  connectTimeoutMs: number;
};

function mysqlTarget(context: DriverContext): MysqlTarget {
  if (context.target.client !== 'mysql') throw new Error('mysql driver used for a SQLite site');
  return context.target;
}

function connectionOf(target: MysqlTarget): MysqlConnection {
  return {
    host: target.host,
    port: target.port,
    socketPath: target.socketPath,
    user: target.user,
    password: target.password,
    database: target.database,
  };
}

/** The tools, and a SQL session on `database` (null: the server) over knex or over the tools. */
interface Connected {
  tools: MysqlTools;
  session: SqlSession;
  product: 'MySQL' | 'MariaDB';
  version: string;
  close(): Promise<void>;
}

async function connect(context: DriverContext, database: string | null): Promise<Connected> {
  const target = mysqlTarget(context);
  const runner = MYSQL_TOOL_RUNNERS[context.config.values.BACKUP_DUMP_VIA];
  const toolContext = {
    connection: connectionOf(target),
    path: context.path,
    baseDir: context.config.baseDir,
    envFile: context.config.envFileFound ? context.config.envFile : undefined,
    composeFile: context.config.values.COMPOSE_FILE || undefined,
    composeService: context.config.values.BACKUP_COMPOSE_SERVICE,
    signal: context.signal,
  };
  let session: SqlSession | undefined;
  let tools: MysqlTools | undefined;
  try {
    if (runner.directConnection) {
      session = await directSession(target, database);
      const [row] = await session.rows('SELECT VERSION() AS version');
      tools = await runner.open({ ...toolContext, serverProduct: /mariadb/i.test(row?.version ?? '') ? 'MariaDB' : 'MySQL' });
    } else {
      tools = await runner.open(toolContext);
      session = clientSession(tools, database);
    }
    for (const warning of tools.warnings) context.warn(warning);
    const [row] = await session.rows('SELECT VERSION() AS version');
    const full = row?.version ?? 'unknown';
    const opened = { tools, session };
    return {
      ...opened,
      product: /mariadb/i.test(full) ? 'MariaDB' : 'MySQL',
      version: full.split('-')[0] ?? full,
      async close() {
        await opened.session.close().catch(() => {});
        await opened.tools.dispose().catch(() => {});
      },
    };
  } catch (error) {
    await session?.close().catch(() => {});
    await tools?.dispose().catch(() => {});
    throw error;
  }
}

async function baseTables(session: SqlSession, database: string): Promise<string[]> {
  const rows = await session.rows(
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${quoteText(database)} AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
  );
  return rows.map((row) => row.name!);
}

async function countRowsIn(session: SqlSession, database: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await baseTables(session, database)) {
    const [row] = await session.rows(`SELECT COUNT(*) AS n FROM ${quoteId(database)}.${quoteId(table)}`);
    counts[table] = Number(row?.n ?? 0);
  }
  return counts;
}

async function canDumpEvents(session: SqlSession): Promise<boolean> {
  // SHOW EVENTS is what the dump tool runs for --events; it needs the EVENT privilege, which the
  // least-privilege site user does not have. shopdb creates no events, so they are left out then.
  try {
    await session.rows('SHOW EVENTS');
    return true;
  } catch {
    return false;
  }
}

function dumpArguments(tools: MysqlTools, database: string, events: boolean): string[] {
  return [
    '--single-transaction',
    '--quick',
    '--routines',
    '--triggers',
    ...(events ? ['--events'] : []),
    '--hex-blob',
    '--no-tablespaces',
    '--default-character-set=utf8mb4',
    // Oracle's mysqldump would otherwise write SET @@GLOBAL.GTID_PURGED on a GTID server.
    ...(tools.dumpFlavour === 'mysql' ? ['--set-gtid-purged=OFF'] : []),
    database,
  ];
}

async function databaseExists(session: SqlSession, database: string): Promise<boolean> {
  const rows = await session.rows(`SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${quoteText(database)}`);
  return rows.length > 0;
}

/** Every table, view, routine and event of `database`, so the restored schema is exactly the dump's. */
async function dropEverything(session: SqlSession, database: string): Promise<void> {
  const db = quoteText(database);
  const statements: string[] = [];
  for (const row of await session.rows(`SELECT TABLE_NAME AS name FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ${db}`)) {
    statements.push(`DROP VIEW IF EXISTS ${quoteId(database)}.${quoteId(row.name!)}`);
  }
  const tables = await baseTables(session, database);
  if (tables.length > 0) statements.push(`DROP TABLE IF EXISTS ${tables.map((t) => `${quoteId(database)}.${quoteId(t)}`).join(', ')}`);
  for (const row of await session.rows(
    `SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ${db}`,
  )) {
    statements.push(`DROP ${row.type === 'FUNCTION' ? 'FUNCTION' : 'PROCEDURE'} IF EXISTS ${quoteId(database)}.${quoteId(row.name!)}`);
  }
  for (const row of await session.rows(`SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ${db}`)) {
    statements.push(`DROP EVENT IF EXISTS ${quoteId(database)}.${quoteId(row.name!)}`);
  }
  if (statements.length === 0) return;
  // One session, so FOREIGN_KEY_CHECKS=0 covers the drops (the client transport runs them in one call).
  await session.runAll(['SET FOREIGN_KEY_CHECKS = 0', ...statements]);
}

/** Feeds a dump to the client: through the filter, with the database fixed and client commands off. */
async function loadInto(tools: MysqlTools, input: Readable, database: string, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  const client = await tools.client(['--binary-mode', `--database=${database}`, '--default-character-set=utf8mb4']);
  const filter = new SqlDumpFilter({ sandboxLine: tools.clientIsMariaDb ? 'keep' : 'strip' });
  // Asked to stop: the feed ends with an error and the client is killed before it runs more.
  const feeding = pipeline(input, filter, client.stdin!, { signal });
  const [fed, ran] = await Promise.allSettled([feeding, client.done]);
  if (fed.status === 'rejected') {
    // The client must not run whatever partial statement reached it.
    client.kill();
    throw fed.reason;
  }
  if (ran.status === 'rejected') throw ran.reason;
}

/** Drops scratch schemas of `verify --deep` runs that died (kill -9, power cut): each is a full copy of the site. */
async function dropDeadScratchSchemas(context: DriverContext, session: SqlSession, database: string): Promise<void> {
  const sweep = await sweepScratchSchemas(
    (sql) => session.rows(sql),
    (sql) => session.run(sql),
    database,
  ).catch(() => null);
  if (sweep && sweep.dropped.length > 0) {
    context.warn(
      `Dropped ${sweep.dropped.length === 1 ? 'a scratch schema' : `${sweep.dropped.length} scratch schemas`} left by an interrupted \`backup verify --deep\`: ${sweep.dropped.join(', ')}`,
    );
  }
}

function privilegeHint(error: unknown, what: string, database: string): never {
  const message = error instanceof Error ? error.message : String(error);
  if (/denied/i.test(message)) {
    throw new UserError(`The database user may not ${what}`, {
      suggestion: `Grant it, e.g. as root: GRANT ALL ON \`${scratchPrefix(database).replace(/_/g, '\\_')}%\`.* TO '<DB_USER>'@'%'; (a scratch schema for \`backup verify --deep\`), or run without --deep.`,
      cause: error,
    });
  }
  throw error;
}

export const mysqlBackupDriver: BackupDriver = {
  engine: 'mysql',
  dumpEntry: 'dump.sql.gz',

  async startDump(context) {
    const target = mysqlTarget(context);
    const connected = await connect(context, target.database);
    try {
      // On a cluster, dump only from a synced node: one that lost quorum refuses the reads, and
      // one still joining has not got everything yet.
      const node = await clusterNodeStateVia((sql) => connected.session.rows(sql));
      if (!node.ready) {
        throw new DatabaseUnavailableError(`Not backing up from ${target.socketPath ?? `${target.host}:${target.port}`}: ${node.reason}`, {
          suggestion:
            "Back up from a node that is synced with its cluster (point DB_HOST at it, or wait until this one has rejoined); `shopdb doctor` shows the node's state.",
        });
      }
      const tables = await baseTables(connected.session, target.database);
      const plugins = await readInstalledPlugins((sql) => connected.session.rows(sql), tables);
      const migrations = await readMigrationHeads((sql) => connected.session.rows(sql), tables, plugins);
      const events = await canDumpEvents(connected.session);
      await dropDeadScratchSchemas(context, connected.session, target.database);
      const child = await connected.tools.dump(dumpArguments(connected.tools, target.database, events));
      const filter = new SqlDumpFilter({ sandboxLine: 'keep' });
      child.stdout!.pipe(filter);
      child.stdout!.on('error', (error) => filter.destroy(error));
      return {
        stream: filter,
        async finish() {
          await child.done;
          return {
            product: connected.product,
            version: connected.version,
            databaseName: target.database,
            cluster: node.galera ? { kind: 'galera', node: node.nodeName ?? 'unknown', size: node.clusterSize ?? 0 } : undefined,
            tool: connected.tools.dumpDescription,
            events,
            migrations,
            plugins,
            tables: filter.summary().tables,
          };
        },
        abort: () => child.kill(),
        cleanup: () => connected.close(),
      };
    } catch (error) {
      await connected.close();
      throw error;
    }
  },

  async scan(context, input) {
    const filter = new SqlDumpFilter({ sandboxLine: 'strip' });
    await pipeline(
      input,
      filter,
      // Only the check and the counts matter here: the filtered text is drained, not kept.
      async (source: AsyncIterable<unknown>) => {
        for await (const _ of source) void _;
      },
      context.signal ? { signal: context.signal } : {},
    );
    return filter.summary().tables;
  },

  async inspect(context) {
    const target = mysqlTarget(context);
    const connected = await connect(context, null);
    try {
      if (!(await databaseExists(connected.session, target.database))) return { exists: false, tables: 0, rows: 0 };
      const counts = await countRowsIn(connected.session, target.database);
      return { exists: true, tables: Object.keys(counts).length, rows: Object.values(counts).reduce((a, b) => a + b, 0) };
    } finally {
      await connected.close();
    }
  },

  async load(context, input, loadTarget: LoadTarget) {
    const target = mysqlTarget(context);
    const database = loadTarget.kind === 'site' ? target.database : loadTarget.name;
    const connected = await connect(context, null);
    try {
      if (loadTarget.kind === 'site') {
        if (!(await databaseExists(connected.session, database))) {
          await connected.session
            .run(`CREATE DATABASE ${quoteId(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
            .catch((error: unknown) => {
              throw new UserError(`The database "${database}" does not exist and the user may not create it`, {
                suggestion: `Create it as an administrator: CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; then run the restore again.`,
                cause: error,
              });
            });
        }
        await dropEverything(connected.session, database);
      }
      await loadInto(connected.tools, input, database, context.signal);
      return await countRowsIn(connected.session, database);
    } finally {
      await connected.close();
    }
  },

  async clear(context) {
    const target = mysqlTarget(context);
    const connected = await connect(context, null);
    try {
      if (await databaseExists(connected.session, target.database)) await dropEverything(connected.session, target.database);
    } finally {
      await connected.close();
    }
  },

  async createScratch(context) {
    const target = mysqlTarget(context);
    // The name records this host, pid and process start, so a later run can tell whether it still goes.
    const name = scratchSchemaName(target.database);
    const connected = await connect(context, null);
    try {
      await dropDeadScratchSchemas(context, connected.session, target.database);
      await connected.session
        .run(`CREATE DATABASE ${quoteId(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
        .catch((error: unknown) => privilegeHint(error, `create the scratch schema ${name}`, target.database));
    } finally {
      await connected.close();
    }
    return {
      target: { kind: 'scratch', name },
      description: `the temporary schema ${name}`,
      async drop() {
        // Also after SIGINT/SIGTERM: this connection must not be cancelled with the run.
        const again = await connect({ ...context, signal: undefined }, null);
        try {
          await again.session.run(`DROP DATABASE IF EXISTS ${quoteId(name)}`);
        } finally {
          await again.close();
        }
      },
    };
  },
};

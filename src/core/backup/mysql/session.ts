// The few SQL statements backup and restore run themselves (server version, migration heads,
// installed plugins, row counts, dropping a schema's objects, scratch schemas), over one
// connection: mysql2 when shopdb can reach the server, or the client tool of the compose runner
// when only the database container can.

import { translateConnectionError, type DatabaseTarget } from '../../db/connect.js';
import type { MysqlTools } from './tools.js';

import type { SqlRow } from '../site-state.js';

export interface SqlSession {
  /** Rows as text (NULL as null), whatever the transport. */
  rows(sql: string): Promise<SqlRow[]>;
  run(sql: string): Promise<void>;
  /** Several statements on the same connection, in order. */
  runAll(statements: string[]): Promise<void>;
  close(): Promise<void>;
}

export const quoteText = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

type MysqlTarget = Extract<DatabaseTarget, { client: 'mysql' }>;

/**
 * One mysql2 connection (session settings such as FOREIGN_KEY_CHECKS hold across statements).
 * mysql2 directly rather than knex: these few statements need no query builder, and a nightly
 * backup starts faster without loading it.
 */
export async function directSession(target: MysqlTarget, database: string | null): Promise<SqlSession> {
  const { default: mysql } = await import('mysql2/promise');
  let connection: import('mysql2/promise').Connection;
  try {
    connection = await mysql.createConnection({
      host: target.host,
      port: target.port,
      socketPath: target.socketPath,
      user: target.user,
      password: target.password,
      database: database ?? undefined,
      charset: 'utf8mb4',
      connectTimeout: target.connectTimeoutMs,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      multipleStatements: false,
    });
  } catch (error) {
    throw translateConnectionError(error, { ...target, database: database ?? '' });
  }
  const text = (value: unknown): string | null =>
    value === null || value === undefined ? null : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  return {
    async rows(sql) {
      const [rows] = await connection.query(sql);
      return (rows as Array<Record<string, unknown>>).map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, text(v)])));
    },
    async run(sql) {
      await connection.query(sql);
    },
    async runAll(statements) {
      for (const sql of statements) await connection.query(sql);
    },
    close: () => connection.end(),
  };
}

/** Decodes one field of the client's --batch output. */
function unescapeBatch(field: string): string | null {
  if (field === 'NULL') return null;
  return field.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c === '0' ? '\0' : c));
}

/** Statements through the client tool (`--batch`: tab-separated, first line the column names). */
export function clientSession(tools: MysqlTools, database: string | null): SqlSession {
  const execute = async (sql: string): Promise<string> => {
    const child = await tools.client(['--batch', '--binary-mode', ...(database ? [`--database=${database}`] : []), '-e', sql], {
      stdin: 'ignore',
    });
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => (out += chunk));
    await child.done;
    return out;
  };
  return {
    async rows(sql) {
      const lines = (await execute(sql)).split('\n').filter((line) => line.length > 0);
      const [header, ...body] = lines;
      if (!header) return [];
      const names = header.split('\t');
      return body.map((line) => {
        const fields = line.split('\t');
        return Object.fromEntries(names.map((name, k) => [name, unescapeBatch(fields[k] ?? 'NULL')]));
      });
    },
    async run(sql) {
      await execute(sql);
    },
    async runAll(statements) {
      await execute(statements.join(';\n'));
    },
    async close() {},
  };
}

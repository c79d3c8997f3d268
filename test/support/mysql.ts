// The MySQL side of the test suites: probing the server named by SHOPDB_TEST_MYSQL_URL and
// creating a throwaway database per suite (dropped afterwards).

import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

export interface MysqlProbe {
  available: boolean;
  reason: string;
  url: string | null;
  redactedUrl: string | null;
  server: string | null;
}

export interface MysqlServer {
  host: string;
  port: number;
  user: string;
  password: string;
}

export function parseMysqlUrl(url: string): MysqlServer {
  const parsed = new URL(url);
  if (parsed.protocol !== 'mysql:') throw new Error(`SHOPDB_TEST_MYSQL_URL must start with mysql:// (got ${parsed.protocol})`);
  return {
    host: parsed.hostname || '127.0.0.1',
    port: Number(parsed.port || 3306),
    user: decodeURIComponent(parsed.username || 'root'),
    password: decodeURIComponent(parsed.password),
  };
}

export async function probeMysql(url: string | undefined): Promise<MysqlProbe> {
  if (!url) return { available: false, reason: 'SHOPDB_TEST_MYSQL_URL is not set', url: null, redactedUrl: null, server: null };
  const redactedUrl = url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  try {
    const server = parseMysqlUrl(url);
    const connection = await mysql.createConnection({ ...server, connectTimeout: 5000 });
    try {
      const [rows] = await connection.query('select version() as v');
      const version = (rows as Array<{ v: string }>)[0]?.v ?? 'unknown';
      return { available: true, reason: '', url, redactedUrl, server: version };
    } finally {
      await connection.end();
    }
  } catch (error) {
    return { available: false, reason: `cannot connect to ${redactedUrl}: ${(error as Error).message}`, url, redactedUrl, server: null };
  }
}

/** Runs statements as the test administrator (the URL's user). */
export async function adminQuery<T = unknown>(server: MysqlServer, sql: string, values: unknown[] = []): Promise<T> {
  const connection = await mysql.createConnection({ ...server, multipleStatements: false });
  try {
    const [rows] = await connection.query(sql, values);
    return rows as T;
  } finally {
    await connection.end();
  }
}

export function throwawayName(prefix = 'shopdb_t'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export async function createThrowawayDatabase(server: MysqlServer): Promise<string> {
  const name = throwawayName();
  await adminQuery(server, `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  return name;
}

export async function dropDatabase(server: MysqlServer, name: string): Promise<void> {
  await adminQuery(server, `DROP DATABASE IF EXISTS \`${name}\``);
}

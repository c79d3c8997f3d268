// What a backup records about the database besides its rows: the migration heads of every
// history table (core `shopdb_migrations`, each plugin's `shopdb_plugin_<name>_migrations`, found
// by name so plugins need no registration here) and the installed plugins. The same queries run
// on MySQL (a SqlSession) and on a SQLite snapshot (better-sqlite3), both quoting with backticks.

import { MIGRATION_HISTORY_TABLE, pluginMigrationTable } from '../migrations/sources.js';
import type { InstalledPluginRecord, MigrationHead } from './manifest.js';

/** A row as text (NULL as null), whatever the engine or transport. */
export type SqlRow = Record<string, string | null>;

export type Query = (sql: string) => Promise<SqlRow[]> | SqlRow[];

/** An identifier in backticks, which both MySQL and SQLite accept. */
export const quoteId = (name: string) => `\`${name.replace(/`/g, '``')}\``;

export const INSTALLED_PLUGINS_TABLE = 'installed_plugins';

export async function readInstalledPlugins(query: Query, tables: readonly string[]): Promise<InstalledPluginRecord[]> {
  if (!tables.includes(INSTALLED_PLUGINS_TABLE)) return [];
  const rows = await query(`SELECT name, version, enabled FROM ${quoteId(INSTALLED_PLUGINS_TABLE)} ORDER BY name`);
  return rows.map((row) => ({
    name: String(row.name),
    version: String(row.version ?? ''),
    enabled: row.enabled === '1' || row.enabled === 'true',
  }));
}

export function sourceOfHistoryTable(table: string, plugins: readonly InstalledPluginRecord[]): string {
  if (table === 'shopdb_migrations') return 'core';
  const plugin = plugins.find((p) => pluginMigrationTable(p.name) === table);
  return `plugin:${plugin?.name ?? table.replace(/^shopdb_plugin_/, '').replace(/_migrations$/, '')}`;
}

export async function readMigrationHeads(
  query: Query,
  tables: readonly string[],
  plugins: readonly InstalledPluginRecord[],
): Promise<MigrationHead[]> {
  const heads: MigrationHead[] = [];
  for (const table of tables.filter((name) => MIGRATION_HISTORY_TABLE.test(name)).sort()) {
    const [last] = await query(`SELECT name FROM ${quoteId(table)} ORDER BY id DESC LIMIT 1`);
    const [count] = await query(`SELECT COUNT(*) AS n FROM ${quoteId(table)}`);
    heads.push({ table, source: sourceOfHistoryTable(table, plugins), head: last?.name ?? null, applied: Number(count?.n ?? 0) });
  }
  return heads;
}

export async function countRows(query: Query, tables: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of [...tables].sort()) {
    const [row] = await query(`SELECT COUNT(*) AS n FROM ${quoteId(table)}`);
    counts[table] = Number(row?.n ?? 0);
  }
  return counts;
}

/** Per-table differences between what a manifest says and what a database holds. */
export function compareCounts(expected: Record<string, number>, actual: Record<string, number>): string[] {
  const problems: string[] = [];
  for (const [table, rows] of Object.entries(expected)) {
    if (!(table in actual)) problems.push(`${table}: missing (the manifest says ${rows} rows)`);
    else if (actual[table] !== rows) problems.push(`${table}: ${actual[table]} rows, the manifest says ${rows}`);
  }
  for (const table of Object.keys(actual)) if (!(table in expected)) problems.push(`${table}: not in the manifest`);
  return problems;
}

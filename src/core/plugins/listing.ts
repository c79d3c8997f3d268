// What `shopdb plugin list` and `plugin info` show: every plugin of the catalog and of the site
// with its status, and what one plugin holds on the site (its tables, rows and assets).

import type { Knex } from 'knex';
import { gt } from './versions.js';
import { listTables } from '../db/schema.js';
import { migrationStatus, type SourceStatus } from '../migrations/service.js';
import { MIGRATION_HISTORY_TABLE } from '../migrations/sources.js';
import { dependentsOf, findPlugin, pluginMigrationSource, type PluginCatalog } from './catalog.js';
import { tablePrefixOf } from './manifest.js';
import { detailTableName } from './detail-table.js';
import { findInstalled, listInstalled } from './state.js';

import type { PluginSession } from './session.js';

export type PluginStatus = 'available' | 'enabled' | 'disabled' | 'upgradable' | 'missing' | 'unusable';

export interface PluginListing {
  name: string;
  description: string | null;
  /** Version shipped with this shopdb (or installed beside it); null when it is missing. */
  availableVersion: string | null;
  installedVersion: string | null;
  enabled: boolean;
  status: PluginStatus;
  origin: 'bundled' | 'package' | null;
  dependsOn: string[];
  /** Why it cannot be used (invalid manifest, incompatible core, dependency trouble). */
  problems: string[];
}

export async function listPlugins(session: PluginSession): Promise<PluginListing[]> {
  const installed = new Map((await listInstalled(session.db)).map((p) => [p.name, p]));
  const listings: PluginListing[] = session.catalog.plugins.map((plugin) => {
    const { manifest } = plugin;
    const state = installed.get(manifest.name);
    let status: PluginStatus = state ? (state.enabled ? 'enabled' : 'disabled') : 'available';
    if (state && gt(manifest.version, state.version)) status = 'upgradable';
    if (plugin.problems.length > 0) status = 'unusable';
    return {
      name: manifest.name,
      description: manifest.description,
      availableVersion: manifest.version,
      installedVersion: state?.version ?? null,
      enabled: state?.enabled ?? false,
      status,
      origin: plugin.origin.kind,
      dependsOn: manifest.dependsOn ?? [],
      problems: plugin.problems,
    };
  });
  for (const invalid of session.catalog.invalid) {
    const state = installed.get(invalid.name);
    listings.push({
      name: invalid.name,
      description: null,
      availableVersion: null,
      installedVersion: state?.version ?? null,
      enabled: state?.enabled ?? false,
      status: 'unusable',
      origin: invalid.origin.kind,
      dependsOn: [],
      problems: [invalid.error.message],
    });
  }
  for (const state of installed.values()) {
    if (listings.some((l) => l.name === state.name)) continue;
    listings.push({
      name: state.name,
      description: null,
      availableVersion: null,
      installedVersion: state.version,
      enabled: state.enabled,
      status: 'missing',
      origin: null,
      dependsOn: [],
      problems: ['installed on this site, but its files are not available to this shopdb'],
    });
  }
  return listings.sort((a, b) => a.name.localeCompare(b.name));
}

/** What a plugin holds on this site: rows in its tables, and assets of its types. */
export interface PluginHoldings {
  tables: Array<{ table: string; rows: number }>;
  assets: number;
  total: number;
}

/**
 * The plugin a table belongs to: the one with the longest matching prefix, so `net_scan_hosts`
 * is plugin net-scan's even when a plugin `net` exists. `names` are every plugin known here.
 */
export function tableOwner(table: string, names: Iterable<string>): string | undefined {
  let owner: string | undefined;
  for (const name of names) {
    const prefix = tablePrefixOf(name);
    if (table.startsWith(prefix) && (owner === undefined || prefix.length > tablePrefixOf(owner).length)) owner = name;
  }
  return owner;
}

/** Every plugin name this site knows of: available here, or installed. */
export async function knownPluginNames(db: Knex | Knex.Transaction, catalog: PluginCatalog): Promise<Set<string>> {
  const names = new Set([...catalog.plugins.map((p) => p.manifest.name), ...catalog.invalid.map((p) => p.name)]);
  for (const state of await listInstalled(db)) names.add(state.name);
  return names;
}

/** The tables of plugin `name` (by prefix, the longest prefix winning), its migration history left out. */
export async function pluginTables(db: Knex | Knex.Transaction, name: string, catalog: PluginCatalog): Promise<string[]> {
  const names = await knownPluginNames(db, catalog);
  names.add(name);
  return (await listTables(db)).filter(
    (table) => !MIGRATION_HISTORY_TABLE.test(table.replace(/_lock$/, '')) && tableOwner(table, names) === name,
  );
}

export async function pluginHoldings(db: Knex, name: string, catalog: PluginCatalog): Promise<PluginHoldings> {
  const tables: PluginHoldings['tables'] = [];
  for (const table of await pluginTables(db, name, catalog)) {
    const [{ rows }] = (await db(table).count({ rows: '*' })) as Array<{ rows: number | string }>;
    tables.push({ table, rows: Number(rows) });
  }
  const [{ assets }] = (await db('assets')
    .whereIn('type_id', db('asset_types').select('id').where({ plugin: name }))
    .count({ assets: '*' })) as Array<{ assets: number | string }>;
  const total = tables.reduce((sum, t) => sum + t.rows, 0) + Number(assets);
  return { tables, assets: Number(assets), total };
}

export interface PluginInfo extends PluginListing {
  assetTypes: Array<{ key: string; label: string; detailTable: string | null }>;
  routePrefix: string | null;
  migrations: SourceStatus | null;
  holdings: PluginHoldings | null;
  /** Plugins that depend on this one. */
  dependents: string[];
  installedAt: Date | null;
}

export const PLUGIN_ROUTE_PREFIX = '/api/plugins';

export async function pluginInfo(session: PluginSession, name: string): Promise<PluginInfo> {
  const listing = (await listPlugins(session)).find((l) => l.name === name);
  if (!listing) findPlugin(session.catalog, name); // throws the "no such plugin" error
  const plugin = session.catalog.plugins.find((p) => p.manifest.name === name);
  const state = await findInstalled(session.db, name);
  const source = plugin ? pluginMigrationSource(plugin) : null;
  const migrations = source && state ? (await migrationStatus(session.db, [source])).sources[0]! : null;
  return {
    ...listing!,
    assetTypes: (plugin?.manifest.assetTypes ?? []).map((t) => ({
      key: t.key,
      label: t.label,
      detailTable: detailTableName(t.detailTable) ?? null,
    })),
    routePrefix: plugin?.manifest.routes ? `${PLUGIN_ROUTE_PREFIX}/${name}` : null,
    migrations,
    holdings: state ? await pluginHoldings(session.db, name, session.catalog) : null,
    dependents: dependentsOf(session.catalog, name),
    installedAt: state?.installedAt ?? null,
  };
}

/** Adds or updates the plugin's asset types; a key owned by the core or another plugin is a conflict. */

// The site summary (`GET /api/summary`, issue 19, ADR-021): what a fleet's central instance pulls
// from each site. Aggregates only — counts, versions, schema heads, plugins' headline figures,
// the age of the last good backup — never an asset row or anything about a user.

import { resolve } from 'node:path';
import type { Knex } from 'knex';
import type { LoadedConfig } from '../config/index.js';
import { findLastGoodBackup } from '../backup/last-good.js';
import { asShopdbError } from '../errors.js';
import { pluginMigrationTable, type MigrationSourceSpec } from '../migrations/sources.js';
import type { PluginHeadline } from '../plugins/manifest.js';
import type { AvailablePlugin } from '../plugins/catalog.js';
import { listInstalled } from '../plugins/state.js';

/** The version of the summary's shape. A central instance refuses a format it does not know. */
export const SUMMARY_FORMAT = 1;

export interface SchemaHead {
  /** `core` or `plugin:<name>`. */
  source: string;
  /** The newest applied migration; null when none is. */
  head: string | null;
  applied: number;
}

export interface PluginSummary {
  name: string;
  version: string;
  enabled: boolean;
  /** Enabled plugins with a summary hook; [] otherwise. */
  headlines: PluginHeadline[];
  /** Why the plugin's figures are missing (its hook failed); null when they are there. */
  error: string | null;
}

export interface CountBy {
  key: string | null;
  label: string;
  count: number;
}

export interface BackupAge {
  state: 'found' | 'none' | 'unknown';
  createdAt: string | null;
  ageSeconds: number | null;
  reason: string | null;
}

export interface SiteSummary {
  format: typeof SUMMARY_FORMAT;
  site: string;
  shopdbVersion: string;
  generatedAt: string;
  schema: SchemaHead[];
  plugins: PluginSummary[];
  assets: { total: number; byType: CountBy[]; byStatus: CountBy[]; byLocation: CountBy[] };
  backup: BackupAge;
}

export interface SiteSummaryInput {
  db: Knex;
  config: LoadedConfig;
  version: string;
  /** The core's migration source(s). */
  coreSources: readonly MigrationSourceSpec[];
  /** The plugins this server can run (the catalog's usable ones). */
  plugins: readonly AvailablePlugin[];
  now?: Date;
}

async function headOf(db: Knex, table: string, source: string): Promise<SchemaHead | null> {
  if (!(await db.schema.hasTable(table))) return null;
  const last = (await db(table).orderBy('id', 'desc').first('name')) as { name: string } | undefined;
  const [{ applied }] = (await db(table).count({ applied: '*' })) as Array<{ applied: number | string }>;
  return { source, head: last?.name ?? null, applied: Number(applied) };
}

const byCount = (a: CountBy, b: CountBy) => b.count - a.count || a.label.localeCompare(b.label);

async function assetCounts(db: Knex): Promise<SiteSummary['assets']> {
  const live = () => db({ a: 'assets' }).whereNull('a.deleted_at');
  const types = (await live()
    .join({ t: 'asset_types' }, 't.id', 'a.type_id')
    .groupBy('t.key', 't.label')
    .select('t.key', 't.label')
    .count({ count: '*' })) as Array<{ key: string; label: string; count: number | string }>;
  const statuses = (await live()
    .leftJoin({ s: 'status_labels' }, 's.id', 'a.status_id')
    .groupBy('s.name')
    .select('s.name')
    .count({ count: '*' })) as Array<{ name: string | null; count: number | string }>;
  const places = (await live()
    .leftJoin({ l: 'locations' }, 'l.id', 'a.location_id')
    .groupBy('l.path')
    .select('l.path')
    .count({ count: '*' })) as Array<{ path: string | null; count: number | string }>;

  // A location's path is `/<root id>/…/`: its assets count for the top-level location, the root.
  const roots = new Map<number | null, number>();
  for (const place of places) {
    const root = place.path === null ? null : Number(place.path.split('/')[1]);
    roots.set(root, (roots.get(root) ?? 0) + Number(place.count));
  }
  const rootIds = [...roots.keys()].filter((id): id is number => id !== null);
  const rootRows =
    rootIds.length === 0
      ? []
      : ((await db('locations').whereIn('id', rootIds).select('id', 'code', 'name')) as Array<{ id: number; code: string; name: string }>);
  const byLocation: CountBy[] = [...roots].map(([id, count]) => {
    const row = rootRows.find((r) => Number(r.id) === id);
    return { key: row?.code ?? null, label: row?.name ?? '(no location)', count };
  });

  const byType = types.map((t) => ({ key: t.key, label: t.label, count: Number(t.count) }));
  return {
    total: byType.reduce((sum, t) => sum + t.count, 0),
    byType: byType.sort(byCount),
    byStatus: statuses.map((s) => ({ key: s.name, label: s.name ?? '(no status)', count: Number(s.count) })).sort(byCount),
    byLocation: byLocation.sort(byCount),
  };
}

async function backupAge(config: LoadedConfig, now: Date): Promise<BackupAge> {
  const directory = resolve(config.baseDir, config.values.BACKUP_DIR);
  const last = await findLastGoodBackup(directory, config.values.SHOPDB_SITE_NAME);
  if (last.state !== 'found') return { state: last.state, createdAt: null, ageSeconds: null, reason: last.reason };
  return {
    state: 'found',
    createdAt: last.createdAt.toISOString(),
    ageSeconds: Math.max(0, Math.round((now.getTime() - last.createdAt.getTime()) / 1000)),
    reason: null,
  };
}

/** A plugin's hook that fails costs that plugin's figures, never the summary. */
async function pluginSummaries(input: SiteSummaryInput, now: Date): Promise<PluginSummary[]> {
  const installed = await listInstalled(input.db);
  const results: PluginSummary[] = [];
  for (const state of installed) {
    const plugin = input.plugins.find((p) => p.manifest.name === state.name);
    const entry: PluginSummary = {
      name: state.name,
      version: state.version,
      enabled: state.enabled && plugin !== undefined,
      headlines: [],
      error: null,
    };
    if (entry.enabled && plugin?.manifest.summary) {
      try {
        entry.headlines = await plugin.manifest.summary({ db: input.db, plugin: { name: state.name, version: state.version }, now });
      } catch (error) {
        entry.error = asShopdbError(error).message;
      }
    }
    results.push(entry);
  }
  return results;
}

export async function buildSiteSummary(input: SiteSummaryInput): Promise<SiteSummary> {
  const now = input.now ?? new Date();
  const { db } = input;
  const installed = await listInstalled(db);
  const heads: SchemaHead[] = [];
  for (const source of input.coreSources) {
    const head = await headOf(db, source.tableName, source.id);
    if (head) heads.push(head);
  }
  for (const plugin of installed) {
    const head = await headOf(db, pluginMigrationTable(plugin.name), `plugin:${plugin.name}`);
    if (head) heads.push(head);
  }
  return {
    format: SUMMARY_FORMAT,
    site: input.config.values.SHOPDB_SITE_NAME,
    shopdbVersion: input.version,
    generatedAt: now.toISOString(),
    schema: heads,
    plugins: await pluginSummaries(input, now),
    assets: await assetCounts(db),
    backup: await backupAge(input.config, now),
  };
}

/** How long a site keeps its summary: long enough for a burst of pollers, short against a fleet's minute-scale polling. */
export const SUMMARY_TTL_MS = 5_000;

/**
 * The summary kept for `ttlMs`, with one build shared by concurrent callers, so a dozen pollers
 * cost one set of queries. Per process: with several serve replicas each keeps its own copy for a
 * few seconds, which is harmless — it is an aggregate anyone allowed to read it may see, and it
 * decides no access (STYLE: no access decision may live in one process's memory).
 */
export class SummaryCache {
  private kept: { at: number; value: SiteSummary } | null = null;
  private pending: Promise<SiteSummary> | null = null;

  constructor(
    private readonly build: () => Promise<SiteSummary>,
    readonly ttlMs = SUMMARY_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<SiteSummary> {
    if (this.kept && this.now() - this.kept.at < this.ttlMs) return this.kept.value;
    this.pending ??= this.build()
      .then((value) => {
        this.kept = { at: this.now(), value };
        return value;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }
}

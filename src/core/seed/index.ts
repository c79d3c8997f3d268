// `shopdb seed`: the reference data every site needs (roles, status labels, core asset types),
// and with `demo` a small believable sample site. Idempotent: rows are matched by their natural
// key (name, key, code, asset tag) and never overwritten, so running it twice changes nothing
// and a site's own edits survive.

import type { Knex } from 'knex';
import type { Actor } from '../audit/log.js';
import { textKey } from '../db/text-keys.js';
import { inTransaction } from '../db/transaction.js';
import { encodeRow } from '../db/values.js';
import { UserError } from '../errors.js';
import { migrationStatus } from '../migrations/service.js';
import { siteMigrationSources } from '../migrations/sources.js';
import { ROLES } from '../auth/types.js';
import { ensureRoles } from '../users/service.js';
import type { CustomFieldDefinition } from '../inventory/custom-fields.js';
import type { StatusLabel } from '../inventory/reference.js';
import { shopdbVersion } from '../paths.js';
import { loadPluginCatalog, type PluginCatalog } from '../plugins/catalog.js';
import { seedPlugins } from '../plugins/service.js';
import { seedDemoSite } from './demo.js';

export interface SeedCounts {
  created: number;
  existing: number;
}

export interface SeedResult {
  roles: SeedCounts;
  statusLabels: SeedCounts;
  assetTypes: SeedCounts;
  demo: SeedCounts | null;
  /** Enabled plugins whose seed ran (with demo data when `demo`), in dependency order. */
  plugins: string[];
}

export const CORE_STATUS_LABELS: Array<Pick<StatusLabel, 'name' | 'color' | 'kind'>> = [
  { name: 'In service', color: '#2e7d32', kind: 'deployable' },
  { name: 'Spare', color: '#0277bd', kind: 'deployable' },
  { name: 'Pending install', color: '#f9a825', kind: 'pending' },
  { name: 'Down for repair', color: '#c62828', kind: 'broken' },
  { name: 'Retired', color: '#616161', kind: 'archived' },
];

/**
 * The core's own asset type. Equipment, computers, printers and network devices are contributed
 * by their plugins (with their fields and detail tables), so a site without a plugin has no type
 * it cannot use.
 */
export const CORE_ASSET_TYPES: Array<{ key: string; label: string; fields: CustomFieldDefinition[] }> = [
  { key: 'other', label: 'Other asset', fields: [] },
];

/**
 * Inserts each row whose natural key is not there yet; never updates an existing one. With
 * `textKeyColumn` the key is compared (and written) as its unique text key (ADR-013).
 */
export async function insertMissing(
  db: Knex | Knex.Transaction,
  table: string,
  key: string,
  rows: Array<Record<string, unknown>>,
  textKeyColumn?: string,
): Promise<SeedCounts> {
  const keyed = textKeyColumn === undefined ? rows : rows.map((row) => ({ ...row, [textKeyColumn]: textKey(String(row[key])) }));
  const column = textKeyColumn ?? key;
  const present = new Set(
    (
      (await db(table)
        .whereIn(
          column,
          keyed.map((row) => row[column] as string),
        )
        .pluck(column)) as unknown[]
    ).map(String),
  );
  const missing = keyed.filter((row) => !present.has(String(row[column])));
  if (missing.length > 0) await db(table).insert(missing);
  return { created: missing.length, existing: rows.length - missing.length };
}

async function seedRoles(db: Knex.Transaction): Promise<SeedCounts> {
  const count = async () => Number(((await db('roles').whereIn('name', ROLES).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
  const before = await count();
  await ensureRoles(db);
  return { created: (await count()) - before, existing: before };
}

export interface SeedOptions {
  demo: boolean;
  actor: Actor;
  /** The plugins whose seeds may run; defaults to the bundled ones. */
  catalog?: PluginCatalog;
  log?: (message: string) => void;
}

export async function seedSite(db: Knex, options: SeedOptions): Promise<SeedResult> {
  const status = await migrationStatus(db, siteMigrationSources().list());
  if (!status.upToDate) {
    throw new UserError('The database schema is not up to date, so there is nothing to seed into yet', {
      suggestion: 'Run `shopdb migrate` first.',
    });
  }
  const reference = await inTransaction(db, async (trx) => ({
    roles: await seedRoles(trx),
    statusLabels: await insertMissing(trx, 'status_labels', 'name', CORE_STATUS_LABELS, 'name_key'),
    assetTypes: await insertMissing(
      trx,
      'asset_types',
      'key',
      CORE_ASSET_TYPES.map((type) => encodeRow({ fields: 'json' }, { ...type, plugin: null })),
    ),
  }));
  const demo = options.demo ? await seedDemoSite(db, options.actor) : null;
  const catalog = options.catalog ?? (await loadPluginCatalog({ coreVersion: shopdbVersion(), packageDirs: [] }));
  const plugins = await seedPlugins({ db, catalog, actor: options.actor, log: options.log }, options.demo);
  return { ...reference, demo, plugins };
}

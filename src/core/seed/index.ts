// `shopdb seed`: the reference data every site needs (roles, status labels, core asset types),
// and with `demo` a small believable sample site. Idempotent: rows are matched by their natural
// key (name, key, code, asset tag) and never overwritten, so running it twice changes nothing
// and a site's own edits survive.

import type { Knex } from 'knex';
import type { Actor } from '../audit/log.js';
import { encodeRow } from '../db/values.js';
import { UserError } from '../errors.js';
import { migrationStatus } from '../migrations/service.js';
import { siteMigrationSources } from '../migrations/sources.js';
import { ROLES } from '../auth/types.js';
import { ensureRoles } from '../users/service.js';
import type { CustomFieldDefinition } from '../inventory/custom-fields.js';
import type { StatusLabel } from '../inventory/reference.js';
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
}

export const CORE_STATUS_LABELS: Array<Pick<StatusLabel, 'name' | 'color' | 'kind'>> = [
  { name: 'In service', color: '#2e7d32', kind: 'deployable' },
  { name: 'Spare', color: '#0277bd', kind: 'deployable' },
  { name: 'Pending install', color: '#f9a825', kind: 'pending' },
  { name: 'Down for repair', color: '#c62828', kind: 'broken' },
  { name: 'Retired', color: '#616161', kind: 'archived' },
];

export const CONTROLLER_MAKES = ['Fanuc', 'Siemens', 'Heidenhain', 'Okuma', 'Mazak', 'Haas', 'Fagor', 'Other'];

export const CORE_ASSET_TYPES: Array<{ key: string; label: string; fields: CustomFieldDefinition[] }> = [
  {
    key: 'equipment',
    label: 'Shop equipment',
    fields: [
      { key: 'machine_number', label: 'Machine number', type: 'string', maxLength: 32 },
      { key: 'controller', label: 'Controller make', type: 'enum', choices: CONTROLLER_MAKES },
      { key: 'criticality', label: 'Criticality', type: 'enum', choices: ['low', 'medium', 'high'] },
    ],
  },
  {
    key: 'computer',
    label: 'Computer',
    fields: [
      { key: 'os', label: 'Operating system', type: 'string', maxLength: 100 },
      { key: 'ip', label: 'IP address', type: 'ip' },
    ],
  },
  {
    key: 'printer',
    label: 'Printer',
    fields: [
      { key: 'ip', label: 'IP address', type: 'ip' },
      { key: 'queue', label: 'Queue or share name', type: 'string', maxLength: 100 },
    ],
  },
  {
    key: 'network',
    label: 'Network device',
    fields: [
      { key: 'management_ip', label: 'Management IP', type: 'ip' },
      { key: 'role', label: 'Role', type: 'enum', choices: ['switch', 'access-point', 'firewall', 'router', 'camera'] },
    ],
  },
  { key: 'other', label: 'Other asset', fields: [] },
];

/** Inserts each row whose natural key is not there yet; never updates an existing one. */
export async function insertMissing(db: Knex | Knex.Transaction, table: string, key: string, rows: Array<Record<string, unknown>>): Promise<SeedCounts> {
  const present = new Set(((await db(table).whereIn(key, rows.map((row) => row[key] as string)).pluck(key)) as unknown[]).map(String));
  const missing = rows.filter((row) => !present.has(String(row[key])));
  if (missing.length > 0) await db(table).insert(missing);
  return { created: missing.length, existing: rows.length - missing.length };
}

async function seedRoles(db: Knex.Transaction): Promise<SeedCounts> {
  const count = async () => Number(((await db('roles').whereIn('name', ROLES).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
  const before = await count();
  await ensureRoles(db);
  return { created: (await count()) - before, existing: before };
}

export async function seedSite(db: Knex, options: { demo: boolean; actor: Actor }): Promise<SeedResult> {
  const status = await migrationStatus(db, siteMigrationSources().list());
  if (!status.upToDate) {
    throw new UserError('The database schema is not up to date, so there is nothing to seed into yet', { suggestion: 'Run `shopdb migrate` first.' });
  }
  const reference = await db.transaction(async (trx) => ({
    roles: await seedRoles(trx),
    statusLabels: await insertMissing(trx, 'status_labels', 'name', CORE_STATUS_LABELS),
    assetTypes: await insertMissing(
      trx,
      'asset_types',
      'key',
      CORE_ASSET_TYPES.map((type) => encodeRow({ fields: 'json' }, { ...type, plugin: null })),
    ),
  }));
  const demo = options.demo ? await seedDemoSite(db, options.actor) : null;
  return { ...reference, demo };
}

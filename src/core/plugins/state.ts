// Which plugins a site has installed, at which version, and whether they are enabled: the
// `installed_plugins` table of the site's own database (ADR-003).

import type { Db } from '../db/transaction.js';
import { decodeRow, formatUtcDatetime } from '../db/values.js';
import { UserError } from '../errors.js';

export const STATE_TABLE = 'installed_plugins';

export interface InstalledPlugin {
  name: string;
  version: string;
  enabled: boolean;
  installedAt: Date;
  updatedAt: Date;
}

const CODEC = { enabled: 'boolean', installed_at: 'date', updated_at: 'date' } as const;

function toInstalled(raw: Record<string, unknown>): InstalledPlugin {
  const row = decodeRow<Record<string, unknown>>(CODEC, raw);
  return {
    name: row.name as string,
    version: row.version as string,
    enabled: row.enabled as boolean,
    installedAt: row.installed_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

/** Plugins need the core schema (this table, asset types); say so instead of a missing-table error. */
export async function assertCoreMigrated(db: Db): Promise<void> {
  if (!(await db.schema.hasTable(STATE_TABLE))) {
    throw new UserError('The site database has no core schema yet', {
      suggestion: 'Run `shopdb migrate` first, then the plugin command again.',
    });
  }
}

export async function listInstalled(db: Db): Promise<InstalledPlugin[]> {
  if (!(await db.schema.hasTable(STATE_TABLE))) return [];
  return ((await db(STATE_TABLE).orderBy('name')) as Array<Record<string, unknown>>).map(toInstalled);
}

export async function findInstalled(db: Db, name: string): Promise<InstalledPlugin | undefined> {
  const row = (await db(STATE_TABLE).where({ name }).first()) as Record<string, unknown> | undefined;
  return row ? toInstalled(row) : undefined;
}

export async function recordInstalled(db: Db, name: string, version: string): Promise<void> {
  const now = formatUtcDatetime(new Date());
  if (await findInstalled(db, name)) await db(STATE_TABLE).where({ name }).update({ version, enabled: true, updated_at: now });
  else await db(STATE_TABLE).insert({ name, version, enabled: true, installed_at: now, updated_at: now });
}

/** A new version of an installed plugin; enabled or not stays as it was. */
export async function recordVersion(db: Db, name: string, version: string): Promise<void> {
  await db(STATE_TABLE)
    .where({ name })
    .update({ version, updated_at: formatUtcDatetime(new Date()) });
}

export async function setEnabled(db: Db, name: string, enabled: boolean): Promise<void> {
  await db(STATE_TABLE)
    .where({ name })
    .update({ enabled, updated_at: formatUtcDatetime(new Date()) });
}

export async function forgetInstalled(db: Db, name: string): Promise<void> {
  await db(STATE_TABLE).where({ name }).delete();
}

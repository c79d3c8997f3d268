// An asset's history: the audit entries of the asset itself, its plugin detail rows and the
// plugin records that belong to it (maintenance, interfaces, installations …), newest first.
// Readable by every role, unlike the full audit log, because it shows only what the reader can
// already see: an asset hidden by a disabled plugin, or deleted, has no history to read here.

import type { Knex } from 'knex';
import { listAudit, type AuditEntry } from '../audit/log.js';
import { getAsset } from './assets.js';

export interface AssetHistoryQuery {
  limit: number;
  offset: number;
}

export async function assetHistory(
  db: Knex,
  assetId: number,
  enabledPlugins: readonly string[],
  query: AssetHistoryQuery,
): Promise<{ count: number; results: AuditEntry[] }> {
  await getAsset(db, assetId, enabledPlugins);
  return listAudit(db, { assetId, limit: query.limit, offset: query.offset });
}

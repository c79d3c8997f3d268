// An editor pins one asset to a Zabbix host, or unpins it (the API's PUT/DELETE
// /api/assets/:id/monitoring/pin). The host must be one Zabbix knows (the cached host map, else a
// fresh one); one host is pinned to at most one asset. Both are audited.

import type { Knex } from 'knex';
import { recordAudit, type Actor } from '../audit/log.js';
import { inTransaction } from '../db/transaction.js';
import { formatUtcDatetime } from '../db/values.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { pinFromRow, type Monitoring, type MonitoringPin, type ZabbixHost } from './service.js';

async function liveAsset(db: Knex, assetId: number): Promise<void> {
  const asset = await db('assets').where('id', assetId).whereNull('deleted_at').first('id');
  if (!asset) throw new NotFoundError(`There is no asset with id ${assetId}`);
}

export async function pinAsset(db: Knex, monitoring: Monitoring, actor: Actor, assetId: number, hostid: string): Promise<MonitoringPin> {
  await liveAsset(db, assetId);
  let host: ZabbixHost | undefined = ((await monitoring.cachedHosts(db)).body ?? []).find((h) => h.hostid === hostid);
  host ??= (await monitoring.refreshHosts(db)).find((h) => h.hostid === hostid);
  if (!host)
    throw new ValidationError(`Zabbix has no host ${hostid} that the configured credentials can read`, {
      hostid: 'is not a Zabbix host id',
    });
  return inTransaction(
    db,
    async (trx) => {
      const other = await trx('monitoring_pins').where('hostid', hostid).whereNot('asset_id', assetId).first('asset_id');
      if (other)
        throw new ConflictError(`Zabbix host ${host.host} is already pinned to asset ${other.asset_id}`, {
          suggestion: 'Unpin it from that asset first.',
        });
      const before = await trx('monitoring_pins').where('asset_id', assetId).first();
      const row = {
        asset_id: assetId,
        hostid,
        host: host.host,
        matched_how: 'manual',
        matched_at: formatUtcDatetime(new Date()),
        matched_by: actor.username ?? 'unknown',
      };
      if (before) await trx('monitoring_pins').where('asset_id', assetId).update(row);
      else await trx('monitoring_pins').insert(row);
      await recordAudit(trx, actor, {
        action: 'monitoring.pin',
        objectType: 'asset',
        objectId: assetId,
        before: before ? { hostid: before.hostid, host: before.host } : undefined,
        after: { hostid, host: host.host, how: 'manual' },
      });
      return pinFromRow(row);
    },
    { serializeOn: ['monitoring:pins'] },
  );
}

export async function unpinAsset(db: Knex, actor: Actor, assetId: number): Promise<void> {
  await liveAsset(db, assetId);
  await inTransaction(
    db,
    async (trx) => {
      const before = await trx('monitoring_pins').where('asset_id', assetId).first();
      if (!before) throw new NotFoundError(`Asset ${assetId} is not pinned to a Zabbix host`);
      await trx('monitoring_pins').where('asset_id', assetId).delete();
      await recordAudit(trx, actor, {
        action: 'monitoring.unpin',
        objectType: 'asset',
        objectId: assetId,
        before: { hostid: before.hostid, host: before.host },
      });
    },
    { serializeOn: ['monitoring:pins'] },
  );
}

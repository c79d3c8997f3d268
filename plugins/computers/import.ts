// The host details as `shopdb import` / `shopdb export` columns (`computers.<field>`): the types
// the core checks, this plugin's domain rule (a name exactly while joined), and batch reads and
// writes of the detail rows. The last-seen time is telemetry, not a register field: not a column.

import type { Knex } from 'knex';
import { encodeRow, formatUtcDatetime, type PluginDetailColumns, type PluginDetailWrite } from 'shopdb/sdk';
import { DOMAIN_NAME, HOSTS, type HostDetails } from './service.js';

const HOST_CODEC = { domain_joined: 'boolean', last_seen_at: 'date' } as const;
const detailsOf = (row: Record<string, unknown>): HostDetails => HOSTS.read(row);

export const hostColumns: PluginDetailColumns = {
  columns: [
    { field: 'os', type: 'text', maxLength: 100, description: 'Operating system (Windows 10 IoT Enterprise LTSC …).' },
    { field: 'os_version', type: 'text', maxLength: 64, description: 'Operating system version or build.' },
    { field: 'domain_joined', type: 'boolean', description: 'Joined to a domain (then domain_name is required).' },
    { field: 'domain_name', type: 'text', maxLength: 191, description: 'The domain, like p7.example.com; only while domain_joined.' },
    { field: 'warranty_end', type: 'date', description: 'End of the hardware warranty (YYYY-MM-DD).' },
  ],
  check(values) {
    const problems: Record<string, string> = {};
    const joined = values.domain_joined === true;
    const name = (values.domain_name as string | null | undefined) ?? null;
    if (name !== null && !DOMAIN_NAME.test(name))
      problems.domain_name = 'must be a domain name like p7.example.com (letters, digits, hyphens and dots)';
    else if (joined && name === null) problems.domain_name = 'is required while domain_joined is true';
    else if (!joined && name !== null) problems.domain_name = 'must be empty unless domain_joined is true';
    return problems;
  },
  async read(db, assetIds) {
    const found = new Map<number, Record<string, unknown>>();
    if (assetIds.length === 0) return found;
    const rows = (await db('computers_hosts')
      .whereIn('asset_id', [...assetIds])
      .select('asset_id', 'os_name', 'os_version', 'domain_joined', 'domain_name', 'last_seen_at', 'warranty_end')) as Array<
      Record<string, unknown>
    >;
    for (const row of rows) {
      const d = detailsOf(row);
      found.set(Number(row.asset_id), {
        os: d.os,
        os_version: d.osVersion,
        domain_joined: d.domainJoined,
        domain_name: d.domainName,
        warranty_end: d.warrantyEnd,
      });
    }
    return found;
  },
  async write(db: Knex.Transaction, rows: readonly PluginDetailWrite[]) {
    if (rows.length === 0) return;
    const toRow = (values: Record<string, unknown>) => {
      const row: Record<string, unknown> = {};
      for (const [field, value] of Object.entries(values)) row[field === 'os' ? 'os_name' : field] = value;
      return encodeRow(HOST_CODEC, row);
    };
    const existing = new Set(
      (
        (await db('computers_hosts')
          .whereIn(
            'asset_id',
            rows.map((r) => r.assetId),
          )
          .pluck('asset_id')) as unknown[]
      ).map(Number),
    );
    const columns = ['os_name', 'os_version', 'domain_joined', 'domain_name', 'warranty_end'];
    const inserts = rows
      .filter((r) => !existing.has(r.assetId))
      .map((r) => {
        const row = toRow(r.values);
        return {
          asset_id: r.assetId,
          ...Object.fromEntries(
            columns.map((c) => [
              c,
              c in row ? row[c] : c === 'domain_joined' ? encodeRow(HOST_CODEC, { domain_joined: false }).domain_joined : null,
            ]),
          ),
        };
      });
    for (let i = 0; i < inserts.length; i += 500) await db('computers_hosts').insert(inserts.slice(i, i + 500));
    const now = formatUtcDatetime(new Date());
    for (const r of rows)
      if (existing.has(r.assetId) && Object.keys(r.values).length > 0)
        await db('computers_hosts')
          .where({ asset_id: r.assetId })
          .update({ ...toRow(r.values), updated_at: now });
  },
};

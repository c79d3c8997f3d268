// The computers plugin: shop-floor PCs. It contributes the `computer` asset type with its detail
// table (operating system, domain, last seen, warranty; the hostname is the core's), network
// interfaces, and routes under /api/plugins/computers for the machines each PC drives — kept as
// the core's `controls` links, so it needs no other plugin.

import { definePlugin } from 'shopdb/sdk';
import { routes } from './routes.js';
import { seed } from './seed.js';
import { COMPUTER_TYPE, HOSTS, releaseInterfaces } from './service.js';
import { hostColumns } from './import.js';

export default definePlugin({
  name: 'computers',
  version: '1.0.0',
  description: 'Shop-floor PCs: operating system, domain, warranty, network interfaces, and the machines each PC drives.',
  core: '^0.1.0',
  // Its demo links each PC to the machine it drives, so the machines must be there first.
  seedAfter: ['equipment'],
  migrations: './migrations',
  assetTypes: [{ key: COMPUTER_TYPE, label: 'Computer', fields: [], detailTable: HOSTS, detailColumns: hostColumns }],
  seed,
  routes,
  // The interface addresses of PCs, for matching them to Zabbix hosts (`shopdb zabbix match`).
  monitoringAddresses: async ({ db }) =>
    (await db('computers_interfaces').whereNotNull('ip').select('asset_id', 'ip')).map((row: { asset_id: number; ip: string }) => ({
      assetId: Number(row.asset_id),
      ip: row.ip,
    })),
  hooks: {
    afterAssetDelete: ({ db, actor, asset }) => releaseInterfaces(db, actor, asset),
  },
});

// Network gear (docs/plugins/network.md): the `network-device` asset type (switches, access points,
// cameras, firewalls, routers) with management IP, role and firmware; VLANs; ports; and what each
// port is plugged into — another port or an end device such as a CNC or a PC.

import { definePlugin } from 'shopdb/sdk';
import { routes } from './routes.js';
import { seed } from './seed.js';
import { DEVICE_DETAILS, knownVlanIds, NETWORK_DEVICE_TYPE, unplugDeletedAsset } from './service.js';

export default definePlugin({
  name: 'network',
  version: '1.0.0',
  description: 'Network devices (switches, access points, cameras, firewalls), VLANs, ports, and what is plugged in where',
  core: '^0.1.0',
  // Its demo plugs machines, PCs and printers into switch ports.
  seedAfter: ['equipment', 'computers', 'printers'],
  migrations: './migrations',
  assetTypes: [{ key: NETWORK_DEVICE_TYPE, label: 'Network device', fields: [], detailTable: DEVICE_DETAILS }],
  seed,
  routes,
  // The management IPs of network devices, for matching them to Zabbix hosts (`shopdb zabbix match`).
  monitoringAddresses: async ({ db }) =>
    (await db('network_devices').whereNotNull('management_ip').select('asset_id', 'management_ip')).map(
      (row: { asset_id: number; management_ip: string }) => ({ assetId: Number(row.asset_id), ip: row.management_ip }),
    ),
  // The site's VLANs, for other plugins that ask through host.knownVlans (the computers plugin's interfaces).
  knownVlans: ({ db, vlanIds }) => knownVlanIds(db, vlanIds),
  hooks: {
    // A deleted asset is unplugged (any type: a CNC can be the end of a link), so the ports it used are free.
    async afterAssetDelete({ db, actor, asset }) {
      await unplugDeletedAsset(db, actor, asset.id);
    },
  },
});

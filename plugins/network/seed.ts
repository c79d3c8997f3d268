// The network plugin's share of the demo site: a firewall and a core switch, an access switch in
// each building uplinked to the core, an access point and a camera; the VLANs; their ports; and
// what is plugged in where — including CNC-4012 and its DNC PC, PC-4012, and the printers, when
// another plugin's demo has made those assets (run `shopdb seed --demo` again after adding such a
// plugin and the links appear). Matched by tag, VLAN id, port name and port; nothing is
// overwritten. Outside the demo it adds nothing.

import type { Knex } from 'knex';
import { createAsset } from 'shopdb/sdk';
import { assetModels, manufacturers } from 'shopdb/sdk';
import type { Db, PluginSeedContext } from 'shopdb/sdk';
import {
  createLink,
  createPort,
  createVlan,
  DEVICE_DETAILS,
  NETWORK_DEVICE_TYPE,
  type DeviceDetails,
  type PortInput,
  type VlanInput,
} from './service.js';

const MODELS = [
  { manufacturer: 'Cisco', name: 'Catalyst 9300-24T', category: 'Network switch' },
  { manufacturer: 'Cisco', name: 'Catalyst 9200-48P', category: 'Network switch' },
  { manufacturer: 'Cisco', name: 'Catalyst 9120AXI', category: 'Wireless access point' },
  { manufacturer: 'Axis', name: 'P3245-LVE', category: 'IP camera' },
  { manufacturer: 'Fortinet', name: 'FortiGate 60F', category: 'Firewall' },
];

const VLANS: VlanInput[] = [
  { vlanId: 10, name: 'office', subnet: '10.7.10.0/24' },
  { vlanId: 20, name: 'machines', subnet: '10.7.12.0/22' },
  { vlanId: 30, name: 'cameras', subnet: '10.7.30.0/24' },
  { vlanId: 40, name: 'printers', subnet: '10.7.20.0/23' },
  { vlanId: 99, name: 'management', subnet: '10.7.0.0/24' },
];

interface DemoDevice {
  assetTag: string;
  name: string;
  hostname: string;
  location: string;
  model: string;
  details: DeviceDetails;
  ports: PortInput[];
}

const IOS_XE = 'IOS XE 17.9.4a';

const DEVICES: DemoDevice[] = [
  {
    assetTag: 'NET-FW-01',
    name: 'Perimeter firewall',
    hostname: 'fw-01',
    location: 'P7-B1',
    model: 'FortiGate 60F',
    details: { managementIp: '10.7.0.1', role: 'firewall', firmwareVersion: 'FortiOS 7.4.4' },
    ports: [
      { name: 'wan1', description: 'ISP hand-off', isUplink: true },
      { name: 'internal1', description: 'Core switch', mode: 'trunk' },
    ],
  },
  {
    assetTag: 'NET-SW-CORE',
    name: 'Core switch',
    hostname: 'sw-core',
    location: 'P7-B1',
    model: 'Catalyst 9300-24T',
    details: { managementIp: '10.7.0.2', role: 'switch', firmwareVersion: IOS_XE },
    ports: [
      { name: 'Gi1/0/1', description: 'Firewall internal1', mode: 'trunk', isUplink: true },
      { name: 'Gi1/0/23', description: 'Building 1 access switch', mode: 'trunk' },
      { name: 'Gi1/0/24', description: 'Building 2 access switch', mode: 'trunk' },
    ],
  },
  {
    assetTag: 'NET-SW-B1',
    name: 'Building 1 access switch',
    hostname: 'sw-b1',
    location: 'P7-B1-BAY1',
    model: 'Catalyst 9200-48P',
    details: { managementIp: '10.7.0.11', role: 'switch', firmwareVersion: IOS_XE },
    ports: [
      { name: 'Gi1/0/12', description: 'CNC-4012 DMU 65 control', vlan: 20 },
      { name: 'Gi1/0/13', description: 'PC-4012 DNC PC', vlan: 20 },
      { name: 'Gi1/0/20', description: 'Bay 1 access point', mode: 'trunk' },
      { name: 'Gi1/0/31', description: 'Bay 2 camera', vlan: 30 },
      { name: 'Gi1/0/40', description: 'PRN-B1-01 traveller printer', vlan: 40 },
      { name: 'Gi1/0/48', description: 'Uplink to core', mode: 'trunk', isUplink: true },
    ],
  },
  {
    assetTag: 'NET-SW-B2',
    name: 'Building 2 access switch',
    hostname: 'sw-b2',
    location: 'P7-B2-OFFICE',
    model: 'Catalyst 9200-48P',
    details: { managementIp: '10.7.0.12', role: 'switch', firmwareVersion: IOS_XE },
    ports: [
      { name: 'Gi1/0/5', description: 'Office desk 1', vlan: 10 },
      { name: 'Gi1/0/10', description: 'PRN-B2-01 inspection printer', vlan: 40 },
      { name: 'Gi1/0/48', description: 'Uplink to core', mode: 'trunk', isUplink: true },
    ],
  },
  {
    assetTag: 'NET-AP-B1-01',
    name: 'Bay 1 access point',
    hostname: 'ap-b1-01',
    location: 'P7-B1-BAY1',
    model: 'Catalyst 9120AXI',
    details: { managementIp: '10.7.0.21', role: 'access-point', firmwareVersion: '17.9.4a' },
    ports: [{ name: 'GigabitEthernet0', description: 'PoE uplink', mode: 'trunk', isUplink: true }],
  },
  {
    assetTag: 'NET-CAM-B1-01',
    name: 'Bay 2 camera',
    hostname: 'cam-b1-01',
    location: 'P7-B1-BAY2',
    model: 'P3245-LVE',
    details: { managementIp: '10.7.30.11', role: 'camera', firmwareVersion: 'AXIS OS 11.11.73' },
    ports: [{ name: 'eth0', description: 'PoE uplink', vlan: 30, isUplink: true }],
  },
];

/** [device tag, port] plugged into [device tag, port] or an end asset's tag. */
const LINKS: Array<{ from: [string, string]; toPort?: [string, string]; toAsset?: string }> = [
  { from: ['NET-SW-CORE', 'Gi1/0/1'], toPort: ['NET-FW-01', 'internal1'] },
  { from: ['NET-SW-B1', 'Gi1/0/48'], toPort: ['NET-SW-CORE', 'Gi1/0/23'] },
  { from: ['NET-SW-B2', 'Gi1/0/48'], toPort: ['NET-SW-CORE', 'Gi1/0/24'] },
  { from: ['NET-AP-B1-01', 'GigabitEthernet0'], toPort: ['NET-SW-B1', 'Gi1/0/20'] },
  { from: ['NET-CAM-B1-01', 'eth0'], toPort: ['NET-SW-B1', 'Gi1/0/31'] },
  { from: ['NET-SW-B1', 'Gi1/0/12'], toAsset: 'CNC-4012' },
  { from: ['NET-SW-B1', 'Gi1/0/13'], toAsset: 'PC-4012' },
  { from: ['NET-SW-B1', 'Gi1/0/40'], toAsset: 'PRN-B1-01' },
  { from: ['NET-SW-B2', 'Gi1/0/10'], toAsset: 'PRN-B2-01' },
];

async function idOf(db: Db, table: string, where: Record<string, unknown>): Promise<number | null> {
  const row = (await db(table).where(where).first('id')) as { id: number } | undefined;
  return row ? Number(row.id) : null;
}

async function liveAssetId(db: Db, assetTag: string): Promise<number | null> {
  return idOf(db, 'assets', { asset_tag: assetTag, deleted_at: null });
}

export async function seed(ctx: PluginSeedContext): Promise<void> {
  if (!ctx.demo) return;
  // The services open their own transactions; inside the seed's they become savepoints.
  const db = ctx.db as Knex;
  const { actor } = ctx;
  const statusId = await idOf(db, 'status_labels', { name: 'In service' });
  if (statusId === null) return;

  const modelIds = new Map<string, number>();
  for (const model of MODELS) {
    const manufacturerId =
      (await idOf(db, 'manufacturers', { name: model.manufacturer })) ??
      (await manufacturers.create(db, actor, { name: model.manufacturer })).id;
    const id =
      (await idOf(db, 'asset_models', { manufacturer_id: manufacturerId, name: model.name })) ??
      (await assetModels.create(db, actor, { manufacturerId, name: model.name, category: model.category })).id;
    modelIds.set(model.name, id);
  }

  for (const vlan of VLANS) if ((await idOf(db, 'network_vlans', { vlan_id: vlan.vlanId })) === null) await createVlan(db, actor, vlan);

  const deviceIds = new Map<string, number>();
  for (const device of DEVICES) {
    const existing = (await db('assets')
      .join('asset_types', 'asset_types.id', 'assets.type_id')
      .where('assets.asset_tag', device.assetTag)
      .first('assets.id', 'assets.deleted_at', 'asset_types.key')) as { id: number; deleted_at: unknown; key: string } | undefined;
    // A deleted device, or the tag used by something else on this site: leave it alone.
    if (existing && (existing.deleted_at !== null || existing.key !== NETWORK_DEVICE_TYPE)) continue;
    let assetId: number;
    if (existing) assetId = Number(existing.id);
    else {
      const asset = await createAsset(
        db,
        actor,
        {
          assetTag: device.assetTag,
          name: device.name,
          hostname: device.hostname,
          type: NETWORK_DEVICE_TYPE,
          statusId,
          modelId: modelIds.get(device.model) ?? null,
          locationId: await idOf(db, 'locations', { code: device.location }),
        },
        ctx.assetOptions,
      );
      assetId = asset.id;
      ctx.log(`network: demo device ${device.assetTag}`);
    }
    deviceIds.set(device.assetTag, assetId);
    // A device this seed made gets the demo details (over the defaults the core wrote); one that was
    // already there only gets a detail row if it had none.
    await DEVICE_DETAILS.store(db, assetId, device.details, { ifMissing: Boolean(existing) });
    for (const port of device.ports)
      if ((await idOf(db, 'network_ports', { asset_id: assetId, name: port.name })) === null) await createPort(db, actor, assetId, port);
  }

  const portId = (tag: string, name: string) => {
    const deviceId = deviceIds.get(tag);
    return deviceId === undefined ? Promise.resolve(null) : idOf(db, 'network_ports', { asset_id: deviceId, name });
  };
  const plugged = async (id: number) => Boolean(await db('network_port_links').where('port_a_id', id).orWhere('port_b_id', id).first('id'));
  for (const link of LINKS) {
    const from = await portId(...link.from);
    const toPortId = link.toPort ? await portId(...link.toPort) : null;
    const toAssetId = link.toAsset ? await liveAssetId(db, link.toAsset) : null;
    if (
      from === null ||
      (toPortId === null && toAssetId === null) ||
      (await plugged(from)) ||
      (toPortId !== null && (await plugged(toPortId)))
    )
      continue;
    await createLink(db, actor, toPortId !== null ? { portId: from, toPortId } : { portId: from, toAssetId: toAssetId! });
  }
}

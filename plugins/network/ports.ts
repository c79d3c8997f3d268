// The ports of each network device, in natural name order, with what each is plugged into (its
// peer), and the uplinks; a port's link is removed with it.

import type { Knex } from 'knex';
import {
  ConflictError,
  decodeRow,
  encodeRow,
  formatUtcDatetime,
  isUniqueViolation,
  NotFoundError,
  recordAudit,
  ValidationError,
  type Actor,
  inTransaction,
  textKey,
  type Db,
} from 'shopdb/sdk';
import {
  deviceRow,
  getDevice,
  portLockKey,
  summaries,
  throwIfProblems,
  PORT_MODES,
  PORT_NAME,
  NETWORK_DEVICE_TYPE,
  type Peer,
  type PeerAnswer,
  type Port,
  type PortMode,
  type PortView,
} from './devices.js';
import type { PortInput, PortPatch } from './schemas.js';
import { vlanLockKey } from './vlans.js';

type Row = Record<string, unknown>;

const PORT_CODEC = { is_uplink: 'boolean' } as const;

export function portOf(raw: Row): Port {
  const row = decodeRow<Row>(PORT_CODEC, raw);
  return {
    id: Number(row.id),
    deviceId: Number(row.asset_id),
    name: row.name as string,
    description: (row.description as string | null) ?? null,
    vlan: row.vlan === null ? null : Number(row.vlan),
    mode: row.mode as PortMode,
    isUplink: row.is_uplink as boolean,
  };
}

/** A port of a live network device, or a 404. */
export async function loadPort(db: Db, portId: number): Promise<Port> {
  const row = (await db({ p: 'network_ports' })
    .join({ a: 'assets' }, 'a.id', 'p.asset_id')
    .join({ t: 'asset_types' }, 't.id', 'a.type_id')
    .where('p.id', portId)
    .whereNull('a.deleted_at')
    .where('t.key', NETWORK_DEVICE_TYPE)
    .first('p.*')) as Row | undefined;
  if (!row) throw new NotFoundError(`There is no port with id ${portId}`);
  return portOf(row);
}

/**
 * The peers of `ports`: for each port with a link, the link id and what is at the other end.
 * A far end on a deleted asset reads as nothing plugged in.
 */
async function peersOf(db: Db, ports: Port[]): Promise<Map<number, { linkId: number; peer: Peer }>> {
  const result = new Map<number, { linkId: number; peer: Peer }>();
  if (ports.length === 0) return result;
  const ids = ports.map((p) => p.id);
  const links = (await db('network_port_links').whereIn('port_a_id', ids).orWhereIn('port_b_id', ids)) as Row[];
  const ends = new Map<number, { linkId: number; portId: number | null; assetId: number | null }>();
  for (const link of links) {
    const [a, b] = [Number(link.port_a_id), link.port_b_id === null ? null : Number(link.port_b_id)];
    const asset = link.asset_id === null ? null : Number(link.asset_id);
    if (ids.includes(a)) ends.set(a, { linkId: Number(link.id), portId: b, assetId: asset });
    if (b !== null && ids.includes(b)) ends.set(b, { linkId: Number(link.id), portId: a, assetId: null });
  }
  const farPortIds = [...ends.values()].map((e) => e.portId).filter((id): id is number => id !== null);
  const farPorts = new Map(
    farPortIds.length === 0
      ? []
      : ((await db('network_ports').whereIn('id', farPortIds)) as Row[]).map((row) => [Number(row.id), portOf(row)]),
  );
  const assets = await summaries(db, [
    ...[...farPorts.values()].map((p) => p.deviceId),
    ...[...ends.values()].map((e) => e.assetId).filter((id): id is number => id !== null),
  ]);
  for (const [portId, end] of ends) {
    const farPort = end.portId === null ? null : (farPorts.get(end.portId) ?? null);
    const asset = assets.get(farPort ? farPort.deviceId : end.assetId!);
    if (!asset) continue;
    result.set(portId, { linkId: end.linkId, peer: { kind: farPort ? 'port' : 'asset', port: farPort, asset } });
  }
  return result;
}

export async function withPeers(db: Db, ports: Port[]): Promise<PortView[]> {
  const peers = await peersOf(db, ports);
  return ports.map((port) => ({ ...port, linkId: peers.get(port.id)?.linkId ?? null, peer: peers.get(port.id)?.peer ?? null }));
}

/** Natural order of port names: Gi1/0/2 before Gi1/0/10. */
export function comparePortNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' });
}

export async function listPorts(
  db: Knex,
  assetId: number,
  query: { limit: number; offset: number },
): Promise<{ count: number; results: PortView[] }> {
  await deviceRow(db, assetId);
  // A device has tens of ports, not thousands: sort them naturally here, then cut the page.
  const ports = ((await db('network_ports').where({ asset_id: assetId })) as Row[])
    .map(portOf)
    .sort((a, b) => comparePortNames(a.name, b.name) || a.id - b.id);
  return { count: ports.length, results: await withPeers(db, ports.slice(query.offset, query.offset + query.limit)) };
}

/** Checks a port as it will be written; names are unique per device ignoring case, on both engines. */
async function checkPort(db: Db, deviceId: number, port: Required<PortInput>, exceptId?: number): Promise<void> {
  const problems: Record<string, string> = {};
  if (!PORT_NAME.test(port.name)) problems.name = 'must be a port name like Gi1/0/12 (letters, digits and / . _ : -, at most 64)';
  if (!PORT_MODES.includes(port.mode)) problems.mode = `must be one of ${PORT_MODES.join(', ')}`;
  if (port.vlan !== null) {
    if (port.mode === 'trunk')
      problems.vlan = 'is the access VLAN: a trunk port carries many; set it to null or make the port an access port';
    else if (!(await db('network_vlans').where({ vlan_id: port.vlan }).first('id')))
      problems.vlan = `VLAN ${port.vlan} does not exist; add it first (POST /vlans)`;
  }
  throwIfProblems('The port is not valid', problems);
  const twin = db('network_ports').where({ asset_id: deviceId, name_key: textKey(port.name) });
  if (exceptId !== undefined) twin.whereNot('id', exceptId);
  if (await twin.first('id')) throw new ConflictError(`The device already has a port named ${port.name}`);
}

function duplicatePort(name: string) {
  return (error: unknown): never => {
    if (isUniqueViolation(error)) throw new ConflictError(`The device already has a port named ${name}`, { cause: error });
    throw error;
  };
}

/** The key of the VLAN a write sets a port to: that VLAN must not be renumbered or removed meanwhile. */
const vlanKeys = (vlan: number | null | undefined) => (vlan === null || vlan === undefined ? [] : [vlanLockKey(vlan)]);

export async function createPort(db: Knex, actor: Actor, assetId: number, input: PortInput): Promise<PortView> {
  return inTransaction(
    db,
    async (trx) => {
      await deviceRow(trx, assetId);
      const port = {
        name: input.name,
        description: input.description ?? null,
        vlan: input.vlan ?? null,
        mode: input.mode ?? 'access',
        isUplink: input.isUplink ?? false,
      };
      await checkPort(trx, assetId, port);
      const [id] = await trx('network_ports')
        .insert(
          encodeRow(PORT_CODEC, {
            asset_id: assetId,
            name: port.name,
            name_key: textKey(port.name),
            description: port.description,
            vlan: port.vlan,
            mode: port.mode,
            is_uplink: port.isUplink,
          }),
        )
        .catch(duplicatePort(port.name));
      const created = await loadPort(trx, Number(id));
      await recordAudit(trx, actor, { action: 'create', objectType: 'network.port', objectId: created.id, after: created });
      return (await withPeers(trx, [created]))[0]!;
    },
    { serializeOn: vlanKeys(input.vlan) },
  );
}

export async function updatePort(db: Knex, actor: Actor, portId: number, patch: PortPatch): Promise<PortView> {
  return inTransaction(
    db,
    async (trx) => {
      const before = await loadPort(trx, portId);
      const merged = {
        name: patch.name ?? before.name,
        description: patch.description === undefined ? before.description : patch.description,
        vlan: patch.vlan === undefined ? before.vlan : patch.vlan,
        mode: patch.mode ?? before.mode,
        isUplink: patch.isUplink ?? before.isUplink,
      };
      await checkPort(trx, before.deviceId, merged, portId);
      await trx('network_ports')
        .where({ id: portId })
        .update(
          encodeRow(PORT_CODEC, {
            name: merged.name,
            name_key: textKey(merged.name),
            description: merged.description,
            vlan: merged.vlan,
            mode: merged.mode,
            is_uplink: merged.isUplink,
            updated_at: formatUtcDatetime(new Date()),
          }),
        )
        .catch(duplicatePort(merged.name));
      const after = await loadPort(trx, portId);
      await recordAudit(trx, actor, { action: 'update', objectType: 'network.port', objectId: portId, before, after });
      return (await withPeers(trx, [after]))[0]!;
    },
    { serializeOn: [portLockKey(portId), ...vlanKeys(patch.vlan)] },
  );
}

/** Removes a port; its link goes with it (audited on its own). */
export async function deletePort(db: Knex, actor: Actor, portId: number): Promise<void> {
  await inTransaction(
    db,
    async (trx) => {
      const before = await loadPort(trx, portId);
      const link = (await trx('network_port_links').where('port_a_id', portId).orWhere('port_b_id', portId).first()) as Row | undefined;
      if (link) await removeLinkRow(trx, actor, link);
      await trx('network_ports').where({ id: portId }).delete();
      await recordAudit(trx, actor, { action: 'delete', objectType: 'network.port', objectId: portId, before });
    },
    { serializeOn: [portLockKey(portId)] },
  );
}

/** A port of a device by name: exact (ignoring case), else the one port whose name ends in "/<name>" ("12" finds Gi1/0/12). */
async function portByName(db: Db, assetId: number, name: string): Promise<Port> {
  const ports = ((await db('network_ports').where({ asset_id: assetId })) as Row[]).map(portOf);
  const exact = ports.find((p) => p.name.toLowerCase() === name.toLowerCase());
  if (exact) return exact;
  const suffix = ports.filter((p) => p.name.toLowerCase().endsWith(`/${name.toLowerCase()}`));
  if (suffix.length === 1) return suffix[0]!;
  if (suffix.length > 1)
    throw new ValidationError(`"${name}" could be several ports of this device`, {
      portName: `matches ${suffix
        .map((p) => p.name)
        .sort(comparePortNames)
        .join(', ')}; give the full name`,
    });
  throw new NotFoundError(`Network device ${assetId} has no port named ${name}`);
}

/** What is plugged into a port of a device: the port at the other end and its device, or an end asset. */
export async function portPeer(db: Knex, assetId: number, portName: string): Promise<PeerAnswer> {
  const device = await getDevice(db, assetId);
  const port = await portByName(db, assetId, portName);
  const [view] = await withPeers(db, [port]);
  return { device: device.asset, port, linkId: view!.linkId, peer: view!.peer };
}

/** The uplink ports of a device, each with what it is plugged into. */
export async function listUplinks(db: Knex, assetId: number): Promise<PortView[]> {
  await deviceRow(db, assetId);
  const ports = ((await db('network_ports').where({ asset_id: assetId, is_uplink: 1 })) as Row[])
    .map(portOf)
    .sort((a, b) => comparePortNames(a.name, b.name));
  return withPeers(db, ports);
}

/** A link as its audit entries record it. */
export function linkRecord(row: Row) {
  return {
    id: Number(row.id),
    portId: Number(row.port_a_id),
    toPortId: row.port_b_id === null ? null : Number(row.port_b_id),
    toAssetId: row.asset_id === null ? null : Number(row.asset_id),
  };
}

/** Removes a link, audited on its own (a port deleted, a device unplugged, DELETE /links/:id). */
export async function removeLinkRow(trx: Db, actor: Actor, row: Row): Promise<void> {
  await trx('network_port_links').where({ id: row.id }).delete();
  await recordAudit(trx, actor, { action: 'delete', objectType: 'network.link', objectId: Number(row.id), before: linkRecord(row) });
}

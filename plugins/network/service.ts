// Network devices: the details of each switch, access point, camera, firewall and router asset,
// the site's VLANs, the ports of each device, and what each port is plugged into — another port
// or an end device — so "what is on switch X port 12?" and "where does this switch uplink?" have
// answers. Every write is one transaction and audited; no HTTP here.

import { isIP } from 'node:net';
import type { Knex } from 'knex';
import { ConflictError, decodeRow, defineDetailTable, encodeRow, formatUtcDatetime, isUniqueViolation, joinAssetReferences, NotFoundError, notFoundAs, recordAudit, ValidationError, type Actor, assetLockKey, inTransaction, textKey, type Db } from 'shopdb/sdk';

type Row = Record<string, unknown>;

export const NETWORK_DEVICE_TYPE = 'network-device';
export const DEVICE_ROLES = ['switch', 'access-point', 'camera', 'firewall', 'router'] as const;
export type DeviceRole = (typeof DEVICE_ROLES)[number];
export const PORT_MODES = ['access', 'trunk'] as const;
export type PortMode = (typeof PORT_MODES)[number];
/** Port names as switches print them: Gi1/0/12, TenGigabitEthernet1/1/1, eth0, port1, wan1. */
export const PORT_NAME = /^[A-Za-z0-9][A-Za-z0-9/._:-]{0,63}$/;

/** An asset in brief (the core's GET /api/assets/:id has all of it). */
export interface AssetSummary {
  id: number;
  assetTag: string;
  name: string;
  hostname: string | null;
  type: { key: string; label: string };
  status: { id: number; name: string };
  location: { id: number; code: string; name: string } | null;
  model: { id: number; name: string; manufacturer: string } | null;
}

export interface DeviceDetails {
  managementIp: string | null;
  role: DeviceRole | null;
  firmwareVersion: string | null;
}

export interface DeviceView extends DeviceDetails {
  asset: AssetSummary;
}

export interface Vlan {
  id: number;
  vlanId: number;
  name: string;
  subnet: string | null;
  createdAt: Date;
}

export interface Port {
  id: number;
  deviceId: number;
  name: string;
  description: string | null;
  vlan: number | null;
  mode: PortMode;
  isUplink: boolean;
}

/** The other end of a port's link: a port and the device it is on, or an end asset (port null). */
export interface Peer {
  kind: 'port' | 'asset';
  port: Port | null;
  asset: AssetSummary;
}

export interface PortView extends Port {
  linkId: number | null;
  peer: Peer | null;
}

export interface PeerAnswer {
  device: AssetSummary;
  port: Port;
  linkId: number | null;
  /** Null when nothing is plugged in. */
  peer: Peer | null;
}

export interface Link {
  id: number;
  port: Port;
  device: AssetSummary;
  peer: Peer;
  createdAt: Date;
}

const PORT_CODEC = { is_uplink: 'boolean' } as const;

// ── assets ─────────────────────────────────────────────────────────────────────────────────

function assetRows(db: Db): Knex.QueryBuilder {
  return joinAssetReferences(db({ a: 'assets' })).whereNull('a.deleted_at');
}

const ASSET_COLUMNS = [
  'a.id',
  'a.asset_tag',
  'a.name',
  'a.hostname',
  'a.status_id',
  'a.location_id',
  'a.model_id',
  { type_key: 't.key', type_label: 't.label', status_name: 's.name', location_code: 'l.code', location_name: 'l.name', model_name: 'am.name', manufacturer_name: 'mf.name' },
] as const;

function summaryOf(row: Row): AssetSummary {
  return {
    id: Number(row.id),
    assetTag: row.asset_tag as string,
    name: row.name as string,
    hostname: (row.hostname as string | null) ?? null,
    type: { key: row.type_key as string, label: row.type_label as string },
    status: { id: Number(row.status_id), name: row.status_name as string },
    location: row.location_id === null ? null : { id: Number(row.location_id), code: row.location_code as string, name: row.location_name as string },
    model: row.model_id === null ? null : { id: Number(row.model_id), name: row.model_name as string, manufacturer: row.manufacturer_name as string },
  };
}

/** Live assets by id; deleted ones are left out. */
async function summaries(db: Db, ids: number[]): Promise<Map<number, AssetSummary>> {
  if (ids.length === 0) return new Map();
  const rows = (await assetRows(db).whereIn('a.id', [...new Set(ids)]).select(...ASSET_COLUMNS)) as Row[];
  return new Map(rows.map((row) => [Number(row.id), summaryOf(row)]));
}

function deviceRows(db: Db): Knex.QueryBuilder {
  return assetRows(db).leftJoin({ d: 'network_devices' }, 'd.asset_id', 'a.id').where('t.key', NETWORK_DEVICE_TYPE);
}

const DEVICE_COLUMNS = [...ASSET_COLUMNS] as const;

function deviceOf(row: Row): DeviceView {
  return { asset: summaryOf(row), ...DEVICE_DETAILS.read(row) };
}

/** The live network device, or a 404 (also for an asset of another type). */
async function deviceRow(db: Db, assetId: number): Promise<Row> {
  const row = (await deviceRows(db).where('a.id', assetId).first(...DEVICE_COLUMNS, DEVICE_DETAILS.select('d'))) as Row | undefined;
  if (!row) throw new NotFoundError(`There is no network device with asset id ${assetId}`);
  return row;
}

// ── devices ────────────────────────────────────────────────────────────────────────────────

export async function listDevices(db: Knex, query: { limit: number; offset: number; role?: DeviceRole }): Promise<{ count: number; results: DeviceView[] }> {
  const matching = deviceRows(db);
  if (query.role !== undefined) matching.where('d.role', query.role);
  const [{ count }] = (await matching.clone().count({ count: '*' })) as Array<{ count: number | string }>;
  const rows = (await matching.select(...DEVICE_COLUMNS, DEVICE_DETAILS.select('d')).orderBy('a.asset_tag').orderBy('a.id').limit(query.limit).offset(query.offset)) as Row[];
  return { count: Number(count), results: rows.map(deviceOf) };
}

export async function getDevice(db: Db, assetId: number): Promise<DeviceView> {
  return deviceOf(await deviceRow(db, assetId));
}

function throwIfProblems(message: string, problems: Record<string, string>): void {
  if (Object.keys(problems).length > 0) throw new ValidationError(message, problems);
}

/**
 * One at a time, on every replica (ADR-012): every write that plugs or unplugs a port (a port may
 * be in one link only, on either side of it). A device's details go under its asset's key.
 */
export const portLockKey = (portId: number) => `network.port:${portId}`;

/** The details of each network device asset; the core gives every new one its row. A device without one yet (made while the plugin was off) reads as the defaults. */
export const DEVICE_DETAILS = defineDetailTable<DeviceDetails>({
  table: 'network_devices',
  columns: {
    managementIp: { column: 'management_ip' },
    role: { column: 'role' },
    firmwareVersion: { column: 'firmware_version' },
  },
  objectType: 'network.device',
  noun: 'device detail',
  invalidMessage: 'The device details are not valid',
  validate({ given }) {
    const problems: Record<string, string> = {};
    if (given.managementIp != null && isIP(given.managementIp) === 0) problems.managementIp = 'must be an IPv4 or IPv6 address';
    if (given.role != null && !DEVICE_ROLES.includes(given.role)) problems.role = `must be one of ${DEVICE_ROLES.join(', ')}`;
    return problems;
  },
});

/** Replaces the details of a device (PUT: every field given; null clears). */
export async function setDeviceDetails(db: Knex, actor: Actor, assetId: number, input: DeviceDetails): Promise<DeviceView> {
  return DEVICE_DETAILS.save(db, actor, assetId, input, { replace: true, load: (trx) => getDevice(trx, assetId), auditExtra: (view) => ({ assetTag: view.asset.assetTag }) });
}

// ── VLANs ──────────────────────────────────────────────────────────────────────────────────

function vlanOf(raw: Row): Vlan {
  const row = decodeRow<Row>({ created_at: 'date' }, raw);
  return { id: Number(row.id), vlanId: Number(row.vlan_id), name: row.name as string, subnet: (row.subnet as string | null) ?? null, createdAt: row.created_at as Date };
}

export async function listVlans(db: Knex, query: { limit: number; offset: number }): Promise<{ count: number; results: Vlan[] }> {
  const [{ count }] = (await db('network_vlans').count({ count: '*' })) as Array<{ count: number | string }>;
  const rows = (await db('network_vlans').orderBy('vlan_id').limit(query.limit).offset(query.offset)) as Row[];
  return { count: Number(count), results: rows.map(vlanOf) };
}

/** Why `subnet` is not a network in CIDR notation (10.7.10.0/24), or undefined when it is. */
export function subnetProblem(subnet: string): string | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(subnet);
  const version = match ? isIP(match[1]!) : 0;
  if (!match || version === 0) return 'must be a network in CIDR notation, like 10.7.10.0/24';
  const prefix = Number(match[2]);
  if (prefix > (version === 4 ? 32 : 128)) return `has a prefix longer than ${version === 4 ? 32 : 128} bits`;
  if (version === 4) {
    const address = match[1]!.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
    const size = 2 ** (32 - prefix);
    if (address % size !== 0) {
      const network = address - (address % size);
      const dotted = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.');
      return `has host bits set; the network is ${dotted}/${prefix}`;
    }
  }
  return undefined;
}

export interface VlanInput {
  vlanId: number;
  name: string;
  subnet?: string | null;
}

export async function createVlan(db: Knex, actor: Actor, input: VlanInput): Promise<Vlan> {
  const problems: Record<string, string> = {};
  if (!Number.isInteger(input.vlanId) || input.vlanId < 1 || input.vlanId > 4094) problems.vlanId = 'must be a VLAN id from 1 to 4094';
  if (input.name.trim() === '') problems.name = 'is empty';
  const subnet = input.subnet ?? null;
  const subnetIssue = subnet === null ? undefined : subnetProblem(subnet);
  if (subnetIssue) problems.subnet = subnetIssue;
  throwIfProblems('The VLAN is not valid', problems);
  return inTransaction(db, async (trx) => {
    const [id] = await trx('network_vlans')
      .insert({ vlan_id: input.vlanId, name: input.name.trim(), subnet })
      .catch((error) => {
        if (isUniqueViolation(error)) throw new ConflictError(`VLAN ${input.vlanId} already exists`, { cause: error });
        throw error;
      });
    const vlan = vlanOf((await trx('network_vlans').where({ id: Number(id) }).first()) as Row);
    await recordAudit(trx, actor, { action: 'create', objectType: 'network.vlan', objectId: vlan.id, after: vlan });
    return vlan;
  });
}

// ── ports ──────────────────────────────────────────────────────────────────────────────────

function portOf(raw: Row): Port {
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
async function loadPort(db: Db, portId: number): Promise<Port> {
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
  const farPorts = new Map(farPortIds.length === 0 ? [] : ((await db('network_ports').whereIn('id', farPortIds)) as Row[]).map((row) => [Number(row.id), portOf(row)]));
  const assets = await summaries(db, [...[...farPorts.values()].map((p) => p.deviceId), ...[...ends.values()].map((e) => e.assetId).filter((id): id is number => id !== null)]);
  for (const [portId, end] of ends) {
    const farPort = end.portId === null ? null : (farPorts.get(end.portId) ?? null);
    const asset = assets.get(farPort ? farPort.deviceId : end.assetId!);
    if (!asset) continue;
    result.set(portId, { linkId: end.linkId, peer: { kind: farPort ? 'port' : 'asset', port: farPort, asset } });
  }
  return result;
}

async function withPeers(db: Db, ports: Port[]): Promise<PortView[]> {
  const peers = await peersOf(db, ports);
  return ports.map((port) => ({ ...port, linkId: peers.get(port.id)?.linkId ?? null, peer: peers.get(port.id)?.peer ?? null }));
}

/** Natural order of port names: Gi1/0/2 before Gi1/0/10. */
function comparePortNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' });
}

export async function listPorts(db: Knex, assetId: number, query: { limit: number; offset: number }): Promise<{ count: number; results: PortView[] }> {
  await deviceRow(db, assetId);
  // A device has tens of ports, not thousands: sort them naturally here, then cut the page.
  const ports = ((await db('network_ports').where({ asset_id: assetId })) as Row[]).map(portOf).sort((a, b) => comparePortNames(a.name, b.name) || a.id - b.id);
  return { count: ports.length, results: await withPeers(db, ports.slice(query.offset, query.offset + query.limit)) };
}

export interface PortInput {
  name: string;
  description?: string | null;
  vlan?: number | null;
  mode?: PortMode;
  isUplink?: boolean;
}

export type PortPatch = Partial<PortInput>;

/** Checks a port as it will be written; names are unique per device ignoring case, on both engines. */
async function checkPort(db: Db, deviceId: number, port: Required<PortInput>, exceptId?: number): Promise<void> {
  const problems: Record<string, string> = {};
  if (!PORT_NAME.test(port.name)) problems.name = 'must be a port name like Gi1/0/12 (letters, digits and / . _ : -, at most 64)';
  if (!PORT_MODES.includes(port.mode)) problems.mode = `must be one of ${PORT_MODES.join(', ')}`;
  if (port.vlan !== null) {
    if (port.mode === 'trunk') problems.vlan = 'is the access VLAN: a trunk port carries many; set it to null or make the port an access port';
    else if (!(await db('network_vlans').where({ vlan_id: port.vlan }).first('id'))) problems.vlan = `VLAN ${port.vlan} does not exist; add it first (POST /vlans)`;
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

export async function createPort(db: Knex, actor: Actor, assetId: number, input: PortInput): Promise<PortView> {
  return inTransaction(db, async (trx) => {
    await deviceRow(trx, assetId);
    const port = { name: input.name, description: input.description ?? null, vlan: input.vlan ?? null, mode: input.mode ?? 'access', isUplink: input.isUplink ?? false };
    await checkPort(trx, assetId, port);
    const [id] = await trx('network_ports')
      .insert(encodeRow(PORT_CODEC, { asset_id: assetId, name: port.name, name_key: textKey(port.name), description: port.description, vlan: port.vlan, mode: port.mode, is_uplink: port.isUplink }))
      .catch(duplicatePort(port.name));
    const created = await loadPort(trx, Number(id));
    await recordAudit(trx, actor, { action: 'create', objectType: 'network.port', objectId: created.id, after: created });
    return (await withPeers(trx, [created]))[0]!;
  });
}

export async function updatePort(db: Knex, actor: Actor, portId: number, patch: PortPatch): Promise<PortView> {
  return inTransaction(db, async (trx) => {
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
      .update(encodeRow(PORT_CODEC, { name: merged.name, name_key: textKey(merged.name), description: merged.description, vlan: merged.vlan, mode: merged.mode, is_uplink: merged.isUplink, updated_at: formatUtcDatetime(new Date()) }))
      .catch(duplicatePort(merged.name));
    const after = await loadPort(trx, portId);
    await recordAudit(trx, actor, { action: 'update', objectType: 'network.port', objectId: portId, before, after });
    return (await withPeers(trx, [after]))[0]!;
  }, { serializeOn: [portLockKey(portId)] });
}

/** Removes a port; its link goes with it (audited on its own). */
export async function deletePort(db: Knex, actor: Actor, portId: number): Promise<void> {
  await inTransaction(db, async (trx) => {
    const before = await loadPort(trx, portId);
    const link = (await trx('network_port_links').where('port_a_id', portId).orWhere('port_b_id', portId).first()) as Row | undefined;
    if (link) await removeLinkRow(trx, actor, link);
    await trx('network_ports').where({ id: portId }).delete();
    await recordAudit(trx, actor, { action: 'delete', objectType: 'network.port', objectId: portId, before });
  }, { serializeOn: [portLockKey(portId)] });
}

/** A port of a device by name: exact (ignoring case), else the one port whose name ends in "/<name>" ("12" finds Gi1/0/12). */
async function portByName(db: Db, assetId: number, name: string): Promise<Port> {
  const ports = ((await db('network_ports').where({ asset_id: assetId })) as Row[]).map(portOf);
  const exact = ports.find((p) => p.name.toLowerCase() === name.toLowerCase());
  if (exact) return exact;
  const suffix = ports.filter((p) => p.name.toLowerCase().endsWith(`/${name.toLowerCase()}`));
  if (suffix.length === 1) return suffix[0]!;
  if (suffix.length > 1) throw new ValidationError(`"${name}" could be several ports of this device`, { portName: `matches ${suffix.map((p) => p.name).sort(comparePortNames).join(', ')}; give the full name` });
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
  const ports = ((await db('network_ports').where({ asset_id: assetId, is_uplink: 1 })) as Row[]).map(portOf).sort((a, b) => comparePortNames(a.name, b.name));
  return withPeers(db, ports);
}

// ── links ──────────────────────────────────────────────────────────────────────────────────

export interface LinkInput {
  portId: number;
  toPortId?: number;
  toAssetId?: number;
}

async function linkView(db: Db, linkId: number): Promise<Link> {
  const row = (await db('network_port_links').where({ id: linkId }).first()) as Row;
  const port = await loadPort(db, Number(row.port_a_id));
  const [view] = await withPeers(db, [port]);
  const device = (await summaries(db, [port.deviceId])).get(port.deviceId)!;
  return { id: linkId, port, device, peer: view!.peer!, createdAt: decodeRow<Row>({ created_at: 'date' }, row).created_at as Date };
}

function linkRecord(row: Row) {
  return { id: Number(row.id), portId: Number(row.port_a_id), toPortId: row.port_b_id === null ? null : Number(row.port_b_id), toAssetId: row.asset_id === null ? null : Number(row.asset_id) };
}

/** The ports a new link would plug in. */
function linkPorts(input: LinkInput): number[] {
  return [input.portId, ...(input.toPortId === undefined ? [] : [input.toPortId])];
}

/** Plugs a port into another port, or into an end asset. Either port already plugged in is a 409. */
export async function createLink(db: Knex, actor: Actor, input: LinkInput): Promise<Link> {
  const problems: Record<string, string> = {};
  if ((input.toPortId === undefined) === (input.toAssetId === undefined)) problems.toPortId = 'give either toPortId (another port) or toAssetId (an end device), not both or neither';
  else if (input.toPortId === input.portId) problems.toPortId = 'is the port itself';
  throwIfProblems('The link is not valid', problems);
  // Which devices the ports are on never changes: read before the transaction, so the keys can
  // be taken before it reads anything. Deleting a device or an end asset unplugs its links, so
  // a new link waits for (or on) that.
  const devices = ((await db('network_ports').whereIn('id', linkPorts(input)).pluck('asset_id')) as Array<number | string>).map(Number);
  const assets = [...devices, ...(input.toAssetId === undefined ? [] : [input.toAssetId])];
  return inTransaction(db, async (trx) => {
    // The unique indexes cover one column each; the port keys make "not on either side of another link" hold.
    const ports = linkPorts(input);
    const port = await loadPort(trx, input.portId).catch(notFoundAs(() => new ValidationError('The port does not exist', { portId: `no port with id ${input.portId}` })));
    if (input.toPortId !== undefined) {
      await loadPort(trx, input.toPortId).catch(notFoundAs(() => new ValidationError('The other port does not exist', { toPortId: `no port with id ${input.toPortId}` })));
    } else {
      const asset = (await summaries(trx, [input.toAssetId!])).get(input.toAssetId!);
      if (!asset) throw new ValidationError('The end device does not exist', { toAssetId: `no asset with id ${input.toAssetId}` });
      if (asset.id === port.deviceId) throw new ValidationError('A port cannot be plugged into its own device', { toAssetId: 'is the device the port is on' });
    }
    const taken = (await trx('network_port_links').whereIn('port_a_id', ports).orWhereIn('port_b_id', ports).first()) as Row | undefined;
    if (taken) {
      const busy = ports.find((id) => id === Number(taken.port_a_id) || id === Number(taken.port_b_id))!;
      throw new ConflictError(`Port ${busy} is already plugged in (link ${Number(taken.id)}); remove that link first`);
    }
    const [id] = await trx('network_port_links')
      .insert({ port_a_id: input.portId, port_b_id: input.toPortId ?? null, asset_id: input.toAssetId ?? null })
      .catch((error) => {
        if (isUniqueViolation(error)) throw new ConflictError('One of these ports is already plugged in', { cause: error });
        throw error;
      });
    const created = (await trx('network_port_links').where({ id: Number(id) }).first()) as Row;
    await recordAudit(trx, actor, { action: 'create', objectType: 'network.link', objectId: Number(id), after: linkRecord(created) });
    return linkView(trx, Number(id));
  }, { serializeOn: [...linkPorts(input).map(portLockKey), ...assets.map(assetLockKey)] });
}

async function removeLinkRow(trx: Db, actor: Actor, row: Row): Promise<void> {
  await trx('network_port_links').where({ id: row.id }).delete();
  await recordAudit(trx, actor, { action: 'delete', objectType: 'network.link', objectId: Number(row.id), before: linkRecord(row) });
}

export async function deleteLink(db: Knex, actor: Actor, linkId: number): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = (await trx('network_port_links').where({ id: linkId }).first()) as Row | undefined;
    if (!row) throw new NotFoundError(`There is no link with id ${linkId}`);
    await removeLinkRow(trx, actor, row);
  });
}

/**
 * After an asset is (soft) deleted: unplug what pointed at it — links to it as an end device and,
 * for a network device, the links of its ports — so those other ports are free again.
 */
export async function unplugDeletedAsset(db: Db, actor: Actor, assetId: number): Promise<void> {
  const rows = (await db('network_port_links')
    .where('asset_id', assetId)
    .orWhereIn('port_a_id', db('network_ports').select('id').where({ asset_id: assetId }))
    .orWhereIn('port_b_id', db('network_ports').select('id').where({ asset_id: assetId }))) as Row[];
  for (const row of rows) await removeLinkRow(db, actor, row);
}

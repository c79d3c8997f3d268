// Network devices: the `network-device` asset type (switches, access points, cameras, firewalls,
// routers), the shapes the plugin answers with, assets in brief, and each device's details (a
// detail table the core drives).

import { isIP } from 'node:net';
import type { Knex } from 'knex';
import { defineDetailTable, joinAssetReferences, NotFoundError, ValidationError, type Actor, type Db } from 'shopdb/sdk';
import type { DeviceDetailsInput, DeviceDetailsPatch } from './schemas.js';

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

// ── assets ─────────────────────────────────────────────────────────────────────────────────

export function assetRows(db: Db): Knex.QueryBuilder {
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
  {
    type_key: 't.key',
    type_label: 't.label',
    status_name: 's.name',
    location_code: 'l.code',
    location_name: 'l.name',
    model_name: 'am.name',
    manufacturer_name: 'mf.name',
  },
] as const;

export function summaryOf(row: Row): AssetSummary {
  return {
    id: Number(row.id),
    assetTag: row.asset_tag as string,
    name: row.name as string,
    hostname: (row.hostname as string | null) ?? null,
    type: { key: row.type_key as string, label: row.type_label as string },
    status: { id: Number(row.status_id), name: row.status_name as string },
    location:
      row.location_id === null
        ? null
        : { id: Number(row.location_id), code: row.location_code as string, name: row.location_name as string },
    model:
      row.model_id === null
        ? null
        : { id: Number(row.model_id), name: row.model_name as string, manufacturer: row.manufacturer_name as string },
  };
}

/** Live assets by id; deleted ones are left out. */
export async function summaries(db: Db, ids: number[]): Promise<Map<number, AssetSummary>> {
  if (ids.length === 0) return new Map();
  const rows = (await assetRows(db)
    .whereIn('a.id', [...new Set(ids)])
    .select(...ASSET_COLUMNS)) as Row[];
  return new Map(rows.map((row) => [Number(row.id), summaryOf(row)]));
}

export function deviceRows(db: Db): Knex.QueryBuilder {
  return assetRows(db).leftJoin({ d: 'network_devices' }, 'd.asset_id', 'a.id').where('t.key', NETWORK_DEVICE_TYPE);
}

const DEVICE_COLUMNS = [...ASSET_COLUMNS] as const;

function deviceOf(row: Row): DeviceView {
  return { asset: summaryOf(row), ...DEVICE_DETAILS.read(row) };
}

/** The live network device, or a 404 (also for an asset of another type). */
export async function deviceRow(db: Db, assetId: number): Promise<Row> {
  const row = (await deviceRows(db)
    .where('a.id', assetId)
    .first(...DEVICE_COLUMNS, DEVICE_DETAILS.select('d'))) as Row | undefined;
  if (!row) throw new NotFoundError(`There is no network device with asset id ${assetId}`);
  return row;
}

// ── devices ────────────────────────────────────────────────────────────────────────────────

export async function listDevices(
  db: Knex,
  query: { limit: number; offset: number; role?: DeviceRole },
): Promise<{ count: number; results: DeviceView[] }> {
  const matching = deviceRows(db);
  if (query.role !== undefined) matching.where('d.role', query.role);
  const [{ count }] = (await matching.clone().count({ count: '*' })) as Array<{ count: number | string }>;
  const rows = (await matching
    .select(...DEVICE_COLUMNS, DEVICE_DETAILS.select('d'))
    .orderBy('a.asset_tag')
    .orderBy('a.id')
    .limit(query.limit)
    .offset(query.offset)) as Row[];
  return { count: Number(count), results: rows.map(deviceOf) };
}

export async function getDevice(db: Db, assetId: number): Promise<DeviceView> {
  return deviceOf(await deviceRow(db, assetId));
}

export function throwIfProblems(message: string, problems: Record<string, string>): void {
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
export async function setDeviceDetails(db: Knex, actor: Actor, assetId: number, input: DeviceDetailsInput): Promise<DeviceView> {
  return saveDetails(db, actor, assetId, input, true);
}

/** Changes the details given (PATCH), the others stay; checked and audited as a PUT. */
export async function updateDeviceDetails(db: Knex, actor: Actor, assetId: number, patch: DeviceDetailsPatch): Promise<DeviceView> {
  return saveDetails(db, actor, assetId, patch, false);
}

function saveDetails(db: Knex, actor: Actor, assetId: number, given: Partial<DeviceDetails>, replace: boolean): Promise<DeviceView> {
  return DEVICE_DETAILS.save(db, actor, assetId, given, {
    replace,
    load: (trx) => getDevice(trx, assetId),
    auditExtra: (view) => ({ assetTag: view.asset.assetTag }),
  });
}

// Shop-floor PCs: the host details of each `computer` asset (operating system, domain, last seen,
// warranty; the hostname is the core's assets.hostname), its network interfaces (MACs normalised
// and unique on the site), and the assets it drives — the core's `controls` links, so "which PC
// drives machine 4012?" is the same question the core API answers. Every write is one transaction
// with its audit entry; dates and booleans go through the codecs.

import { isIP } from 'node:net';
import type { Knex } from 'knex';
import { addLink, listLinks, removeLink } from 'shopdb/sdk';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  decodeRow,
  defineDetailTable,
  formatUtcDatetime,
  isUniqueViolation,
  joinAssetReferences,
  recordAudit,
  type Actor,
  type AssetView,
  assetLockKey,
  inTransaction,
  textKey,
  type Db,
  type DetailChange,
  type PluginRouteHost,
} from 'shopdb/sdk';
import { MAX_VLAN, type ControlsInput, type HostQuery, type HostReplacement, type InterfaceInput, type InterfacePatch } from './schemas.js';

export { MAX_VLAN };
export type { HostQuery, InterfaceInput, InterfacePatch } from './schemas.js';

export const COMPUTER_TYPE = 'computer';
export const CONTROLS = 'controls';

type Row = Record<string, unknown>;

/** The structured details of a PC: what GET returns and PUT sets. */
export interface HostDetails {
  os: string | null;
  osVersion: string | null;
  domainJoined: boolean;
  /** Only while domainJoined. */
  domainName: string | null;
  lastSeenAt: Date | null;
  /** YYYY-MM-DD. */
  warrantyEnd: string | null;
}

/** What PATCH takes (the seed passes a Date for lastSeenAt): dates as ISO text (or Date). */
export interface HostPatch {
  os?: string | null;
  osVersion?: string | null;
  domainJoined?: boolean;
  domainName?: string | null;
  lastSeenAt?: string | Date | null;
  warrantyEnd?: string | null;
}

/** A PC as the lists show it: the asset's identity and place, and its details. */
export interface HostView extends HostDetails {
  assetId: number;
  assetTag: string;
  name: string;
  hostname: string | null;
  serial: string | null;
  model: { id: number; name: string; manufacturer: string } | null;
  status: { id: number; name: string };
  location: { id: number; code: string; name: string } | null;
}

export interface NetworkInterface {
  id: number;
  assetId: number;
  name: string;
  ip: string | null;
  mac: string;
  vlan: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Which VLAN ids the site knows (host.knownVlans: the enabled network plugin's answer, null when no
 * plugin keeps VLANs). Writes from the API pass it; the demo seed does not (its VLANs may come later).
 */
export interface InterfaceWriteOptions {
  knownVlans?: PluginRouteHost['knownVlans'];
}

/** An asset a PC drives, through a `controls` link. */
export interface ControlledAsset {
  linkId: number;
  note: string | null;
  asset: { id: number; assetTag: string; name: string; type: string };
}

/** A PC that drives an asset. */
export interface Controller {
  linkId: number;
  note: string | null;
  host: HostView;
}

const INTERFACE_CODEC = { created_at: 'date', updated_at: 'date' } as const;

function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}

function instant(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** `text%` for LIKE with its wildcards escaped (`!` is the escape character). */
function startsWith(text: string): string {
  return `${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

const MAC_FORMATS = [/^[0-9a-f]{2}([:-])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}$/i, /^(?:[0-9a-f]{4}\.){2}[0-9a-f]{4}$/i, /^[0-9a-f]{12}$/i];

/**
 * A MAC address as aa:bb:cc:dd:ee:ff, from the ways people write one (AA-BB-CC-DD-EE-FF,
 * aabb.ccdd.eeff, aabbccddeeff, colons); null when it is not one.
 */
export function normaliseMac(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (!MAC_FORMATS.some((format) => format.test(text))) return null;
  return text
    .replace(/[^0-9a-f]/gi, '')
    .toLowerCase()
    .match(/../g)!
    .join(':');
}

// ── hosts ──────────────────────────────────────────────────────────────────────────────────

/** Live computer assets with their details (none yet: all null), place, model and status. */
function hostsQuery(db: Db): Knex.QueryBuilder {
  return joinAssetReferences(db({ a: 'assets' }))
    .leftJoin({ h: 'computers_hosts' }, 'h.asset_id', 'a.id')
    .where('t.key', COMPUTER_TYPE)
    .whereNull('a.deleted_at');
}

function selectHosts(q: Knex.QueryBuilder): Knex.QueryBuilder {
  return q.select(
    { asset_id: 'a.id', asset_tag: 'a.asset_tag', asset_name: 'a.name', hostname: 'a.hostname', serial: 'a.serial' },
    { status_id: 's.id', status_name: 's.name' },
    { location_id: 'l.id', location_code: 'l.code', location_name: 'l.name' },
    { model_id: 'am.id', model_name: 'am.name', manufacturer_name: 'mf.name' },
    HOSTS.select('h'),
  );
}

function toHostView(row: Row): HostView {
  return {
    assetId: Number(row.asset_id),
    assetTag: row.asset_tag as string,
    name: row.asset_name as string,
    hostname: (row.hostname as string) ?? null,
    serial: (row.serial as string) ?? null,
    model:
      row.model_id === null
        ? null
        : { id: Number(row.model_id), name: row.model_name as string, manufacturer: row.manufacturer_name as string },
    status: { id: Number(row.status_id), name: row.status_name as string },
    location:
      row.location_id === null
        ? null
        : { id: Number(row.location_id), code: row.location_code as string, name: row.location_name as string },
    ...HOSTS.read(row),
  };
}

export async function listHosts(db: Knex, query: HostQuery): Promise<{ count: number; results: HostView[] }> {
  const base = hostsQuery(db);
  if (query.os !== undefined && query.os !== '') base.whereRaw("h.os_name LIKE ? ESCAPE '!'", [startsWith(query.os)]);
  if (query.domainJoined !== undefined) base.where('h.domain_joined', query.domainJoined ? 1 : 0);
  const [{ count }] = (await base.clone().count({ count: '*' })) as Array<{ count: number | string }>;
  const rows = (await selectHosts(base).orderBy('a.asset_tag').orderBy('a.id').limit(query.limit).offset(query.offset)) as Row[];
  return { count: Number(count), results: rows.map(toHostView) };
}

async function loadHost(db: Db, assetId: number): Promise<HostView> {
  const row = (await selectHosts(hostsQuery(db).where('a.id', assetId)).first()) as Row | undefined;
  if (!row)
    throw new NotFoundError(`There is no computer asset with id ${assetId}`, {
      suggestion: 'GET /api/plugins/computers/hosts lists the computers.',
    });
  return toHostView(row);
}

export async function getHost(db: Knex, assetId: number): Promise<HostView> {
  return loadHost(db, assetId);
}

function checkText(problems: Record<string, string>, field: string, value: unknown, maxLength: number): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'string' || value.trim() === '') problems[field] = 'must be non-empty text or null';
  else if (value.length > maxLength) problems[field] = `must be at most ${maxLength} characters`;
}

export const DOMAIN_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** The rules of a host details change; the domain rule is checked on the details it leaves. */
function hostProblems({ given, after }: DetailChange<HostDetails, HostPatch>): Record<string, string> {
  const problems: Record<string, string> = {};
  checkText(problems, 'os', given.os, 100);
  checkText(problems, 'osVersion', given.osVersion, 64);
  if (given.domainJoined !== undefined && typeof given.domainJoined !== 'boolean') problems.domainJoined = 'must be true or false';
  if (
    given.domainName !== undefined &&
    given.domainName !== null &&
    (typeof given.domainName !== 'string' || given.domainName.length > 191 || !DOMAIN_NAME.test(given.domainName))
  ) {
    problems.domainName = 'must be a domain name like p7.example.com (letters, digits, hyphens and dots), or null';
  }
  if (given.lastSeenAt !== undefined && given.lastSeenAt !== null && after.lastSeenAt === null)
    problems.lastSeenAt = 'must be a date-time (ISO 8601), or null';
  if (given.warrantyEnd !== undefined && given.warrantyEnd !== null && !isCalendarDate(given.warrantyEnd))
    problems.warrantyEnd = 'must be a date (YYYY-MM-DD), or null';
  if (Object.keys(problems).length === 0 && Object.keys(given).every((key) => key in HOSTS.columns)) {
    if (after.domainJoined && after.domainName === null) problems.domainName = 'is required while domainJoined is true';
    if (!after.domainJoined && after.domainName !== null) problems.domainName = 'must be null unless domainJoined is true';
  }
  return problems;
}

/** The host details of each computer asset: the core gives every new one its row (audited) and writes them. */
export const HOSTS = defineDetailTable<HostDetails, HostPatch>({
  table: 'computers_hosts',
  columns: {
    os: { column: 'os_name' },
    osVersion: { column: 'os_version' },
    domainJoined: { column: 'domain_joined', kind: 'boolean' },
    domainName: { column: 'domain_name' },
    lastSeenAt: { column: 'last_seen_at', kind: 'datetime' },
    warrantyEnd: { column: 'warranty_end', kind: 'date' },
  },
  objectType: 'computers.host',
  auditCreate: true,
  noun: 'host detail',
  invalidMessage: 'Some host details are not valid',
  merge(before, given) {
    const domainJoined = given.domainJoined ?? before.domainJoined;
    return {
      os: given.os !== undefined ? given.os : before.os,
      osVersion: given.osVersion !== undefined ? given.osVersion : before.osVersion,
      domainJoined,
      // Leaving the domain forgets its name unless the same change names one (which is refused).
      domainName: given.domainName !== undefined ? given.domainName : domainJoined ? before.domainName : null,
      lastSeenAt: given.lastSeenAt === undefined ? before.lastSeenAt : given.lastSeenAt === null ? null : instant(given.lastSeenAt),
      warrantyEnd: given.warrantyEnd !== undefined ? given.warrantyEnd : before.warrantyEnd,
    };
  },
  validate: hostProblems,
});

/**
 * Sets the details given (null clears one), the others stay (PATCH). Leaving the domain clears its
 * name. A PATCH merges into what is stored and checks the domain rule on the result, so writes of
 * one computer go one at a time, under its asset's key (ADR-012).
 */
export async function updateHost(db: Knex, actor: Actor, assetId: number, patch: HostPatch): Promise<HostView> {
  return HOSTS.save(db, actor, assetId, patch, { load: (trx) => loadHost(trx, assetId) });
}

/** Replaces every detail (PUT): those not given become null, domainJoined false; checked before anything is read. */
export async function replaceHost(db: Knex, actor: Actor, assetId: number, details: HostReplacement): Promise<HostView> {
  return HOSTS.save(db, actor, assetId, details, { replace: true, load: (trx) => loadHost(trx, assetId) });
}

/**
 * The afterAssetDelete hook: a deleted PC gives up its network interfaces, so its MAC addresses
 * can be registered again (a card moved to another PC, a PC re-added under a new tag). The audit
 * log keeps what they were.
 */
export async function releaseInterfaces(db: Db, actor: Actor, asset: AssetView): Promise<void> {
  if (asset.type.key !== COMPUTER_TYPE) return;
  const rows = (await db('computers_interfaces').where({ asset_id: asset.id }).orderBy('id')) as Row[];
  for (const row of rows) {
    await db('computers_interfaces').where({ id: row.id }).delete();
    await recordAudit(db, actor, {
      action: 'delete',
      objectType: 'computers.interface',
      objectId: Number(row.id),
      before: toInterface(row),
    });
  }
}

// ── interfaces ─────────────────────────────────────────────────────────────────────────────

function toInterface(raw: Row): NetworkInterface {
  const row = decodeRow<Row>(INTERFACE_CODEC, raw);
  return {
    id: Number(row.id),
    assetId: Number(row.asset_id),
    name: row.name as string,
    ip: (row.ip as string) ?? null,
    mac: row.mac as string,
    vlan: row.vlan === null || row.vlan === undefined ? null : Number(row.vlan),
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

async function requireHost(db: Db, assetId: number): Promise<{ assetTag: string }> {
  const row = (await hostsQuery(db).where('a.id', assetId).first({ tag: 'a.asset_tag' })) as { tag: string } | undefined;
  if (!row)
    throw new NotFoundError(`There is no computer asset with id ${assetId}`, {
      suggestion: 'GET /api/plugins/computers/hosts lists the computers.',
    });
  return { assetTag: row.tag };
}

/** The network interfaces of a PC, by name. */
export async function listInterfaces(
  db: Knex,
  assetId: number,
  query: { limit: number; offset: number },
): Promise<{ count: number; results: NetworkInterface[] }> {
  await requireHost(db, assetId);
  const base = db('computers_interfaces').where({ asset_id: assetId });
  const [{ count }] = (await base.clone().count({ count: '*' })) as Array<{ count: number | string }>;
  const rows = (await base.select('*').orderBy('name').orderBy('id').limit(query.limit).offset(query.offset)) as Row[];
  return { count: Number(count), results: rows.map(toInterface) };
}

/** An interface as it will be written, checked the same way by POST and PATCH: field → problem. */
async function interfaceProblems(
  db: Db,
  input: Record<string, unknown>,
  options: InterfaceWriteOptions,
): Promise<{ problems: Record<string, string>; mac: string | null }> {
  const problems: Record<string, string> = {};
  for (const key of Object.keys(input).filter((k) => !['name', 'mac', 'ip', 'vlan'].includes(k)))
    problems[key] = 'is not an interface field';
  if (input.name === undefined) problems.name = 'is required';
  else checkText(problems, 'name', input.name, 64);
  const mac = normaliseMac(input.mac);
  if (input.mac === undefined) problems.mac = 'is required';
  else if (mac === null) problems.mac = 'must be a MAC address (aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF, aabb.ccdd.eeff or aabbccddeeff)';
  if (input.ip !== undefined && input.ip !== null && (typeof input.ip !== 'string' || isIP(input.ip) === 0))
    problems.ip = 'must be an IPv4 or IPv6 address, or null';
  const vlan = input.vlan;
  if (vlan !== undefined && vlan !== null) {
    if (typeof vlan !== 'number' || !Number.isSafeInteger(vlan) || vlan < 1 || vlan > MAX_VLAN)
      problems.vlan = `must be a VLAN id from 1 to ${MAX_VLAN}, or null`;
    else if (options.knownVlans) {
      // Asked in the write's transaction; null: no enabled plugin keeps the site's VLANs, so any id goes.
      const known = await options.knownVlans(db, [vlan]);
      if (known && !known.has(vlan))
        problems.vlan = `VLAN ${vlan} is not one of the site's VLANs; add it to the network plugin first, or give null`;
    }
  }
  return { problems, mac };
}

/** A 409 when the MAC address is another interface's, or the PC has another interface of that name. */
async function refuseClashes(trx: Db, assetTag: string, assetId: number, name: string, mac: string, exceptId?: number): Promise<void> {
  const holder = trx({ i: 'computers_interfaces' }).join({ a: 'assets' }, 'a.id', 'i.asset_id').where('i.mac', mac);
  if (exceptId !== undefined) holder.whereNot('i.id', exceptId);
  const held = (await holder.first({ tag: 'a.asset_tag', name: 'i.name' })) as Row | undefined;
  if (held)
    throw new ConflictError(`MAC address ${mac} is already registered, on ${held.tag as string} (${held.name as string})`, {
      suggestion: 'Delete that interface first if the card has moved.',
    });
  const twin = trx('computers_interfaces').where({ asset_id: assetId, name_key: textKey(name) });
  if (exceptId !== undefined) twin.whereNot('id', exceptId);
  if (await twin.first('id')) {
    throw new ConflictError(`${assetTag} already has an interface named "${name}"`, {
      suggestion: 'Give each interface of a PC its own name (e.g. "Ethernet 2").',
    });
  }
}

function registeredMeanwhile(error: unknown): never {
  if (isUniqueViolation(error))
    throw new ConflictError('That MAC address or interface name was registered at the same moment', { cause: error });
  throw error;
}

async function loadInterface(db: Db, id: number): Promise<NetworkInterface> {
  const row = (await db('computers_interfaces').where({ id }).first()) as Row;
  return toInterface(row);
}

export async function addInterface(
  db: Knex,
  actor: Actor,
  assetId: number,
  input: InterfaceInput,
  options: InterfaceWriteOptions = {},
): Promise<NetworkInterface> {
  return inTransaction(
    db,
    async (trx) => {
      const host = await requireHost(trx, assetId);
      const { problems, mac } = await interfaceProblems(trx, input, options);
      if (Object.keys(problems).length > 0) throw new ValidationError('The network interface is not valid', problems);
      await refuseClashes(trx, host.assetTag, assetId, input.name, mac!);
      const [id] = await trx('computers_interfaces')
        .insert({
          asset_id: assetId,
          name: input.name,
          name_key: textKey(input.name),
          mac,
          ip: input.ip ?? null,
          vlan: input.vlan ?? null,
        })
        .catch(registeredMeanwhile);
      const created = await loadInterface(trx, Number(id));
      await recordAudit(trx, actor, { action: 'create', objectType: 'computers.interface', objectId: created.id, after: created });
      return created;
      // Not while the PC is being deleted (that releases its interfaces and their MAC addresses).
    },
    { serializeOn: [assetLockKey(assetId)] },
  );
}

/** The interface of a live PC, or a 404. */
async function liveInterfaceRow(db: Db, id: number): Promise<Row> {
  const row = (await db({ i: 'computers_interfaces' })
    .join({ a: 'assets' }, 'a.id', 'i.asset_id')
    .whereNull('a.deleted_at')
    .where('i.id', id)
    .first('i.*')) as Row | undefined;
  if (!row) throw new NotFoundError(`There is no network interface with id ${id}`);
  return row;
}

/** Changes an interface (only the fields given; checked as a whole, as a new one), audited with before and after. */
export async function updateInterface(
  db: Knex,
  actor: Actor,
  id: number,
  patch: InterfacePatch,
  options: InterfaceWriteOptions = {},
): Promise<NetworkInterface> {
  // An interface never moves to another PC: its asset is read first, so the PC's key is taken before anything else.
  const assetId = Number((await liveInterfaceRow(db, id)).asset_id);
  return inTransaction(
    db,
    async (trx) => {
      const before = toInterface(await liveInterfaceRow(trx, id));
      const host = await requireHost(trx, assetId);
      const merged = { name: before.name, mac: before.mac, ip: before.ip, vlan: before.vlan, ...patch };
      // The VLAN is asked about only when this change sets it: a VLAN stored before the network plugin came does not block a rename.
      const { problems, mac } = await interfaceProblems(trx, merged, patch.vlan === undefined ? {} : options);
      if (Object.keys(problems).length > 0) throw new ValidationError('The network interface is not valid', problems);
      await refuseClashes(trx, host.assetTag, assetId, merged.name, mac!, id);
      await trx('computers_interfaces')
        .where({ id })
        .update({
          name: merged.name,
          name_key: textKey(merged.name),
          mac,
          ip: merged.ip ?? null,
          vlan: merged.vlan ?? null,
          updated_at: formatUtcDatetime(new Date()),
        })
        .catch(registeredMeanwhile);
      const after = await loadInterface(trx, id);
      await recordAudit(trx, actor, { action: 'update', objectType: 'computers.interface', objectId: id, before, after });
      return after;
    },
    { serializeOn: [assetLockKey(assetId)] },
  );
}

/** Removes an interface (of a live PC). */
export async function deleteInterface(db: Knex, actor: Actor, id: number): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = await liveInterfaceRow(trx, id);
    await trx('computers_interfaces').where({ id }).delete();
    await recordAudit(trx, actor, { action: 'delete', objectType: 'computers.interface', objectId: id, before: toInterface(row) });
  });
}

// ── what a PC controls ─────────────────────────────────────────────────────────────────────

async function typeKeys(db: Db, ids: number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = (await db({ a: 'assets' })
    .join({ t: 'asset_types' }, 't.id', 'a.type_id')
    .whereIn('a.id', ids)
    .select({ id: 'a.id', key: 't.key' })) as Row[];
  return new Map(rows.map((row) => [Number(row.id), row.key as string]));
}

/** The assets this PC drives (its outgoing `controls` links), by asset tag. */
export async function listControlled(db: Knex, assetId: number): Promise<ControlledAsset[]> {
  await requireHost(db, assetId);
  const links = (await listLinks(db, assetId)).filter((link) => link.linkType === CONTROLS && link.direction === 'outgoing');
  const types = await typeKeys(
    db,
    links.map((link) => link.other.id),
  );
  return links
    .map((link) => ({ linkId: link.id, note: link.note, asset: { ...link.other, type: types.get(link.other.id) ?? 'other' } }))
    .sort((a, b) => a.asset.assetTag.localeCompare(b.asset.assetTag));
}

/** Records that this PC drives `machineId` (any live asset but itself). 409 when it already does. */
export async function addControlled(db: Knex, actor: Actor, assetId: number, input: ControlsInput): Promise<ControlledAsset> {
  await requireHost(db, assetId);
  const link = await addLink(db, actor, assetId, { targetId: input.machineId, linkType: CONTROLS, note: input.note ?? null }).catch(
    (error: unknown) => {
      // The core names the field it was given; this route calls it machineId.
      if (error instanceof ValidationError && error.fields.targetId)
        throw new ValidationError(error.message, { machineId: error.fields.targetId });
      if (error instanceof ConflictError)
        throw new ConflictError(`This computer already controls asset ${input.machineId}`, { cause: error });
      throw error;
    },
  );
  const types = await typeKeys(db, [link.other.id]);
  return { linkId: link.id, note: link.note, asset: { ...link.other, type: types.get(link.other.id) ?? 'other' } };
}

/** Removes the `controls` link from this PC to `machineId`. */
export async function removeControlled(db: Knex, actor: Actor, assetId: number, machineId: number): Promise<void> {
  await requireHost(db, assetId);
  const link = (await db('asset_links')
    .where({ source_asset_id: assetId, target_asset_id: machineId, link_type: CONTROLS })
    .first('id')) as { id: number } | undefined;
  if (!link) throw new NotFoundError(`Computer ${assetId} does not control asset ${machineId}`);
  await removeLink(db, actor, assetId, Number(link.id));
}

/** The live asset an asset tag names. */
export async function assetIdByTag(db: Knex, assetTag: string): Promise<number> {
  const row = (await db('assets')
    .where({ asset_tag_key: textKey(assetTag) })
    .whereNull('deleted_at')
    .first('id')) as { id: number } | undefined;
  if (!row) throw new NotFoundError(`There is no asset tagged ${assetTag}`);
  return Number(row.id);
}

/** The computers that drive an asset (incoming `controls` links from computer assets), by asset tag. */
export async function controllersOf(
  db: Knex,
  assetId: number,
): Promise<{ asset: { id: number; assetTag: string; name: string }; results: Controller[] }> {
  const target = (await db('assets').where({ id: assetId }).whereNull('deleted_at').first('id', 'asset_tag', 'name')) as Row | undefined;
  if (!target) throw new NotFoundError(`There is no asset with id ${assetId}`);
  const links = (await listLinks(db, assetId)).filter((link) => link.linkType === CONTROLS && link.direction === 'incoming');
  const hosts =
    links.length === 0
      ? []
      : (
          (await selectHosts(
            hostsQuery(db).whereIn(
              'a.id',
              links.map((link) => link.other.id),
            ),
          )) as Row[]
        ).map(toHostView);
  const results = links
    .map((link) => ({ link, host: hosts.find((h) => h.assetId === link.other.id) }))
    .filter((entry): entry is { link: (typeof links)[number]; host: HostView } => entry.host !== undefined)
    .map(({ link, host }) => ({ linkId: link.id, note: link.note, host }))
    .sort((a, b) => a.host.assetTag.localeCompare(b.host.assetTag));
  return { asset: { id: Number(target.id), assetTag: target.asset_tag as string, name: target.name as string }, results };
}

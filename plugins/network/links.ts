// What each port is plugged into: another port or an end device (one link per port, on either
// side), and unplugging whatever pointed at a deleted asset.

import type { Knex } from 'knex';
import {
  ConflictError,
  decodeRow,
  formatUtcDatetime,
  isUniqueViolation,
  NotFoundError,
  notFoundAs,
  recordAudit,
  ValidationError,
  type Actor,
  assetLockKey,
  inTransaction,
  type Db,
} from 'shopdb/sdk';
import { portLockKey, summaries, throwIfProblems, type Link } from './devices.js';
import { linkRecord, loadPort, removeLinkRow, withPeers } from './ports.js';
import type { LinkInput, LinkPatch } from './schemas.js';

type Row = Record<string, unknown>;

/** The two ends of a link as its row has them; exactly one of toPortId and toAssetId is set. */
interface LinkEnds {
  portId: number;
  toPortId?: number;
  toAssetId?: number;
}

/** A link as the API shows it, from `fromPortId`'s side: `port` and `device` are that end, `peer` the other. */
async function linkView(db: Db, linkId: number, fromPortId?: number): Promise<Link> {
  const row = (await db('network_port_links').where({ id: linkId }).first()) as Row | undefined;
  if (!row) throw new NotFoundError(`There is no link with id ${linkId}`);
  const port = await loadPort(db, fromPortId ?? Number(row.port_a_id));
  const [view] = await withPeers(db, [port]);
  const device = (await summaries(db, [port.deviceId])).get(port.deviceId)!;
  return { id: linkId, port, device, peer: view!.peer!, createdAt: decodeRow<Row>({ created_at: 'date' }, row).created_at as Date };
}

export async function getLink(db: Knex, linkId: number): Promise<Link> {
  return linkView(db, linkId);
}

/** The ports a link plugs in. */
function linkPorts(input: LinkEnds): number[] {
  return [input.portId, ...(input.toPortId === undefined ? [] : [input.toPortId])];
}

/** Which devices the ports are on never changes: read before a transaction, so its keys can be taken before it reads anything. */
async function deviceIdsOf(db: Knex, portIds: number[]): Promise<number[]> {
  return ((await db('network_ports').whereIn('id', portIds).pluck('asset_id')) as Array<number | string>).map(Number);
}

/**
 * Checks a link as it will be written, the same for POST and PATCH: the ports exist, the end
 * device exists and is not the port's own, and neither port is in another link.
 */
async function checkLink(trx: Db, input: LinkEnds, exceptLinkId?: number): Promise<void> {
  const problems: Record<string, string> = {};
  if ((input.toPortId === undefined) === (input.toAssetId === undefined))
    problems.toPortId = 'give either toPortId (another port) or toAssetId (an end device), not both or neither';
  else if (input.toPortId === input.portId) problems.toPortId = 'is the port itself';
  throwIfProblems('The link is not valid', problems);
  const port = await loadPort(trx, input.portId).catch(
    notFoundAs(() => new ValidationError('The port does not exist', { portId: `no port with id ${input.portId}` })),
  );
  if (input.toPortId !== undefined) {
    await loadPort(trx, input.toPortId).catch(
      notFoundAs(() => new ValidationError('The other port does not exist', { toPortId: `no port with id ${input.toPortId}` })),
    );
  } else {
    const asset = (await summaries(trx, [input.toAssetId!])).get(input.toAssetId!);
    if (!asset) throw new ValidationError('The end device does not exist', { toAssetId: `no asset with id ${input.toAssetId}` });
    if (asset.id === port.deviceId)
      throw new ValidationError('A port cannot be plugged into its own device', { toAssetId: 'is the device the port is on' });
  }
  // The unique indexes cover one column each; the port keys make "not on either side of another link" hold.
  const ports = linkPorts(input);
  const taken = trx('network_port_links').where((q) => q.whereIn('port_a_id', ports).orWhereIn('port_b_id', ports));
  if (exceptLinkId !== undefined) taken.whereNot('id', exceptLinkId);
  const other = (await taken.first()) as Row | undefined;
  if (other) {
    const busy = ports.find((id) => id === Number(other.port_a_id) || id === Number(other.port_b_id))!;
    throw new ConflictError(`Port ${busy} is already plugged in (link ${Number(other.id)}); remove that link first`);
  }
}

function pluggedIn(error: unknown): never {
  if (isUniqueViolation(error)) throw new ConflictError('One of these ports is already plugged in', { cause: error });
  throw error;
}

/** Plugs a port into another port, or into an end asset. Either port already plugged in is a 409. */
export async function createLink(db: Knex, actor: Actor, input: LinkInput): Promise<Link> {
  // Deleting a device or an end asset unplugs its links, so a new link waits for (or on) that.
  const devices = await deviceIdsOf(db, linkPorts(input));
  const assets = [...devices, ...(input.toAssetId === undefined ? [] : [input.toAssetId])];
  return inTransaction(
    db,
    async (trx) => {
      await checkLink(trx, input);
      const [id] = await trx('network_port_links')
        .insert({ port_a_id: input.portId, port_b_id: input.toPortId ?? null, asset_id: input.toAssetId ?? null })
        .catch(pluggedIn);
      const created = (await trx('network_port_links')
        .where({ id: Number(id) })
        .first()) as Row;
      await recordAudit(trx, actor, { action: 'create', objectType: 'network.link', objectId: Number(id), after: linkRecord(created) });
      return linkView(trx, Number(id));
    },
    { serializeOn: [...linkPorts(input).map(portLockKey), ...assets.map(assetLockKey)] },
  );
}

/** The ends a PATCH leaves: a new other end (port or asset) replaces the old one, whichever kind it was. */
function mergeEnds(before: ReturnType<typeof linkRecord>, patch: LinkPatch): LinkEnds {
  const farEnd =
    patch.toPortId !== undefined || patch.toAssetId !== undefined
      ? { toPortId: patch.toPortId, toAssetId: patch.toAssetId }
      : { toPortId: before.toPortId ?? undefined, toAssetId: before.toAssetId ?? undefined };
  return { portId: patch.portId ?? before.portId, ...farEnd };
}

/** Re-plugs a link (checked as a new one would be, ignoring the link itself), audited with before and after. */
export async function updateLink(db: Knex, actor: Actor, linkId: number, patch: LinkPatch): Promise<Link> {
  const current = (await db('network_port_links').where({ id: linkId }).first()) as Row | undefined;
  if (!current) throw new NotFoundError(`There is no link with id ${linkId}`);
  const wanted = mergeEnds(linkRecord(current), patch);
  const ports = [...new Set([...linkPorts(mergeEnds(linkRecord(current), {})), ...linkPorts(wanted)])];
  const assets = [...(await deviceIdsOf(db, ports)), ...[current.asset_id, wanted.toAssetId].filter((a) => a != null).map(Number)];
  return inTransaction(
    db,
    async (trx) => {
      const row = (await trx('network_port_links').where({ id: linkId }).first()) as Row | undefined;
      if (!row) throw new NotFoundError(`There is no link with id ${linkId}`);
      const before = linkRecord(row);
      const after = mergeEnds(before, patch);
      // Re-read under the keys: the link changed meanwhile and now plugs in ports whose keys were not taken.
      if (linkPorts(after).some((port) => !ports.includes(port))) throw new ConflictError(`Link ${linkId} changed meanwhile; try again`);
      await checkLink(trx, after, linkId);
      await trx('network_port_links')
        .where({ id: linkId })
        .update({
          port_a_id: after.portId,
          port_b_id: after.toPortId ?? null,
          asset_id: after.toAssetId ?? null,
          updated_at: formatUtcDatetime(new Date()),
        })
        .catch(pluggedIn);
      const updated = linkRecord((await trx('network_port_links').where({ id: linkId }).first()) as Row);
      await recordAudit(trx, actor, { action: 'update', objectType: 'network.link', objectId: linkId, before, after: updated });
      return linkView(trx, linkId);
    },
    { serializeOn: [...ports.map(portLockKey), ...[...new Set(assets)].map(assetLockKey)] },
  );
}

export async function deleteLink(db: Knex, actor: Actor, linkId: number): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = (await trx('network_port_links').where({ id: linkId }).first()) as Row | undefined;
    if (!row) throw new NotFoundError(`There is no link with id ${linkId}`);
    await removeLinkRow(trx, actor, row);
  });
}

/**
 * Where an asset of any type is plugged in: its links, each shown from the far side — `port` and
 * `device` are the port it is plugged into (a switch port, for a CNC or a PC) and `peer` is the
 * asset's own end (itself, or its own port when it is a network device). 404 for no live asset.
 */
export async function listAssetLinks(db: Knex, assetId: number): Promise<Link[]> {
  if (!(await summaries(db, [assetId])).has(assetId)) throw new NotFoundError(`There is no asset with id ${assetId}`);
  const own = db('network_ports').select('id').where({ asset_id: assetId });
  const rows = (await db('network_port_links')
    .where('asset_id', assetId)
    .orWhereIn('port_a_id', own.clone())
    .orWhereIn('port_b_id', own.clone())
    .orderBy('id')) as Row[];
  const ownPorts = new Set(((await own.clone().pluck('id')) as Array<number | string>).map(Number));
  const links: Link[] = [];
  for (const row of rows) {
    const [a, b] = [Number(row.port_a_id), row.port_b_id === null ? null : Number(row.port_b_id)];
    // The far side: the port that is not the asset's own (a link between two of its own ports shows from port a).
    const far = ownPorts.has(a) && b !== null && !ownPorts.has(b) ? b : a;
    // A far end on a deleted device reads as not plugged in, as in the port lists.
    const view = await linkView(db, Number(row.id), far).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    if (view?.peer) links.push(view);
  }
  return links;
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

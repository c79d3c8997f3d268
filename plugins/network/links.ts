// What each port is plugged into: another port or an end device (one link per port, on either
// side), and unplugging whatever pointed at a deleted asset.

import type { Knex } from 'knex';
import {
  ConflictError,
  decodeRow,
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

type Row = Record<string, unknown>;

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

/** The ports a new link would plug in. */
function linkPorts(input: LinkInput): number[] {
  return [input.portId, ...(input.toPortId === undefined ? [] : [input.toPortId])];
}

/** Plugs a port into another port, or into an end asset. Either port already plugged in is a 409. */
export async function createLink(db: Knex, actor: Actor, input: LinkInput): Promise<Link> {
  const problems: Record<string, string> = {};
  if ((input.toPortId === undefined) === (input.toAssetId === undefined))
    problems.toPortId = 'give either toPortId (another port) or toAssetId (an end device), not both or neither';
  else if (input.toPortId === input.portId) problems.toPortId = 'is the port itself';
  throwIfProblems('The link is not valid', problems);
  // Which devices the ports are on never changes: read before the transaction, so the keys can
  // be taken before it reads anything. Deleting a device or an end asset unplugs its links, so
  // a new link waits for (or on) that.
  const devices = ((await db('network_ports').whereIn('id', linkPorts(input)).pluck('asset_id')) as Array<number | string>).map(Number);
  const assets = [...devices, ...(input.toAssetId === undefined ? [] : [input.toAssetId])];
  return inTransaction(
    db,
    async (trx) => {
      // The unique indexes cover one column each; the port keys make "not on either side of another link" hold.
      const ports = linkPorts(input);
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
      const created = (await trx('network_port_links')
        .where({ id: Number(id) })
        .first()) as Row;
      await recordAudit(trx, actor, { action: 'create', objectType: 'network.link', objectId: Number(id), after: linkRecord(created) });
      return linkView(trx, Number(id));
    },
    { serializeOn: [...linkPorts(input).map(portLockKey), ...assets.map(assetLockKey)] },
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

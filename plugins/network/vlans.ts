// The site's VLANs: ids 1–4094, once each, with a name and an optional subnet in CIDR. A VLAN that
// is the access VLAN of a port keeps its id and stays until those ports move to another.

import { isIP } from 'node:net';
import type { Knex } from 'knex';
import {
  ConflictError,
  decodeRow,
  formatUtcDatetime,
  isUniqueViolation,
  NotFoundError,
  recordAudit,
  type Actor,
  inTransaction,
  type Db,
} from 'shopdb/sdk';
import { throwIfProblems, type Vlan } from './devices.js';
import type { VlanInput, VlanPatch } from './schemas.js';

type Row = Record<string, unknown>;

function vlanOf(raw: Row): Vlan {
  const row = decodeRow<Row>({ created_at: 'date' }, raw);
  return {
    id: Number(row.id),
    vlanId: Number(row.vlan_id),
    name: row.name as string,
    subnet: (row.subnet as string | null) ?? null,
    createdAt: row.created_at as Date,
  };
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

/**
 * One at a time, on every replica (ADR-012): the writes that depend on a VLAN id existing — a
 * port set to it, the VLAN renumbered or removed — so a port never points at a VLAN going away.
 */
export const vlanLockKey = (vlanId: number) => `network.vlan:${vlanId}`;

/** A VLAN as it will be written, checked the same way by POST and PATCH. */
function checkVlan(vlan: { vlanId: number; name: string; subnet: string | null }): void {
  const problems: Record<string, string> = {};
  if (!Number.isInteger(vlan.vlanId) || vlan.vlanId < 1 || vlan.vlanId > 4094) problems.vlanId = 'must be a VLAN id from 1 to 4094';
  if (vlan.name.trim() === '') problems.name = 'is empty';
  const subnetIssue = vlan.subnet === null ? undefined : subnetProblem(vlan.subnet);
  if (subnetIssue) problems.subnet = subnetIssue;
  throwIfProblems('The VLAN is not valid', problems);
}

function duplicateVlan(vlanId: number) {
  return (error: unknown): never => {
    if (isUniqueViolation(error)) throw new ConflictError(`VLAN ${vlanId} already exists`, { cause: error });
    throw error;
  };
}

async function loadVlan(db: Db, id: number): Promise<Vlan> {
  const row = (await db('network_vlans').where({ id }).first()) as Row | undefined;
  if (!row) throw new NotFoundError(`There is no VLAN with id ${id}`, { suggestion: 'GET /api/plugins/network/vlans lists them.' });
  return vlanOf(row);
}

export async function getVlan(db: Knex, id: number): Promise<Vlan> {
  return loadVlan(db, id);
}

/** A 409 while ports have `vlanId` as their access VLAN, naming a few of them. */
async function refuseWhileInUse(db: Db, vlanId: number, what: string): Promise<void> {
  const users = (await db({ p: 'network_ports' })
    .join({ a: 'assets' }, 'a.id', 'p.asset_id')
    .where('p.vlan', vlanId)
    .orderBy('a.asset_tag')
    .orderBy('p.name')
    .select({ tag: 'a.asset_tag', port: 'p.name' })) as Array<{ tag: string; port: string }>;
  if (users.length === 0) return;
  const named = users.slice(0, 3).map((u) => `${u.tag} ${u.port}`);
  throw new ConflictError(
    `VLAN ${vlanId} is the access VLAN of ${users.length} port${users.length === 1 ? '' : 's'} (${named.join(', ')}${users.length > 3 ? ', …' : ''}); ${what} is refused`,
    { suggestion: 'Set those ports to another VLAN (PATCH /api/plugins/network/ports/:id) first.' },
  );
}

export async function createVlan(db: Knex, actor: Actor, input: VlanInput): Promise<Vlan> {
  const vlan = { vlanId: input.vlanId, name: input.name.trim(), subnet: input.subnet ?? null };
  checkVlan(vlan);
  return inTransaction(db, async (trx) => {
    const [id] = await trx('network_vlans')
      .insert({ vlan_id: vlan.vlanId, name: vlan.name, subnet: vlan.subnet })
      .catch(duplicateVlan(vlan.vlanId));
    const created = await loadVlan(trx, Number(id));
    await recordAudit(trx, actor, { action: 'create', objectType: 'network.vlan', objectId: created.id, after: created });
    return created;
  });
}

/**
 * Changes a VLAN (only the fields given, checked as a whole like a new one). A new VLAN id is
 * refused while ports use the old one: they would be left on a VLAN that no longer exists.
 */
export async function updateVlan(db: Knex, actor: Actor, id: number, patch: VlanPatch): Promise<Vlan> {
  // The old id is read before the transaction so its key can be taken first; the row is read
  // again under the keys, and a VLAN renumbered meanwhile is retried as a conflict.
  const current = await loadVlan(db, id);
  const keys = [...new Set([current.vlanId, ...(patch.vlanId === undefined ? [] : [patch.vlanId])])].map(vlanLockKey);
  return inTransaction(
    db,
    async (trx) => {
      const before = await loadVlan(trx, id);
      if (before.vlanId !== current.vlanId) throw new ConflictError(`VLAN ${current.vlanId} was renumbered meanwhile; try again`);
      const after = {
        vlanId: patch.vlanId ?? before.vlanId,
        name: patch.name === undefined ? before.name : patch.name.trim(),
        subnet: patch.subnet === undefined ? before.subnet : patch.subnet,
      };
      checkVlan(after);
      if (after.vlanId !== before.vlanId) await refuseWhileInUse(trx, before.vlanId, `changing its id to ${after.vlanId}`);
      await trx('network_vlans')
        .where({ id })
        .update({ vlan_id: after.vlanId, name: after.name, subnet: after.subnet, updated_at: formatUtcDatetime(new Date()) })
        .catch(duplicateVlan(after.vlanId));
      const updated = await loadVlan(trx, id);
      await recordAudit(trx, actor, { action: 'update', objectType: 'network.vlan', objectId: id, before, after: updated });
      return updated;
    },
    { serializeOn: keys },
  );
}

/** Removes a VLAN no port uses (hard delete: nothing refers to it any more; the audit log keeps it). */
export async function deleteVlan(db: Knex, actor: Actor, id: number): Promise<void> {
  const current = await loadVlan(db, id);
  await inTransaction(
    db,
    async (trx) => {
      const before = await loadVlan(trx, id);
      if (before.vlanId !== current.vlanId) throw new ConflictError(`VLAN ${current.vlanId} was renumbered meanwhile; try again`);
      await refuseWhileInUse(trx, before.vlanId, 'removing it');
      await trx('network_vlans').where({ id }).delete();
      await recordAudit(trx, actor, { action: 'delete', objectType: 'network.vlan', objectId: id, before });
    },
    { serializeOn: [vlanLockKey(current.vlanId)] },
  );
}

/** Which of these VLAN ids the site has: the plugin's answer to other plugins (`knownVlans`). */
export async function knownVlanIds(db: Db, vlanIds: readonly number[]): Promise<number[]> {
  if (vlanIds.length === 0) return [];
  return (
    (await db('network_vlans')
      .whereIn('vlan_id', [...vlanIds])
      .pluck('vlan_id')) as Array<number | string>
  ).map(Number);
}

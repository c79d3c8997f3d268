// The site's VLANs: ids 1–4094, once each, with a name and an optional subnet in CIDR.

import { isIP } from 'node:net';
import type { Knex } from 'knex';
import { ConflictError, decodeRow, isUniqueViolation, recordAudit, type Actor, inTransaction } from 'shopdb/sdk';
import { throwIfProblems, type Vlan } from './devices.js';

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
    const vlan = vlanOf(
      (await trx('network_vlans')
        .where({ id: Number(id) })
        .first()) as Row,
    );
    await recordAudit(trx, actor, { action: 'create', objectType: 'network.vlan', objectId: vlan.id, after: vlan });
    return vlan;
  });
}

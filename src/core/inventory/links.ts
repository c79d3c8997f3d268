// Links between assets (`controls`, `connected-to`, `part-of`, `powered-by`, `monitors`): listed
// from either end, added and removed with their audit entries; `part-of` may not form a cycle, so
// those writes go one at a time on every replica (ADR-012).

import type { Knex } from 'knex';
import { recordAudit, type Actor } from '../audit/log.js';
import { isUniqueViolation } from '../db/constraint-errors.js';
import { inTransaction, type Db } from '../db/transaction.js';
import { ConflictError, NotFoundError, notFoundAs, ValidationError } from '../errors.js';
import { loadAsset } from './assets.js';

type Row = Record<string, unknown>;

/** Every new part-of link checks the whole containment graph: they go one at a time (ADR-012). */
export const PART_OF_LOCK_KEY = 'asset-links:part-of';

export const LINK_TYPES = ['controls', 'connected-to', 'part-of', 'powered-by', 'monitors'] as const;
export type LinkType = (typeof LINK_TYPES)[number];

export interface AssetLink {
  id: number;
  linkType: LinkType;
  note: string | null;
  /** Seen from the asset asked about: 'outgoing' when it is the source. */
  direction: 'outgoing' | 'incoming';
  other: { id: number; assetTag: string; name: string };
}

export async function listLinks(db: Knex, assetId: number): Promise<AssetLink[]> {
  await loadAsset(db, assetId);
  const rows = (await db({ k: 'asset_links' })
    .join({ src: 'assets' }, 'src.id', 'k.source_asset_id')
    .join({ dst: 'assets' }, 'dst.id', 'k.target_asset_id')
    .whereNull('src.deleted_at')
    .whereNull('dst.deleted_at')
    .where((w) => w.where('k.source_asset_id', assetId).orWhere('k.target_asset_id', assetId))
    .select('k.id', 'k.link_type', 'k.note', 'k.source_asset_id', {
      src_tag: 'src.asset_tag',
      src_name: 'src.name',
      dst_id: 'dst.id',
      dst_tag: 'dst.asset_tag',
      dst_name: 'dst.name',
    })
    .orderBy('k.id')) as Row[];
  return rows.map((row) => {
    const outgoing = Number(row.source_asset_id) === assetId;
    return {
      id: Number(row.id),
      linkType: row.link_type as LinkType,
      note: (row.note as string) ?? null,
      direction: outgoing ? 'outgoing' : 'incoming',
      other: outgoing
        ? { id: Number(row.dst_id), assetTag: row.dst_tag as string, name: row.dst_name as string }
        : { id: Number(row.source_asset_id), assetTag: row.src_tag as string, name: row.src_name as string },
    };
  });
}

/** Would "source part-of target" close a loop? True when source already contains target. */
async function partOfCycle(db: Db, sourceId: number, targetId: number): Promise<boolean> {
  const seen = new Set<number>([targetId]);
  let frontier = [targetId];
  while (frontier.length > 0) {
    if (frontier.includes(sourceId)) return true;
    const parents = (await db('asset_links')
      .whereIn('source_asset_id', frontier)
      .where('link_type', 'part-of')
      .pluck('target_asset_id')) as number[];
    frontier = parents.map(Number).filter((id) => !seen.has(id));
    for (const id of frontier) seen.add(id);
  }
  return false;
}

export interface LinkInput {
  targetId: number;
  linkType: LinkType;
  note?: string | null;
}

export async function addLink(db: Knex, actor: Actor, sourceId: number, input: LinkInput): Promise<AssetLink> {
  return inTransaction(
    db,
    async (trx) => {
      await loadAsset(trx, sourceId);
      if (input.targetId === sourceId)
        throw new ValidationError('An asset cannot be linked to itself', { targetId: 'is the asset itself' });
      await loadAsset(trx, input.targetId).catch(
        notFoundAs(() => new ValidationError('The target asset does not exist', { targetId: `no asset with id ${input.targetId}` })),
      );
      if (input.linkType === 'part-of' && (await partOfCycle(trx, sourceId, input.targetId))) {
        throw new ConflictError('That part-of link would make an asset part of itself');
      }
      const [id] = await trx('asset_links')
        .insert({ source_asset_id: sourceId, target_asset_id: input.targetId, link_type: input.linkType, note: input.note ?? null })
        .catch((error) => {
          if (isUniqueViolation(error)) throw new ConflictError('These assets already have a link of that type', { cause: error });
          throw error;
        });
      const after = { id: Number(id), sourceId, targetId: input.targetId, linkType: input.linkType, note: input.note ?? null };
      await recordAudit(trx, actor, { action: 'create', objectType: 'asset_link', objectId: Number(id), after });
      return (await listLinks(trx as unknown as Knex, sourceId)).find((link) => link.id === Number(id))!;
    },
    { serializeOn: input.linkType === 'part-of' ? [PART_OF_LOCK_KEY] : [] },
  );
}

export async function removeLink(db: Knex, actor: Actor, assetId: number, linkId: number): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = (await trx('asset_links')
      .where({ id: linkId })
      .where((w) => w.where('source_asset_id', assetId).orWhere('target_asset_id', assetId))
      .first()) as Row | undefined;
    if (!row) throw new NotFoundError(`Asset ${assetId} has no link with id ${linkId}`);
    await trx('asset_links').where({ id: linkId }).delete();
    const before = {
      id: linkId,
      sourceId: Number(row.source_asset_id),
      targetId: Number(row.target_asset_id),
      linkType: row.link_type,
      note: row.note ?? null,
    };
    await recordAudit(trx, actor, { action: 'delete', objectType: 'asset_link', objectId: linkId, before });
  });
}

// Assets: the one shared table every plugin extends (ADR-001). Listing with filters, prefix
// search, ordering and pages, shaped to stay fast on a large site (ADR-007); create / PATCH /
// soft delete with custom fields validated against the asset type. Every write is audited.
// Links between assets are in ./links.ts.

import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAudit, type Actor } from '../audit/log.js';
import { isUniqueViolation } from '../db/constraint-errors.js';
import { textKey } from '../db/text-keys.js';
import { inTransaction, type Db } from '../db/transaction.js';
import { decodeRow, encodeRow, formatUtcDatetime } from '../db/values.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { validateCustomData, type CustomFieldDefinition } from './custom-fields.js';
import { pathPrefixPattern } from './locations.js';

type Row = Record<string, unknown>;

export interface AssetView {
  id: number;
  uuid: string;
  assetTag: string;
  name: string;
  hostname: string | null;
  serial: string | null;
  type: { id: number; key: string; label: string };
  model: { id: number; name: string; manufacturer: { id: number; name: string } } | null;
  status: { id: number; name: string; color: string; kind: string };
  location: { id: number; code: string; name: string } | null;
  notes: string | null;
  customData: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface AssetInput {
  assetTag: string;
  name: string;
  hostname?: string | null;
  serial?: string | null;
  /** Asset type key, e.g. 'equipment'. */
  type: string;
  modelId?: number | null;
  statusId: number;
  locationId?: number | null;
  notes?: string | null;
  customData?: Record<string, unknown>;
}

export type AssetPatch = Partial<Omit<AssetInput, 'type'>>;

/**
 * Asset events, as plugins see them (docs/PLUGIN-HOOKS.md). Each runs inside the write's
 * transaction (`db`): a `before…` hook may change the input or throw to refuse the write; an
 * `after…` hook may write its own rows, which commit or roll back with the asset.
 */
export interface AssetEventHooks {
  beforeAssetCreate?: (event: { db: Db; actor: Actor; input: AssetInput }) => Promise<void> | void;
  afterAssetCreate?: (event: { db: Db; actor: Actor; asset: AssetView }) => Promise<void> | void;
  beforeAssetUpdate?: (event: { db: Db; actor: Actor; before: AssetView; patch: AssetPatch }) => Promise<void> | void;
  afterAssetUpdate?: (event: { db: Db; actor: Actor; before: AssetView; after: AssetView }) => Promise<void> | void;
  beforeAssetDelete?: (event: { db: Db; actor: Actor; asset: AssetView }) => Promise<void> | void;
  afterAssetDelete?: (event: { db: Db; actor: Actor; asset: AssetView }) => Promise<void> | void;
}

export interface AssetWriteOptions {
  /** The enabled plugins: a type of any other plugin is hidden (cannot be used). All usable when absent. */
  enabledPlugins?: readonly string[];
  /** The enabled plugins' asset hooks, as one dispatcher (src/core/plugins/runtime.ts). */
  events?: AssetEventHooks;
}

export const ASSET_ORDERINGS = ['assetTag', 'name', 'hostname', 'serial', 'createdAt', 'updatedAt', 'id'] as const;
const ORDER_COLUMNS: Record<(typeof ASSET_ORDERINGS)[number], string> = {
  assetTag: 'a.asset_tag',
  name: 'a.name',
  hostname: 'a.hostname',
  serial: 'a.serial',
  createdAt: 'a.created_at',
  updatedAt: 'a.updated_at',
  id: 'a.id',
};

export interface AssetQuery {
  limit: number;
  offset: number;
  /** Asset type key. */
  type?: string;
  statusId?: number;
  /** This location and everything under it. */
  locationId?: number;
  modelId?: number;
  manufacturerId?: number;
  /** Text the asset tag, name, serial or hostname starts with (case-insensitive). */
  search?: string;
  /** One of ASSET_ORDERINGS, '-' in front for descending. */
  ordering?: string;
  /** The enabled plugins: assets of a type that belongs to any other plugin are hidden. All shown when absent. */
  enabledPlugins?: readonly string[];
}

const ASSET_CODEC = { created_at: 'date', updated_at: 'date', deleted_at: 'date', custom_data: 'json' } as const;

/**
 * Joins what each asset `a` in `q` points at: its type `t` and status `s`, and where present its
 * location `l`, model `am` and the model's maker `mf`. Plugins build their lists on it too.
 */
export function joinAssetReferences(q: Knex.QueryBuilder): Knex.QueryBuilder {
  return q
    .join({ t: 'asset_types' }, 't.id', 'a.type_id')
    .join({ s: 'status_labels' }, 's.id', 'a.status_id')
    .leftJoin({ l: 'locations' }, 'l.id', 'a.location_id')
    .leftJoin({ am: 'asset_models' }, 'am.id', 'a.model_id')
    .leftJoin({ mf: 'manufacturers' }, 'mf.id', 'am.manufacturer_id');
}

/** Adds the type, status, location, model and maker of each asset `a` in `q`, and selects them. */
function withDetails(q: Knex.QueryBuilder): Knex.QueryBuilder {
  return joinAssetReferences(q).select(
    'a.*',
    { type_key: 't.key', type_label: 't.label' },
    { status_name: 's.name', status_color: 's.color', status_kind: 's.kind' },
    { location_code: 'l.code', location_name: 'l.name' },
    { model_name: 'am.name', manufacturer_id: 'mf.id', manufacturer_name: 'mf.name' },
  );
}

function selectAssets(db: Knex | Knex.Transaction): Knex.QueryBuilder {
  return withDetails(db({ a: 'assets' })).whereNull('a.deleted_at');
}

function toView(raw: Row): AssetView {
  const row = decodeRow<Row>(ASSET_CODEC, raw);
  return {
    id: Number(row.id),
    uuid: row.uuid as string,
    assetTag: row.asset_tag as string,
    name: row.name as string,
    hostname: (row.hostname as string) ?? null,
    serial: (row.serial as string) ?? null,
    type: { id: Number(row.type_id), key: row.type_key as string, label: row.type_label as string },
    model:
      row.model_id === null
        ? null
        : {
            id: Number(row.model_id),
            name: row.model_name as string,
            manufacturer: { id: Number(row.manufacturer_id), name: row.manufacturer_name as string },
          },
    status: {
      id: Number(row.status_id),
      name: row.status_name as string,
      color: row.status_color as string,
      kind: row.status_kind as string,
    },
    location:
      row.location_id === null
        ? null
        : { id: Number(row.location_id), code: row.location_code as string, name: row.location_name as string },
    notes: (row.notes as string) ?? null,
    customData: (row.custom_data as Record<string, unknown>) ?? {},
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

/** Columns free-text search looks at. Each has an index that serves a prefix match (ADR-007). */
export const SEARCH_COLUMNS = ['a.asset_tag', 'a.name', 'a.serial', 'a.hostname'] as const;

/**
 * Past this many matches a list stops counting and says so (`countCapped`): an exact count
 * reads every matching index entry, which on a large site costs more than the page itself.
 */
export const ASSET_COUNT_CAP = 1000;

/** `text%` for LIKE with the wildcards in `text` escaped (`!` is the escape character). */
export function startsWithPattern(text: string): string {
  return `${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/**
 * Free-text search: the asset tag, name, serial or hostname starts with `text`, ignoring case
 * (the MySQL columns' collation; SQLite's LIKE folds ASCII). A prefix, not a substring: a
 * leading wildcard cannot use an index and scans the whole table on every request (ADR-007).
 */
function whereSearch(q: Knex.QueryBuilder, text: string): void {
  const pattern = startsWithPattern(text);
  q.where((w) => {
    for (const column of SEARCH_COLUMNS) w.orWhereRaw(`${column} LIKE ? ESCAPE '!'`, [pattern]);
  });
}

export interface AssetPage {
  /** Matching assets; a lower bound when `countCapped`. */
  count: number;
  /** True when counting stopped early: there are more than `count` matches. */
  countCapped: boolean;
  results: AssetView[];
}

/**
 * The live assets a query matches, from the `assets` table alone: a filter on another table is a
 * subquery on the id column it points at. With no join the planner can only pick an index of
 * `assets`, so the page and the count read index entries, not the whole table (ADR-007).
 * `locationPath` is the path of the location filter, null when that location does not exist.
 */
function matchingAssets(db: Knex, query: AssetQuery, locationPath: string | null | undefined): Knex.QueryBuilder {
  const q = db({ a: 'assets' });
  const search = query.search === '' ? undefined : query.search;
  // SQLite without statistics takes `deleted_at IS NULL` for a selective index term and walks
  // every live row instead of the search indexes; a unary + keeps it a plain filter there
  // (MySQL and MariaDB drop the + and plan as before).
  if (search !== undefined) q.whereRaw('+a.deleted_at IS NULL');
  else q.whereNull('a.deleted_at');
  if (query.type !== undefined) q.whereIn('a.type_id', db('asset_types').select('id').where('key', query.type));
  if (query.enabledPlugins !== undefined) q.whereNotIn('a.type_id', hiddenTypeIds(db, query.enabledPlugins));
  if (query.statusId !== undefined) q.where('a.status_id', query.statusId);
  if (query.modelId !== undefined) q.where('a.model_id', query.modelId);
  if (query.manufacturerId !== undefined)
    q.whereIn('a.model_id', db('asset_models').select('id').where('manufacturer_id', query.manufacturerId));
  if (locationPath === null) q.whereRaw('1 = 0');
  else if (locationPath !== undefined)
    q.whereIn('a.location_id', db('locations').select('id').where('path', 'like', pathPrefixPattern(locationPath)));
  if (search !== undefined) whereSearch(q, search);
  return q;
}

export async function listAssets(db: Knex, query: AssetQuery): Promise<AssetPage> {
  // A location filter covers its whole subtree: look up its path once, then match the prefix.
  const locationPath =
    query.locationId === undefined
      ? undefined
      : ((((await db('locations').where({ id: query.locationId }).first('path')) as Row | undefined)?.path as string | undefined) ?? null);
  const matching = matchingAssets(db, query, locationPath);
  const direction = query.ordering?.startsWith('-') ? 'desc' : 'asc';
  const key = (query.ordering?.replace(/^-/, '') ?? 'id') as (typeof ASSET_ORDERINGS)[number];
  const column = ORDER_COLUMNS[key] ?? 'a.id';
  const order = (q: Knex.QueryBuilder) =>
    column === 'a.id' ? q.orderBy('a.id', direction) : q.orderBy(column, direction).orderBy('a.id', direction);

  // One statement: the page's ids from an index of `assets` (a derived table), then the joins
  // for those rows only. The outer query repeats the order; its rows are live by construction.
  const pageIds = order(matching.clone().select('a.id')).limit(query.limit).offset(query.offset);
  const rows = (await order(withDetails(db.from(pageIds.as('page')).join({ a: 'assets' }, 'a.id', 'page.id')))) as Row[];

  // A short page is the last one: the count is known without counting.
  if (rows.length < query.limit && (rows.length > 0 || query.offset === 0)) {
    return { count: query.offset + rows.length, countCapped: false, results: rows.map(toView) };
  }
  // Count up to the cap, or further when the page is past it, so that `next` is always right.
  const bound = Math.max(ASSET_COUNT_CAP, query.offset + query.limit);
  const counted = matching
    .clone()
    .select(db.raw('1 as one'))
    .limit(bound + 1);
  const [{ count }] = (await db.from(counted.as('matching')).count({ count: '*' })) as Array<{ count: number | string }>;
  const total = Number(count);
  return total > bound
    ? { count: bound, countCapped: true, results: rows.map(toView) }
    : { count: total, countCapped: false, results: rows.map(toView) };
}

/** One live asset of any type (visible or not); a 404 when there is none. For the inventory's own modules. */
export async function loadAsset(db: Db, id: number): Promise<AssetView> {
  const row = (await selectAssets(db).where('a.id', id).first()) as Row | undefined;
  if (!row) throw new NotFoundError(`There is no asset with id ${id}`);
  return toView(row);
}

/** One live asset; one of a hidden type (its plugin is disabled) is as good as absent. */
export async function getAsset(db: Knex, id: number, enabledPlugins?: readonly string[]): Promise<AssetView> {
  const asset = await loadAsset(db, id);
  await assertVisible(db, asset, enabledPlugins);
  return asset;
}

/** Types that belong to a plugin that is not enabled: hidden from every read and write. */
function hiddenTypeIds(db: Db, enabledPlugins: readonly string[]): Knex.QueryBuilder {
  return db('asset_types')
    .select('id')
    .whereNotNull('plugin')
    .whereNotIn('plugin', enabledPlugins.length > 0 ? [...enabledPlugins] : ['']);
}

const typeHidden = (plugin: unknown, enabledPlugins: readonly string[] | undefined) =>
  enabledPlugins !== undefined && plugin !== null && plugin !== undefined && !enabledPlugins.includes(plugin as string);

async function typeByKey(
  db: Knex | Knex.Transaction,
  key: string,
  enabledPlugins?: readonly string[],
): Promise<{ id: number; fields: CustomFieldDefinition[] }> {
  const row = (await db('asset_types').where({ key }).first()) as Row | undefined;
  if (!row || typeHidden(row.plugin, enabledPlugins)) {
    throw new ValidationError(`There is no asset type "${key}"`, { type: 'unknown asset type' });
  }
  return { id: Number(row.id), fields: decodeRow<Row>({ fields: 'json' }, row).fields as CustomFieldDefinition[] };
}

async function typeById(db: Knex | Knex.Transaction, id: number): Promise<CustomFieldDefinition[]> {
  const row = (await db('asset_types').where({ id }).first()) as Row;
  return decodeRow<Row>({ fields: 'json' }, row).fields as CustomFieldDefinition[];
}

/** Foreign keys named in the input must exist; reported per field instead of a constraint error. */
async function checkReferences(db: Knex | Knex.Transaction, input: AssetPatch): Promise<void> {
  const problems: Record<string, string> = {};
  const checks: Array<[keyof AssetPatch, string]> = [
    ['statusId', 'status_labels'],
    ['modelId', 'asset_models'],
    ['locationId', 'locations'],
  ];
  for (const [field, table] of checks) {
    const id = input[field];
    if (id === undefined || id === null) continue;
    if (!(await db(table).where({ id }).first('id'))) problems[field] = `no ${table.replace(/_/g, ' ').replace(/s$/, '')} with id ${id}`;
  }
  if (Object.keys(problems).length > 0) throw new ValidationError('Some references do not exist', problems);
}

function duplicateTag(error: unknown): never {
  if (isUniqueViolation(error))
    throw new ConflictError('An asset with that asset tag already exists (deleted assets keep their tags)', { cause: error });
  throw error;
}

function columnsOf(input: AssetPatch): Row {
  const map: Record<string, string> = {
    assetTag: 'asset_tag',
    name: 'name',
    hostname: 'hostname',
    serial: 'serial',
    modelId: 'model_id',
    statusId: 'status_id',
    locationId: 'location_id',
    notes: 'notes',
    customData: 'custom_data',
  };
  const row: Row = {};
  for (const [key, column] of Object.entries(map))
    if (input[key as keyof AssetPatch] !== undefined) row[column] = input[key as keyof AssetPatch];
  // The tag's unique key: "cnc-5001" and "CNC-5001" are one tag on both engines (ADR-013).
  if (input.assetTag !== undefined) row.asset_tag_key = textKey(input.assetTag);
  return row;
}

/** Writes that read an asset and write it back (PATCH merges, delete) go one at a time per asset. */
export const assetLockKey = (id: number) => `asset:${id}`;

export async function createAsset(db: Knex, actor: Actor, original: AssetInput, options: AssetWriteOptions = {}): Promise<AssetView> {
  const { events } = options;
  return inTransaction(db, async (trx) => {
    // Hooks may adjust what is written, never the caller's object.
    const input: AssetInput = structuredClone(original);
    await events?.beforeAssetCreate?.({ db: trx, actor, input });
    const type = await typeByKey(trx, input.type, options.enabledPlugins);
    await checkReferences(trx, input);
    const customData = validateCustomData(type.fields, input.customData ?? {});
    const { type: _key, ...rest } = input;
    const row = encodeRow(ASSET_CODEC, { ...columnsOf(rest), custom_data: customData, type_id: type.id, uuid: randomUUID() });
    const [id] = await trx('assets').insert(row).catch(duplicateTag);
    const created = await loadAsset(trx, Number(id));
    await recordAudit(trx, actor, { action: 'create', objectType: 'asset', objectId: created.id, after: created });
    await events?.afterAssetCreate?.({ db: trx, actor, asset: created });
    return created;
  });
}

export async function updateAsset(
  db: Knex,
  actor: Actor,
  id: number,
  original: AssetPatch,
  options: AssetWriteOptions = {},
): Promise<AssetView> {
  const { events } = options;
  return inTransaction(
    db,
    async (trx) => {
      const before = await loadAsset(trx, id);
      await assertVisible(trx, before, options.enabledPlugins);
      const patch: AssetPatch = structuredClone(original);
      await events?.beforeAssetUpdate?.({ db: trx, actor, before, patch });
      await checkReferences(trx, patch);
      const changes: AssetPatch = { ...patch };
      if (patch.customData !== undefined) {
        // PATCH semantics inside custom data too: given keys change, null removes, others stay. What
        // is judged is the data as it will be stored, against the type's fields as they are now.
        const result: Record<string, unknown> = { ...before.customData };
        for (const [key, value] of Object.entries(patch.customData)) {
          if (value === null) delete result[key];
          else result[key] = value;
        }
        const untouched = Object.keys(before.customData).filter((key) => !(key in patch.customData!));
        changes.customData = validateCustomData(await typeById(trx, before.type.id), result, { untouched });
      }
      const row = encodeRow(ASSET_CODEC, columnsOf(changes));
      if (Object.keys(row).length > 0)
        await trx('assets')
          .where({ id })
          .update({ ...row, updated_at: formatUtcDatetime(new Date()) })
          .catch(duplicateTag);
      const after = await loadAsset(trx, id);
      await recordAudit(trx, actor, { action: 'update', objectType: 'asset', objectId: id, before, after });
      await events?.afterAssetUpdate?.({ db: trx, actor, before, after });
      return after;
    },
    { serializeOn: [assetLockKey(id)] },
  );
}

/** Soft delete: the row stays (with its tag reserved) for history; it is gone from every read. */
export async function deleteAsset(db: Knex, actor: Actor, id: number, options: AssetWriteOptions = {}): Promise<void> {
  const { events } = options;
  await inTransaction(
    db,
    async (trx) => {
      const before = await loadAsset(trx, id);
      await assertVisible(trx, before, options.enabledPlugins);
      await events?.beforeAssetDelete?.({ db: trx, actor, asset: before });
      await trx('assets')
        .where({ id })
        .update({ deleted_at: formatUtcDatetime(new Date()) });
      await recordAudit(trx, actor, { action: 'delete', objectType: 'asset', objectId: id, before });
      await events?.afterAssetDelete?.({ db: trx, actor, asset: before });
    },
    { serializeOn: [assetLockKey(id)] },
  );
}

/** An asset of a hidden type (its plugin is disabled) is as good as absent. */
async function assertVisible(db: Db, asset: AssetView, enabledPlugins: readonly string[] | undefined): Promise<void> {
  if (enabledPlugins === undefined) return;
  const type = (await db('asset_types').where({ id: asset.type.id }).first('plugin')) as Row | undefined;
  if (typeHidden(type?.plugin, enabledPlugins)) throw new NotFoundError(`There is no asset with id ${asset.id}`);
}

// The small reference tables assets point at — manufacturers, models, status labels and asset
// types — as one generic service each: list, get, create, update, delete, every write audited.

import type { Knex } from 'knex';
import { recordAudit, type Actor } from '../audit/log.js';
import { isForeignKeyViolation, isUniqueViolation } from '../db/constraint-errors.js';
import { textKey } from '../db/text-keys.js';
import { inTransaction } from '../db/transaction.js';
import { decodeRow, encodeRow, formatUtcDatetime, type RowCodec } from '../db/values.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { validateFieldDefinitions, type CustomFieldDefinition } from './custom-fields.js';

type Row = Record<string, unknown>;

export interface ReferenceDefinition<View, Input> {
  table: string;
  /** Name in the audit log and in error messages, e.g. 'manufacturer'. */
  objectType: string;
  codec: RowCodec;
  orderBy: string;
  toView(row: Row): View;
  /** Input (camelCase, partial for updates) to columns; validates what a schema cannot. */
  toRow(input: Partial<Input>, db: Knex): Promise<Row> | Row;
  /** Columns a new row gets when the input leaves them out. */
  defaults?: Row;
  /** Throws when a row may not be changed or deleted through this service. */
  guardChange?: (before: View) => void;
}

export interface ReferenceService<View, Input> {
  list(db: Knex): Promise<View[]>;
  get(db: Knex, id: number): Promise<View>;
  create(db: Knex, actor: Actor, input: Input): Promise<View>;
  update(db: Knex, actor: Actor, id: number, patch: Partial<Input>): Promise<View>;
  remove(db: Knex, actor: Actor, id: number): Promise<void>;
}

export function referenceService<View, Input>(def: ReferenceDefinition<View, Input>): ReferenceService<View, Input> {
  const load = async (db: Knex | Knex.Transaction, id: number): Promise<View> => {
    const row = (await db(def.table).where({ id }).first()) as Row | undefined;
    if (!row) throw new NotFoundError(`There is no ${def.objectType} with id ${id}`);
    return def.toView(decodeRow(def.codec, row));
  };
  const conflict = (error: unknown): never => {
    if (isUniqueViolation(error)) throw new ConflictError(`A ${def.objectType} with that name already exists`, { cause: error });
    if (isForeignKeyViolation(error))
      throw new ValidationError(`The ${def.objectType} refers to something that does not exist`, {}, { cause: error });
    throw error;
  };
  return {
    async list(db) {
      const rows = (await db(def.table).select('*').orderBy(def.orderBy).orderBy('id')) as Row[];
      return rows.map((row) => def.toView(decodeRow(def.codec, row)));
    },
    get: load,
    async create(db, actor, input) {
      const row = encodeRow(def.codec, { ...def.defaults, ...(await def.toRow(input, db)) });
      return inTransaction(db, async (trx) => {
        const [id] = await trx(def.table).insert(row).catch(conflict);
        const view = await load(trx, Number(id));
        await recordAudit(trx, actor, { action: 'create', objectType: def.objectType, objectId: Number(id), after: view });
        return view;
      });
    },
    async update(db, actor, id, patch) {
      const row = encodeRow(def.codec, await def.toRow(patch, db));
      return inTransaction(db, async (trx) => {
        const before = await load(trx, id);
        def.guardChange?.(before);
        if (Object.keys(row).length > 0)
          await trx(def.table)
            .where({ id })
            .update({ ...row, updated_at: formatUtcDatetime(new Date()) })
            .catch(conflict);
        const after = await load(trx, id);
        await recordAudit(trx, actor, { action: 'update', objectType: def.objectType, objectId: id, before, after });
        return after;
      });
    },
    async remove(db, actor, id) {
      await inTransaction(db, async (trx) => {
        const before = await load(trx, id);
        def.guardChange?.(before);
        await trx(def.table)
          .where({ id })
          .delete()
          .catch((error) => {
            if (isForeignKeyViolation(error))
              throw new ConflictError(`The ${def.objectType} is still in use and cannot be deleted`, { cause: error });
            throw error;
          });
        await recordAudit(trx, actor, { action: 'delete', objectType: def.objectType, objectId: id, before });
      });
    },
  };
}

/** Copies the given camelCase keys to snake_case columns, leaving out what is not given. */
function pick(input: Record<string, unknown>, map: Record<string, string>): Row {
  const row: Row = {};
  for (const [key, column] of Object.entries(map)) if (input[key] !== undefined) row[column] = input[key];
  return row;
}

/** A name that is unique ignoring case and accents gets its key with it (ADR-013). */
function withNameKey(row: Row): Row {
  return typeof row.name === 'string' ? { ...row, name_key: textKey(row.name) } : row;
}

const TIMES: RowCodec = { created_at: 'date', updated_at: 'date' };
const times = (row: Row) => ({ createdAt: row.created_at as Date, updatedAt: row.updated_at as Date });

export interface Manufacturer {
  id: number;
  name: string;
  url: string | null;
  notes: string | null;
  createdAt: Date;
  updatedAt: Date;
}
export type ManufacturerInput = { name: string; url?: string | null; notes?: string | null };

export const manufacturers = referenceService<Manufacturer, ManufacturerInput>({
  table: 'manufacturers',
  objectType: 'manufacturer',
  codec: TIMES,
  orderBy: 'name',
  toView: (row) => ({
    id: Number(row.id),
    name: row.name as string,
    url: (row.url as string) ?? null,
    notes: (row.notes as string) ?? null,
    ...times(row),
  }),
  toRow: (input) => withNameKey(pick(input, { name: 'name', url: 'url', notes: 'notes' })),
});

export interface AssetModel {
  id: number;
  manufacturerId: number;
  name: string;
  partNumber: string | null;
  category: string | null;
  endOfLife: string | null;
  createdAt: Date;
  updatedAt: Date;
}
export type AssetModelInput = {
  manufacturerId: number;
  name: string;
  partNumber?: string | null;
  category?: string | null;
  endOfLife?: string | null;
};

/** DATE columns come back as Date (MySQL) or text (SQLite); the API speaks YYYY-MM-DD. */
function dateOnly(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}

export const assetModels = referenceService<AssetModel, AssetModelInput>({
  table: 'asset_models',
  objectType: 'model',
  codec: TIMES,
  orderBy: 'name',
  toView: (row) => ({
    id: Number(row.id),
    manufacturerId: Number(row.manufacturer_id),
    name: row.name as string,
    partNumber: (row.part_number as string) ?? null,
    category: (row.category as string) ?? null,
    endOfLife: dateOnly(row.end_of_life),
    ...times(row),
  }),
  toRow: (input) =>
    withNameKey(
      pick(input, {
        manufacturerId: 'manufacturer_id',
        name: 'name',
        partNumber: 'part_number',
        category: 'category',
        endOfLife: 'end_of_life',
      }),
    ),
});

export const STATUS_KINDS = ['deployable', 'pending', 'archived', 'broken'] as const;
export interface StatusLabel {
  id: number;
  name: string;
  color: string;
  kind: (typeof STATUS_KINDS)[number];
  createdAt: Date;
  updatedAt: Date;
}
export type StatusLabelInput = { name: string; color: string; kind: StatusLabel['kind'] };

export const statusLabels = referenceService<StatusLabel, StatusLabelInput>({
  table: 'status_labels',
  objectType: 'status label',
  codec: TIMES,
  orderBy: 'name',
  toView: (row) => ({
    id: Number(row.id),
    name: row.name as string,
    color: row.color as string,
    kind: row.kind as StatusLabel['kind'],
    ...times(row),
  }),
  toRow: (input) => withNameKey(pick(input, { name: 'name', color: 'color', kind: 'kind' })),
});

export interface AssetType {
  id: number;
  key: string;
  label: string;
  /** The plugin that contributed it, or null for the core. */
  plugin: string | null;
  fields: CustomFieldDefinition[];
  createdAt: Date;
  updatedAt: Date;
}
export type AssetTypeInput = { key: string; label: string; plugin?: string | null; fields?: CustomFieldDefinition[] };

export const assetTypes = referenceService<AssetType, AssetTypeInput>({
  table: 'asset_types',
  objectType: 'asset type',
  codec: { ...TIMES, fields: 'json' },
  orderBy: 'key',
  toView: (row) => ({
    id: Number(row.id),
    key: row.key as string,
    label: row.label as string,
    plugin: (row.plugin as string) ?? null,
    fields: row.fields as CustomFieldDefinition[],
    ...times(row),
  }),
  defaults: { fields: [] },
  // A plugin's type changes with the plugin (install, upgrade, uninstall), never by hand.
  guardChange: (before) => {
    if (before.plugin !== null) {
      throw new ConflictError(`Asset type "${before.key}" belongs to plugin "${before.plugin}" and changes only with it`, {
        suggestion: `Upgrade or uninstall the plugin (\`shopdb plugin …\`), or create a type of the site's own.`,
      });
    }
  },
  toRow: (input) => {
    const row = pick(input, { key: 'key', label: 'label', plugin: 'plugin' });
    if (input.fields !== undefined) row.fields = validateFieldDefinitions(input.fields);
    return row;
  },
});

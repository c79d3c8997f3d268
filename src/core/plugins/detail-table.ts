// A plugin's 1:1 detail table, declared once in its manifest (`assetTypes[].detailTable`) and
// driven by the core: the row every new asset of the type gets, how its columns read back on both
// engines (as the API names them), and the one audited, serialised upsert of a details change with
// the plugin's own rules. The plugin keeps what is its own: the view it answers with and its lists.

import type { Knex } from 'knex';
import { recordAudit, type Actor } from '../audit/log.js';
import { inTransaction, type Db } from '../db/transaction.js';
import { decodeValue, encodeValue, formatUtcDatetime } from '../db/values.js';
import { ValidationError } from '../errors.js';
import { assetLockKey } from '../inventory/assets.js';

type Row = Record<string, unknown>;

/**
 * How a column reads and writes: `text` and `integer` (null when unset), `boolean` (false when
 * unset), `datetime` (a Date; DATETIME(3) in UTC) and `date` (a DATE, as YYYY-MM-DD text).
 */
export type DetailColumnKind = 'text' | 'integer' | 'boolean' | 'datetime' | 'date';

export interface DetailColumn {
  column: string;
  /** Default `text`. */
  kind?: DetailColumnKind;
}

/** A details change as the plugin's rules see it: what was given, what is stored, what would be. */
export interface DetailChange<D, P = Partial<D>> {
  assetId: number;
  given: P;
  /** The stored details (the defaults for a PUT, which replaces them all). */
  before: D;
  after: D;
}

/** `D`: the details as the API reads them; `P`: a change as the API takes it (by default, some of the details). */
export interface DetailTableSpec<D extends object, P extends object = Partial<D>> {
  /** The plugin's table, keyed by `asset_id` (its migration creates it; named `<plugin>_…`). */
  table: string;
  /** Every detail by its API name, with its column. */
  columns: { [K in keyof D]-?: DetailColumn };
  /** The audit object type of its writes, e.g. `computers.host`. */
  objectType: string;
  /** Audit the empty row a new asset gets, too (action `create`, the defaults as `after`). */
  auditCreate?: boolean;
  /** What one detail is called in a problem: `"speed" is not a <noun>` (default `detail`). */
  noun?: string;
  /** The message of the 400 for a change that breaks a rule (default "Some details are not valid"). */
  invalidMessage?: string;
  /** The details a change leaves (default: the stored ones with the given ones over them). */
  merge?: (before: D, given: P) => D;
  /**
   * The plugin's rules over a change, as field → problem. May read (it runs in the write's
   * transaction, under the asset's key) and throw, e.g. a ConflictError for a taken number.
   */
  validate?: (change: DetailChange<D, P>, db: Db) => Record<string, string> | void | Promise<Record<string, string> | void>;
  /** Columns the details imply besides their own, e.g. a text key for a unique column. */
  derivedColumns?: (given: P) => Row;
  /** What a failed write becomes, e.g. a unique violation a 409 (return the error to throw). */
  writeError?: (error: unknown, change: DetailChange<D, P>) => unknown;
}

export interface SaveDetailsOptions<V> {
  /** The plugin's view of the asset, in the write's transaction (its 404 when there is none). */
  load: (db: Db) => Promise<V>;
  /** PUT: the details given replace all of them (those not given take the defaults). Else a PATCH merges. */
  replace?: boolean;
  /** Recorded before the details in the audit entry, e.g. the asset tag. */
  auditExtra?: (view: V) => Row;
}

/** A declared detail table with what the core and the plugin do with it. */
export interface DetailTable<D extends object, P extends object = Partial<D>> extends DetailTableSpec<D, P> {
  readonly defaults: D;
  /** For a knex select: each column of the table under `alias` (a missing row selects nulls). */
  select(alias: string): Record<string, string>;
  /** The details in a selected row; an asset without its row (made while the plugin was off) reads as the defaults. */
  read(row: Row): D;
  /** Just the details of a view that holds them. */
  pick(view: D): D;
  /** The empty row of a new asset (the core calls it for each asset of the type created). */
  createRow(db: Db, actor: Actor, assetId: number): Promise<void>;
  /**
   * Writes details as they are, without rules, audit or key: for a seed, in its own transaction.
   * `ifMissing`: only when the asset has no row yet (a row that is there stays as it is).
   */
  store(db: Db, assetId: number, details: D, options?: { ifMissing?: boolean }): Promise<void>;
  /** Changes the details of one asset: checked, upserted, audited, one write of the asset at a time. */
  save<V extends object>(db: Knex, actor: Actor, assetId: number, patch: P, options: SaveDetailsOptions<V>): Promise<V>;
}

const DRIVEN = new WeakSet<object>();

/** A DATE column as YYYY-MM-DD: mysql2 gives a Date (UTC midnight, the pool runs in UTC), SQLite text. */
function dateOnly(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}

function decodeColumn(kind: DetailColumnKind, value: unknown): unknown {
  switch (kind) {
    case 'text':
      return value ?? null;
    case 'integer':
      return value === null || value === undefined ? null : Number(value);
    case 'boolean':
      return decodeValue('boolean', value) ?? false;
    case 'datetime':
      return decodeValue('date', value);
    case 'date':
      return dateOnly(value);
  }
}

function encodeColumn(kind: DetailColumnKind, value: unknown): unknown {
  if (kind === 'boolean') return encodeValue('boolean', value ?? false);
  if (kind === 'datetime') return encodeValue('date', value);
  return value ?? null;
}

/** The driver of a detail table declared by `spec` (the same object back when it is one already). */
export function defineDetailTable<D extends object, P extends object = Partial<D>>(spec: DetailTableSpec<D, P>): DetailTable<D, P> {
  if (DRIVEN.has(spec)) return spec as DetailTable<D, P>;
  const entries = Object.entries(spec.columns) as Array<[keyof D & string, DetailColumn]>;
  const kindOf = (column: DetailColumn): DetailColumnKind => column.kind ?? 'text';
  const read = (row: Row): D =>
    Object.fromEntries(entries.map(([key, column]) => [key, decodeColumn(kindOf(column), row[column.column])])) as D;
  const defaults = read({});
  const pick = (view: D): D => Object.fromEntries(entries.map(([key]) => [key, view[key]])) as D;
  const encode = (details: D): Row =>
    Object.fromEntries(entries.map(([key, column]) => [column.column, encodeColumn(kindOf(column), details[key])]));

  function problemsOf(given: P): Record<string, string> {
    const problems: Record<string, string> = {};
    for (const key of Object.keys(given).filter((k) => !(k in spec.columns))) problems[key] = `is not a ${spec.noun ?? 'detail'}`;
    return problems;
  }

  async function check(change: DetailChange<D, P>, db: Db): Promise<void> {
    const problems = { ...problemsOf(change.given), ...((await spec.validate?.(change, db)) ?? {}) };
    if (Object.keys(problems).length > 0) throw new ValidationError(spec.invalidMessage ?? 'Some details are not valid', problems);
  }

  async function upsert(db: Db, assetId: number, row: Row, ifMissing = false): Promise<void> {
    if (await db(spec.table).where({ asset_id: assetId }).first('asset_id')) {
      if (!ifMissing)
        await db(spec.table)
          .where({ asset_id: assetId })
          .update({ ...row, updated_at: formatUtcDatetime(new Date()) });
    } else {
      await db(spec.table).insert({ ...row, asset_id: assetId });
    }
  }

  const driver: DetailTable<D, P> = {
    ...spec,
    defaults,
    select: (alias) => Object.fromEntries(entries.map(([, column]) => [column.column, `${alias}.${column.column}`])),
    read,
    pick,

    async createRow(db, actor, assetId) {
      if (await db(spec.table).where({ asset_id: assetId }).first('asset_id')) return;
      await db(spec.table).insert({ asset_id: assetId });
      if (spec.auditCreate)
        await recordAudit(db, actor, { action: 'create', objectType: spec.objectType, objectId: assetId, assetId, after: defaults });
    },

    async store(db, assetId, details, options = {}) {
      await upsert(db, assetId, { ...encode(details), ...(spec.derivedColumns?.(details as unknown as P) ?? {}) }, options.ifMissing);
    },

    async save(db, actor, assetId, patch, options) {
      const given = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as P;
      const merge = spec.merge ?? ((before: D, change: P): D => ({ ...before, ...change }));
      // A PUT does not depend on what is stored: its rules are checked before anything is read.
      const replaced = options.replace ? { assetId, given, before: defaults, after: merge(defaults, given) } : undefined;
      if (replaced) await check(replaced, db);
      return inTransaction(
        db,
        async (trx) => {
          const beforeView = await options.load(trx);
          const before = pick(beforeView as unknown as D);
          const change = replaced ? { ...replaced, before } : { assetId, given, before, after: merge(before, given) };
          if (!replaced) await check(change, trx);
          await upsert(trx, assetId, { ...encode(change.after), ...(spec.derivedColumns?.(given) ?? {}) }).catch((error: unknown) => {
            throw spec.writeError ? spec.writeError(error, change) : error;
          });
          const afterView = await options.load(trx);
          const extra = (view: typeof afterView) => options.auditExtra?.(view) ?? {};
          await recordAudit(trx, actor, {
            action: 'update',
            objectType: spec.objectType,
            objectId: assetId,
            assetId,
            before: { ...extra(beforeView), ...before },
            after: { ...extra(afterView), ...pick(afterView as unknown as D) },
          });
          return afterView;
        },
        { serializeOn: [assetLockKey(assetId)] },
      );
    },
  };
  DRIVEN.add(driver);
  return driver;
}

/** The table a manifest's `detailTable` names (a plain name, or a declared table). */
export function detailTableName(detailTable: string | { table: string } | undefined): string | undefined {
  return typeof detailTable === 'string' ? detailTable : detailTable?.table;
}

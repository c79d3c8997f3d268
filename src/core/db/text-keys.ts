// One rule for every unique text column, on every engine (ADR-013): two values clash when they
// are the same ignoring letter case, accents and trailing spaces — what sites expect, and what
// MySQL's utf8mb4_unicode_ci collation does. SQLite compares text byte by byte, so the rule
// cannot be left to the column's collation: each such column has a companion `<column>_key`
// holding `textKey(value)`, and the unique index is on the key, on both engines. Lookups by such
// a column go through the key too, so "cnc-5001" finds "CNC-5001" everywhere.

import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { UserError } from '../errors.js';

/** The widest key column: a key longer than this (rare expansions) is shortened with a hash. */
export const TEXT_KEY_LENGTH = 255;

/**
 * The comparison form of a text: compatibility-decomposed (ﬁ → fi, ² → 2), accents dropped
 * (é → e), fully case-folded (ß → ss), trailing spaces dropped (MySQL's PAD SPACE). Pure
 * function: the same text gives the same key in every process and on every engine.
 */
export function textKey(value: string): string {
  const folded = value
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    // Upper then lower: full case folding of the letters where the two differ (ß → SS → ss).
    .toUpperCase()
    .toLowerCase()
    .normalize('NFC')
    .replace(/ +$/, '');
  if (folded.length <= TEXT_KEY_LENGTH) return folded;
  return `${folded.slice(0, TEXT_KEY_LENGTH - 41)}#${createHash('sha256').update(folded).digest('hex').slice(0, 40)}`;
}

/** The key of a nullable column: null stays null (many nulls never clash). */
export function textKeyOrNull(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : textKey(value);
}

/** A unique text column and its key: unique on (`scope`…, `keyColumn`). */
export interface UniqueTextColumn {
  table: string;
  column: string;
  keyColumn: string;
  /** Other columns of the unique index, before the key (e.g. the manufacturer of a model name). */
  scope?: readonly string[];
  /** The source column may be null (then so is the key). */
  nullable?: boolean;
  /** The unique index on the raw column(s) this key replaces: dropped by `addTextKey`, put back by `dropTextKey`. */
  replaces?: { index: string; columns: readonly string[] };
  /** A plain index on the raw column to keep in its place (sorting, prefix search). */
  plainIndex?: string;
  /** false: the key is part of another key's unique index (its `scope`), not unique on its own. */
  unique?: boolean;
  /** The table's primary key column, when it is not `id`. */
  primaryKey?: string;
}

/** The unique index on the key. */
export function keyIndexName(spec: UniqueTextColumn): string {
  return `${spec.table}_${[...(spec.scope ?? []), spec.keyColumn].join('_')}_unique`;
}

/** Sets the key columns in `row` for the given text columns it holds (a row about to be inserted or updated). */
export function withTextKeys<T extends Record<string, unknown>>(
  row: T,
  specs: readonly Pick<UniqueTextColumn, 'column' | 'keyColumn'>[],
): T {
  const out: Record<string, unknown> = { ...row };
  for (const spec of specs) {
    if (spec.column in row) out[spec.keyColumn] = textKeyOrNull(row[spec.column] as string | null | undefined);
  }
  return out as T;
}

function isSqlite(knex: Knex | Knex.Transaction): boolean {
  return (knex.client as { config: { client: string } }).config.client === 'better-sqlite3';
}

/** Values of a table that would clash under the rule: the clashing groups, as text for an error. */
async function clashes(knex: Knex, spec: UniqueTextColumn): Promise<string[]> {
  if (spec.unique === false) return [];
  const id = spec.primaryKey ?? 'id';
  // A scope column may itself be a key this migration has just filled (title name + version).
  const columns = [id, spec.column, ...(spec.scope ?? [])];
  const rows = (await knex(spec.table).select(columns).whereNotNull(spec.column)) as Array<Record<string, unknown>>;
  const groups = new Map<string, Array<Record<string, unknown>>>();
  for (const row of rows) {
    const group = JSON.stringify([...(spec.scope ?? []).map((c) => row[c]), textKey(String(row[spec.column]))]);
    groups.set(group, [...(groups.get(group) ?? []), row]);
  }
  return [...groups.values()]
    .filter((group) => group.length > 1)
    .map((group) => group.map((row) => `${JSON.stringify(row[spec.column])} (${id} ${String(row[id])})`).join(' = '));
}

/** Error for a migration that finds values the one rule says are the same. */
export class TextKeyClashError extends UserError {
  override readonly code: string = 'UNIQUE_TEXT_CLASH';
}

/**
 * Refuses, before a migration changes anything, when existing rows of any of `specs` clash under
 * the rule (e.g. "cnc-5001" beside "CNC-5001" on SQLite), naming every group found.
 */
export async function assertNoTextKeyClashes(knex: Knex, specs: readonly UniqueTextColumn[]): Promise<void> {
  const found: string[] = [];
  for (const spec of specs) for (const group of await clashes(knex, spec)) found.push(`${spec.table}.${spec.column}: ${group}`);
  if (found.length === 0) return;
  throw new TextKeyClashError(
    `Some values that must be unique are the same ignoring case and accents (${found.length} group${found.length === 1 ? '' : 's'})`,
    {
      details: found.slice(0, 20).concat(found.length > 20 ? [`… and ${found.length - 20} more`] : []),
      suggestion: 'Rename all but one of each group (PATCH on the API), then run `shopdb migrate` again; nothing was changed.',
    },
  );
}

/**
 * Migration step: adds `spec.keyColumn`, fills it, makes it unique (in place of the raw column's
 * unique index), and makes sure every later row has it (NOT NULL on MySQL; a trigger on SQLite,
 * which cannot add that constraint to an existing column). Refuses before changing anything when
 * existing rows clash under the rule (e.g. "cnc-5001" beside "CNC-5001" on SQLite), naming them.
 */
export async function addTextKey(knex: Knex, spec: UniqueTextColumn): Promise<void> {
  await assertNoTextKeyClashes(knex, [spec]);
  const sqlite = isSqlite(knex);
  if (!(await knex.schema.hasColumn(spec.table, spec.keyColumn))) {
    await knex.schema.alterTable(spec.table, (table) => {
      const column = table.string(spec.keyColumn, TEXT_KEY_LENGTH).nullable();
      if (!sqlite) column.collate('utf8mb4_bin');
    });
  }
  // Pure ASCII text folds the same in SQL as in textKey (lower case, trailing spaces off); the
  // rest is folded here, row by row.
  const asciiOnly = sqlite ? 'length(??) = length(CAST(?? AS BLOB))' : 'CHAR_LENGTH(??) = LENGTH(??)';
  await knex.raw(`UPDATE ?? SET ?? = RTRIM(LOWER(??)) WHERE ?? IS NOT NULL AND ${asciiOnly}`, [
    spec.table,
    spec.keyColumn,
    spec.column,
    spec.column,
    spec.column,
    spec.column,
  ]);
  const id = spec.primaryKey ?? 'id';
  const wide = (await knex(spec.table).select(id, spec.column).whereNotNull(spec.column).whereNull(spec.keyColumn)) as Array<
    Record<string, unknown>
  >;
  for (const row of wide)
    await knex(spec.table)
      .where(id, row[id] as number)
      .update({ [spec.keyColumn]: textKey(String(row[spec.column])) });

  if (spec.unique !== false) {
    await knex.schema.alterTable(spec.table, (table) => {
      table.unique([...(spec.scope ?? []), spec.keyColumn], { indexName: keyIndexName(spec) });
    });
  }
  if (spec.replaces) await knex.schema.alterTable(spec.table, (table) => table.dropUnique([], spec.replaces!.index));
  if (spec.plainIndex) await knex.schema.alterTable(spec.table, (table) => table.index([spec.column], spec.plainIndex));
  await requireKeyOnWrite(knex, spec);
}

const insertTrigger = (spec: UniqueTextColumn) => `${spec.table}_${spec.keyColumn}_required`;

/** A new row whose text is set must have its key: a write path that forgot it fails loudly, on both engines. */
async function requireKeyOnWrite(knex: Knex, spec: UniqueTextColumn): Promise<void> {
  if (!isSqlite(knex)) {
    if (!spec.nullable)
      await knex.schema.alterTable(spec.table, (table) =>
        table.string(spec.keyColumn, TEXT_KEY_LENGTH).notNullable().collate('utf8mb4_bin').alter(),
      );
    return;
  }
  const message = `${spec.table}.${spec.keyColumn} must be set with ${spec.column} (textKey)`;
  await knex.raw(
    `CREATE TRIGGER ${insertTrigger(spec)} BEFORE INSERT ON ${spec.table} FOR EACH ROW WHEN NEW.${spec.column} IS NOT NULL AND NEW.${spec.keyColumn} IS NULL BEGIN SELECT RAISE(ABORT, '${message}'); END`,
  );
}

/** Undoes `addTextKey`: the raw unique index is back, the key column gone. */
export async function dropTextKey(knex: Knex, spec: UniqueTextColumn): Promise<void> {
  if (isSqlite(knex)) await knex.raw(`DROP TRIGGER IF EXISTS ${insertTrigger(spec)}`);
  if (spec.plainIndex) await knex.schema.alterTable(spec.table, (table) => table.dropIndex([], spec.plainIndex));
  if (spec.replaces) {
    const { index, columns } = spec.replaces;
    await knex.schema.alterTable(spec.table, (table) => table.unique([...columns], { indexName: index }));
  }
  if (spec.unique !== false) await knex.schema.alterTable(spec.table, (table) => table.dropUnique([], keyIndexName(spec)));
  // Native DROP COLUMN on both engines (SQLite ≥ 3.35): no table rebuild, so no foreign key churn.
  await knex.raw('ALTER TABLE ?? DROP COLUMN ??', [spec.table, spec.keyColumn]);
}

// The columns of the import/export dialect (docs/IMPORT.md): the core asset fields, references by
// natural key, `custom.<key>` for custom fields and `<plugin>.<field>` for each enabled plugin's
// detail columns (from its manifest: a third-party plugin gets import for free). Parsing a cell
// into a typed value, and writing a value back as a cell, live here so both directions agree.

import { isIP } from 'node:net';
import type { Knex } from 'knex';
import { decodeRow } from '../db/values.js';
import type { CustomFieldDefinition } from '../inventory/custom-fields.js';
import type { AssetEventHooks } from '../inventory/assets.js';
import type { PluginDetailColumn, PluginDetailColumns, PluginManifest } from '../plugins/manifest.js';
import { withDependencies, type PluginCatalog } from '../plugins/catalog.js';
import { listInstalled } from '../plugins/state.js';
import { defineDetailTable, type DetailTableSpec } from '../plugins/detail-table.js';

type Row = Record<string, unknown>;

/** A cell holding exactly this clears the field (an empty cell leaves it alone, unless --empty clears). */
export const CLEAR_TOKEN = '(clear)';

export const CORE_COLUMNS = [
  {
    name: 'asset_tag',
    description:
      "The site's unique key (ignoring case and accents, ADR-013): a row updates the asset with this tag, or creates it. Required.",
    maxLength: 64,
  },
  { name: 'name', description: 'Required for a new asset.', maxLength: 191 },
  { name: 'type', description: 'Asset type key (equipment, computer …). Required for a new asset; an existing asset keeps its type.' },
  { name: 'status', description: 'Status label name (In service …). Required for a new asset.' },
  { name: 'location', description: 'Location code. --create-missing locations creates unknown codes.' },
  { name: 'manufacturer', description: 'Manufacturer name of the model. --create-missing manufacturers creates it.' },
  { name: 'model', description: "Model name, of the row's manufacturer (both columns together). --create-missing models creates it." },
  { name: 'serial', description: 'Serial number, kept as text (00123 stays 00123).', maxLength: 191 },
  { name: 'hostname', description: 'Host name.', maxLength: 191 },
  { name: 'notes', description: 'Free text.', maxLength: 65_535 },
] as const;
export type CoreColumn = (typeof CORE_COLUMNS)[number]['name'];
export const CORE_COLUMN_NAMES: readonly string[] = CORE_COLUMNS.map((c) => c.name);
/** The legacy record id, with --source: the map's `id` column is read into it. */
export const LEGACY_ID_COLUMN = 'legacy_id';

export type ValueType = 'text' | 'integer' | 'number' | 'boolean' | 'date' | 'enum' | 'ip';

/** One detail source: a plugin's columns for the asset type it owns. */
export interface DetailSource {
  plugin: string;
  typeKey: string;
  spec: PluginDetailColumns;
}

/** An enabled plugin as the import sees it. */
export interface ImportPlugin {
  name: string;
  manifest: PluginManifest;
}

export interface ReferenceData {
  types: Map<string, { id: number; key: string; plugin: string | null; fields: CustomFieldDefinition[] }>;
  typesById: Map<number, { id: number; key: string; plugin: string | null; fields: CustomFieldDefinition[] }>;
  /** By textKey of the name / code. */
  statuses: Map<string, { id: number; name: string }>;
  statusesById: Map<number, string>;
  locations: Map<string, { id: number; code: string }>;
  locationsById: Map<number, string>;
  manufacturers: Map<string, { id: number; name: string }>;
  manufacturersById: Map<number, string>;
  /** By `${manufacturerId}|${textKey(name)}`. */
  models: Map<string, { id: number; name: string; manufacturerId: number }>;
  modelsById: Map<number, { name: string; manufacturerId: number }>;
}

export async function loadReferenceData(db: Knex | Knex.Transaction, enabledPlugins: readonly string[]): Promise<ReferenceData> {
  const refs: ReferenceData = {
    types: new Map(),
    typesById: new Map(),
    statuses: new Map(),
    statusesById: new Map(),
    locations: new Map(),
    locationsById: new Map(),
    manufacturers: new Map(),
    manufacturersById: new Map(),
    models: new Map(),
    modelsById: new Map(),
  };
  for (const raw of (await db('asset_types').select('id', 'key', 'plugin', 'fields')) as Row[]) {
    const row = decodeRow<Row>({ fields: 'json' }, raw);
    const plugin = (row.plugin as string | null) ?? null;
    const type = { id: Number(row.id), key: row.key as string, plugin, fields: (row.fields as CustomFieldDefinition[]) ?? [] };
    refs.typesById.set(type.id, type);
    if (plugin === null || enabledPlugins.includes(plugin)) refs.types.set(type.key, type);
  }
  for (const row of (await db('status_labels').select('id', 'name', 'name_key')) as Row[]) {
    refs.statuses.set(row.name_key as string, { id: Number(row.id), name: row.name as string });
    refs.statusesById.set(Number(row.id), row.name as string);
  }
  for (const row of (await db('locations').select('id', 'code', 'code_key')) as Row[]) {
    refs.locations.set(row.code_key as string, { id: Number(row.id), code: row.code as string });
    refs.locationsById.set(Number(row.id), row.code as string);
  }
  for (const row of (await db('manufacturers').select('id', 'name', 'name_key')) as Row[]) {
    refs.manufacturers.set(row.name_key as string, { id: Number(row.id), name: row.name as string });
    refs.manufacturersById.set(Number(row.id), row.name as string);
  }
  for (const row of (await db('asset_models').select('id', 'name', 'name_key', 'manufacturer_id')) as Row[]) {
    refs.models.set(`${Number(row.manufacturer_id)}|${row.name_key as string}`, {
      id: Number(row.id),
      name: row.name as string,
      manufacturerId: Number(row.manufacturer_id),
    });
    refs.modelsById.set(Number(row.id), { name: row.name as string, manufacturerId: Number(row.manufacturer_id) });
  }
  return refs;
}

/** The enabled, usable plugins, dependencies first. */
export async function enabledImportPlugins(db: Knex, catalog: PluginCatalog): Promise<ImportPlugin[]> {
  const usable = withDependencies(
    catalog,
    catalog.plugins.filter((p) => p.problems.length === 0).map((p) => p.manifest.name),
  );
  const enabled = new Set((await listInstalled(db)).filter((s) => s.enabled).map((s) => s.name));
  return usable.filter((p) => enabled.has(p.manifest.name)).map((p) => ({ name: p.manifest.name, manifest: p.manifest }));
}

export function detailSources(plugins: readonly ImportPlugin[]): DetailSource[] {
  return plugins.flatMap((p) =>
    (p.manifest.assetTypes ?? []).filter((t) => t.detailColumns).map((t) => ({ plugin: p.name, typeKey: t.key, spec: t.detailColumns! })),
  );
}

/**
 * What a created asset gets from the plugins that import no details of their own: the empty row of
 * a declared detail table (what the core gives an asset created through the API), then the
 * plugin's afterAssetCreate hook.
 */
export function creationHooks(
  plugins: readonly ImportPlugin[],
): Array<{ plugin: string; types: string[]; hook: NonNullable<AssetEventHooks['afterAssetCreate']> }> {
  const withoutColumns = plugins.filter((p) => !(p.manifest.assetTypes ?? []).some((t) => t.detailColumns));
  const rows = withoutColumns.flatMap((p) =>
    (p.manifest.assetTypes ?? [])
      .filter((t) => typeof t.detailTable === 'object')
      .map((t) => {
        const table = defineDetailTable(t.detailTable as DetailTableSpec<object>);
        const hook: NonNullable<AssetEventHooks['afterAssetCreate']> = ({ db, actor, asset }) => table.createRow(db, actor, asset.id);
        return { plugin: p.name, types: [t.key], hook };
      }),
  );
  const hooks = withoutColumns
    .filter((p) => typeof p.manifest.hooks?.afterAssetCreate === 'function')
    .map((p) => ({ plugin: p.name, types: (p.manifest.assetTypes ?? []).map((t) => t.key), hook: p.manifest.hooks!.afterAssetCreate! }));
  return [...rows, ...hooks];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
function isCalendarDay(value: string): boolean {
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

export interface ValueSpec {
  type: ValueType;
  maxLength?: number;
  min?: number;
  max?: number;
  choices?: readonly string[];
}

export function specOfCustomField(field: CustomFieldDefinition): ValueSpec {
  return {
    type: field.type === 'string' ? 'text' : field.type,
    maxLength: field.maxLength ?? (field.type === 'string' ? 500 : undefined),
    choices: field.choices,
  };
}

export function specOfDetailColumn(column: PluginDetailColumn): ValueSpec {
  return { type: column.type, maxLength: column.maxLength, min: column.min, max: column.max, choices: column.choices };
}

/** Parses a non-empty cell as `spec` says: the typed value, or a problem message. */
export function parseValue(spec: ValueSpec, raw: string): { value: unknown } | { problem: string } {
  switch (spec.type) {
    case 'text':
      if (spec.maxLength !== undefined && raw.length > spec.maxLength)
        return { problem: `is ${raw.length} characters long; at most ${spec.maxLength}` };
      return { value: raw };
    case 'integer': {
      if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw))) return { problem: `"${raw}" is not a whole number` };
      const n = Number(raw);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max))
        return { problem: `${n} is out of range (${spec.min ?? '…'} to ${spec.max ?? '…'})` };
      return { value: n };
    }
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) return { problem: `"${raw}" is not a number (use . for decimals)` };
      return { value: n };
    }
    case 'boolean': {
      const v = raw.trim().toLowerCase();
      if (['true', 'yes', '1'].includes(v)) return { value: true };
      if (['false', 'no', '0'].includes(v)) return { value: false };
      return { problem: `"${raw}" is not true or false` };
    }
    case 'date':
      if (!DATE.test(raw) || !isCalendarDay(raw)) return { problem: `"${raw}" is not a date (YYYY-MM-DD, a day that exists)` };
      if (raw < '1000-01-01') return { problem: `${raw} is out of range (1000-01-01 to 9999-12-31)` };
      return { value: raw };
    case 'enum':
      if (!(spec.choices ?? []).includes(raw)) return { problem: `"${raw}" is not one of ${(spec.choices ?? []).join(', ')}` };
      return { value: raw };
    case 'ip':
      if (isIP(raw) === 0) return { problem: `"${raw}" is not an IPv4 or IPv6 address` };
      return { value: raw };
  }
}

/** A typed value as a cell (export), in the form parseValue reads back. */
export function cellOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value);
}

/** A cell that a spreadsheet would run as a formula: = + - @ tab or CR first, after any quote marks. */
const FORMULA = /^'*[=+\-@\t\r]/;
export function escapeFormula(cell: string): string {
  return FORMULA.test(cell) ? `'${cell}` : cell;
}
export function unescapeFormula(cell: string): string {
  return cell.startsWith("'") && FORMULA.test(cell) ? cell.slice(1) : cell;
}

/** Stored values compare equal to parsed ones: dates as YYYY-MM-DD, integers as numbers. */
export function sameValue(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) =>
    v === undefined ? null : v instanceof Date ? v.toISOString().slice(0, 10) : typeof v === 'bigint' ? Number(v) : v;
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

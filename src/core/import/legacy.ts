// A one-shot migration from a legacy system (docs/IMPORT.md "From a legacy system"): a YAML map
// renames the legacy columns, maps their values (a legacy status "Scrapped" → skip, "Active" →
// "In service"), adds defaults, and filters which records to carry — the "equipment migration
// filter". Each excluded record is counted under its rule's reason. The map's `id` column becomes
// `legacy_id`, which shopdb keeps per source (import_legacy_ids) so a second run updates.

import { UsageError } from '../errors.js';
import { LEGACY_ID_COLUMN } from './columns.js';
import type { FileRecord } from './reader.js';

export interface LegacyFilterRule {
  reason: string;
  /** A legacy column (as in the file's header). */
  column: string;
  in?: string[];
  notIn?: string[];
  /** Text comparison of ISO dates (YYYY-MM-DD): the value must be on or after / before this day. */
  onOrAfter?: string;
  before?: string;
  notEmpty?: boolean;
}

export interface LegacyMapSpec {
  /** The legacy column holding each record's own id. */
  id: string;
  /** legacy column → shopdb column. */
  columns: Record<string, string>;
  /** Legacy columns that are knowingly left behind. */
  ignore?: string[];
  /** shopdb column → legacy value → shopdb value, or `skip` to leave the record out. */
  values?: Record<string, Record<string, string>>;
  /** shopdb column → value for records whose cell is empty. */
  defaults?: Record<string, string>;
  filter?: LegacyFilterRule[];
}

export interface LegacyMap {
  spec: LegacyMapSpec;
  /** The shopdb columns a legacy header becomes (unmapped, unignored ones kept as they are, to be reported). */
  targetColumns(header: readonly string[]): string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const stringMap = (v: unknown) =>
  isRecord(v) && Object.values(v).every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean');

/** Parses and checks a map file's text; every problem named at once. */
export async function parseLegacyMap(text: string, fileName: string): Promise<LegacyMap> {
  const { parse } = await import('yaml');
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new UsageError(`${fileName} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
      suggestion: 'docs/examples/legacy-map.yaml is a map to start from.',
    });
  }
  const problems: string[] = [];
  if (!isRecord(raw)) problems.push('the map must be a YAML mapping with id, columns, values, defaults, filter');
  const spec = (isRecord(raw) ? raw : {}) as Record<string, unknown>;
  if (typeof spec.id !== 'string' || spec.id === '') problems.push("id: the legacy column holding each record's id is missing");
  if (!stringMap(spec.columns)) problems.push('columns: must map legacy column names to shopdb columns');
  if (spec.ignore !== undefined && (!Array.isArray(spec.ignore) || spec.ignore.some((x) => typeof x !== 'string')))
    problems.push('ignore: must be a list of legacy column names');
  if (spec.values !== undefined && (!isRecord(spec.values) || !Object.values(spec.values).every(stringMap)))
    problems.push('values: must map a shopdb column to { legacy value: shopdb value | skip }');
  if (spec.defaults !== undefined && !stringMap(spec.defaults)) problems.push('defaults: must map shopdb columns to values');
  if (spec.filter !== undefined) {
    if (!Array.isArray(spec.filter)) problems.push('filter: must be a list of rules');
    else
      spec.filter.forEach((rule: unknown, i) => {
        if (!isRecord(rule) || typeof rule.reason !== 'string' || typeof rule.column !== 'string')
          problems.push(`filter[${i}]: needs a reason and a column`);
        else if (!['in', 'notIn', 'onOrAfter', 'before', 'notEmpty'].some((k) => k in rule))
          problems.push(`filter[${i}]: needs one of in, notIn, onOrAfter, before, notEmpty`);
      });
  }
  if (problems.length > 0)
    throw new UsageError(`The map ${fileName} cannot be used`, {
      details: problems,
      suggestion: 'docs/IMPORT.md describes the map; docs/examples/legacy-map.yaml is one that works.',
    });
  const checked = spec as unknown as LegacyMapSpec;
  const normalised: LegacyMapSpec = {
    ...checked,
    values: Object.fromEntries(
      Object.entries(checked.values ?? {}).map(([c, m]) => [
        c,
        Object.fromEntries(Object.entries(m).map(([k, v]) => [String(k), String(v)])),
      ]),
    ),
    defaults: Object.fromEntries(Object.entries(checked.defaults ?? {}).map(([k, v]) => [k, String(v)])),
  };
  return {
    spec: normalised,
    targetColumns(header) {
      const ignored = new Set(normalised.ignore ?? []);
      const mapped = header
        .filter((c) => !ignored.has(c))
        .map((c) => (c === normalised.id ? LEGACY_ID_COLUMN : (normalised.columns[c] ?? c)));
      return [...new Set([...mapped, ...Object.keys(normalised.defaults ?? {})])];
    },
  };
}

/** A legacy record as shopdb columns, or the reason it is left out. */
export function applyLegacyMap(map: LegacyMap, record: FileRecord): { values: Record<string, unknown> } | { excluded: string } {
  const { spec } = map;
  const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  for (const rule of spec.filter ?? []) {
    const value = text(record.values[rule.column]).trim();
    const fails =
      (rule.in !== undefined && !rule.in.map(String).includes(value)) ||
      (rule.notIn !== undefined && rule.notIn.map(String).includes(value)) ||
      (rule.onOrAfter !== undefined && !(value !== '' && value >= String(rule.onOrAfter))) ||
      (rule.before !== undefined && !(value !== '' && value < String(rule.before))) ||
      (rule.notEmpty === true && value === '');
    if (fails) return { excluded: rule.reason };
  }
  const ignored = new Set(spec.ignore ?? []);
  const values: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(record.values)) {
    if (ignored.has(column)) continue;
    const target = column === spec.id ? LEGACY_ID_COLUMN : (spec.columns[column] ?? column);
    values[target] = value;
  }
  for (const [column, mapping] of Object.entries(spec.values ?? {})) {
    const value = text(values[column]);
    if (!(value in mapping)) continue;
    if (mapping[value] === 'skip') return { excluded: `${column} ${value}` };
    values[column] = mapping[value];
  }
  for (const [column, value] of Object.entries(spec.defaults ?? {})) if (text(values[column]) === '') values[column] = value;
  return { values };
}

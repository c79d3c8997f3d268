// `shopdb import assets`: a file in, checked whole before anything is written, then applied in
// transactional batches (ADR-023). Pass 1 reads the file as a stream, checks every row against the
// site (all problems, each with line, column, code and advice) and plans it (create, update with
// the fields that change, unchanged, conflict). Pass 2, with --apply and no problem, reads it again
// and writes batch by batch, each batch re-planned against the database: a run killed half-way and
// started again finds the rows already written unchanged (upsert by asset tag, ADR-013's case
// rule). Every audit entry carries the import id as its request id; `imports` keeps the history.

import { randomUUID, createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '../audit/log.js';
import { recordAuditMany } from '../audit/log.js';
import { textKey } from '../db/text-keys.js';
import { inTransaction } from '../db/transaction.js';
import { encodeRow, formatUtcDatetime } from '../db/values.js';
import { UsageError, UserError } from '../errors.js';
import { getAsset } from '../inventory/assets.js';
import {
  CLEAR_TOKEN,
  CORE_COLUMNS,
  CORE_COLUMN_NAMES,
  LEGACY_ID_COLUMN,
  creationHooks,
  detailSources,
  loadReferenceData,
  parseValue,
  sameValue,
  specOfCustomField,
  specOfDetailColumn,
  unescapeFormula,
  type DetailSource,
  type ImportPlugin,
  type ReferenceData,
} from './columns.js';
import { applyLegacyMap, type LegacyMap } from './legacy.js';
import { ImportInvalidError, ImportProblemError, MAX_PROBLEMS_KEPT, closest, didYouMean, type ImportProblem } from './problems.js';
import { TagSet } from './tag-set.js';
import { readRecords, type FileRecord, type ImportFormat, type ReadState, type Separator } from './reader.js';

type Row = Record<string, unknown>;

export const CREATABLE_REFERENCES = ['locations', 'models', 'manufacturers'] as const;
export type CreatableReference = (typeof CREATABLE_REFERENCES)[number];
export const DEFAULT_BATCH_SIZE = 1000;

export interface ImportOptions {
  /** Opens the file from its start (it is read twice with --apply). */
  open: () => AsyncIterable<Buffer | string>;
  fileName: string;
  format: ImportFormat;
  encoding?: string;
  separator?: Separator;
  apply: boolean;
  /** The dry run whose plan --apply must match. */
  planId?: string;
  emptyClears: boolean;
  createMissing: readonly CreatableReference[];
  /** A legacy migration: the map, and the source name it keeps its id map under. */
  legacy?: { source: string; map: LegacyMap };
  actor: Actor;
  plugins: readonly ImportPlugin[];
  batchSize?: number;
  progress?: (event: { phase: 'check' | 'apply'; rows: number }) => void;
}

export interface ImportCounts {
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  failed: number;
}

export interface PlannedUpdate {
  line: number;
  assetTag: string;
  fields: string[];
}

export interface ImportReport {
  importId: string;
  mode: 'dry-run' | 'apply';
  file: string;
  format: ImportFormat;
  separator: Separator | null;
  sha256: string;
  source: string | null;
  plan: {
    create: number;
    update: number;
    unchanged: number;
    conflicts: number;
    skip: number;
    referencesToCreate: Record<CreatableReference, string[]>;
  };
  /** Updates with the fields they change (the first 1000). */
  updates: PlannedUpdate[];
  /** Legacy migration: records the filter left out, by reason. */
  excluded: Record<string, number>;
  counts: ImportCounts;
  /** rows read = created + updated + unchanged + skipped + failed. */
  reconciled: boolean;
}

/** A row as parsed: what the file says, by target; undefined = leave alone, null = clear. */
interface ParsedRow {
  line: number;
  tag: string;
  tagKey: string;
  core: Partial<Record<'name' | 'serial' | 'hostname' | 'notes', string | null>>;
  type?: string;
  status?: string;
  location?: string | null;
  manufacturer?: string;
  model?: string | null;
  custom: Record<string, unknown>;
  details: Map<DetailSource, Record<string, unknown>>;
  legacyId?: string;
}

interface Existing {
  id: number;
  assetTag: string;
  name: string;
  hostname: string | null;
  serial: string | null;
  notes: string | null;
  typeId: number;
  statusId: number;
  locationId: number | null;
  modelId: number | null;
  customData: Record<string, unknown>;
  deleted: boolean;
  updatedAt: string;
}

type Action = 'create' | 'update' | 'unchanged' | 'conflict';

interface PlannedRow {
  row: ParsedRow;
  action: Action;
  existing?: Existing;
  /** Column → new value for the assets table (create: every column). */
  columns: Row;
  changed: string[];
  customData?: Record<string, unknown>;
  details: Array<{ source: DetailSource; values: Record<string, unknown> }>;
  typeKey: string;
}

class ProblemSink {
  readonly kept: ImportProblem[] = [];
  count = 0;
  add(problem: ImportProblem) {
    this.count++;
    if (this.kept.length < MAX_PROBLEMS_KEPT) this.kept.push(problem);
  }
}

const CLEARABLE = new Set(['serial', 'hostname', 'notes', 'location', 'model']);

/** Everything pass 1 and 2 share: the site's reference data and the file's columns. */
class ImportRun {
  readonly details: DetailSource[];
  readonly detailByColumn = new Map<string, { source: DetailSource; field: string }>();
  readonly detailPlugins = new Set<string>();
  readonly customKeys = new Set<string>();
  readonly hooks: ReturnType<typeof creationHooks>;
  readonly toCreate: Record<CreatableReference, Map<string, string>> = {
    locations: new Map(),
    models: new Map(),
    manufacturers: new Map(),
  };

  constructor(
    readonly options: ImportOptions,
    public refs: ReferenceData,
  ) {
    this.details = detailSources(options.plugins);
    for (const source of this.details) {
      this.detailPlugins.add(source.plugin);
      for (const column of source.spec.columns)
        this.detailByColumn.set(`${source.plugin}.${column.field}`, { source, field: column.field });
    }
    for (const type of refs.types.values()) for (const field of type.fields) this.customKeys.add(field.key);
    this.hooks = creationHooks(options.plugins);
  }

  private readonly keys = new Map<string, string>();
  /** textKey of a reference name, memoised: the same few names come back on every row. */
  refKey(text: string): string {
    let key = this.keys.get(text);
    if (key === undefined) {
      if (this.keys.size > 10_000) this.keys.clear();
      key = textKey(text);
      this.keys.set(text, key);
    }
    return key;
  }

  knownColumns(): string[] {
    return [...CORE_COLUMN_NAMES, ...[...this.customKeys].map((k) => `custom.${k}`), ...this.detailByColumn.keys()];
  }

  /** Problems of the column names themselves; reported once, on the line that first has them. */
  checkColumns(columns: readonly string[], line: number, sink: ProblemSink, seen: Set<string>): void {
    for (const column of columns) {
      if (seen.has(column)) continue;
      seen.add(column);
      if (column === LEGACY_ID_COLUMN && this.options.legacy) continue;
      if (CORE_COLUMN_NAMES.includes(column) || this.detailByColumn.has(column)) continue;
      if (column.startsWith('custom.') && this.customKeys.has(column.slice(7))) continue;
      const guess = didYouMean(column, this.knownColumns());
      const [prefix] = column.split('.');
      const pluginOff = column.includes('.') && prefix !== 'custom' && !this.detailPlugins.has(prefix!);
      sink.add({
        line,
        column,
        code: 'UNKNOWN_COLUMN',
        message: `There is no column "${column}"`,
        suggestion: guess
          ? `Did you mean "${guess}"?`
          : pluginOff
            ? `No enabled plugin "${prefix}" has import columns (shopdb plugin list).`
            : `Columns are listed in docs/IMPORT.md; remove it or rename it.`,
      });
    }
  }

  /** A cell as the file means it: undefined (leave alone), null (clear) or its text. */
  cell(raw: unknown): string | null | undefined {
    if (raw === undefined) return undefined;
    if (raw === null) return null;
    const text = typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : JSON.stringify(raw);
    if (text === '') return this.options.emptyClears ? null : undefined;
    if (text === CLEAR_TOKEN) return null;
    return this.options.format === 'csv' ? unescapeFormula(text) : text;
  }

  /** Pass 1's and 2's per-row check of what needs no database: every problem into `sink`. */
  parse(record: FileRecord, sink: ProblemSink): ParsedRow | null {
    const start = sink.count;
    const add = (column: string | null, code: string, message: string, suggestion: string | null = null) =>
      sink.add({ line: record.line, column, code, message, suggestion });
    const v = record.values;
    const tag = this.cell(v.asset_tag);
    if (tag === undefined || tag === null || tag.trim() === '') {
      add('asset_tag', 'REQUIRED', 'The asset tag is empty', 'Every row needs the asset tag it creates or updates.');
      return null;
    }
    if (tag.length > 64) add('asset_tag', 'TOO_LONG', `The asset tag is ${tag.length} characters long; at most 64`);
    const row: ParsedRow = { line: record.line, tag, tagKey: textKey(tag), core: {}, custom: {}, details: new Map() };
    for (const spec of CORE_COLUMNS) {
      if (!(['name', 'serial', 'hostname', 'notes'] as string[]).includes(spec.name)) continue;
      const value = this.cell(v[spec.name]);
      if (value === undefined) continue;
      if (value === null && !CLEARABLE.has(spec.name))
        add(
          spec.name,
          'CANNOT_CLEAR',
          `The ${spec.name} cannot be cleared`,
          'Give a value, or leave the cell empty to keep the one stored.',
        );
      else if (value !== null && 'maxLength' in spec && value.length > spec.maxLength)
        add(spec.name, 'TOO_LONG', `The ${spec.name} is ${value.length} characters long; at most ${spec.maxLength}`);
      else if (value !== null && spec.name === 'name' && value.trim() === '') add(spec.name, 'REQUIRED', 'The name is blank');
      else row.core[spec.name as 'name'] = value;
    }
    const type = this.cell(v.type);
    if (type === null) add('type', 'CANNOT_CLEAR', 'The type cannot be cleared');
    else if (type !== undefined) {
      if (!this.refs.types.has(type))
        add(
          'type',
          'UNKNOWN_TYPE',
          `There is no asset type "${type}"`,
          suggestionFrom(type, this.refs.types.keys(), 'shopdb plugin list shows the plugins that bring types'),
        );
      else row.type = type;
    }
    const status = this.cell(v.status);
    if (status === null) add('status', 'CANNOT_CLEAR', 'The status cannot be cleared');
    else if (status !== undefined) {
      if (!this.refs.statuses.has(this.refKey(status)))
        add(
          'status',
          'UNKNOWN_STATUS',
          `There is no status "${status}"`,
          suggestionFrom(
            status,
            [...this.refs.statuses.values()].map((s) => s.name),
            'shopdb seed adds the standard ones',
          ),
        );
      else row.status = status;
    }
    const location = this.cell(v.location);
    if (location === null) row.location = null;
    else if (location !== undefined) {
      if (this.refs.locations.has(this.refKey(location))) row.location = location;
      else if (this.options.createMissing.includes('locations')) {
        this.toCreate.locations.set(this.refKey(location), location);
        row.location = location;
      } else {
        const near = closest(
          location,
          [...this.refs.locations.values()].map((l) => l.code),
        );
        add(
          'location',
          'UNKNOWN_LOCATION',
          `There is no location "${location}"`,
          `${near.length > 0 ? `The closest codes are ${near.join(', ')}. ` : ''}Pass --create-missing locations to create it.`,
        );
      }
    }
    const manufacturer = this.cell(v.manufacturer);
    const model = this.cell(v.model);
    if (model === null) row.model = null;
    else if (model !== undefined) {
      if (manufacturer === undefined || manufacturer === null)
        add(
          'model',
          'MODEL_NEEDS_MANUFACTURER',
          `The model "${model}" has no manufacturer on its row`,
          'A model is named with its manufacturer: fill the manufacturer column too.',
        );
      else {
        const maker = this.refs.manufacturers.get(this.refKey(manufacturer));
        const makerKnown = maker !== undefined || this.toCreate.manufacturers.has(this.refKey(manufacturer));
        if (!makerKnown && !this.options.createMissing.includes('manufacturers')) {
          add(
            'manufacturer',
            'UNKNOWN_MANUFACTURER',
            `There is no manufacturer "${manufacturer}"`,
            suggestionFrom(
              manufacturer,
              [...this.refs.manufacturers.values()].map((m) => m.name),
              'pass --create-missing manufacturers to create it',
            ),
          );
        } else {
          if (!makerKnown) this.toCreate.manufacturers.set(this.refKey(manufacturer), manufacturer);
          const known = maker !== undefined && this.refs.models.has(`${maker.id}|${this.refKey(model)}`);
          const key = `${this.refKey(manufacturer)}|${this.refKey(model)}`;
          if (!known && !this.toCreate.models.has(key) && !this.options.createMissing.includes('models')) {
            const names = maker ? [...this.refs.models.values()].filter((m) => m.manufacturerId === maker.id).map((m) => m.name) : [];
            add(
              'model',
              'UNKNOWN_MODEL',
              `${manufacturer} has no model "${model}"`,
              suggestionFrom(model, names, 'pass --create-missing models to create it'),
            );
          } else {
            if (!known) this.toCreate.models.set(key, `${manufacturer}\u0000${model}`);
            row.manufacturer = manufacturer;
            row.model = model;
          }
        }
      }
    }
    // Custom fields: typed by the row's type when the row names it (else checked in the plan, against the stored type).
    const rowType = row.type ? this.refs.types.get(row.type) : undefined;
    for (const [column, raw] of Object.entries(v)) {
      if (column.startsWith('custom.')) {
        const key = column.slice(7);
        if (!this.customKeys.has(key)) continue;
        const value = this.cell(raw);
        if (value === undefined) continue;
        if (value === null) {
          row.custom[key] = null;
          continue;
        }
        const field = rowType?.fields.find((f) => f.key === key);
        if (rowType && !field) {
          add(
            column,
            'CUSTOM_FIELD_NOT_IN_TYPE',
            `Assets of type ${rowType.key} have no custom field "${key}"`,
            `Fields of ${rowType.key}: ${rowType.fields.map((f) => f.key).join(', ') || 'none'}.`,
          );
          continue;
        }
        row.custom[key] = value;
      } else {
        const detail = this.detailByColumn.get(column);
        if (!detail) continue;
        const value = this.cell(raw);
        if (value === undefined) continue;
        if (row.type && row.type !== detail.source.typeKey) {
          add(
            column,
            'PLUGIN_FIELD_WRONG_TYPE',
            `${column} belongs to assets of type ${detail.source.typeKey}; this row is a ${row.type}`,
            'Leave the cell empty on rows of other types.',
          );
          continue;
        }
        let parsed: unknown = null;
        if (value !== null) {
          const spec = detail.source.spec.columns.find((c) => c.field === detail.field)!;
          const result = parseValue(specOfDetailColumn(spec), value);
          if ('problem' in result) {
            add(column, 'BAD_VALUE', `${column} ${result.problem}`, spec.type === 'date' ? 'Write dates as YYYY-MM-DD.' : null);
            continue;
          }
          parsed = result.value;
        }
        const values = row.details.get(detail.source) ?? {};
        values[detail.field] = parsed;
        row.details.set(detail.source, values);
      }
    }
    if (this.options.legacy) {
      const id = this.cell(v[LEGACY_ID_COLUMN]);
      if (id) row.legacyId = id;
    }
    return sink.count === start ? row : null;
  }
}

function suggestionFrom(value: string, known: Iterable<string>, otherwise: string): string {
  const guess = didYouMean(value, known);
  return guess ? `Did you mean "${guess}"?` : `${otherwise[0]!.toUpperCase()}${otherwise.slice(1)}.`;
}

function dateText(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

async function existingByTag(
  db: Knex | Knex.Transaction,
  rows: readonly ParsedRow[],
  legacySource: string | undefined,
): Promise<Map<string, Existing>> {
  const found = new Map<string, Existing>();
  const toExisting = (r: Row): Existing => ({
    id: Number(r.id),
    assetTag: r.asset_tag as string,
    name: r.name as string,
    hostname: (r.hostname as string) ?? null,
    serial: (r.serial as string) ?? null,
    notes: (r.notes as string) ?? null,
    typeId: Number(r.type_id),
    statusId: Number(r.status_id),
    locationId: r.location_id === null ? null : Number(r.location_id),
    modelId: r.model_id === null ? null : Number(r.model_id),
    customData:
      typeof r.custom_data === 'string'
        ? (JSON.parse(r.custom_data) as Record<string, unknown>)
        : ((r.custom_data as Record<string, unknown>) ?? {}),
    deleted: r.deleted_at !== null,
    updatedAt: dateText(r.updated_at),
  });
  const columns = [
    'id',
    'asset_tag',
    'asset_tag_key',
    'name',
    'hostname',
    'serial',
    'notes',
    'type_id',
    'status_id',
    'location_id',
    'model_id',
    'custom_data',
    'deleted_at',
    'updated_at',
  ];
  const keys = rows.map((r) => r.tagKey);
  for (const r of (await db('assets').whereIn('asset_tag_key', keys).select(columns)) as Row[])
    found.set(`tag:${r.asset_tag_key as string}`, toExisting(r));
  if (legacySource) {
    const ids = rows.map((r) => r.legacyId).filter((id): id is string => id !== undefined);
    if (ids.length > 0) {
      const mapped = (await db({ m: 'import_legacy_ids' })
        .join({ a: 'assets' }, 'a.id', 'm.asset_id')
        .where('m.source', legacySource)
        .whereIn('m.legacy_id', ids)
        .select('m.legacy_id', ...columns.map((c) => `a.${c}`))) as Row[];
      for (const r of mapped) found.set(`legacy:${r.legacy_id as string}`, toExisting(r));
    }
  }
  return found;
}

/** Plans one batch against the database: the action of each row, and the problems only the site can show. */
async function planBatch(
  db: Knex | Knex.Transaction,
  run: ImportRun,
  rows: readonly ParsedRow[],
  sink: ProblemSink,
): Promise<PlannedRow[]> {
  const existing = await existingByTag(db, rows, run.options.legacy?.source);
  const stored = new Map<DetailSource, Map<number, Record<string, unknown>>>();
  for (const source of run.details) {
    const ids = rows
      .map((r) => (r.legacyId ? existing.get(`legacy:${r.legacyId}`) : undefined) ?? existing.get(`tag:${r.tagKey}`))
      .filter((e): e is Existing => e !== undefined && run.refs.typesById.get(e.typeId)?.key === source.typeKey)
      .map((e) => e.id);
    stored.set(source, await source.spec.read(db, ids));
  }
  const planned: PlannedRow[] = [];
  for (const row of rows) {
    const before = sink.count;
    const add = (column: string | null, code: string, message: string, suggestion: string | null = null) =>
      sink.add({ line: row.line, column, code, message, suggestion });
    const found = (row.legacyId ? existing.get(`legacy:${row.legacyId}`) : undefined) ?? existing.get(`tag:${row.tagKey}`);
    if (found?.deleted) {
      add(
        'asset_tag',
        'TAG_OF_DELETED_ASSET',
        `The tag ${row.tag} belongs to a deleted asset (id ${found.id})`,
        'Deleted assets keep their tags; give this one another tag.',
      );
      planned.push({ row, action: 'conflict', columns: {}, changed: [], details: [], typeKey: '' });
      continue;
    }
    const typeKey = found ? run.refs.typesById.get(found.typeId)!.key : row.type;
    if (found && row.type && row.type !== typeKey) {
      add(
        'type',
        'TYPE_CHANGE',
        `${row.tag} is a ${typeKey}; the file says ${row.type}`,
        "An import does not change an asset's type: leave the cell empty or give its type.",
      );
      planned.push({ row, action: 'conflict', columns: {}, changed: [], details: [], typeKey: typeKey ?? '' });
      continue;
    }
    if (!found) {
      for (const column of ['name', 'type', 'status'] as const) {
        const given = column === 'name' ? row.core.name : row[column];
        if (given === undefined || given === null)
          add(
            column,
            'REQUIRED',
            `A new asset needs its ${column}`,
            `${row.tag} is not on the site yet: fill the ${column} cell (or check the tag).`,
          );
      }
      if (sink.count > before) continue;
    }
    const type = run.refs.types.get(typeKey!) ?? run.refs.typesById.get(found?.typeId ?? -1);
    if (!type) continue;
    // Plugin columns on an asset whose stored type the plugin does not own.
    for (const [source] of row.details) {
      if (source.typeKey !== type.key)
        add(
          `${source.plugin}.*`,
          'PLUGIN_FIELD_WRONG_TYPE',
          `Columns ${source.plugin}.* belong to assets of type ${source.typeKey}; ${row.tag} is a ${type.key}`,
          'Leave those cells empty on rows of other types.',
        );
    }
    // Custom data as it will be stored.
    let customData: Record<string, unknown> | undefined;
    if (Object.keys(row.custom).length > 0 || !found) {
      const result: Record<string, unknown> = { ...(found?.customData ?? {}) };
      for (const [key, raw] of Object.entries(row.custom)) {
        const field = type.fields.find((f) => f.key === key);
        if (!field) {
          add(
            `custom.${key}`,
            'CUSTOM_FIELD_NOT_IN_TYPE',
            `Assets of type ${type.key} have no custom field "${key}"`,
            `Fields of ${type.key}: ${type.fields.map((f) => f.key).join(', ') || 'none'}.`,
          );
          continue;
        }
        if (raw === null) {
          delete result[key];
          continue;
        }
        const parsed = parseValue(specOfCustomField(field), raw as string);
        if ('problem' in parsed)
          add(`custom.${key}`, 'BAD_VALUE', `custom.${key} ${parsed.problem}`, field.type === 'date' ? 'Write dates as YYYY-MM-DD.' : null);
        else result[key] = parsed.value;
      }
      for (const field of type.fields)
        if (field.required && result[field.key] === undefined)
          add(`custom.${field.key}`, 'REQUIRED', `Assets of type ${type.key} need custom.${field.key}`);
      customData = result;
    }
    // Plugin details: the plugin's own rules, over what will be stored.
    const details: PlannedRow['details'] = [];
    for (const source of run.details) {
      if (source.typeKey !== type.key) continue;
      const given = row.details.get(source) ?? {};
      const current = found ? (stored.get(source)?.get(found.id) ?? {}) : {};
      const merged = { ...current, ...given };
      for (const [field, message] of Object.entries(source.spec.check?.(merged) ?? {}))
        add(`${source.plugin}.${field}`, 'PLUGIN_RULE', `${source.plugin}.${field} ${message}`);
      const changes = Object.fromEntries(Object.entries(given).filter(([field, value]) => !found || !sameValue(current[field], value)));
      if (!found || Object.keys(changes).length > 0) details.push({ source, values: changes });
    }
    if (sink.count > before) {
      planned.push({ row, action: 'conflict', columns: {}, changed: [], details: [], typeKey: type.key });
      continue;
    }
    // The asset's own columns.
    const locationId =
      row.location === undefined ? undefined : row.location === null ? null : (run.refs.locations.get(run.refKey(row.location))?.id ?? -1);
    const maker = row.manufacturer === undefined ? undefined : run.refs.manufacturers.get(run.refKey(row.manufacturer));
    const modelId =
      row.model === undefined
        ? undefined
        : row.model === null
          ? null
          : maker
            ? (run.refs.models.get(`${maker.id}|${run.refKey(row.model)}`)?.id ?? -1)
            : -1;
    const columns: Row = {};
    const changed: string[] = [];
    const set = (column: string, label: string, value: unknown, current: unknown) => {
      if (value === undefined) return;
      if (found && sameValue(value, current) && !(typeof value === 'number' && value < 0)) return;
      columns[column] = value;
      changed.push(label);
    };
    set('asset_tag', 'asset_tag', found && found.assetTag === row.tag ? undefined : row.tag, found?.assetTag);
    set('name', 'name', row.core.name, found?.name);
    set('serial', 'serial', row.core.serial, found?.serial);
    set('hostname', 'hostname', row.core.hostname, found?.hostname);
    set('notes', 'notes', row.core.notes, found?.notes);
    set('status_id', 'status', row.status === undefined ? undefined : run.refs.statuses.get(run.refKey(row.status))!.id, found?.statusId);
    set('location_id', 'location', locationId, found?.locationId);
    set('model_id', 'model', modelId, found?.modelId);
    if (customData !== undefined && (!found || !sameValue(sortKeys(customData), sortKeys(found.customData)))) {
      const keys = new Set([...Object.keys(customData), ...Object.keys(found?.customData ?? {})]);
      for (const key of keys) if (!found || !sameValue(customData[key], found.customData[key])) changed.push(`custom.${key}`);
      columns.custom_data = customData;
    }
    for (const detail of details) for (const field of Object.keys(detail.values)) changed.push(`${detail.source.plugin}.${field}`);
    const action: Action = !found ? 'create' : changed.length > 0 ? 'update' : 'unchanged';
    if (!found) columns.type_id = type.id;
    planned.push({ row, action, existing: found, columns, changed, customData, details, typeKey: type.key });
  }
  return planned;
}

function sortKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)));
}

/** Creates the reference rows the file names (with --create-missing), once, before the first batch. */
async function createReferences(db: Knex, run: ImportRun): Promise<void> {
  const { actor } = run.options;
  const audit: Array<{ action: string; objectType: string; objectId: number; after: unknown }> = [];
  await inTransaction(
    db,
    async (trx) => {
      for (const [key, code] of run.toCreate.locations) {
        if (run.refs.locations.has(key)) continue;
        const [id] = await trx('locations').insert({ kind: 'area', code, code_key: key, name: code, path: '/' });
        await trx('locations')
          .where({ id })
          .update({ path: `/${Number(id)}/` });
        audit.push({ action: 'create', objectType: 'location', objectId: Number(id), after: { code, name: code, kind: 'area' } });
      }
      for (const [key, name] of run.toCreate.manufacturers) {
        if (run.refs.manufacturers.has(key)) continue;
        const [id] = await trx('manufacturers').insert({ name, name_key: key });
        audit.push({ action: 'create', objectType: 'manufacturer', objectId: Number(id), after: { name } });
      }
      const makers = new Map((await trx('manufacturers').select('id', 'name_key')).map((r: Row) => [r.name_key as string, Number(r.id)]));
      for (const [, pair] of run.toCreate.models) {
        const [maker, name] = pair.split('\u0000') as [string, string];
        const manufacturerId = makers.get(textKey(maker))!;
        if (
          await trx('asset_models')
            .where({ manufacturer_id: manufacturerId, name_key: textKey(name) })
            .first('id')
        )
          continue;
        const [id] = await trx('asset_models').insert({ manufacturer_id: manufacturerId, name, name_key: textKey(name) });
        audit.push({ action: 'create', objectType: 'asset_model', objectId: Number(id), after: { manufacturerId, name } });
      }
      await recordAuditMany(trx, actor, audit);
    },
    { serializeOn: ['import:references'] },
  );
}

/** Writes one planned batch: inserts, updates, plugin details, the legacy map, the audit entries and the import's counts. */
async function applyBatch(
  trx: Knex.Transaction,
  run: ImportRun,
  planned: readonly PlannedRow[],
  importId: string,
  counts: ImportCounts,
): Promise<void> {
  const now = formatUtcDatetime(new Date());
  const audit: Array<{ action: string; objectType: string; objectId: number; before?: unknown; after?: unknown }> = [];
  const creates = planned.filter((p) => p.action === 'create');
  if (creates.length > 0) {
    const rows = creates.map((p) =>
      encodeRow(
        { custom_data: 'json' },
        {
          uuid: randomUUID(),
          asset_tag: p.row.tag,
          asset_tag_key: p.row.tagKey,
          name: p.columns.name,
          hostname: p.columns.hostname ?? null,
          serial: p.columns.serial ?? null,
          notes: p.columns.notes ?? null,
          type_id: p.columns.type_id,
          status_id: p.columns.status_id,
          location_id: p.columns.location_id ?? null,
          model_id: p.columns.model_id ?? null,
          custom_data: p.columns.custom_data ?? {},
        },
      ),
    );
    for (let i = 0; i < rows.length; i += 500) await trx('assets').insert(rows.slice(i, i + 500));
    const ids = new Map(
      (
        (await trx('assets')
          .whereIn(
            'asset_tag_key',
            creates.map((p) => p.row.tagKey),
          )
          .select('id', 'asset_tag_key')) as Row[]
      ).map((r) => [r.asset_tag_key as string, Number(r.id)]),
    );
    for (const p of creates) {
      p.existing = { id: ids.get(p.row.tagKey)! } as Existing;
      audit.push({
        action: 'create',
        objectType: 'asset',
        objectId: p.existing.id,
        after: { assetTag: p.row.tag, type: p.typeKey, ...p.columns, changed: undefined },
      });
    }
  }
  for (const p of planned) {
    if (p.action !== 'update') continue;
    const assetColumns = Object.fromEntries(Object.entries(p.columns).filter(([column]) => column !== 'type_id'));
    if (Object.keys(assetColumns).length > 0) {
      const row = encodeRow({ custom_data: 'json' }, assetColumns);
      if ('asset_tag' in row) row.asset_tag_key = p.row.tagKey;
      await trx('assets')
        .where({ id: p.existing!.id })
        .update({ ...row, updated_at: now });
    }
    const before = Object.fromEntries(
      p.changed.map((field) => [field, field.includes('.') ? undefined : (p.existing as unknown as Row)[field]]),
    );
    audit.push({ action: 'update', objectType: 'asset', objectId: p.existing!.id, before, after: { fields: p.changed, ...assetColumns } });
  }
  // Plugin details: every created asset of the plugin's type (its detail row), every changed one.
  for (const source of run.details) {
    const writes = planned.flatMap((p) =>
      p.details
        .filter((d) => d.source === source)
        .map((d) => ({ assetId: p.existing!.id, created: p.action === 'create', values: d.values })),
    );
    const due = writes.filter((w) => w.created || Object.keys(w.values).length > 0);
    if (due.length > 0) await source.spec.write(trx, due);
  }
  // Plugins that fill their rows from afterAssetCreate and declare no columns: their hook, per created asset.
  for (const hook of run.hooks) {
    for (const p of creates) {
      if (!hook.types.includes(p.typeKey)) continue;
      await hook.hook({ db: trx, actor: run.options.actor, asset: await getAsset(trx as unknown as Knex, p.existing!.id) });
    }
  }
  const legacy = run.options.legacy;
  if (legacy) {
    const mapped = planned.filter((p) => p.row.legacyId !== undefined && p.action !== 'conflict');
    if (mapped.length > 0) {
      const known = new Set(
        (await trx('import_legacy_ids')
          .where('source', legacy.source)
          .whereIn(
            'legacy_id',
            mapped.map((p) => p.row.legacyId!),
          )
          .pluck('legacy_id')) as string[],
      );
      const fresh = mapped
        .filter((p) => !known.has(p.row.legacyId!))
        .map((p) => ({ source: legacy.source, legacy_id: p.row.legacyId!, asset_id: p.existing!.id, import_id: importId }));
      for (let i = 0; i < fresh.length; i += 500) await trx('import_legacy_ids').insert(fresh.slice(i, i + 500));
    }
  }
  await recordAuditMany(trx, run.options.actor, audit);
  for (const p of planned) {
    if (p.action === 'create') counts.created++;
    else if (p.action === 'update') counts.updated++;
    else if (p.action === 'unchanged') counts.unchanged++;
  }
  await trx('imports')
    .where({ id: importId })
    .update({ counts: JSON.stringify(counts) });
}

interface PassResult {
  header: ReadState['header'];
  sha256: string;
  fingerprint: string;
  counts: ImportCounts;
  plan: ImportReport['plan'];
  updates: PlannedUpdate[];
  excluded: Record<string, number>;
}

/** Reads the whole file once: pass 1 checks and plans (`apply` absent), pass 2 writes each batch. */
async function pass(db: Knex, run: ImportRun, sink: ProblemSink, apply?: { importId: string }): Promise<PassResult> {
  const { options } = run;
  const state: ReadState = { header: null, sha256: '', bytes: 0, lines: 0 };
  const counts: ImportCounts = { read: 0, created: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 };
  const plan: ImportReport['plan'] = {
    create: 0,
    update: 0,
    unchanged: 0,
    conflicts: 0,
    skip: 0,
    referencesToCreate: { locations: [], models: [], manufacturers: [] },
  };
  const updates: PlannedUpdate[] = [];
  const excluded: Record<string, number> = {};
  const fingerprint = createHash('sha256');
  const seenColumns = new Set<string>();
  const firstLineOfTag = new TagSet();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  let batch: ParsedRow[] = [];
  let headerChecked = false;

  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    if (apply) {
      await inTransaction(db, async (trx) => {
        const local = { ...counts };
        const planned = await planBatch(trx, run, rows, sink);
        if (sink.count > 0)
          throw new ImportInvalidError(sink.kept, sink.count, apply.importId, {
            suggestion: 'The site changed since the file was checked; run the import again to see the plan.',
          });
        await applyBatch(trx, run, planned, apply.importId, local);
        Object.assign(counts, local);
      });
    } else {
      const planned = await planBatch(db, run, rows, sink);
      for (const p of planned) {
        fingerprint.update(`${p.row.line}|${p.row.tagKey}|${p.action}|${p.existing?.id ?? ''}|${p.existing?.updatedAt ?? ''}\n`);
        if (p.action === 'create') plan.create++;
        else if (p.action === 'update') {
          plan.update++;
          if (updates.length < MAX_PROBLEMS_KEPT) updates.push({ line: p.row.line, assetTag: p.row.tag, fields: p.changed });
        } else if (p.action === 'unchanged') plan.unchanged++;
        else plan.conflicts++;
      }
    }
    options.progress?.({ phase: apply ? 'apply' : 'check', rows: counts.read });
  };

  try {
    for await (const record of readRecords(
      options.open(),
      { format: options.format, encoding: options.encoding, separator: options.separator },
      state,
      (p) => sink.add(p),
    )) {
      if (!headerChecked && options.format === 'csv') {
        headerChecked = true;
        const columns = state.header?.columns ?? [];
        run.checkColumns(options.legacy ? options.legacy.map.targetColumns(columns) : columns, 1, sink, seenColumns);
        checkHeaderShape(options.legacy ? options.legacy.map.targetColumns(columns) : columns, sink);
      }
      counts.read++;
      let values = record.values;
      if (options.legacy) {
        const mapped = applyLegacyMap(options.legacy.map, record);
        if ('excluded' in mapped) {
          counts.skipped++;
          plan.skip++;
          excluded[mapped.excluded] = (excluded[mapped.excluded] ?? 0) + 1;
          continue;
        }
        values = mapped.values;
      }
      if (options.format === 'jsonl') {
        run.checkColumns(Object.keys(values), record.line, sink, seenColumns);
        if (!('asset_tag' in values)) {
          sink.add({
            line: record.line,
            column: 'asset_tag',
            code: 'MISSING_COLUMN',
            message: `Line ${record.line} has no asset_tag`,
            suggestion: 'Every object needs "asset_tag".',
          });
          continue;
        }
      }
      const tag = run.cell(values.asset_tag);
      if (typeof tag === 'string' && tag.trim() !== '') {
        const first = firstLineOfTag.seen(textKey(tag), record.line);
        if (first !== undefined) {
          sink.add({
            line: record.line,
            column: 'asset_tag',
            code: 'DUPLICATE_TAG',
            message: `The tag ${tag} is also on line ${first}`,
            suggestion: 'A file names each asset once (tags are the same ignoring case and accents).',
          });
          continue;
        }
      }
      const row = run.parse({ line: record.line, values }, sink);
      if (!row) continue;
      batch.push(row);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } catch (error) {
    if (error instanceof ImportProblemError) sink.add({ suggestion: null, ...error.problem });
    else throw error;
  }
  if (state.header !== null && options.format === 'csv' && counts.read === 0 && sink.count === 0) {
    sink.add({
      line: 1,
      column: null,
      code: 'NO_ROWS',
      message: 'The file has a header and no rows',
      suggestion: 'Add one line per asset under the header.',
    });
  }
  if (options.format === 'jsonl' && counts.read === 0 && sink.count === 0) {
    sink.add({
      line: 1,
      column: null,
      code: 'EMPTY_FILE',
      message: 'The file is empty',
      suggestion: 'A JSON Lines file has one object per line.',
    });
  }
  plan.referencesToCreate = {
    locations: [...run.toCreate.locations.entries()].filter(([k]) => !run.refs.locations.has(k)).map(([, v]) => v),
    manufacturers: [...run.toCreate.manufacturers.entries()].filter(([k]) => !run.refs.manufacturers.has(k)).map(([, v]) => v),
    models: [...run.toCreate.models.values()].map((v) => v.replace('\u0000', ' ')),
  };
  return { header: state.header, sha256: state.sha256, fingerprint: fingerprint.digest('hex'), counts, plan, updates, excluded };
}

function checkHeaderShape(columns: readonly string[], sink: ProblemSink): void {
  if (!columns.includes('asset_tag')) {
    sink.add({
      line: 1,
      column: 'asset_tag',
      code: 'MISSING_COLUMN',
      message: 'The header has no asset_tag column',
      suggestion: 'The asset tag is how a row finds its asset: add the column (docs/IMPORT.md).',
    });
  }
  const seen = new Set<string>();
  for (const column of columns) {
    if (seen.has(column))
      sink.add({
        line: 1,
        column,
        code: 'DUPLICATE_COLUMN',
        message: `The header has "${column}" twice`,
        suggestion: 'Remove one of them.',
      });
    seen.add(column);
  }
}

const isoNow = () => formatUtcDatetime(new Date());

/** Checks a file (and, with `apply`, writes it). Throws ImportInvalidError listing every problem; nothing is written then. */
export async function importAssets(db: Knex, given: ImportOptions): Promise<ImportReport> {
  const importId = randomUUID();
  // The import id is the request id of every audit entry the import writes.
  const options: ImportOptions = { ...given, actor: { ...given.actor, requestId: importId } };
  const enabled = options.plugins.map((p) => p.name);
  const run = new ImportRun(options, await loadReferenceData(db, enabled));
  const sink = new ProblemSink();
  const checked = await pass(db, run, sink);
  const record = {
    id: importId,
    file_name: options.fileName.slice(0, 255),
    file_sha256: checked.sha256 || createHash('sha256').digest('hex'),
    format: options.format,
    source: options.legacy?.source ?? null,
    plan_fingerprint: checked.fingerprint,
    username: options.actor.username,
    started_at: isoNow(),
  };
  if (sink.count > 0) {
    await db('imports').insert({
      ...record,
      status: 'invalid',
      counts: JSON.stringify({ ...checked.counts, problems: sink.count }),
      finished_at: isoNow(),
    });
    throw new ImportInvalidError(sink.kept, sink.count, importId);
  }
  const base = {
    importId,
    file: options.fileName,
    format: options.format,
    separator: checked.header?.separator ?? null,
    sha256: checked.sha256,
    source: options.legacy?.source ?? null,
    plan: checked.plan,
    updates: checked.updates,
    excluded: checked.excluded,
  };
  if (!options.apply) {
    const counts = { ...checked.counts, created: 0, updated: 0, unchanged: 0 };
    await db('imports').insert({
      ...record,
      status: 'dry-run',
      counts: JSON.stringify({ ...counts, plan: checked.plan }),
      finished_at: isoNow(),
    });
    return { ...base, mode: 'dry-run', counts, reconciled: true };
  }
  if (options.planId !== undefined) {
    const planned = (await db('imports').where({ id: options.planId }).first()) as Row | undefined;
    if (!planned || planned.status !== 'dry-run') {
      throw new UsageError(`There is no dry run with id ${options.planId}`, {
        suggestion: 'Run the import with --dry-run first; it prints the plan id (`shopdb import list` shows past runs).',
      });
    }
    if (planned.file_sha256 !== checked.sha256) {
      throw new UserError(`The file changed since dry run ${options.planId}; nothing was written`, {
        suggestion: 'Run the dry run again on this file and apply its plan.',
      });
    }
    if (planned.plan_fingerprint !== checked.fingerprint) {
      throw new UserError(`Assets this file touches changed since dry run ${options.planId}; nothing was written`, {
        suggestion: 'Run the dry run again to see the plan as the site is now, then apply that plan.',
      });
    }
  }
  if (run.toCreate.locations.size + run.toCreate.manufacturers.size + run.toCreate.models.size > 0) {
    await createReferences(db, run);
    run.refs = await loadReferenceData(db, enabled);
  }
  await db('imports').insert({ ...record, status: 'applying', counts: JSON.stringify(checked.counts) });
  const applySink = new ProblemSink();
  try {
    const applied = await pass(db, run, applySink, { importId });
    const counts: ImportCounts = { ...applied.counts, skipped: applied.counts.skipped };
    const reconciled = counts.read === counts.created + counts.updated + counts.unchanged + counts.skipped + counts.failed;
    await db('imports')
      .where({ id: importId })
      .update({ status: 'completed', counts: JSON.stringify(counts), finished_at: isoNow() });
    return { ...base, mode: 'apply', counts, reconciled };
  } catch (error) {
    await db('imports')
      .where({ id: importId })
      .update({ status: 'failed', finished_at: isoNow() })
      .catch(() => undefined);
    throw error;
  }
}

export interface ImportHistoryEntry {
  id: string;
  status: string;
  file: string;
  format: string;
  source: string | null;
  username: string | null;
  startedAt: string;
  finishedAt: string | null;
  counts: Record<string, unknown>;
}

/** Past imports, newest first. An `applying` row whose process is gone was interrupted: run the same import again. */
export async function listImports(db: Knex, limit = 50): Promise<ImportHistoryEntry[]> {
  const rows = (await db('imports').orderBy('started_at', 'desc').orderBy('id').limit(limit)) as Row[];
  return rows.map((r) => ({
    id: r.id as string,
    status: r.status as string,
    file: r.file_name as string,
    format: r.format as string,
    source: (r.source as string) ?? null,
    username: (r.username as string) ?? null,
    startedAt: dateText(r.started_at),
    finishedAt: r.finished_at === null ? null : dateText(r.finished_at),
    counts: JSON.parse(r.counts as string) as Record<string, unknown>,
  }));
}

// `shopdb export assets` and GET /api/assets/export: the live assets, streamed page by page (keyset
// on id), in exactly the dialect `shopdb import` reads (docs/IMPORT.md): the same columns, custom
// fields as custom.<key>, each enabled plugin's detail columns, empty for no value. CSV cells a
// spreadsheet would run as a formula (= + - @ tab CR first) get a leading ' that import removes,
// so an export imports back with zero changes.

import type { Knex } from 'knex';
import { cellOf, CORE_COLUMN_NAMES, detailSources, escapeFormula, loadReferenceData, type ImportPlugin } from '../import/columns.js';
import { textKey } from '../db/text-keys.js';
import { pathPrefixPattern } from '../inventory/locations.js';

type Row = Record<string, unknown>;
export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportFilters {
  /** Asset type key. */
  type?: string;
  /** Status label name. */
  status?: string;
  /** Location code: that location and everything under it. */
  location?: string;
  /** Manufacturer name. */
  manufacturer?: string;
  /** Text the tag, name, serial or hostname starts with. */
  search?: string;
  /** The API's id filters (GET /api/assets/export takes the list's). */
  statusId?: number;
  locationId?: number;
  modelId?: number;
  manufacturerId?: number;
}

export interface ExportOptions {
  format: ExportFormat;
  filters: ExportFilters;
  plugins: readonly ImportPlugin[];
  /** Escape formula cells (CSV); on unless turned off. */
  escapeFormulas?: boolean;
  pageSize?: number;
}

function csvCell(value: string, escape: boolean): string {
  const text = escape ? escapeFormula(value) : value;
  return /[",\n\r]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The export as text chunks, one page of assets each; `counted` gets the rows written. */
export async function* exportAssets(db: Knex, options: ExportOptions, counted: { rows: number } = { rows: 0 }): AsyncGenerator<string> {
  const refs = await loadReferenceData(
    db,
    options.plugins.map((p) => p.name),
  );
  const sources = detailSources(options.plugins);
  const customKeys = [...new Set([...refs.types.values()].flatMap((t) => t.fields.map((f) => f.key)))].sort();
  const columns = [
    ...CORE_COLUMN_NAMES,
    ...customKeys.map((k) => `custom.${k}`),
    ...sources.flatMap((s) => s.spec.columns.map((c) => `${s.plugin}.${c.field}`)),
  ];
  const escape = options.escapeFormulas !== false;
  if (options.format === 'csv') yield columns.join(',') + '\n';
  // Hidden types (a disabled plugin's) are left out with NOT IN: an IN list of the visible ones
  // would make MySQL walk the (deleted_at, type_id, id) index and sort, on every page.
  const hiddenTypeIds = [...refs.typesById.values()].filter((t) => !refs.types.has(t.key)).map((t) => t.id);
  const pageSize = options.pageSize ?? 1000;
  let locationPath: string | null | undefined;
  if (options.filters.location !== undefined)
    locationPath =
      (((await db('locations').where('code_key', textKey(options.filters.location)).first('path')) as Row | undefined)?.path as
        string | undefined) ?? null;
  else if (options.filters.locationId !== undefined)
    locationPath =
      (((await db('locations').where('id', options.filters.locationId).first('path')) as Row | undefined)?.path as string | undefined) ??
      null;
  let after = 0;
  for (;;) {
    const q = db('assets')
      .whereNull('deleted_at')
      .modify((m) => (hiddenTypeIds.length > 0 ? m.whereNotIn('type_id', hiddenTypeIds) : m))
      .where('id', '>', after)
      .orderBy('id')
      .limit(pageSize)
      .select('id', 'asset_tag', 'name', 'hostname', 'serial', 'notes', 'type_id', 'status_id', 'location_id', 'model_id', 'custom_data');
    const f = options.filters;
    if (f.type !== undefined) q.where('type_id', refs.types.get(f.type)?.id ?? -1);
    if (f.status !== undefined) q.where('status_id', refs.statuses.get(textKey(f.status))?.id ?? -1);
    if (f.statusId !== undefined) q.where('status_id', f.statusId);
    if (f.modelId !== undefined) q.where('model_id', f.modelId);
    if (f.manufacturerId !== undefined) q.whereIn('model_id', db('asset_models').select('id').where('manufacturer_id', f.manufacturerId));
    if (f.manufacturer !== undefined)
      q.whereIn(
        'model_id',
        db('asset_models')
          .select('id')
          .where('manufacturer_id', refs.manufacturers.get(textKey(f.manufacturer))?.id ?? -1),
      );
    if (locationPath === null) q.whereRaw('1 = 0');
    else if (locationPath !== undefined)
      q.whereIn('location_id', db('locations').select('id').where('path', 'like', pathPrefixPattern(locationPath)));
    if (f.search !== undefined && f.search !== '') {
      const pattern = `${f.search.replace(/[!%_]/g, (c) => `!${c}`)}%`;
      q.where((w) => {
        for (const column of ['asset_tag', 'name', 'serial', 'hostname']) w.orWhereRaw(`${column} LIKE ? ESCAPE '!'`, [pattern]);
      });
    }
    const rows = (await q) as Row[];
    if (rows.length === 0) return;
    after = Number(rows.at(-1)!.id);
    const details = new Map<string, Map<number, Record<string, unknown>>>();
    for (const source of sources) {
      const typeId = refs.types.get(source.typeKey)?.id;
      details.set(
        source.plugin + '|' + source.typeKey,
        await source.spec.read(
          db,
          rows.filter((r) => Number(r.type_id) === typeId).map((r) => Number(r.id)),
        ),
      );
    }
    let out = '';
    for (const r of rows) {
      const type = refs.typesById.get(Number(r.type_id))!;
      const model = r.model_id === null ? undefined : refs.modelsById.get(Number(r.model_id));
      const custom = (typeof r.custom_data === 'string' ? JSON.parse(r.custom_data) : (r.custom_data ?? {})) as Record<string, unknown>;
      const record: Record<string, unknown> = {
        asset_tag: r.asset_tag,
        name: r.name,
        type: type.key,
        status: refs.statusesById.get(Number(r.status_id)),
        location: r.location_id === null ? null : refs.locationsById.get(Number(r.location_id)),
        manufacturer: model ? refs.manufacturersById.get(model.manufacturerId) : null,
        model: model ? model.name : null,
        serial: r.serial ?? null,
        hostname: r.hostname ?? null,
        notes: r.notes ?? null,
      };
      for (const key of customKeys) if (type.fields.some((f) => f.key === key)) record[`custom.${key}`] = custom[key] ?? null;
      for (const source of sources) {
        if (source.typeKey !== type.key) continue;
        const values = details.get(source.plugin + '|' + source.typeKey)!.get(Number(r.id)) ?? {};
        for (const column of source.spec.columns) record[`${source.plugin}.${column.field}`] = values[column.field] ?? null;
      }
      if (options.format === 'csv') out += columns.map((c) => csvCell(cellOf(record[c]), escape)).join(',') + '\n';
      else out += JSON.stringify(Object.fromEntries(Object.entries(record).map(([k, v]) => [k, v instanceof Date ? cellOf(v) : v]))) + '\n';
    }
    counted.rows += rows.length;
    yield out;
    if (rows.length < pageSize) return;
  }
}

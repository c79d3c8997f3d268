// The machine details as `shopdb import` / `shopdb export` columns (`equipment.<field>`): the
// types the core checks, this plugin's own rules across fields (a DNC transfer needs its
// address), and batch reads and writes of the detail rows.

import type { Knex } from 'knex';
import { encodeRow, formatUtcDatetime, textKeyOrNull, type PluginDetailColumns, type PluginDetailWrite } from 'shopdb/sdk';
import { CONTROLLER_MAKES, CRITICALITIES, MACHINES, MAX_AXES, MAX_SPINDLES, machineProblems, type MachineDetails } from './service.js';

/** Each detail's column, from the one declaration of the detail table. */
const DETAIL_COLUMNS = Object.fromEntries(Object.entries(MACHINES.columns).map(([key, column]) => [key, column.column])) as Record<
  keyof MachineDetails,
  string
>;
const MACHINE_CODEC = { dnc_transfer_enabled: 'boolean' } as const;
const detailsOf = (row: Record<string, unknown>): MachineDetails => MACHINES.read(row);

const FIELD_OF = Object.fromEntries(Object.entries(DETAIL_COLUMNS).map(([key, column]) => [column, key])) as Record<
  string,
  keyof MachineDetails
>;

/** snake_case column values → the details' own (camelCase) keys. */
function asDetails(values: Record<string, unknown>): Partial<MachineDetails> {
  return Object.fromEntries(
    Object.entries(values).map(([column, value]) => [FIELD_OF[column] ?? column, value]),
  ) as Partial<MachineDetails>;
}

export const machineColumns: PluginDetailColumns = {
  columns: [
    {
      field: 'machine_number',
      type: 'text',
      maxLength: 32,
      description: "The shop's machine number, unique on the site (letters, digits, . / -).",
    },
    { field: 'builder', type: 'text', maxLength: 191, description: 'The machine-tool builder (DMG MORI, Hermle …).' },
    { field: 'controller_make', type: 'enum', choices: CONTROLLER_MAKES, description: "The CNC controller's make." },
    { field: 'controller_version', type: 'text', maxLength: 64, description: "The controller's software version." },
    { field: 'axes', type: 'integer', min: 0, max: MAX_AXES, description: 'Number of axes.' },
    { field: 'spindles', type: 'integer', min: 0, max: MAX_SPINDLES, description: 'Number of spindles.' },
    { field: 'dnc_ip', type: 'ip', description: "The DNC link's IP address." },
    { field: 'dnc_port', type: 'integer', min: 1, max: 65_535, description: "The DNC link's TCP port." },
    { field: 'dnc_transfer_enabled', type: 'boolean', description: 'Programs are sent over DNC (needs dnc_ip and dnc_port).' },
    { field: 'criticality', type: 'enum', choices: CRITICALITIES, description: 'How much production depends on the machine.' },
    { field: 'next_pm_due', type: 'date', description: 'The next preventive maintenance (YYYY-MM-DD).' },
  ],
  check(values) {
    const details = asDetails(values);
    const after = {
      machineNumber: null,
      builder: null,
      controllerMake: null,
      controllerVersion: null,
      axes: null,
      spindles: null,
      dncIp: null,
      dncPort: null,
      dncTransferEnabled: false,
      criticality: null,
      nextPmDue: null,
      ...details,
    } as MachineDetails;
    const problems = machineProblems(details, after);
    return Object.fromEntries(
      Object.entries(problems).map(([key, message]) => [DETAIL_COLUMNS[key as keyof MachineDetails] ?? key, message]),
    );
  },
  async read(db, assetIds) {
    const found = new Map<number, Record<string, unknown>>();
    if (assetIds.length === 0) return found;
    const rows = (await db('equipment_machines')
      .whereIn('asset_id', [...assetIds])
      .select('asset_id', ...Object.values(DETAIL_COLUMNS))) as Array<Record<string, unknown>>;
    for (const row of rows) {
      const details = detailsOf(row);
      found.set(
        Number(row.asset_id),
        Object.fromEntries(Object.entries(DETAIL_COLUMNS).map(([key, column]) => [column, details[key as keyof MachineDetails]])),
      );
    }
    return found;
  },
  async write(db: Knex.Transaction, rows: readonly PluginDetailWrite[]) {
    if (rows.length === 0) return;
    const ids = rows.map((row) => row.assetId);
    const existing = new Set(((await db('equipment_machines').whereIn('asset_id', ids).pluck('asset_id')) as unknown[]).map(Number));
    const encoded = (values: Record<string, unknown>) => {
      const row = encodeRow(MACHINE_CODEC, values);
      if ('machine_number' in values) row.machine_number_key = textKeyOrNull(values.machine_number as string | null);
      return row;
    };
    const inserts = rows.filter((row) => !existing.has(row.assetId)).map((row) => ({ ...encoded(row.values), asset_id: row.assetId }));
    // One statement for the new rows; multi-row inserts need the same columns in every row.
    const columns = [...new Set(inserts.flatMap((row) => Object.keys(row)))];
    const uniform = inserts.map((row) =>
      Object.fromEntries(
        columns.map((c) => [
          c,
          c in row
            ? row[c as keyof typeof row]
            : c === 'dnc_transfer_enabled'
              ? encodeRow(MACHINE_CODEC, { dnc_transfer_enabled: false }).dnc_transfer_enabled
              : null,
        ]),
      ),
    );
    for (let i = 0; i < uniform.length; i += 500) await db('equipment_machines').insert(uniform.slice(i, i + 500));
    const now = formatUtcDatetime(new Date());
    for (const row of rows) {
      if (!existing.has(row.assetId) || Object.keys(row.values).length === 0) continue;
      await db('equipment_machines')
        .where({ asset_id: row.assetId })
        .update({ ...encoded(row.values), updated_at: now });
    }
  },
};

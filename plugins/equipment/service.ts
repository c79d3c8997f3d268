// Shop equipment: the machine details of each `equipment` asset (machine number, controller, axes,
// DNC link, criticality, next preventive maintenance) and its maintenance history. Every write is
// one transaction with its audit entry; dates and booleans go through the codecs so both engines
// read back the same values.

import { isIP } from 'node:net';
import type { Knex } from 'knex';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  decodeRow,
  defineDetailTable,
  encodeRow,
  formatUtcDatetime,
  joinAssetReferences,
  isUniqueViolation,
  recordAudit,
  type Actor,
  inTransaction,
  textKey,
  textKeyOrNull,
  type Db,
} from 'shopdb/sdk';

export const EQUIPMENT_TYPE = 'equipment';
export const CONTROLLER_MAKES = ['Fanuc', 'Siemens', 'Heidenhain', 'Okuma', 'Mazak', 'Haas', 'Fagor', 'Mitsubishi', 'Other'] as const;
export const CRITICALITIES = ['low', 'medium', 'high'] as const;
export const MAINTENANCE_TYPES = ['preventive', 'corrective', 'calibration', 'inspection'] as const;
export const MAX_AXES = 32;
export const MAX_SPINDLES = 16;
/** decimal(12,2): ten digits before the point. */
export const MAX_COST = 9_999_999_999.99;

export type ControllerMake = (typeof CONTROLLER_MAKES)[number];
export type Criticality = (typeof CRITICALITIES)[number];
export type MaintenanceType = (typeof MAINTENANCE_TYPES)[number];

type Row = Record<string, unknown>;

/** The structured details of a machine: what GET returns and PUT sets. */
export interface MachineDetails {
  machineNumber: string | null;
  /** The machine-tool builder (DMG MORI, Hermle …), which may differ from the model's maker of record. */
  builder: string | null;
  controllerMake: ControllerMake | null;
  controllerVersion: string | null;
  axes: number | null;
  spindles: number | null;
  dncIp: string | null;
  dncPort: number | null;
  dncTransferEnabled: boolean;
  criticality: Criticality | null;
  /** YYYY-MM-DD. */
  nextPmDue: string | null;
}

export type MachinePatch = Partial<MachineDetails>;

/** A machine as the lists show it: the asset's identity and place, and its details. */
export interface MachineView extends MachineDetails {
  assetId: number;
  assetTag: string;
  name: string;
  serial: string | null;
  model: { id: number; name: string; manufacturer: string } | null;
  status: { id: number; name: string };
  location: { id: number; code: string; name: string } | null;
  /** The next PM was due before today. */
  pmOverdue: boolean;
}

export interface MaintenanceRecord {
  id: number;
  assetId: number;
  type: MaintenanceType;
  startedAt: Date;
  completedAt: Date | null;
  vendor: string | null;
  cost: number | null;
  underWarranty: boolean;
  notes: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface MaintenanceInput {
  type: MaintenanceType;
  /** ISO 8601 date-time (or a Date). */
  startedAt: string | Date;
  completedAt?: string | Date | null;
  vendor?: string | null;
  cost?: number | null;
  underWarranty?: boolean;
  notes?: string | null;
}

export type MaintenancePatch = Partial<MaintenanceInput>;

/** What "today" means for due dates; defaults to the server's local date. */
export interface TodayOption {
  today?: string;
}

export interface MachineQuery extends TodayOption {
  limit: number;
  offset: number;
  controller?: ControllerMake;
  criticality?: Criticality;
  /** true: PM due before today; false: not overdue (due today or later, or no date). */
  overdue?: boolean;
}

const MAINTENANCE_CODEC = {
  started_at: 'date',
  completed_at: 'date',
  under_warranty: 'boolean',
  created_at: 'date',
  updated_at: 'date',
} as const;

const pad = (n: number) => String(n).padStart(2, '0');

/** The local calendar date of `now`, as YYYY-MM-DD. */
export function localDate(now = new Date()): string {
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}

// ── machines ───────────────────────────────────────────────────────────────────────────────

/** Live equipment assets with their details (none yet: all null), place, model and status. */
function machinesQuery(db: Db): Knex.QueryBuilder {
  return joinAssetReferences(db({ a: 'assets' }))
    .leftJoin({ m: 'equipment_machines' }, 'm.asset_id', 'a.id')
    .where('t.key', EQUIPMENT_TYPE)
    .whereNull('a.deleted_at');
}

function selectMachines(q: Knex.QueryBuilder): Knex.QueryBuilder {
  return q.select(
    { asset_id: 'a.id', asset_tag: 'a.asset_tag', asset_name: 'a.name', serial: 'a.serial' },
    { status_id: 's.id', status_name: 's.name' },
    { location_id: 'l.id', location_code: 'l.code', location_name: 'l.name' },
    { model_id: 'am.id', model_name: 'am.name', manufacturer_name: 'mf.name' },
    MACHINES.select('m'),
  );
}

function toMachineView(row: Row, today: string): MachineView {
  const details = MACHINES.read(row);
  return {
    assetId: Number(row.asset_id),
    assetTag: row.asset_tag as string,
    name: row.asset_name as string,
    serial: (row.serial as string) ?? null,
    model:
      row.model_id === null
        ? null
        : { id: Number(row.model_id), name: row.model_name as string, manufacturer: row.manufacturer_name as string },
    status: { id: Number(row.status_id), name: row.status_name as string },
    location:
      row.location_id === null
        ? null
        : { id: Number(row.location_id), code: row.location_code as string, name: row.location_name as string },
    ...details,
    pmOverdue: details.nextPmDue !== null && details.nextPmDue < today,
  };
}

export async function listMachines(db: Knex, query: MachineQuery): Promise<{ count: number; results: MachineView[] }> {
  const today = query.today ?? localDate();
  const base = machinesQuery(db);
  if (query.controller !== undefined) base.where('m.controller_make', query.controller);
  if (query.criticality !== undefined) base.where('m.criticality', query.criticality);
  if (query.overdue === true) base.where('m.next_pm_due', '<', today);
  if (query.overdue === false) base.where((w) => w.whereNull('m.next_pm_due').orWhere('m.next_pm_due', '>=', today));
  const [{ count }] = (await base.clone().count({ count: '*' })) as Array<{ count: number | string }>;
  const rows = (await selectMachines(base).orderBy('a.asset_tag').orderBy('a.id').limit(query.limit).offset(query.offset)) as Row[];
  return { count: Number(count), results: rows.map((row) => toMachineView(row, today)) };
}

/** Machines whose next PM was due before today, the longest overdue first. */
export async function listOverdue(
  db: Knex,
  query: { limit: number; offset: number } & TodayOption,
): Promise<{ count: number; results: MachineView[] }> {
  const today = query.today ?? localDate();
  const base = machinesQuery(db).where('m.next_pm_due', '<', today);
  const [{ count }] = (await base.clone().count({ count: '*' })) as Array<{ count: number | string }>;
  const rows = (await selectMachines(base)
    .orderBy('m.next_pm_due')
    .orderBy('a.asset_tag')
    .limit(query.limit)
    .offset(query.offset)) as Row[];
  return { count: Number(count), results: rows.map((row) => toMachineView(row, today)) };
}

async function loadMachine(db: Db, assetId: number, today: string): Promise<MachineView> {
  const row = (await selectMachines(machinesQuery(db).where('a.id', assetId)).first()) as Row | undefined;
  if (!row)
    throw new NotFoundError(`There is no equipment asset with id ${assetId}`, {
      suggestion: 'GET /api/plugins/equipment/machines lists the machines.',
    });
  return toMachineView(row, today);
}

export async function getMachine(db: Knex, assetId: number, options: TodayOption = {}): Promise<MachineView> {
  return loadMachine(db, assetId, options.today ?? localDate());
}

const MACHINE_NUMBER = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$/;

function checkText(problems: Record<string, string>, field: string, value: unknown, maxLength: number): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'string' || value.trim() === '') problems[field] = 'must be non-empty text or null';
  else if (value.length > maxLength) problems[field] = `must be at most ${maxLength} characters`;
}

function checkInteger(problems: Record<string, string>, field: string, value: unknown, min: number, max: number): void {
  if (value === null || value === undefined) return;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max)
    problems[field] = `must be a whole number from ${min} to ${max}, or null`;
}

/** Every problem of a details change, with the details it would leave (for the rules across fields). */
export function machineProblems(patch: MachinePatch, after: MachineDetails): Record<string, string> {
  const problems: Record<string, string> = {};
  if (
    patch.machineNumber !== undefined &&
    patch.machineNumber !== null &&
    (typeof patch.machineNumber !== 'string' || !MACHINE_NUMBER.test(patch.machineNumber))
  ) {
    problems.machineNumber = 'must be 1–32 letters, digits, dots, slashes or hyphens (starting with a letter or digit), or null';
  }
  checkText(problems, 'builder', patch.builder, 191);
  if (patch.controllerMake !== undefined && patch.controllerMake !== null && !CONTROLLER_MAKES.includes(patch.controllerMake)) {
    problems.controllerMake = `must be one of ${CONTROLLER_MAKES.join(', ')}, or null`;
  }
  checkText(problems, 'controllerVersion', patch.controllerVersion, 64);
  checkInteger(problems, 'axes', patch.axes, 0, MAX_AXES);
  checkInteger(problems, 'spindles', patch.spindles, 0, MAX_SPINDLES);
  if (patch.dncIp !== undefined && patch.dncIp !== null && (typeof patch.dncIp !== 'string' || isIP(patch.dncIp) === 0))
    problems.dncIp = 'must be an IPv4 or IPv6 address, or null';
  checkInteger(problems, 'dncPort', patch.dncPort, 1, 65_535);
  if (patch.dncTransferEnabled !== undefined && typeof patch.dncTransferEnabled !== 'boolean')
    problems.dncTransferEnabled = 'must be true or false';
  if (patch.criticality !== undefined && patch.criticality !== null && !CRITICALITIES.includes(patch.criticality))
    problems.criticality = `must be one of ${CRITICALITIES.join(', ')}, or null`;
  if (patch.nextPmDue !== undefined && patch.nextPmDue !== null && !isCalendarDate(patch.nextPmDue))
    problems.nextPmDue = 'must be a date (YYYY-MM-DD), or null';
  const known = Object.keys(patch).every((key) => key in MACHINES.columns);
  if (Object.keys(problems).length === 0 && known && after.dncTransferEnabled && (after.dncIp === null || after.dncPort === null)) {
    problems.dncTransferEnabled = 'needs dncIp and dncPort: a DNC transfer has to know where to send programs';
  }
  return problems;
}

async function machineNumberHolder(db: Db, machineNumber: string, assetId: number): Promise<string | null> {
  const row = (await db({ m: 'equipment_machines' })
    .join({ a: 'assets' }, 'a.id', 'm.asset_id')
    .where('m.machine_number_key', textKey(machineNumber))
    .whereNot('m.asset_id', assetId)
    .first({ tag: 'a.asset_tag', deleted: 'a.deleted_at' })) as Row | undefined;
  if (!row) return null;
  return row.deleted === null ? (row.tag as string) : `${row.tag as string} (deleted)`;
}

function machineNumberTaken(machineNumber: string, holder: string | null, cause?: unknown): ConflictError {
  return new ConflictError(`Machine number ${machineNumber} is already used${holder ? ` by ${holder}` : ''}`, {
    suggestion:
      'Machine numbers are unique on a site (a deleted machine keeps its number); choose another, or clear it on the other machine first.',
    cause,
  });
}

/** The machine details of each equipment asset: the core gives every new one its row (audited) and writes them. */
export const MACHINES = defineDetailTable<MachineDetails>({
  table: 'equipment_machines',
  columns: {
    machineNumber: { column: 'machine_number' },
    builder: { column: 'builder' },
    controllerMake: { column: 'controller_make' },
    controllerVersion: { column: 'controller_version' },
    axes: { column: 'axes', kind: 'integer' },
    spindles: { column: 'spindles', kind: 'integer' },
    dncIp: { column: 'dnc_ip' },
    dncPort: { column: 'dnc_port', kind: 'integer' },
    dncTransferEnabled: { column: 'dnc_transfer_enabled', kind: 'boolean' },
    criticality: { column: 'criticality' },
    nextPmDue: { column: 'next_pm_due', kind: 'date' },
  },
  objectType: 'equipment.machine',
  auditCreate: true,
  noun: 'machine detail',
  invalidMessage: 'Some machine details are not valid',
  async validate({ assetId, given, after }, db) {
    const problems = machineProblems(given, after);
    if (Object.keys(problems).length === 0 && given.machineNumber && Object.keys(given).every((key) => key in MACHINES.columns)) {
      const holder = await machineNumberHolder(db, given.machineNumber, assetId);
      if (holder) throw machineNumberTaken(given.machineNumber, holder);
    }
    return problems;
  },
  derivedColumns: (given) => (given.machineNumber !== undefined ? { machine_number_key: textKeyOrNull(given.machineNumber) } : {}),
  writeError: (error, { given }) =>
    isUniqueViolation(error) && given.machineNumber ? machineNumberTaken(given.machineNumber, null, error) : error,
});

/**
 * A PATCH merges what is given into what is stored and checks the result: writes of one machine
 * (its asset's key) and of one maintenance record go one at a time on every replica (ADR-012).
 */
export const maintenanceLockKey = (id: number) => `equipment.maintenance:${id}`;

/** Sets the details given (null clears one); those not given stay as they are. */
export async function updateMachine(
  db: Knex,
  actor: Actor,
  assetId: number,
  patch: MachinePatch,
  options: TodayOption = {},
): Promise<MachineView> {
  const today = options.today ?? localDate();
  return MACHINES.save(db, actor, assetId, patch, { load: (trx) => loadMachine(trx, assetId, today) });
}

// ── maintenance ────────────────────────────────────────────────────────────────────────────

function toMaintenance(raw: Row): MaintenanceRecord {
  const row = decodeRow<Row>(MAINTENANCE_CODEC, raw);
  return {
    id: Number(row.id),
    assetId: Number(row.asset_id),
    type: row.type as MaintenanceType,
    startedAt: row.started_at as Date,
    completedAt: (row.completed_at as Date | null) ?? null,
    vendor: (row.vendor as string) ?? null,
    // mysql2 gives DECIMAL as text ("1850.00"), SQLite a number.
    cost: row.cost === null || row.cost === undefined ? null : Number(row.cost),
    underWarranty: row.under_warranty as boolean,
    notes: (row.notes as string) ?? null,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

function instant(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

const MAINTENANCE_FIELDS = ['type', 'startedAt', 'completedAt', 'vendor', 'cost', 'underWarranty', 'notes'];

/** Every problem of a maintenance record as it would be after the change. */
function maintenanceProblems(given: MaintenancePatch, after: { startedAt: Date | null; completedAt: Date | null }): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const key of Object.keys(given).filter((k) => !MAINTENANCE_FIELDS.includes(k))) problems[key] = 'is not a maintenance field';
  if (given.type !== undefined && !MAINTENANCE_TYPES.includes(given.type)) problems.type = `must be one of ${MAINTENANCE_TYPES.join(', ')}`;
  if (given.startedAt !== undefined && after.startedAt === null)
    problems.startedAt = 'must be a date-time (ISO 8601, e.g. 2026-03-02T07:30:00Z)';
  if (given.completedAt !== undefined && given.completedAt !== null && after.completedAt === null)
    problems.completedAt = 'must be a date-time (ISO 8601), or null while the work is open';
  checkText(problems, 'vendor', given.vendor, 191);
  if (given.cost !== undefined && given.cost !== null) {
    const cost = given.cost;
    if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0 || cost > MAX_COST)
      problems.cost = `must be an amount from 0 to ${MAX_COST}, or null`;
    else if (Math.abs(Math.round(cost * 100) - cost * 100) > 1e-6) problems.cost = 'must have at most two decimals';
  }
  if (given.underWarranty !== undefined && typeof given.underWarranty !== 'boolean') problems.underWarranty = 'must be true or false';
  if (given.notes !== undefined && given.notes !== null && (typeof given.notes !== 'string' || given.notes.length > 10_000))
    problems.notes = 'must be text of at most 10000 characters, or null';
  if (!problems.startedAt && !problems.completedAt && after.startedAt && after.completedAt && after.completedAt < after.startedAt) {
    problems.completedAt = 'must not be before startedAt';
  }
  return problems;
}

function maintenanceRow(given: MaintenancePatch, times: { startedAt: Date | null; completedAt: Date | null }): Row {
  const row: Row = {};
  if (given.type !== undefined) row.type = given.type;
  if (given.startedAt !== undefined) row.started_at = times.startedAt;
  if (given.completedAt !== undefined) row.completed_at = times.completedAt;
  if (given.vendor !== undefined) row.vendor = given.vendor;
  // As text with two decimals: both engines store exactly the amount given.
  if (given.cost !== undefined) row.cost = given.cost === null ? null : given.cost.toFixed(2);
  if (given.underWarranty !== undefined) row.under_warranty = given.underWarranty;
  if (given.notes !== undefined) row.notes = given.notes;
  return encodeRow(MAINTENANCE_CODEC, row);
}

async function requireMachine(db: Db, assetId: number): Promise<void> {
  const found = await machinesQuery(db).where('a.id', assetId).first('a.id');
  if (!found)
    throw new NotFoundError(`There is no equipment asset with id ${assetId}`, {
      suggestion: 'GET /api/plugins/equipment/machines lists the machines.',
    });
}

/** The maintenance history of a machine, the latest first. */
export async function listMaintenance(
  db: Knex,
  assetId: number,
  query: { limit: number; offset: number },
): Promise<{ count: number; results: MaintenanceRecord[] }> {
  await requireMachine(db, assetId);
  const base = db('equipment_maintenance').where({ asset_id: assetId });
  const [{ count }] = (await base.clone().count({ count: '*' })) as Array<{ count: number | string }>;
  const rows = (await base
    .select('*')
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit)
    .offset(query.offset)) as Row[];
  return { count: Number(count), results: rows.map(toMaintenance) };
}

export async function addMaintenance(db: Knex, actor: Actor, assetId: number, input: MaintenanceInput): Promise<MaintenanceRecord> {
  return inTransaction(db, async (trx) => {
    await requireMachine(trx, assetId);
    const given = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as MaintenancePatch;
    const times = { startedAt: instant(given.startedAt), completedAt: given.completedAt == null ? null : instant(given.completedAt) };
    const problems = maintenanceProblems(given, times);
    if (given.type === undefined) problems.type = 'is required';
    if (given.startedAt === undefined) problems.startedAt = 'is required';
    if (Object.keys(problems).length > 0) throw new ValidationError('The maintenance record is not valid', problems);
    const [id] = await trx('equipment_maintenance').insert({
      ...maintenanceRow({ underWarranty: false, ...given }, times),
      asset_id: assetId,
    });
    const created = toMaintenance(
      (await trx('equipment_maintenance')
        .where({ id: Number(id) })
        .first()) as Row,
    );
    await recordAudit(trx, actor, { action: 'create', objectType: 'equipment.maintenance', objectId: created.id, after: created });
    return created;
  });
}

/** Changes the fields given (e.g. `completedAt` to close the work); a record of a deleted machine is gone. */
export async function updateMaintenance(db: Knex, actor: Actor, id: number, patch: MaintenancePatch): Promise<MaintenanceRecord> {
  return inTransaction(
    db,
    async (trx) => {
      const row = (await trx({ w: 'equipment_maintenance' })
        .join({ a: 'assets' }, 'a.id', 'w.asset_id')
        .whereNull('a.deleted_at')
        .where('w.id', id)
        .first('w.*')) as Row | undefined;
      if (!row) throw new NotFoundError(`There is no maintenance record with id ${id}`);
      const before = toMaintenance(row);
      const given = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as MaintenancePatch;
      const times = {
        startedAt: given.startedAt === undefined ? before.startedAt : instant(given.startedAt),
        completedAt: given.completedAt === undefined ? before.completedAt : given.completedAt === null ? null : instant(given.completedAt),
      };
      const problems = maintenanceProblems(given, times);
      if (Object.keys(problems).length > 0) throw new ValidationError('The maintenance change is not valid', problems);
      const changes = maintenanceRow(given, times);
      if (Object.keys(changes).length > 0)
        await trx('equipment_maintenance')
          .where({ id })
          .update({ ...changes, updated_at: formatUtcDatetime(new Date()) });
      const after = toMaintenance((await trx('equipment_maintenance').where({ id }).first()) as Row);
      await recordAudit(trx, actor, { action: 'update', objectType: 'equipment.maintenance', objectId: id, before, after });
      return after;
    },
    { serializeOn: [maintenanceLockKey(id)] },
  );
}

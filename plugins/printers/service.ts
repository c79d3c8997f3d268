// Printers: the details of each printer asset (address, queue, driver, colour, duplex), its page
// counter readings (which never go down unless the meter was replaced), and its consumable levels,
// with the ones running low. Every write is one transaction and audited; no HTTP here.

import { isIP } from 'node:net';
import type { Knex } from 'knex';
import {
  assetLockKey,
  decodeRow,
  defineDetailTable,
  encodeRow,
  formatUtcDatetime,
  inTransaction,
  joinAssetReferences,
  textKey,
  NotFoundError,
  recordAudit,
  ValidationError,
  type Actor,
  type Db,
} from 'shopdb/sdk';

type Row = Record<string, unknown>;

export const PRINTER_TYPE = 'printer';
/** A consumable at or below this level is low. */
export const LOW_LEVEL_PERCENT = 15;
export const CONSUMABLE_KINDS = ['toner', 'drum', 'fuser', 'waste', 'other'] as const;
export type ConsumableKind = (typeof CONSUMABLE_KINDS)[number];
/** How far ahead of this server's clock a reading may be dated (clock skew of the reader). */
const FUTURE_SLACK_MS = 5 * 60_000;

/** The asset a printer is, in brief (the core's GET /api/assets/:id has all of it). */
export interface AssetSummary {
  id: number;
  assetTag: string;
  name: string;
  hostname: string | null;
  status: { id: number; name: string };
  location: { id: number; code: string; name: string } | null;
  model: { id: number; name: string; manufacturer: string } | null;
}

export interface PrinterDetails {
  ipAddress: string | null;
  queueName: string | null;
  driver: string | null;
  colour: boolean;
  duplex: boolean;
}

export interface Consumable {
  id: number;
  assetId: number;
  kind: ConsumableKind;
  colour: string | null;
  partNumber: string | null;
  levelPercent: number;
  low: boolean;
  updatedAt: Date;
}

export interface PrinterView extends PrinterDetails {
  asset: AssetSummary;
  consumables: Consumable[];
}

export interface PageCountReading {
  id: number;
  assetId: number;
  recordedAt: Date;
  totalPages: number;
  colourPages: number | null;
  /** The meter was replaced before this reading. */
  reset: boolean;
  /** Pages printed since the reading before (all of them after a reset); null for the first one. */
  pagesSincePrevious: number | null;
  colourPagesSincePrevious: number | null;
}

export interface LowConsumable extends Consumable {
  printer: Pick<AssetSummary, 'id' | 'assetTag' | 'name' | 'location'>;
}

const READING_CODEC = { recorded_at: 'date', meter_reset: 'boolean' } as const;
const CONSUMABLE_CODEC = { updated_at: 'date' } as const;

// ── reading ────────────────────────────────────────────────────────────────────────────────

/** Live printer assets `a` with their maker, model, status and location, and their details `d`. */
function printerRows(db: Db): Knex.QueryBuilder {
  return joinAssetReferences(db({ a: 'assets' }))
    .leftJoin({ d: 'printers_devices' }, 'd.asset_id', 'a.id')
    .where('t.key', PRINTER_TYPE)
    .whereNull('a.deleted_at');
}

const PRINTER_COLUMNS = [
  'a.id',
  'a.asset_tag',
  'a.name',
  'a.hostname',
  'a.status_id',
  'a.location_id',
  'a.model_id',
  { status_name: 's.name', location_code: 'l.code', location_name: 'l.name', model_name: 'am.name', manufacturer_name: 'mf.name' },
] as const;

function summaryOf(row: Row): AssetSummary {
  return {
    id: Number(row.id),
    assetTag: row.asset_tag as string,
    name: row.name as string,
    hostname: (row.hostname as string | null) ?? null,
    status: { id: Number(row.status_id), name: row.status_name as string },
    location:
      row.location_id === null
        ? null
        : { id: Number(row.location_id), code: row.location_code as string, name: row.location_name as string },
    model:
      row.model_id === null
        ? null
        : { id: Number(row.model_id), name: row.model_name as string, manufacturer: row.manufacturer_name as string },
  };
}

function consumableOf(raw: Row): Consumable {
  const row = decodeRow<Row>(CONSUMABLE_CODEC, raw);
  const level = Number(row.level_percent);
  return {
    id: Number(row.id),
    assetId: Number(row.asset_id),
    kind: row.kind as ConsumableKind,
    colour: row.colour === '' || row.colour === null ? null : (row.colour as string),
    partNumber: (row.part_number as string | null) ?? null,
    levelPercent: level,
    low: level <= LOW_LEVEL_PERCENT,
    updatedAt: row.updated_at as Date,
  };
}

async function consumablesOf(db: Db, assetIds: number[]): Promise<Map<number, Consumable[]>> {
  const byAsset = new Map<number, Consumable[]>(assetIds.map((id) => [id, []]));
  if (assetIds.length === 0) return byAsset;
  const rows = (await db('printers_consumables').whereIn('asset_id', assetIds).orderBy(['asset_id', 'kind', 'colour', 'id'])) as Row[];
  for (const row of rows) byAsset.get(Number(row.asset_id))!.push(consumableOf(row));
  return byAsset;
}

/** The live printer asset, or a 404 (also for an asset of another type). */
async function printerRow(db: Db, assetId: number): Promise<Row> {
  const row = (await printerRows(db)
    .where('a.id', assetId)
    .first(...PRINTER_COLUMNS, DEVICES.select('d'))) as Row | undefined;
  if (!row) throw new NotFoundError(`There is no printer with asset id ${assetId}`);
  return row;
}

export interface PrinterQuery {
  limit: number;
  offset: number;
  /** true: printers with a consumable at or below LOW_LEVEL_PERCENT; false: those without. */
  low?: boolean;
}

export async function listPrinters(db: Knex, query: PrinterQuery): Promise<{ count: number; results: PrinterView[] }> {
  const matching = printerRows(db);
  if (query.low !== undefined) {
    const low = db('printers_consumables')
      .select(db.raw('1'))
      .whereRaw('printers_consumables.asset_id = a.id')
      .where('level_percent', '<=', LOW_LEVEL_PERCENT);
    if (query.low) matching.whereExists(low);
    else matching.whereNotExists(low);
  }
  const [{ count }] = (await matching.clone().count({ count: '*' })) as Array<{ count: number | string }>;
  const rows = (await matching
    .select(...PRINTER_COLUMNS, DEVICES.select('d'))
    .orderBy('a.asset_tag')
    .orderBy('a.id')
    .limit(query.limit)
    .offset(query.offset)) as Row[];
  const consumables = await consumablesOf(
    db,
    rows.map((row) => Number(row.id)),
  );
  return {
    count: Number(count),
    results: rows.map((row) => ({ asset: summaryOf(row), ...DEVICES.read(row), consumables: consumables.get(Number(row.id))! })),
  };
}

export async function getPrinter(db: Db, assetId: number): Promise<PrinterView> {
  const row = await printerRow(db, assetId);
  const consumables = await consumablesOf(db, [assetId]);
  return { asset: summaryOf(row), ...DEVICES.read(row), consumables: consumables.get(assetId)! };
}

// ── details ────────────────────────────────────────────────────────────────────────────────

function checkIp(field: string, value: string | null | undefined, problems: Record<string, string>): void {
  if (value !== null && value !== undefined && isIP(value) === 0) problems[field] = 'must be an IPv4 or IPv6 address';
}

/** The details of each printer asset; the core gives every new one its row. A printer without one yet (made while the plugin was off) reads as the defaults. */
export const DEVICES = defineDetailTable<PrinterDetails>({
  table: 'printers_devices',
  columns: {
    ipAddress: { column: 'ip_address' },
    queueName: { column: 'queue_name' },
    driver: { column: 'driver' },
    colour: { column: 'colour', kind: 'boolean' },
    duplex: { column: 'duplex', kind: 'boolean' },
  },
  objectType: 'printers.device',
  noun: 'printer detail',
  invalidMessage: 'The printer details are not valid',
  validate({ given }) {
    const problems: Record<string, string> = {};
    checkIp('ipAddress', given.ipAddress, problems);
    return problems;
  },
});

/** Replaces the details of a printer (PUT: every field given; null clears). */
export async function setPrinterDetails(db: Knex, actor: Actor, assetId: number, input: PrinterDetails): Promise<PrinterView> {
  return DEVICES.save(db, actor, assetId, input, {
    replace: true,
    load: (trx) => getPrinter(trx, assetId),
    auditExtra: (view) => ({ assetTag: view.asset.assetTag }),
  });
}

// ── page counts ────────────────────────────────────────────────────────────────────────────

function readingOf(raw: Row): Omit<PageCountReading, 'pagesSincePrevious' | 'colourPagesSincePrevious'> {
  const row = decodeRow<Row>(READING_CODEC, raw);
  return {
    id: Number(row.id),
    assetId: Number(row.asset_id),
    recordedAt: row.recorded_at as Date,
    totalPages: Number(row.total_pages),
    colourPages: row.colour_pages === null ? null : Number(row.colour_pages),
    reset: row.meter_reset as boolean,
  };
}

/** What was printed between `previous` and `reading`: after a meter reset, everything on the new meter. */
function withDelta(reading: ReturnType<typeof readingOf>, previous: ReturnType<typeof readingOf> | undefined): PageCountReading {
  if (!previous) return { ...reading, pagesSincePrevious: null, colourPagesSincePrevious: null };
  const since = (now: number | null, before: number | null) =>
    now === null ? null : reading.reset ? now : before === null ? null : now - before;
  return {
    ...reading,
    pagesSincePrevious: since(reading.totalPages, previous.totalPages),
    colourPagesSincePrevious: since(reading.colourPages, previous.colourPages),
  };
}

/** Readings of a printer, newest first, each with what was printed since the one before. */
export async function listPageCounts(
  db: Knex,
  assetId: number,
  query: { limit: number; offset: number },
): Promise<{ count: number; results: PageCountReading[] }> {
  await printerRow(db, assetId);
  const [{ count }] = (await db('printers_page_counts').where({ asset_id: assetId }).count({ count: '*' })) as Array<{
    count: number | string;
  }>;
  // One more than the page: the oldest reading on the page needs the one before it.
  const rows = (await db('printers_page_counts')
    .where({ asset_id: assetId })
    .orderBy([
      { column: 'recorded_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(query.limit + 1)
    .offset(query.offset)) as Row[];
  const readings = rows.map(readingOf);
  return { count: Number(count), results: readings.slice(0, query.limit).map((reading, i) => withDelta(reading, readings[i + 1])) };
}

export interface PageCountInput {
  totalPages: number;
  colourPages?: number | null;
  /** When the counter was read; now when left out. */
  recordedAt?: Date | string;
  /** The meter was replaced: this reading may be lower than the one before. */
  reset?: boolean;
}

export async function recordPageCount(db: Knex, actor: Actor, assetId: number, input: PageCountInput): Promise<PageCountReading> {
  const recordedAt = input.recordedAt === undefined ? new Date() : new Date(input.recordedAt);
  const colourPages = input.colourPages ?? null;
  const problems: Record<string, string> = {};
  if (!Number.isSafeInteger(input.totalPages) || input.totalPages < 0) problems.totalPages = 'must be a whole number of pages, 0 or more';
  if (colourPages !== null && (!Number.isSafeInteger(colourPages) || colourPages < 0))
    problems.colourPages = 'must be a whole number of pages, 0 or more';
  else if (colourPages !== null && colourPages > input.totalPages) problems.colourPages = 'cannot be more than totalPages';
  if (Number.isNaN(recordedAt.getTime())) problems.recordedAt = 'must be a date and time';
  else if (recordedAt.getTime() > Date.now() + FUTURE_SLACK_MS) problems.recordedAt = 'is in the future';
  if (Object.keys(problems).length > 0) throw new ValidationError('The page count is not valid', problems);

  // One printer's writes go one at a time (ADR-012): a reading must fit those before and after it.
  return inTransaction(
    db,
    async (trx) => {
      await printerRow(trx, assetId);
      const at = formatUtcDatetime(recordedAt);
      // A reading may be dated between two others (typed in late): it must fit both neighbours.
      const previousRow = (await trx('printers_page_counts')
        .where({ asset_id: assetId })
        .where('recorded_at', '<=', at)
        .orderBy([
          { column: 'recorded_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .first()) as Row | undefined;
      const nextRow = (await trx('printers_page_counts')
        .where({ asset_id: assetId })
        .where('recorded_at', '>', at)
        .orderBy(['recorded_at', 'id'])
        .first()) as Row | undefined;
      const previous = previousRow ? readingOf(previousRow) : undefined;
      const next = nextRow ? readingOf(nextRow) : undefined;
      if (previous && !input.reset) {
        if (input.totalPages < previous.totalPages)
          problems.totalPages = `is lower than the previous reading (${previous.totalPages}); counters never go down — pass reset: true if the meter was replaced`;
        if (colourPages !== null && previous.colourPages !== null && colourPages < previous.colourPages)
          problems.colourPages = `is lower than the previous reading (${previous.colourPages}); pass reset: true if the meter was replaced`;
      }
      if (next && !next.reset) {
        if (input.totalPages > next.totalPages)
          problems.totalPages = `is higher than the next reading (${next.totalPages}, at ${next.recordedAt.toISOString()})`;
        if (colourPages !== null && next.colourPages !== null && colourPages > next.colourPages)
          problems.colourPages = `is higher than the next reading (${next.colourPages}, at ${next.recordedAt.toISOString()})`;
      }
      if (Object.keys(problems).length > 0)
        throw new ValidationError('The page count does not fit the readings before and after it', problems);

      const [id] = await trx('printers_page_counts').insert(
        encodeRow(READING_CODEC, {
          asset_id: assetId,
          recorded_at: recordedAt,
          total_pages: input.totalPages,
          colour_pages: colourPages,
          meter_reset: input.reset ?? false,
        }),
      );
      const created = withDelta(
        readingOf(
          (await trx('printers_page_counts')
            .where({ id: Number(id) })
            .first()) as Row,
        ),
        previous,
      );
      await recordAudit(trx, actor, { action: 'create', objectType: 'printers.page_count', objectId: created.id, after: created });
      return created;
    },
    { serializeOn: [assetLockKey(assetId)] },
  );
}

// ── consumables ────────────────────────────────────────────────────────────────────────────

export interface ConsumableInput {
  kind: ConsumableKind;
  /** e.g. black, cyan; null (or left out) for one without a colour. */
  colour?: string | null;
  partNumber?: string | null;
  levelPercent: number;
}

/**
 * Sets the level of one consumable of a printer (kind + colour), adding it the first time.
 * A part number left out keeps the one already known.
 */
export async function setConsumableLevel(
  db: Knex,
  actor: Actor,
  assetId: number,
  input: ConsumableInput,
): Promise<{ consumable: Consumable; created: boolean }> {
  const problems: Record<string, string> = {};
  if (!CONSUMABLE_KINDS.includes(input.kind)) problems.kind = `must be one of ${CONSUMABLE_KINDS.join(', ')}`;
  if (!Number.isInteger(input.levelPercent) || input.levelPercent < 0 || input.levelPercent > 100)
    problems.levelPercent = 'must be a whole number from 0 to 100';
  if (Object.keys(problems).length > 0) throw new ValidationError('The consumable is not valid', problems);
  const colour = input.colour?.trim().toLowerCase() ?? '';
  // Found by its unique key, so "Cyan" and "cyan" (and "cyán") are one consumable on both engines.
  const key = { asset_id: assetId, kind: input.kind, colour_key: textKey(colour) };
  const values: Row = { level_percent: input.levelPercent, updated_at: formatUtcDatetime(new Date()) };
  if (input.partNumber !== undefined) values.part_number = input.partNumber;

  return inTransaction(
    db,
    async (trx) => {
      await printerRow(trx, assetId);
      const existing = (await trx('printers_consumables').where(key).first()) as Row | undefined;
      if (existing) await trx('printers_consumables').where({ id: existing.id }).update(values);
      else await trx('printers_consumables').insert({ ...key, colour, ...values });
      const consumable = consumableOf((await trx('printers_consumables').where(key).first()) as Row);
      await recordAudit(trx, actor, {
        action: existing ? 'update' : 'create',
        objectType: 'printers.consumable',
        objectId: consumable.id,
        before: existing ? consumableOf(existing) : undefined,
        after: consumable,
      });
      return { consumable, created: !existing };
    },
    // Two first readings of the same consumable at once: the second finds the first's row.
    { serializeOn: [assetLockKey(assetId)] },
  );
}

/** Consumables at or below LOW_LEVEL_PERCENT on live printers, emptiest first. */
export async function listLowConsumables(
  db: Knex,
  query: { limit: number; offset: number },
): Promise<{ count: number; results: LowConsumable[] }> {
  const matching = db({ c: 'printers_consumables' })
    .join({ a: 'assets' }, 'a.id', 'c.asset_id')
    .join({ t: 'asset_types' }, 't.id', 'a.type_id')
    .leftJoin({ l: 'locations' }, 'l.id', 'a.location_id')
    .where('t.key', PRINTER_TYPE)
    .whereNull('a.deleted_at')
    .where('c.level_percent', '<=', LOW_LEVEL_PERCENT);
  const [{ count }] = (await matching.clone().count({ count: '*' })) as Array<{ count: number | string }>;
  const rows = (await matching
    .select('c.*', {
      asset_tag: 'a.asset_tag',
      asset_name: 'a.name',
      location_id: 'a.location_id',
      location_code: 'l.code',
      location_name: 'l.name',
    })
    .orderBy('c.level_percent')
    .orderBy('a.asset_tag')
    .orderBy('c.id')
    .limit(query.limit)
    .offset(query.offset)) as Row[];
  return {
    count: Number(count),
    results: rows.map((row) => ({
      ...consumableOf(row),
      printer: {
        id: Number(row.asset_id),
        assetTag: row.asset_tag as string,
        name: row.asset_name as string,
        location:
          row.location_id === null
            ? null
            : { id: Number(row.location_id), code: row.location_code as string, name: row.location_name as string },
      },
    })),
  };
}

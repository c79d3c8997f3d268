// The printers plugin's share of the demo site: the two HP LaserJets of Plant 7 (the Bay 1
// traveller printer and the inspection report printer) with their details, a few months of
// page-counter readings and their toner levels — one of them low. Assets are matched by tag,
// readings by time and consumables by kind and colour; nothing is overwritten. Outside the demo
// it adds nothing.

import type { Knex } from 'knex';
import { createAsset } from 'shopdb/sdk';
import { formatUtcDatetime, type PluginSeedContext } from 'shopdb/sdk';
import { DEVICES, PRINTER_TYPE, recordPageCount, setConsumableLevel, type ConsumableInput, type PrinterDetails } from './service.js';

interface DemoPrinter {
  assetTag: string;
  name: string;
  hostname: string;
  location: string;
  details: PrinterDetails;
  readings: Array<{ recordedAt: string; totalPages: number }>;
  consumables: Array<Required<ConsumableInput>>;
}

const MODEL = { manufacturer: 'HP', name: 'LaserJet Enterprise M507' };
const DRIVER = 'HP Universal Printing PCL 6';

const PRINTERS: DemoPrinter[] = [
  {
    assetTag: 'PRN-B1-01',
    name: 'Bay 1 traveller printer',
    hostname: 'prn-b1-01',
    location: 'P7-B1-BAY1',
    details: { ipAddress: '10.7.20.31', queueName: 'B1-TRAVELLERS', driver: DRIVER, colour: false, duplex: true },
    readings: [
      { recordedAt: '2026-08-31T06:00:00.000Z', totalPages: 48210 },
      { recordedAt: '2026-09-30T06:00:00.000Z', totalPages: 51377 },
      { recordedAt: '2026-10-31T06:00:00.000Z', totalPages: 54902 },
    ],
    consumables: [
      { kind: 'toner', colour: 'black', partNumber: 'CF289A', levelPercent: 62 },
      { kind: 'fuser', colour: null, partNumber: null, levelPercent: 71 },
    ],
  },
  {
    assetTag: 'PRN-B2-01',
    name: 'Inspection report printer',
    hostname: 'prn-b2-01',
    location: 'P7-B2-OFFICE',
    details: { ipAddress: '10.7.21.40', queueName: 'B2-INSPECTION', driver: DRIVER, colour: false, duplex: true },
    readings: [
      { recordedAt: '2026-09-30T06:00:00.000Z', totalPages: 12044 },
      { recordedAt: '2026-10-31T06:00:00.000Z', totalPages: 13520 },
    ],
    consumables: [{ kind: 'toner', colour: 'black', partNumber: 'CF289A', levelPercent: 9 }],
  },
];

async function idOf(db: Knex | Knex.Transaction, table: string, where: Record<string, unknown>): Promise<number | null> {
  const row = (await db(table).where(where).first('id')) as { id: number } | undefined;
  return row ? Number(row.id) : null;
}

export async function seed(ctx: PluginSeedContext): Promise<void> {
  if (!ctx.demo) return;
  // The services open their own transactions; inside the seed's they become savepoints.
  const db = ctx.db as Knex;
  const statusId = await idOf(db, 'status_labels', { name: 'In service' });
  if (statusId === null) return;
  const manufacturerId = await idOf(db, 'manufacturers', { name: MODEL.manufacturer });
  const modelId = manufacturerId === null ? null : await idOf(db, 'asset_models', { manufacturer_id: manufacturerId, name: MODEL.name });

  for (const printer of PRINTERS) {
    const existing = (await db('assets').where({ asset_tag: printer.assetTag }).first('id', 'deleted_at')) as
      { id: number; deleted_at: unknown } | undefined;
    if (existing && existing.deleted_at !== null) continue;
    let assetId: number;
    if (existing) {
      assetId = Number(existing.id);
      // The tag belongs to something else on this site: leave it alone.
      if (
        (await db('assets').join('asset_types', 'asset_types.id', 'assets.type_id').where('assets.id', assetId).first('asset_types.key'))
          ?.key !== PRINTER_TYPE
      )
        continue;
    } else {
      const asset = await createAsset(
        db,
        ctx.actor,
        {
          assetTag: printer.assetTag,
          name: printer.name,
          hostname: printer.hostname,
          type: PRINTER_TYPE,
          statusId,
          modelId,
          locationId: await idOf(db, 'locations', { code: printer.location }),
        },
        ctx.assetOptions,
      );
      assetId = asset.id;
      ctx.log(`printers: demo printer ${printer.assetTag}`);
    }
    // A printer this seed made gets the demo details (over the defaults the core wrote); one that was
    // already there only gets a detail row if it had none.
    await DEVICES.store(db, assetId, printer.details, { ifMissing: Boolean(existing) });

    for (const reading of printer.readings) {
      const at = new Date(reading.recordedAt);
      const known = await db('printers_page_counts').where({ asset_id: assetId }).where('recorded_at', formatUtcDatetime(at)).first('id');
      if (!known) await recordPageCount(db, ctx.actor, assetId, { totalPages: reading.totalPages, recordedAt: at });
    }
    for (const consumable of printer.consumables) {
      const known = await db('printers_consumables')
        .where({ asset_id: assetId, kind: consumable.kind, colour: consumable.colour ?? '' })
        .first('id');
      if (!known) await setConsumableLevel(db, ctx.actor, assetId, consumable);
    }
  }
}

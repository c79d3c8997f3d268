// The equipment plugin's seed. Outside the demo it adds nothing (the framework registers the
// asset type). With `demo`, it adds the demo site's machines — two five-axis mills, a mill-turn
// centre and a CMM — with their details, some maintenance history, and one machine overdue for
// preventive maintenance. A machine whose asset tag is already there is left exactly as it is.

import type { Knex } from 'knex';
import { createAsset, type AssetWriteOptions } from 'shopdb/sdk';
import { UserError, type Actor, type PluginSeedContext } from 'shopdb/sdk';
import { addMaintenance, localDate, updateMachine, type MachinePatch, type MaintenanceInput } from './service.js';

interface DemoMachine {
  assetTag: string;
  name: string;
  serial: string;
  maker: string;
  model: string;
  location: string;
  details: Omit<MachinePatch, 'nextPmDue'>;
  /** Days from today; negative is overdue. */
  pmDueInDays: number;
  /** Each starts `daysAgo` days ago and, unless still open, took `hours`. */
  maintenance: Array<Omit<MaintenanceInput, 'startedAt' | 'completedAt'> & { daysAgo: number; hours: number | null }>;
}

const MACHINES: DemoMachine[] = [
  {
    assetTag: 'CNC-4012',
    name: 'DMU 65 #1',
    serial: 'DM65-2019-0412',
    maker: 'DMG MORI',
    model: 'DMU 65 monoBLOCK',
    location: 'P7-B1-BAY1',
    details: {
      machineNumber: '4012',
      builder: 'DMG MORI',
      controllerMake: 'Siemens',
      controllerVersion: 'SINUMERIK 840D sl 4.8',
      axes: 5,
      spindles: 1,
      dncIp: '10.7.12.112',
      dncPort: 102,
      dncTransferEnabled: true,
      criticality: 'high',
    },
    pmDueInDays: 41,
    maintenance: [
      {
        type: 'preventive',
        daysAgo: 49,
        hours: 6,
        vendor: 'DMG MORI Service',
        cost: 1850,
        underWarranty: false,
        notes: 'Quarterly PM: way lube, spindle run-out check, coolant change.',
      },
    ],
  },
  {
    assetTag: 'CNC-4013',
    name: 'Hermle C 42 #1',
    serial: 'H42-21-7731',
    maker: 'Hermle',
    model: 'C 42 U',
    location: 'P7-B1-BAY1',
    details: {
      machineNumber: '4013',
      builder: 'Hermle',
      controllerMake: 'Heidenhain',
      controllerVersion: 'TNC 640 34059x-10',
      axes: 5,
      spindles: 1,
      dncIp: '10.7.12.113',
      dncPort: 19000,
      dncTransferEnabled: true,
      criticality: 'high',
    },
    pmDueInDays: 75,
    maintenance: [
      {
        type: 'corrective',
        daysAgo: 20,
        hours: 30,
        vendor: 'Hermle Service',
        cost: null,
        underWarranty: true,
        notes: 'Spindle encoder fault; encoder replaced under warranty.',
      },
    ],
  },
  {
    assetTag: 'CNC-4020',
    name: 'Integrex i-200',
    serial: 'MZ-I200-5521',
    maker: 'Mazak',
    model: 'INTEGREX i-200',
    location: 'P7-B1-BAY2',
    details: {
      machineNumber: '4020',
      builder: 'Mazak',
      controllerMake: 'Mazak',
      controllerVersion: 'MAZATROL SmoothX',
      axes: 5,
      spindles: 2,
      dncIp: '10.7.12.120',
      dncPort: 5001,
      dncTransferEnabled: true,
      criticality: 'medium',
    },
    pmDueInDays: -12,
    maintenance: [
      {
        type: 'preventive',
        daysAgo: 102,
        hours: 8,
        vendor: 'Mazak Technical Support',
        cost: 1240.5,
        underWarranty: false,
        notes: 'Quarterly PM; turret clamp pressure adjusted.',
      },
      {
        type: 'corrective',
        daysAgo: 3,
        hours: null,
        vendor: null,
        cost: null,
        underWarranty: false,
        notes: 'Turret indexing alarm; waiting for a Mazak technician.',
      },
    ],
  },
  {
    assetTag: 'CMM-0101',
    name: 'Contura CMM',
    serial: 'ZC-0918-334',
    maker: 'Zeiss',
    model: 'CONTURA',
    location: 'P7-B2-CMM',
    details: {
      machineNumber: '0101',
      builder: 'Zeiss',
      controllerMake: 'Other',
      controllerVersion: 'CALYPSO 2021',
      axes: 3,
      spindles: 0,
      dncTransferEnabled: false,
      criticality: 'high',
    },
    pmDueInDays: 160,
    maintenance: [
      {
        type: 'calibration',
        daysAgo: 205,
        hours: 7,
        vendor: 'Carl Zeiss IMT Service',
        cost: 2400,
        underWarranty: false,
        notes: 'Annual ISO 10360-2 verification; certificate filed in the QMS.',
      },
    ],
  },
];

const DAY_MS = 86_400_000;

/** The id `query` finds (its `column`), or an error naming what is missing. */
async function idOf(what: string, query: Knex.QueryBuilder, column = 'id'): Promise<number> {
  const row = (await query.first({ id: column })) as { id: number } | undefined;
  if (!row) {
    throw new UserError(`The demo site has no ${what}, which the equipment demo needs`, {
      suggestion:
        'Run `shopdb seed --demo`: the core adds the demo locations, models and status labels before the plugins add their assets.',
    });
  }
  return Number(row.id);
}

async function seedDemoMachines(
  db: Knex,
  actor: Actor,
  log: (message: string) => void,
  now: Date,
  assetOptions: AssetWriteOptions,
): Promise<void> {
  const statusId = await idOf('status label "In service"', db('status_labels').where({ name: 'In service' }));
  let created = 0;
  for (const machine of MACHINES) {
    if (await db('assets').where({ asset_tag: machine.assetTag }).first('id')) continue;
    const modelId = await idOf(
      `model "${machine.model}"`,
      db({ m: 'asset_models' })
        .join({ f: 'manufacturers' }, 'f.id', 'm.manufacturer_id')
        .where({ 'm.name': machine.model, 'f.name': machine.maker }),
      'm.id',
    );
    const locationId = await idOf(`location ${machine.location}`, db('locations').where({ code: machine.location }));
    const asset = await createAsset(
      db,
      actor,
      { assetTag: machine.assetTag, name: machine.name, serial: machine.serial, type: 'equipment', modelId, locationId, statusId },
      // Every enabled plugin's asset hooks run, this one's included (it adds the detail row).
      assetOptions,
    );
    await updateMachine(db, actor, asset.id, {
      ...machine.details,
      nextPmDue: localDate(new Date(now.getTime() + machine.pmDueInDays * DAY_MS)),
    });
    for (const { daysAgo, hours, ...work } of machine.maintenance) {
      const startedAt = new Date(now.getTime() - daysAgo * DAY_MS);
      await addMaintenance(db, actor, asset.id, {
        ...work,
        startedAt,
        completedAt: hours === null ? null : new Date(startedAt.getTime() + hours * 3_600_000),
      });
    }
    created++;
  }
  log(`equipment: ${created} demo machine${created === 1 ? '' : 's'} added, ${MACHINES.length - created} already there`);
}

export async function seed(ctx: PluginSeedContext): Promise<void> {
  if (!ctx.demo) return;
  await seedDemoMachines(ctx.db as Knex, ctx.actor, ctx.log, new Date(), ctx.assetOptions);
}

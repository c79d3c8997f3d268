// The computers plugin's seed. Outside the demo it adds nothing (the framework registers the
// asset type). With `demo`, it adds the demo site's shop-floor PCs — three DNC PCs and the CMM
// workstation — with their details and network card, and links each to the machine it drives
// when that machine is on the site (the equipment plugin may not be installed). A PC whose asset
// tag is already there is left as it is; only a missing `controls` link is added.

import type { Knex } from 'knex';
import { addLink, createAsset, type AssetWriteOptions } from 'shopdb/sdk';
import { UserError, type Actor, type PluginSeedContext } from 'shopdb/sdk';
import { addInterface, CONTROLS, updateHost, type HostPatch } from './service.js';

interface DemoPc {
  assetTag: string;
  name: string;
  hostname: string;
  location: string;
  /** Asset tag of the machine it drives. */
  controls: string;
  details: Omit<HostPatch, 'lastSeenAt' | 'warrantyEnd'>;
  /** Days from today; negative is expired. */
  warrantyInDays: number;
  nic: { name: string; ip: string; mac: string; vlan: number };
}

const DNC_OS = { os: 'Windows 10 IoT Enterprise LTSC', osVersion: '21H2', domainJoined: false } as const;

const PCS: DemoPc[] = [
  {
    assetTag: 'PC-4012',
    name: 'DNC PC for 4012',
    hostname: 'dnc-4012',
    location: 'P7-B1-BAY1',
    controls: 'CNC-4012',
    details: DNC_OS,
    warrantyInDays: 410,
    nic: { name: 'Ethernet', ip: '10.7.12.12', mac: '18:66:da:07:12:12', vlan: 712 },
  },
  {
    assetTag: 'PC-4013',
    name: 'DNC PC for 4013',
    hostname: 'dnc-4013',
    location: 'P7-B1-BAY1',
    controls: 'CNC-4013',
    details: DNC_OS,
    warrantyInDays: 410,
    nic: { name: 'Ethernet', ip: '10.7.12.13', mac: '18:66:da:07:12:13', vlan: 712 },
  },
  {
    assetTag: 'PC-4020',
    name: 'DNC PC for 4020',
    hostname: 'dnc-4020',
    location: 'P7-B1-BAY2',
    controls: 'CNC-4020',
    details: DNC_OS,
    warrantyInDays: 230,
    nic: { name: 'Ethernet', ip: '10.7.12.20', mac: '18:66:da:07:12:20', vlan: 712 },
  },
  {
    assetTag: 'PC-CMM01',
    name: 'CMM workstation',
    hostname: 'cmm-01',
    location: 'P7-B2-CMM',
    controls: 'CMM-0101',
    details: { os: 'Windows 11 Enterprise', osVersion: '23H2', domainJoined: true, domainName: 'p7.shop.local' },
    warrantyInDays: -35,
    nic: { name: 'Ethernet', ip: '10.7.22.5', mac: '18:66:da:07:22:05', vlan: 722 },
  },
];

const MODEL = { maker: 'Dell', name: 'OptiPlex 7010' };
const DAY_MS = 86_400_000;

/** The id `query` finds (its `column`), or an error naming what is missing. */
async function idOf(what: string, query: Knex.QueryBuilder, column = 'id'): Promise<number> {
  const row = (await query.first({ id: column })) as { id: number } | undefined;
  if (!row) {
    throw new UserError(`The demo site has no ${what}, which the computers demo needs`, {
      suggestion:
        'Run `shopdb seed --demo`: the core adds the demo locations, models and status labels before the plugins add their assets.',
    });
  }
  return Number(row.id);
}

const liveAssetId = async (db: Knex, assetTag: string): Promise<number | undefined> => {
  const row = (await db('assets').where({ asset_tag: assetTag }).whereNull('deleted_at').first('id')) as { id: number } | undefined;
  return row ? Number(row.id) : undefined;
};

async function seedDemoPcs(
  db: Knex,
  actor: Actor,
  log: (message: string) => void,
  now: Date,
  assetOptions: AssetWriteOptions,
): Promise<void> {
  const statusId = await idOf('status label "In service"', db('status_labels').where({ name: 'In service' }));
  const modelId = await idOf(
    `model "${MODEL.name}"`,
    db({ m: 'asset_models' })
      .join({ f: 'manufacturers' }, 'f.id', 'm.manufacturer_id')
      .where({ 'm.name': MODEL.name, 'f.name': MODEL.maker }),
    'm.id',
  );
  let created = 0;
  let linked = 0;
  for (const pc of PCS) {
    let pcId = await liveAssetId(db, pc.assetTag);
    if (pcId === undefined && !(await db('assets').where({ asset_tag: pc.assetTag }).first('id'))) {
      const locationId = await idOf(`location ${pc.location}`, db('locations').where({ code: pc.location }));
      const asset = await createAsset(
        db,
        actor,
        { assetTag: pc.assetTag, name: pc.name, hostname: pc.hostname, type: 'computer', modelId, locationId, statusId },
        // Every enabled plugin's asset hooks run, this one's included (it adds the detail row).
        assetOptions,
      );
      pcId = asset.id;
      const warrantyEnd = new Date(now.getTime() + pc.warrantyInDays * DAY_MS).toISOString().slice(0, 10);
      await updateHost(db, actor, pcId, { ...pc.details, lastSeenAt: new Date(now.getTime() - 7 * 60_000), warrantyEnd });
      await addInterface(db, actor, pcId, pc.nic);
      created++;
    }
    // A deleted PC stays deleted; a machine that is not there (yet) is not linked.
    const machineId = await liveAssetId(db, pc.controls);
    if (pcId === undefined || machineId === undefined) continue;
    if (await db('asset_links').where({ source_asset_id: pcId, target_asset_id: machineId, link_type: CONTROLS }).first('id')) continue;
    await addLink(db, actor, pcId, { targetId: machineId, linkType: CONTROLS });
    linked++;
  }
  log(
    `computers: ${created} demo PC${created === 1 ? '' : 's'} added, ${PCS.length - created} already there; ${linked} linked to the machine${linked === 1 ? '' : 's'} they drive`,
  );
}

export async function seed(ctx: PluginSeedContext): Promise<void> {
  if (!ctx.demo) return;
  await seedDemoPcs(ctx.db as Knex, ctx.actor, ctx.log, new Date(), ctx.assetOptions);
}

// The demo site of `shopdb seed --demo`: two buildings with a few bays, five-axis mills and a
// mill-turn centre, the DNC PCs that drive them (linked with `controls`), a CMM and printers.
// Written through the inventory services, so it is validated and audited like real data.

import type { Knex } from 'knex';
import type { Actor } from '../audit/log.js';
import { addLink, createAsset, type AssetInput } from '../inventory/assets.js';
import { createLocation, type LocationInput } from '../inventory/locations.js';
import { assetModels, manufacturers } from '../inventory/reference.js';
import type { SeedCounts } from './index.js';

const LOCATIONS: Array<LocationInput & { parent?: string }> = [
  { code: 'P7', kind: 'site', name: 'Plant 7' },
  { code: 'P7-B1', kind: 'building', name: 'Building 1 — Machining', parent: 'P7' },
  { code: 'P7-B1-BAY1', kind: 'bay', name: 'Bay 1 — five-axis milling', parent: 'P7-B1' },
  { code: 'P7-B1-BAY2', kind: 'bay', name: 'Bay 2 — turning and mill-turn', parent: 'P7-B1' },
  { code: 'P7-B2', kind: 'building', name: 'Building 2 — Assembly and inspection', parent: 'P7' },
  { code: 'P7-B2-CMM', kind: 'area', name: 'Metrology room (20 °C)', parent: 'P7-B2' },
  { code: 'P7-B2-OFFICE', kind: 'area', name: 'Shop-floor office', parent: 'P7-B2' },
];

const MODELS: Array<{ manufacturer: string; name: string; partNumber: string | null; category: string }> = [
  { manufacturer: 'DMG MORI', name: 'DMU 65 monoBLOCK', partNumber: null, category: '5-axis machining centre' },
  { manufacturer: 'Hermle', name: 'C 42 U', partNumber: null, category: '5-axis machining centre' },
  { manufacturer: 'Mazak', name: 'INTEGREX i-200', partNumber: null, category: 'Mill-turn centre' },
  { manufacturer: 'Zeiss', name: 'CONTURA', partNumber: null, category: 'Coordinate measuring machine' },
  { manufacturer: 'Dell', name: 'OptiPlex 7010', partNumber: null, category: 'Desktop PC' },
  { manufacturer: 'HP', name: 'LaserJet Enterprise M507', partNumber: '1PV87A', category: 'Laser printer' },
];

type DemoAsset = Omit<AssetInput, 'statusId' | 'modelId' | 'locationId'> & { model: string; location: string; controls?: string };

const ASSETS: DemoAsset[] = [
  { assetTag: 'CNC-4012', name: 'DMU 65 #1', type: 'equipment', model: 'DMU 65 monoBLOCK', location: 'P7-B1-BAY1', serial: 'DM65-2019-0412', customData: { machine_number: '4012', controller: 'Siemens', criticality: 'high' } },
  { assetTag: 'CNC-4013', name: 'Hermle C 42 #1', type: 'equipment', model: 'C 42 U', location: 'P7-B1-BAY1', serial: 'H42-21-7731', customData: { machine_number: '4013', controller: 'Heidenhain', criticality: 'high' } },
  { assetTag: 'CNC-4020', name: 'Integrex i-200', type: 'equipment', model: 'INTEGREX i-200', location: 'P7-B1-BAY2', serial: 'MZ-I200-5521', customData: { machine_number: '4020', controller: 'Mazak', criticality: 'medium' } },
  { assetTag: 'CMM-0101', name: 'Contura CMM', type: 'equipment', model: 'CONTURA', location: 'P7-B2-CMM', serial: 'ZC-0918-334', customData: { machine_number: '0101', controller: 'Other', criticality: 'high' } },
  { assetTag: 'PC-4012', name: 'DNC PC for 4012', type: 'computer', model: 'OptiPlex 7010', location: 'P7-B1-BAY1', hostname: 'dnc-4012', customData: { os: 'Windows 10 IoT Enterprise LTSC', ip: '10.7.12.12' }, controls: 'CNC-4012' },
  { assetTag: 'PC-4013', name: 'DNC PC for 4013', type: 'computer', model: 'OptiPlex 7010', location: 'P7-B1-BAY1', hostname: 'dnc-4013', customData: { os: 'Windows 10 IoT Enterprise LTSC', ip: '10.7.12.13' }, controls: 'CNC-4013' },
  { assetTag: 'PC-4020', name: 'DNC PC for 4020', type: 'computer', model: 'OptiPlex 7010', location: 'P7-B1-BAY2', hostname: 'dnc-4020', customData: { os: 'Windows 10 IoT Enterprise LTSC', ip: '10.7.12.20' }, controls: 'CNC-4020' },
  { assetTag: 'PC-CMM01', name: 'CMM workstation', type: 'computer', model: 'OptiPlex 7010', location: 'P7-B2-CMM', hostname: 'cmm-01', customData: { os: 'Windows 11 Enterprise', ip: '10.7.22.5' }, controls: 'CMM-0101' },
  { assetTag: 'PRN-B1-01', name: 'Bay 1 traveller printer', type: 'printer', model: 'LaserJet Enterprise M507', location: 'P7-B1-BAY1', hostname: 'prn-b1-01', customData: { ip: '10.7.20.31', queue: 'B1-TRAVELLERS' } },
  { assetTag: 'PRN-B2-01', name: 'Inspection report printer', type: 'printer', model: 'LaserJet Enterprise M507', location: 'P7-B2-OFFICE', hostname: 'prn-b2-01', customData: { ip: '10.7.21.40', queue: 'B2-INSPECTION' } },
];

export async function seedDemoSite(db: Knex, actor: Actor): Promise<SeedCounts> {
  const counts: SeedCounts = { created: 0, existing: 0 };
  const tally = (created: boolean) => (created ? counts.created++ : counts.existing++);

  const locationIds = new Map<string, number>();
  for (const location of LOCATIONS) {
    const existing = (await db('locations').where({ code: location.code }).first('id')) as { id: number } | undefined;
    tally(!existing);
    const { parent, ...input } = location;
    const id = existing?.id ?? (await createLocation(db, actor, { ...input, parentId: parent ? locationIds.get(parent) : null })).id;
    locationIds.set(location.code, Number(id));
  }

  const manufacturerIds = new Map<string, number>();
  for (const name of new Set(MODELS.map((m) => m.manufacturer))) {
    const existing = (await db('manufacturers').where({ name }).first('id')) as { id: number } | undefined;
    tally(!existing);
    manufacturerIds.set(name, Number(existing?.id ?? (await manufacturers.create(db, actor, { name })).id));
  }
  const modelIds = new Map<string, number>();
  for (const model of MODELS) {
    const manufacturerId = manufacturerIds.get(model.manufacturer)!;
    const existing = (await db('asset_models').where({ manufacturer_id: manufacturerId, name: model.name }).first('id')) as { id: number } | undefined;
    tally(!existing);
    const id = existing?.id ?? (await assetModels.create(db, actor, { manufacturerId, name: model.name, partNumber: model.partNumber, category: model.category })).id;
    modelIds.set(model.name, Number(id));
  }

  const inService = (await db('status_labels').where({ name: 'In service' }).first('id')) as { id: number };
  const assetIds = new Map<string, number>();
  for (const asset of ASSETS) {
    const existing = (await db('assets').where({ asset_tag: asset.assetTag }).first('id')) as { id: number } | undefined;
    tally(!existing);
    const { model, location, controls: _controls, ...input } = asset;
    const id = existing?.id ?? (await createAsset(db, actor, { ...input, statusId: Number(inService.id), modelId: modelIds.get(model), locationId: locationIds.get(location) })).id;
    assetIds.set(asset.assetTag, Number(id));
  }
  for (const asset of ASSETS.filter((a) => a.controls)) {
    const source = assetIds.get(asset.assetTag)!;
    const target = assetIds.get(asset.controls!)!;
    const existing = await db('asset_links').where({ source_asset_id: source, target_asset_id: target, link_type: 'controls' }).first('id');
    tally(!existing);
    if (!existing) await addLink(db, actor, source, { targetId: target, linkType: 'controls' });
  }
  return counts;
}

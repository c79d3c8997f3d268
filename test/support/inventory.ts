// Inventory fixtures for core tests: asset types shaped like the bundled plugins' ones (but
// owned by no plugin, so core suites need no plugin installed), and a small site of machines,
// the PCs that drive them and printers, with `controls` links.

import type { Knex } from 'knex';
import type { Actor } from '../../src/core/audit/log.js';
import { createAsset, type AssetInput } from '../../src/core/inventory/assets.js';
import { addLink } from '../../src/core/inventory/links.js';
import type { CustomFieldDefinition } from '../../src/core/inventory/custom-fields.js';
import { assetTypes } from '../../src/core/inventory/reference.js';
import { seedDemoSite } from '../../src/core/seed/demo.js';

export const CONTROLLER_MAKES = ['Fanuc', 'Siemens', 'Heidenhain', 'Okuma', 'Mazak', 'Haas', 'Fagor', 'Other'];

export const TEST_ASSET_TYPES: Array<{ key: string; label: string; fields: CustomFieldDefinition[] }> = [
  {
    key: 'equipment',
    label: 'Shop equipment',
    fields: [
      { key: 'machine_number', label: 'Machine number', type: 'string', maxLength: 32 },
      { key: 'controller', label: 'Controller make', type: 'enum', choices: CONTROLLER_MAKES },
      { key: 'criticality', label: 'Criticality', type: 'enum', choices: ['low', 'medium', 'high'] },
    ],
  },
  {
    key: 'computer',
    label: 'Computer',
    fields: [
      { key: 'os', label: 'Operating system', type: 'string', maxLength: 100 },
      { key: 'ip', label: 'IP address', type: 'ip' },
    ],
  },
  {
    key: 'printer',
    label: 'Printer',
    fields: [
      { key: 'ip', label: 'IP address', type: 'ip' },
      { key: 'queue', label: 'Queue or share name', type: 'string', maxLength: 100 },
    ],
  },
];

/** Adds the test asset types (after `seedSite`, which adds `other`). */
export async function createTestAssetTypes(db: Knex, actor: Actor): Promise<void> {
  for (const type of TEST_ASSET_TYPES) await assetTypes.create(db, actor, type);
}

type DemoAsset = Omit<AssetInput, 'statusId' | 'modelId' | 'locationId'> & { model: string; location: string; controls?: string };

const ASSETS: DemoAsset[] = [
  {
    assetTag: 'CNC-4012',
    name: 'DMU 65 #1',
    type: 'equipment',
    model: 'DMU 65 monoBLOCK',
    location: 'P7-B1-BAY1',
    serial: 'DM65-2019-0412',
    customData: { machine_number: '4012', controller: 'Siemens', criticality: 'high' },
  },
  {
    assetTag: 'CNC-4013',
    name: 'Hermle C 42 #1',
    type: 'equipment',
    model: 'C 42 U',
    location: 'P7-B1-BAY1',
    serial: 'H42-21-7731',
    customData: { machine_number: '4013', controller: 'Heidenhain', criticality: 'high' },
  },
  {
    assetTag: 'CNC-4020',
    name: 'Integrex i-200',
    type: 'equipment',
    model: 'INTEGREX i-200',
    location: 'P7-B1-BAY2',
    serial: 'MZ-I200-5521',
    customData: { machine_number: '4020', controller: 'Mazak', criticality: 'medium' },
  },
  {
    assetTag: 'CMM-0101',
    name: 'Contura CMM',
    type: 'equipment',
    model: 'CONTURA',
    location: 'P7-B2-CMM',
    serial: 'ZC-0918-334',
    customData: { machine_number: '0101', controller: 'Other', criticality: 'high' },
  },
  {
    assetTag: 'PC-4012',
    name: 'DNC PC for 4012',
    type: 'computer',
    model: 'OptiPlex 7010',
    location: 'P7-B1-BAY1',
    hostname: 'dnc-4012',
    customData: { os: 'Windows 10 IoT Enterprise LTSC', ip: '10.7.12.12' },
    controls: 'CNC-4012',
  },
  {
    assetTag: 'PC-4013',
    name: 'DNC PC for 4013',
    type: 'computer',
    model: 'OptiPlex 7010',
    location: 'P7-B1-BAY1',
    hostname: 'dnc-4013',
    customData: { os: 'Windows 10 IoT Enterprise LTSC', ip: '10.7.12.13' },
    controls: 'CNC-4013',
  },
  {
    assetTag: 'PC-4020',
    name: 'DNC PC for 4020',
    type: 'computer',
    model: 'OptiPlex 7010',
    location: 'P7-B1-BAY2',
    hostname: 'dnc-4020',
    customData: { os: 'Windows 10 IoT Enterprise LTSC', ip: '10.7.12.20' },
    controls: 'CNC-4020',
  },
  {
    assetTag: 'PC-CMM01',
    name: 'CMM workstation',
    type: 'computer',
    model: 'OptiPlex 7010',
    location: 'P7-B2-CMM',
    hostname: 'cmm-01',
    customData: { os: 'Windows 11 Enterprise', ip: '10.7.22.5' },
    controls: 'CMM-0101',
  },
  {
    assetTag: 'PRN-B1-01',
    name: 'Bay 1 traveller printer',
    type: 'printer',
    model: 'LaserJet Enterprise M507',
    location: 'P7-B1-BAY1',
    hostname: 'prn-b1-01',
    customData: { ip: '10.7.20.31', queue: 'B1-TRAVELLERS' },
  },
  {
    assetTag: 'PRN-B2-01',
    name: 'Inspection report printer',
    type: 'printer',
    model: 'LaserJet Enterprise M507',
    location: 'P7-B2-OFFICE',
    hostname: 'prn-b2-01',
    customData: { ip: '10.7.21.40', queue: 'B2-INSPECTION' },
  },
];

/** The test types, the core demo (locations, makers, models), then ten assets and their links. */
export async function seedTestInventory(db: Knex, actor: Actor): Promise<void> {
  await createTestAssetTypes(db, actor);
  await seedDemoSite(db, actor);
  const ids = async (table: string, key: string) =>
    new Map(((await db(table).select('id', key)) as Array<Record<string, unknown>>).map((r) => [String(r[key]), Number(r.id)]));
  const locations = await ids('locations', 'code');
  const models = await ids('asset_models', 'name');
  const inService = Number((await db('status_labels').where({ name: 'In service' }).first('id')).id);
  const assetIds = new Map<string, number>();
  for (const { model, location, controls: _controls, ...input } of ASSETS) {
    assetIds.set(
      input.assetTag,
      (await createAsset(db, actor, { ...input, statusId: inService, modelId: models.get(model), locationId: locations.get(location) })).id,
    );
  }
  for (const asset of ASSETS.filter((a) => a.controls)) {
    await addLink(db, actor, assetIds.get(asset.assetTag)!, { targetId: assetIds.get(asset.controls!)!, linkType: 'controls' });
  }
}

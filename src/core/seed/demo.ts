// The core's share of the demo site of `shopdb seed --demo`: a plant with two buildings and their
// bays, and the makers and models of its equipment. The assets themselves — five-axis mills, a
// mill-turn centre, the DNC PCs that drive them, printers, switches — come from each installed
// plugin's demo seed, which finds these locations and models by code and name.
// Written through the inventory services, so it is validated and audited like real data.

import type { Knex } from 'knex';
import type { Actor } from '../audit/log.js';
import { createLocation, type LocationInput } from '../inventory/locations.js';
import { textKey } from '../db/text-keys.js';
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

export async function seedDemoSite(db: Knex, actor: Actor): Promise<SeedCounts> {
  const counts: SeedCounts = { created: 0, existing: 0 };
  const tally = (created: boolean) => (created ? counts.created++ : counts.existing++);

  const locationIds = new Map<string, number>();
  for (const location of LOCATIONS) {
    const existing = (await db('locations')
      .where({ code_key: textKey(location.code) })
      .first('id')) as { id: number } | undefined;
    tally(!existing);
    const { parent, ...input } = location;
    const id = existing?.id ?? (await createLocation(db, actor, { ...input, parentId: parent ? locationIds.get(parent) : null })).id;
    locationIds.set(location.code, Number(id));
  }

  const manufacturerIds = new Map<string, number>();
  for (const name of new Set(MODELS.map((m) => m.manufacturer))) {
    const existing = (await db('manufacturers')
      .where({ name_key: textKey(name) })
      .first('id')) as { id: number } | undefined;
    tally(!existing);
    manufacturerIds.set(name, Number(existing?.id ?? (await manufacturers.create(db, actor, { name })).id));
  }
  const modelIds = new Map<string, number>();
  for (const model of MODELS) {
    const manufacturerId = manufacturerIds.get(model.manufacturer)!;
    const existing = (await db('asset_models')
      .where({ manufacturer_id: manufacturerId, name_key: textKey(model.name) })
      .first('id')) as { id: number } | undefined;
    tally(!existing);
    const id =
      existing?.id ??
      (await assetModels.create(db, actor, { manufacturerId, name: model.name, partNumber: model.partNumber, category: model.category }))
        .id;
    modelIds.set(model.name, Number(id));
  }

  return counts;
}

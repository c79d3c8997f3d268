// The synthetic shop floor of `npm run bench:api`: a plant with buildings, bays and cells, a few
// dozen models from real makers, and N assets spread over types, statuses and locations the way
// a large site looks (a quarter of them "Spare", a few soft-deleted). Rows are bulk-inserted,
// not created through the service, so 100,000 of them load in seconds. A seeded generator makes
// every run load the same data.

import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { textKey } from '../src/core/db/text-keys.js';
import { formatUtcDatetime } from '../src/core/db/values.js';

/** The status the bench filters by, and the share of assets in it. */
export const FILTER_STATUS = 'Spare';

/**
 * The default free-text search: the hostname prefix of the CMM workstations, about 0.35 % of all
 * assets (350 of 100,000). It matches the same rows whether search is a substring or a prefix
 * match: no tag, name or serial contains it.
 */
export const DEFAULT_SEARCH = 'cmm-';

type Row = Record<string, unknown>;

/** mulberry32: small, fast and good enough to spread rows; seeded so runs are comparable. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks a key by weight: [['a', 3], ['b', 1]] gives 'a' three times as often. */
function weighted<T>(random: () => number, choices: ReadonlyArray<readonly [T, number]>): T {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let point = random() * total;
  for (const [value, weight] of choices) {
    point -= weight;
    if (point < 0) return value;
  }
  return choices[choices.length - 1]![0];
}

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const pad = (n: number, width = 6) => String(n).padStart(width, '0');
const SERIAL_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const serialTail = (random: () => number, length = 6) => Array.from({ length }, () => pick(random, [...SERIAL_CHARS])).join('');

interface ModelSpec {
  maker: string;
  name: string;
  type: 'equipment' | 'computer' | 'printer' | 'network';
  /** What the asset is called, before its number. */
  label: string;
  serialPrefix: string;
  /** Relative frequency within its type. */
  weight: number;
  tagPrefix?: string;
}

const MODELS: ModelSpec[] = [
  { maker: 'DMG MORI', name: 'DMU 65 monoBLOCK', type: 'equipment', label: 'DMU 65', serialPrefix: 'DM65', weight: 8 },
  { maker: 'DMG MORI', name: 'DMU 50 3rd Generation', type: 'equipment', label: 'DMU 50', serialPrefix: 'DM50', weight: 6 },
  { maker: 'DMG MORI', name: 'CTX beta 800 TC', type: 'equipment', label: 'CTX beta', serialPrefix: 'CTX8', weight: 4 },
  { maker: 'Hermle', name: 'C 42 U', type: 'equipment', label: 'Hermle C 42', serialPrefix: 'H42', weight: 7 },
  { maker: 'Hermle', name: 'C 32 U', type: 'equipment', label: 'Hermle C 32', serialPrefix: 'H32', weight: 5 },
  { maker: 'Mazak', name: 'INTEGREX i-200', type: 'equipment', label: 'Integrex i-200', serialPrefix: 'MZI2', weight: 5 },
  { maker: 'Mazak', name: 'VARIAXIS i-700', type: 'equipment', label: 'Variaxis i-700', serialPrefix: 'MZV7', weight: 4 },
  { maker: 'Okuma', name: 'MU-5000V', type: 'equipment', label: 'Okuma MU-5000V', serialPrefix: 'OKM5', weight: 4 },
  { maker: 'Okuma', name: 'LB3000 EX II', type: 'equipment', label: 'Okuma LB3000', serialPrefix: 'OKL3', weight: 4 },
  { maker: 'Haas', name: 'VF-2SS', type: 'equipment', label: 'Haas VF-2', serialPrefix: 'HVF2', weight: 6 },
  { maker: 'Haas', name: 'ST-20Y', type: 'equipment', label: 'Haas ST-20', serialPrefix: 'HST2', weight: 4 },
  {
    maker: 'GF Machining Solutions',
    name: 'CUT P 550',
    type: 'equipment',
    label: 'Wire EDM CUT P',
    serialPrefix: 'GFC5',
    weight: 2,
    tagPrefix: 'EDM',
  },
  { maker: 'Studer', name: 'S33', type: 'equipment', label: 'Studer S33 grinder', serialPrefix: 'ST33', weight: 2, tagPrefix: 'GRD' },
  { maker: 'Zeiss', name: 'CONTURA', type: 'equipment', label: 'Zeiss Contura', serialPrefix: 'ZC09', weight: 2, tagPrefix: 'QC' },
  { maker: 'Hexagon', name: 'Global S', type: 'equipment', label: 'Hexagon Global S', serialPrefix: 'HXGS', weight: 1, tagPrefix: 'QC' },
  { maker: 'Dell', name: 'OptiPlex 7010', type: 'computer', label: 'PC', serialPrefix: 'DL7010', weight: 10 },
  { maker: 'Dell', name: 'Precision 3660', type: 'computer', label: 'Workstation', serialPrefix: 'DLP366', weight: 4 },
  { maker: 'HP', name: 'EliteDesk 800 G6', type: 'computer', label: 'PC', serialPrefix: 'HPE800', weight: 6 },
  { maker: 'Lenovo', name: 'ThinkCentre M70q', type: 'computer', label: 'PC', serialPrefix: 'LNM70Q', weight: 5 },
  { maker: 'Beckhoff', name: 'CP2716 panel PC', type: 'computer', label: 'Panel PC', serialPrefix: 'BKCP27', weight: 3 },
  { maker: 'HP', name: 'LaserJet Enterprise M507', type: 'printer', label: 'Laser printer', serialPrefix: 'PHBF', weight: 6 },
  { maker: 'Zebra', name: 'ZT411', type: 'printer', label: 'Label printer', serialPrefix: 'ZB411', weight: 4 },
  { maker: 'Brother', name: 'HL-L6400DW', type: 'printer', label: 'Laser printer', serialPrefix: 'BRL64', weight: 2 },
  { maker: 'Cisco', name: 'Catalyst 9200L-24P', type: 'network', label: 'Switch', serialPrefix: 'FOC', weight: 6 },
  { maker: 'Cisco', name: 'Catalyst 9120AX', type: 'network', label: 'Access point', serialPrefix: 'FJC', weight: 4 },
  { maker: 'Siemens', name: 'SCALANCE XC208', type: 'network', label: 'Industrial switch', serialPrefix: 'VPH', weight: 4 },
  { maker: 'Axis', name: 'P3265-LVE', type: 'network', label: 'Camera', serialPrefix: 'ACCC8E', weight: 3 },
  { maker: 'Fortinet', name: 'FortiGate 60F', type: 'network', label: 'Firewall', serialPrefix: 'FGT60F', weight: 1 },
];

/** Computer roles: hostname prefix, what the asset is called, share. CMM workstations are the search target. */
const COMPUTER_ROLES = [
  ['dnc', 'DNC PC', 55],
  ['cad', 'CAM workstation', 12],
  ['ofc', 'Office PC', 18],
  ['hmi', 'Line HMI', 12],
  ['cmm', 'CMM workstation', 1],
] as const;

const NETWORK_HOSTS: Record<string, string> = {
  Switch: 'sw',
  'Access point': 'ap',
  'Industrial switch': 'isw',
  Camera: 'cam',
  Firewall: 'fw',
};
const OTHER_ASSETS = [
  'Tool presetter',
  'Torque wrench',
  'Forklift charger',
  'Parts washer',
  'Heat-treat oven',
  'Balancing machine',
  'Compressor',
  'Chip conveyor',
];
const CONTROLLERS = ['Fanuc', 'Siemens', 'Heidenhain', 'Okuma', 'Mazak', 'Haas', 'Fagor', 'Other'];
const NOTES = [
  'Spindle rebuilt last year; watch the coolant pressure.',
  'Moved from the old building during the 2024 relayout.',
  'Needs a new calibration certificate before use on flight parts.',
  'Controller backup is on the DNC share.',
  'Waiting for the vendor to quote a replacement board.',
];

export interface ReferenceIds {
  statuses: Map<string, number>;
  types: Map<string, number>;
}

export interface LoadedSite {
  rows: number;
  locations: number;
  models: number;
  filterStatusId: number;
  /** Live (not deleted) assets per status name. */
  liveByStatus: Record<string, number>;
}

async function insertLocations(db: Knex): Promise<number[]> {
  const insert = async (parent: { id: number; path: string } | null, kind: string, code: string, name: string) => {
    const [id] = (await db('locations').insert({
      parent_id: parent?.id ?? null,
      kind,
      code,
      code_key: textKey(code),
      name,
      path: '/',
    })) as number[];
    const path = `${parent?.path ?? '/'}${Number(id)}/`;
    await db('locations').where({ id }).update({ path });
    return { id: Number(id), path };
  };
  const leaves: number[] = [];
  const site = await insert(null, 'site', 'P7', 'Plant 7');
  for (let b = 1; b <= 4; b++) {
    const building = await insert(site, 'building', `P7-B${b}`, `Building ${b}`);
    for (let y = 1; y <= 6; y++) {
      const bay = await insert(building, 'bay', `P7-B${b}-BAY${y}`, `Building ${b}, bay ${y}`);
      leaves.push(bay.id);
      for (let c = 1; c <= 5; c++) leaves.push((await insert(bay, 'cell', `P7-B${b}-BAY${y}-C${c}`, `Bay ${y}, cell ${c}`)).id);
    }
  }
  return leaves;
}

async function insertModels(db: Knex): Promise<Map<ModelSpec, number>> {
  const makers = new Map<string, number>();
  for (const maker of new Set(MODELS.map((m) => m.maker))) {
    const [id] = (await db('manufacturers').insert({ name: maker, name_key: textKey(maker) })) as number[];
    makers.set(maker, Number(id));
  }
  const ids = new Map<ModelSpec, number>();
  for (const model of MODELS) {
    const [id] = (await db('asset_models').insert({
      manufacturer_id: makers.get(model.maker),
      name: model.name,
      name_key: textKey(model.name),
      category: model.label,
    })) as number[];
    ids.set(model, Number(id));
  }
  return ids;
}

/** One asset row: what it is decides its tag, name, hostname, serial and custom data. */
function assetRow(random: () => number, n: number, ref: ReferenceIds, models: Map<ModelSpec, number>, locations: number[]): Row {
  const type = weighted(random, [
    ['equipment', 30],
    ['computer', 35],
    ['printer', 10],
    ['network', 15],
    ['other', 10],
  ] as const);
  const model =
    type === 'other'
      ? null
      : weighted(
          random,
          MODELS.filter((m) => m.type === type).map((m) => [m, m.weight] as const),
        );
  let tag: string;
  let name: string;
  let hostname: string | null = null;
  let customData: Row = {};
  const ip = `10.7.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
  switch (type) {
    case 'equipment':
      tag = `${model!.tagPrefix ?? 'CNC'}-${pad(n)}`;
      name = `${model!.label} #${1 + (n % 97)}`;
      if (random() < 0.3) hostname = `cnc-${pad(n)}`;
      customData = {
        machine_number: pad(n),
        controller: pick(random, CONTROLLERS),
        criticality: weighted(random, [
          ['low', 2],
          ['medium', 5],
          ['high', 3],
        ] as const),
      };
      break;
    case 'computer': {
      const [prefix, label] = weighted(
        random,
        COMPUTER_ROLES.map(([p, l, w]) => [[p, l] as const, w] as const),
      );
      tag = `PC-${pad(n)}`;
      name = `${label} ${1 + (n % 499)}`;
      hostname = `${prefix}-${pad(n)}`;
      customData = { os: pick(random, ['Windows 10 IoT Enterprise LTSC', 'Windows 11 Enterprise', 'Ubuntu 22.04 LTS']), ip };
      break;
    }
    case 'printer':
      tag = `PRN-${pad(n)}`;
      name = `${model!.label} ${1 + (n % 199)}`;
      hostname = `prn-${pad(n)}`;
      customData = { ip, queue: `Q${pad(n)}` };
      break;
    case 'network':
      tag = `NET-${pad(n)}`;
      name = `${model!.label} ${1 + (n % 299)}`;
      hostname = `${NETWORK_HOSTS[model!.label]}-${pad(n)}`;
      customData = { management_ip: ip };
      break;
    default:
      tag = `AST-${pad(n)}`;
      name = `${pick(random, OTHER_ASSETS)} ${1 + (n % 89)}`;
  }
  const status = weighted(random, [
    ['In service', 50],
    [FILTER_STATUS, 25],
    ['Pending install', 7],
    ['Down for repair', 6],
    ['Retired', 12],
  ] as const);
  const created = new Date(Date.UTC(2018, 0, 1) + Math.floor(random() * 8 * 365 * 86_400_000));
  const updated = new Date(created.getTime() + Math.floor(random() * 180 * 86_400_000));
  return {
    uuid: randomUUID(),
    asset_tag: tag,
    asset_tag_key: textKey(tag),
    name,
    hostname,
    serial: model && random() < 0.9 ? `${model.serialPrefix}-${String(created.getUTCFullYear()).slice(2)}-${serialTail(random)}` : null,
    type_id: ref.types.get(type),
    model_id: model && random() < 0.9 ? models.get(model) : null,
    status_id: ref.statuses.get(status),
    location_id: random() < 0.95 ? pick(random, locations) : null,
    notes: random() < 0.1 ? pick(random, NOTES) : null,
    custom_data: JSON.stringify(customData),
    created_at: formatUtcDatetime(created),
    updated_at: formatUtcDatetime(updated),
    deleted_at: random() < 0.02 ? formatUtcDatetime(updated) : null,
  };
}

/**
 * Loads the site: locations, makers and models, then `rows` assets in multi-row inserts of
 * `batchSize`. `onProgress` hears the number of assets inserted so far; `cancelled` stops between batches.
 */
export async function loadSite(
  db: Knex,
  options: { rows: number; batchSize?: number; seed?: number; onProgress?: (inserted: number) => void; cancelled?: () => boolean },
): Promise<LoadedSite> {
  const random = generator(options.seed ?? 7);
  const statuses = new Map(((await db('status_labels').select('id', 'name')) as Row[]).map((r) => [r.name as string, Number(r.id)]));
  const types = new Map(((await db('asset_types').select('id', 'key')) as Row[]).map((r) => [r.key as string, Number(r.id)]));
  // The network plugin's type is `network-device`.
  if (types.has('network-device')) types.set('network', types.get('network-device')!);
  for (const key of ['equipment', 'computer', 'printer', 'network', 'other']) {
    if (!types.has(key))
      throw new Error(`asset type ${key} is missing: install the equipment, computers, printers and network plugins first`);
  }
  const ref: ReferenceIds = { statuses, types };
  const locations = await insertLocations(db);
  const models = await insertModels(db);
  const batchSize = options.batchSize ?? 1000;
  const liveByStatus: Record<string, number> = {};
  const statusName = new Map([...statuses].map(([name, id]) => [id, name]));
  for (let start = 1; start <= options.rows; start += batchSize) {
    if (options.cancelled?.()) throw new Error('cancelled');
    const batch: Row[] = [];
    for (let n = start; n < start + batchSize && n <= options.rows; n++) {
      const row = assetRow(random, n, ref, models, locations);
      if (row.deleted_at === null) {
        const name = statusName.get(row.status_id as number)!;
        liveByStatus[name] = (liveByStatus[name] ?? 0) + 1;
      }
      batch.push(row);
    }
    await db('assets').insert(batch);
    options.onProgress?.(Math.min(start + batchSize - 1, options.rows));
  }
  return {
    rows: options.rows,
    locations: locations.length + 1 + 4,
    models: models.size,
    filterStatusId: statuses.get(FILTER_STATUS)!,
    liveByStatus,
  };
}

// The software plugin's share of the demo site: CNC and metrology software titles with licences
// (made-up keys), installations on the demo PCs when the computers plugin made them, and USB
// sticks and a DVD, one stick overdue with the first user of the site when there is one (the demo
// creates no users: they are real people). Matched by natural keys, never overwritten; outside
// the demo it adds nothing.

import { textKey, type PluginSeedContext } from 'shopdb/sdk';
import {
  checkoutMedium,
  COMPUTER_TYPE,
  createInstallation,
  createLicence,
  createMedium,
  createTitle,
  type MediumInput,
  type TitleInput,
} from './service.js';

const DAY_MS = 24 * 60 * 60 * 1000;

interface DemoTitle extends TitleInput {
  licence: { key: string; seats: number; expiresInDays: number | null; notes: string };
  installedOn: string[];
}

const TITLES: DemoTitle[] = [
  {
    name: 'Siemens SinuTrain',
    vendor: 'Siemens',
    version: '4.8',
    licence: { key: 'DEMO-SNTR-48A1-7QX2-K9LM', seats: 5, expiresInDays: 300, notes: 'Training seats for SINUMERIK ONE programmers.' },
    installedOn: ['PC-4012'],
  },
  {
    name: 'Heidenhain TNCremo',
    vendor: 'Heidenhain',
    version: '3.3',
    licence: { key: 'DEMO-TNCR-33B7-2WD5-P0ZT', seats: 10, expiresInDays: null, notes: 'Site licence for DNC transfer to TNC controls.' },
    installedOn: ['PC-4013'],
  },
  {
    name: 'Zeiss CALYPSO',
    vendor: 'Carl Zeiss IMT',
    version: '2023',
    licence: {
      key: 'DEMO-CLYP-2023-DONGLE-0918',
      seats: 1,
      expiresInDays: 21,
      notes: 'Dongle licence for the CONTURA; maintenance renewal due.',
    },
    installedOn: ['PC-CMM01'],
  },
  {
    name: 'Cimco Edit',
    vendor: 'CIMCO',
    version: '2024',
    licence: { key: 'DEMO-CIMC-2024-55RT-HH31', seats: 3, expiresInDays: 180, notes: 'NC editor for the DNC PCs.' },
    installedOn: ['PC-4012', 'PC-4013', 'PC-4020'],
  },
];

const MEDIA: MediumInput[] = [
  { label: 'USB-B1-01', kind: 'usb', capacity: '32 GB', notes: 'NC program transfer, Bay 1.' },
  { label: 'USB-B1-02', kind: 'usb', capacity: '16 GB', notes: 'NC program transfer, Bay 1 (spare).' },
  { label: 'USB-CMM-01', kind: 'usb', capacity: '64 GB', notes: 'CMM reports and CALYPSO backups.' },
  { label: 'DVD-CALYPSO-2023', kind: 'dvd', capacity: '4.7 GB', notes: 'CALYPSO 2023 installation media.' },
];

/** The stick that is out past its day in the demo. */
const OVERDUE_LABEL = 'USB-B1-02';

export async function seed(ctx: PluginSeedContext): Promise<void> {
  if (!ctx.demo) return;
  const { db, actor } = ctx;
  const now = new Date();
  const computers = new Map<string, number>();
  const rows = (await db({ a: 'assets' })
    .join({ t: 'asset_types' }, 't.id', 'a.type_id')
    .where('t.key', COMPUTER_TYPE)
    .whereNull('a.deleted_at')
    .whereIn('a.asset_tag', [...new Set(TITLES.flatMap((t) => t.installedOn))])
    .select('a.id', 'a.asset_tag')) as Array<{ id: number; asset_tag: string }>;
  for (const row of rows) computers.set(row.asset_tag, Number(row.id));

  for (const { licence, installedOn, ...title } of TITLES) {
    const existing = (await db('software_titles')
      .where({ name_key: textKey(title.name), version_key: textKey(title.version) })
      .first('id')) as { id: number } | undefined;
    const titleId = existing ? Number(existing.id) : (await createTitle(db, actor, title)).id;
    let licenceId = (await db('software_licences').where({ title_id: titleId }).orderBy('id').first('id')) as { id: number } | undefined;
    if (!licenceId) {
      const expiresOn =
        licence.expiresInDays === null ? null : new Date(now.getTime() + licence.expiresInDays * DAY_MS).toISOString().slice(0, 10);
      licenceId = {
        id: (await createLicence(db, actor, { titleId, licenceKey: licence.key, seats: licence.seats, expiresOn, notes: licence.notes }))
          .id,
      };
    }
    for (const tag of installedOn) {
      const assetId = computers.get(tag);
      if (assetId === undefined || (await db('software_installations').where({ title_id: titleId, asset_id: assetId }).first('id')))
        continue;
      const seatsUsed = Number(
        ((await db('software_installations').where({ licence_id: licenceId.id }).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n,
      );
      await createInstallation(db, actor, { titleId, assetId, licenceId: seatsUsed < licence.seats ? Number(licenceId.id) : null });
    }
  }

  for (const medium of MEDIA) {
    if (
      !(await db('software_media')
        .where({ label_key: textKey(medium.label) })
        .first('id'))
    )
      await createMedium(db, actor, medium);
  }

  // Only a stick that has never been out, so a check-in on the demo site is not undone.
  const stick = (await db('software_media')
    .where({ label_key: textKey(OVERDUE_LABEL) })
    .first('id')) as { id: number } | undefined;
  const user = (await db('users').where({ disabled: false }).orderBy('id').first('id')) as { id: number } | undefined;
  if (stick && user && !(await db('software_media_checkouts').where({ media_id: stick.id }).first('id'))) {
    const tenDaysAgo = new Date(now.getTime() - 10 * DAY_MS);
    const threeDaysAgo = new Date(now.getTime() - 3 * DAY_MS).toISOString().slice(0, 10);
    await checkoutMedium(db, actor, Number(stick.id), { userId: Number(user.id), expectedBackOn: threeDaysAgo }, tenDaysAgo);
  }
}

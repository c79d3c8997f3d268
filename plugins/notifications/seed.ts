// The notifications plugin's share of the demo site: a site-wide notice, a critical one on Bay 1,
// one on machine CNC-4013 when another plugin's demo made it, and one that has already ended.
// Matched by title and never overwritten; outside the demo it adds nothing.

import type { PluginSeedContext } from 'shopdb/sdk';
import { createNotice, type NoticeInput } from './service.js';

const DAY_MS = 24 * 60 * 60 * 1000;

type DemoNotice = Omit<NoticeInput, 'locationId' | 'assetId'> & { locationCode?: string; assetTag?: string };

function demoNotices(now: Date): DemoNotice[] {
  const daysFromNow = (days: number) => new Date(now.getTime() + days * DAY_MS);
  return [
    {
      title: 'Fire alarm test on Wednesday at 10:00',
      body: 'The sirens sound for about two minutes. No evacuation; keep machines running.',
      severity: 'info',
      startsAt: now,
      endsAt: daysFromNow(7),
      targetKind: 'site',
    },
    {
      title: 'Coolant change Friday',
      body: 'Bay 1 machines stop at 13:00 on Friday for the coolant change. Finish or park running programs before then.',
      severity: 'critical',
      startsAt: now,
      endsAt: daysFromNow(5),
      targetKind: 'location',
      locationCode: 'P7-B1-BAY1',
      dismissable: false,
    },
    {
      title: 'CNC-4013: warm up the spindle before the first job',
      body: "After the bearing replacement, run the 20-minute warm-up program O9001 before each shift's first job.",
      severity: 'warning',
      startsAt: now,
      endsAt: null,
      targetKind: 'asset',
      assetTag: 'CNC-4013',
    },
    {
      title: 'Compressed air shut-off in Building 2',
      body: 'The compressor was serviced; air was off for the morning.',
      severity: 'warning',
      startsAt: daysFromNow(-14),
      endsAt: daysFromNow(-13),
      targetKind: 'location',
      locationCode: 'P7-B2',
    },
  ];
}

export async function seed(ctx: PluginSeedContext): Promise<void> {
  if (!ctx.demo) return;
  const { db } = ctx;
  for (const { locationCode, assetTag, ...notice } of demoNotices(new Date())) {
    if (await db('notifications_notices').where({ title: notice.title }).first('id')) continue;
    let locationId: number | null = null;
    let assetId: number | null = null;
    if (locationCode !== undefined) {
      const location = (await db('locations').where({ code: locationCode }).first('id')) as { id: number } | undefined;
      if (!location) continue;
      locationId = Number(location.id);
    }
    if (assetTag !== undefined) {
      const asset = (await db('assets').where({ asset_tag: assetTag }).whereNull('deleted_at').first('id')) as { id: number } | undefined;
      if (!asset) continue;
      assetId = Number(asset.id);
    }
    await createNotice(db, ctx.actor, { ...notice, locationId, assetId });
    ctx.log(`notifications: demo notice "${notice.title}"`);
  }
}

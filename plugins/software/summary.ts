// The software plugin's headline figures for the site summary (GET /api/summary): licences with
// more installations than seats, licences past their expiry, and media checkouts overdue.

import type { PluginHeadline, PluginSummaryContext } from 'shopdb/sdk';
import { overdueCheckouts } from './service.js';

const count = (rows: Array<Record<string, unknown>>) => Number(rows[0]?.count ?? 0);

export async function summary({ db, now }: PluginSummaryContext): Promise<PluginHeadline[]> {
  const today = now.toISOString().slice(0, 10);
  const overSeats = count(
    await db({ l: 'software_licences' })
      .whereRaw('(select count(*) from software_installations i where i.licence_id = l.id) > l.seats')
      .count({ count: '*' }),
  );
  const expired = count(await db('software_licences').where('expires_on', '<', today).count({ count: '*' }));
  // Overdue checkouts are few by nature; counting them through the service keeps one definition of "overdue".
  const overdue = (await overdueCheckouts(db, now)).length;
  return [
    { key: 'licences-over-seats', label: 'Licences with more installations than seats', value: overSeats },
    { key: 'licences-expired', label: 'Licences past their expiry date', value: expired },
    { key: 'overdue-media-checkouts', label: 'Removable media checked out past their due day', value: overdue },
  ];
}

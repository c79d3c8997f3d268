// The equipment plugin's headline figures for the site summary (GET /api/summary).

import type { PluginHeadline, PluginSummaryContext } from 'shopdb/sdk';
import { listMachines, localDate } from './service.js';

export async function summary({ db, now }: PluginSummaryContext): Promise<PluginHeadline[]> {
  // limit 0: only the count is wanted, never the rows.
  const overdue = await listMachines(db, { limit: 0, offset: 0, overdue: true, today: localDate(now) });
  const critical = await listMachines(db, { limit: 0, offset: 0, criticality: 'high' });
  return [
    { key: 'overdue-pm', label: 'Machines with overdue preventive maintenance', value: overdue.count },
    { key: 'critical-machines', label: 'Machines of high criticality', value: critical.count },
  ];
}

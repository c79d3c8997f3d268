// The notifications plugin's headline figures for the site summary (GET /api/summary).

import type { PluginHeadline, PluginSummaryContext } from 'shopdb/sdk';
import { listNotices } from './service.js';

export async function summary({ db, now }: PluginSummaryContext): Promise<PluginHeadline[]> {
  const critical = await listNotices(db, { limit: 0, offset: 0, active: true, severity: 'critical' }, now);
  const active = await listNotices(db, { limit: 0, offset: 0, active: true }, now);
  return [
    { key: 'active-critical-notices', label: 'Critical notices in force', value: critical.count },
    { key: 'active-notices', label: 'Notices in force', value: active.count },
  ];
}

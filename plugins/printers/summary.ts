// The printers plugin's headline figure for the site summary (GET /api/summary).

import type { PluginHeadline, PluginSummaryContext } from 'shopdb/sdk';
import { listPrinters, LOW_LEVEL_PERCENT } from './service.js';

export async function summary({ db }: PluginSummaryContext): Promise<PluginHeadline[]> {
  const low = await listPrinters(db, { limit: 0, offset: 0, low: true });
  return [{ key: 'low-consumables', label: `Printers with a consumable at or below ${LOW_LEVEL_PERCENT}%`, value: low.count }];
}

// Network printers (docs/plugins/printers.md): the `printer` asset type with its details (address,
// queue, driver, colour, duplex), page-counter readings, and consumable levels with the low ones.

import { definePlugin } from 'shopdb/sdk';
import { routes } from './routes.js';
import { seed } from './seed.js';
import { summary } from './summary.js';
import { DEVICES, PRINTER_TYPE } from './service.js';

export default definePlugin({
  name: 'printers',
  version: '1.0.0',
  description: 'Network printers: address, queue and driver, page-counter readings, and toner and other consumable levels',
  core: '^0.1.0',
  migrations: './migrations',
  assetTypes: [{ key: PRINTER_TYPE, label: 'Printer', fields: [], detailTable: DEVICES }],
  seed,
  summary,
  routes,
});

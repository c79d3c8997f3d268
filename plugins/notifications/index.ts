// Shop-floor notices (docs/plugins/notifications.md): messages for the whole site, a location and
// everything under it, or one asset, shown while they are active, most urgent first.

import { definePlugin } from 'shopdb/sdk';
import { routes } from './routes.js';
import { seed } from './seed.js';
import { summary } from './summary.js';

export default definePlugin({
  name: 'notifications',
  version: '1.0.0',
  description: 'Shop-floor notices for the site, a location or an asset, with per-user dismissal',
  core: '^0.1.0',
  // Its demo has a notice on a machine.
  seedAfter: ['equipment'],
  migrations: './migrations',
  seed,
  summary,
  routes,
});

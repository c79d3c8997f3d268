// Software titles and licences, installations on computers, and removable media checkout
// (docs/plugins/software.md). Installations are on assets of the computers plugin's type.

import { definePlugin } from 'shopdb/sdk';
import { routes } from './routes.js';
import { seed } from './seed.js';
import { summary } from './summary.js';
import { licencesCheck } from './doctor.js';
import { releaseInstallations } from './service.js';

export default definePlugin({
  name: 'software',
  version: '1.0.0',
  description:
    'Software titles and licences (keys kept secret), installations on computers counted against seats, and USB/DVD/SD media checkout',
  core: '^0.1.0',
  dependsOn: ['computers'],
  migrations: './migrations',
  seed,
  summary,
  doctor: [licencesCheck],
  routes,
  hooks: {
    // A deleted computer runs nothing any more: its installations go and free their seats.
    afterAssetDelete: ({ db, actor, asset }) => releaseInstallations(db, actor, asset),
  },
});

// The equipment plugin: CNC machines and other shop equipment. It contributes the `equipment`
// asset type with its detail table (machine number, controller, axes, DNC settings,
// criticality, next PM), the maintenance history, and the routes under /api/plugins/equipment.

import { definePlugin } from 'shopdb/sdk';
import { routes } from './routes.js';
import { seed } from './seed.js';
import { summary } from './summary.js';
import { EQUIPMENT_TYPE, MACHINES } from './service.js';
import { machineColumns } from './import.js';

export default definePlugin({
  name: 'equipment',
  version: '1.0.0',
  description:
    'CNC machines and other shop equipment: machine numbers, controllers, DNC settings, criticality, preventive maintenance and maintenance history.',
  core: '^0.1.0',
  migrations: './migrations',
  assetTypes: [{ key: EQUIPMENT_TYPE, label: 'Shop equipment', fields: [], detailTable: MACHINES, detailColumns: machineColumns }],
  seed,
  summary,
  routes,
});

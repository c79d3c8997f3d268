// Network devices: the details of each switch, access point, camera, firewall and router asset,
// the site's VLANs, the ports of each device, and what each port is plugged into — another port
// or an end device — so "what is on switch X port 12?" and "where does this switch uplink?" have
// answers. Every write is one transaction and audited; no HTTP here.
//
// One module per part: devices.ts (types, assets in brief, device details), vlans.ts, ports.ts and
// links.ts; what the routes take, schemas.ts. This module is the plugin's service as its routes, seed and tests import it.

export * from './devices.js';
export * from './vlans.js';
export * from './ports.js';
export * from './links.js';
export type * from './schemas.js';

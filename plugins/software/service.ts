// Software on the shop floor: titles, their licences, installations on computer assets counted
// against a licence's seats, and removable media (USB sticks, DVDs, SD cards) with their
// checkouts. A licence key is a secret: it is written once, read back only by revealLicenceKey
// (an admin, audited), and never selected, returned, logged or audited anywhere else.
// Every write is one transaction and audited as 'software.<thing>'.
//
// One module per part: licences.ts (titles and licences), installations.ts, media.ts, and what
// they share in common.ts. This module is the plugin's service as its routes, seed and tests import it.

export * from './common.js';
export * from './licences.js';
export * from './installations.js';
export * from './media.js';

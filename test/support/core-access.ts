// The core services plugin tests call that the SDK does not give plugins: reading the audit log,
// making locations, disabling a user, the test's own CLI actor. A plugin imports only
// `shopdb/sdk`; its tests reach past the SDK here, so that plugins/ never imports src/.

import { cliActor } from '../../src/core/audit/log.js';

export { listAudit } from '../../src/core/audit/log.js';
export { createLocation } from '../../src/core/inventory/locations.js';
export { setUserDisabled } from '../../src/core/users/service.js';

/** The actor of set-up writes, as `shopdb` run by OS user "test" would record them. */
export const TEST_ACTOR = cliActor('test');
export { migrateSite } from '../../src/core/migrations/site.js';
export { seedSite } from '../../src/core/seed/index.js';
export type { CheckReport } from '../../src/core/doctor/registry.js';
export { default as DoctorCommand } from '../../src/commands/doctor.js';

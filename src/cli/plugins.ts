// What the plugin commands share: open the site database with the site's plugin catalog and a
// CLI actor, and describe a plugin in one line.

import { userInfo } from 'node:os';
import type { LoadedConfig } from '../core/config/index.js';
import type { DatabaseLogger } from '../core/db/connect.js';
import type { PluginListing } from '../core/plugins/listing.js';
import type { PluginSession } from '../core/plugins/session.js';
import type { Ui } from './ui.js';

export async function withPluginSession<T>(
  config: LoadedConfig,
  logger: DatabaseLogger,
  ui: Ui,
  work: (session: PluginSession) => Promise<T>,
): Promise<T> {
  const [{ cliActor }, { databaseTargetFromConfig, withDatabase }, { catalogOptionsFromConfig, loadPluginCatalog }] = await Promise.all([
    import('../core/audit/log.js'),
    import('../core/db/connect.js'),
    import('../core/plugins/catalog.js'),
  ]);
  const catalog = await loadPluginCatalog(catalogOptionsFromConfig(config));
  return withDatabase(databaseTargetFromConfig(config), { logger }, (db) =>
    work({ db, catalog, actor: cliActor(userInfo().username), log: (message) => ui.info(message) }),
  );
}

export function describeListing(listing: PluginListing): string {
  const version =
    listing.installedVersion && listing.availableVersion && listing.installedVersion !== listing.availableVersion
      ? `${listing.installedVersion} → ${listing.availableVersion}`
      : (listing.installedVersion ?? listing.availableVersion ?? '?');
  return `${listing.name.padEnd(16)} ${version.padEnd(16)} ${listing.status.padEnd(11)} ${listing.description ?? ''}`.trimEnd();
}

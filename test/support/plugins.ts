// Plugins in tests: the bundled catalog (no package folders, so nothing outside the repo leaks
// in), and installing plugins on a test site's database the way `shopdb plugin install` does.

import type { Knex } from 'knex';
import { cliActor } from '../../src/core/audit/log.js';
import { listTables } from '../../src/core/db/schema.js';
import { tablePrefixOf } from '../../src/core/plugins/manifest.js';
import { loadPluginCatalog, shopdbVersion, type PluginCatalog } from '../../src/core/plugins/catalog.js';
import { disablePlugin, enablePlugin, installPlugins, type InstallResult, type PluginSession } from '../../src/core/plugins/service.js';

let bundled: Promise<PluginCatalog> | undefined;

/** The bundled plugins only (loaded once per test file). */
export function bundledCatalog(): Promise<PluginCatalog> {
  bundled ??= loadPluginCatalog({ coreVersion: shopdbVersion(), packageDirs: [] });
  return bundled;
}

export async function pluginSession(db: Knex, catalog?: PluginCatalog): Promise<PluginSession> {
  return { db, catalog: catalog ?? (await bundledCatalog()), actor: cliActor('test') };
}

/** Installs bundled plugins (and what they depend on) on a migrated test database. */
export async function installTestPlugins(db: Knex, names: string[], catalog?: PluginCatalog): Promise<InstallResult[]> {
  return installPlugins(await pluginSession(db, catalog), { names });
}

/** `shopdb plugin enable|disable NAME` on a test site's database. */
export async function setTestPluginEnabled(db: Knex, name: string, enabled: boolean, catalog?: PluginCatalog): Promise<void> {
  const session = await pluginSession(db, catalog);
  await (enabled ? enablePlugin(session, name) : disablePlugin(session, name));
}

/** The tables named with plugin `name`'s prefix (its migration history is `shopdb_`-named, so not among them). */
export async function listPluginTables(db: Knex, name: string): Promise<string[]> {
  return (await listTables(db)).filter((table) => table.startsWith(tablePrefixOf(name)));
}

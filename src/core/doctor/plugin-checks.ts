// The doctor checks plugins contribute (the manifest's `doctor`, docs/PLUGIN-HOOKS.md): those of
// each plugin installed and enabled on the site at the version that is here, registered under the
// plugin's name (`software.licences`, "software: …") beside the core's.

import { eq } from '../plugins/versions.js';
import { catalogOptionsFromConfig, loadPluginCatalog } from '../plugins/catalog.js';
import { listInstalled } from '../plugins/state.js';
import type { DoctorCheck, DoctorContext } from './registry.js';

/**
 * The plugin checks this site should run. None when the configuration, the database or the
 * plugin state cannot be read: the config, database and plugins checks say why.
 */
export async function pluginDoctorChecks(context: DoctorContext): Promise<DoctorCheck[]> {
  if (!context.config) return [];
  try {
    const db = await context.database();
    if (!(await db.schema.hasTable('installed_plugins'))) return [];
    const installed = new Map((await listInstalled(db)).filter((p) => p.enabled).map((p) => [p.name, p.version]));
    const catalog = await loadPluginCatalog(catalogOptionsFromConfig(context.config));
    // A plugin waiting for `plugin upgrade` has tables of the old version: its checks wait too.
    const current = catalog.plugins.filter(
      (p) => p.problems.length === 0 && installed.has(p.manifest.name) && eq(installed.get(p.manifest.name)!, p.manifest.version),
    );
    return current.flatMap(({ manifest }) =>
      (manifest.doctor ?? []).map((check): DoctorCheck => ({
        id: `${manifest.name}.${check.id}`,
        title: `${manifest.name}: ${check.title}`,
        tags: check.tags ?? [],
        run: async (ctx) =>
          check.run({ db: await ctx.database(), plugin: { name: manifest.name, version: manifest.version }, now: new Date() }),
      })),
    );
  } catch {
    return [];
  }
}

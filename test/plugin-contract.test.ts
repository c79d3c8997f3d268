// Database suite (SQLite and MySQL): the plugin contract, asserted once for every bundled plugin
// and every fixture plugin package (test/fixtures/plugin-package*/): a manifest the catalog can
// use; an install (with what it depends on) that makes only tables of its own prefix, empty, and
// its asset types; seeds that add nothing outside the demo and nothing on a second run; migrations
// that roll back leaving no table of its own and come up again the same; routes that mount and are
// documented; an uninstall, while it holds nothing, that leaves no trace.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { expect, it } from 'vitest';
import { listTables } from '../src/core/db/schema.js';
import { MIGRATION_HISTORY_TABLE } from '../src/core/migrations/sources.js';
import { migrateLatest, migrateRollback } from '../src/core/migrations/service.js';
import {
  findPlugin,
  loadPluginCatalog,
  pluginMigrationSource,
  shopdbVersion,
  withDependencies,
  type PluginCatalog,
} from '../src/core/plugins/catalog.js';
import { pluginNameProblem, tablePrefixOf } from '../src/core/plugins/manifest.js';
import { PLUGIN_ROUTE_PREFIX, pluginHoldings } from '../src/core/plugins/listing.js';
import { uninstallPlugin } from '../src/core/plugins/service.js';
import { packageRoot } from '../src/core/paths.js';
import { useMigratedSite } from './support/migrated-site.js';
import { installTestPlugins, listPluginTables, pluginSession } from './support/plugins.js';
import { describeEachEngine } from './support/site.js';

const fixtures = join(packageRoot, 'test', 'fixtures');
const FIXTURE_PACKAGE_DIRS = readdirSync(fixtures)
  .filter((dir) => /^plugin-package/.test(dir))
  .map((dir) => join(fixtures, dir));

/** The bundled plugins and the fixture packages, in one catalog (as a site with those packages sees them). */
const catalog: PluginCatalog = await loadPluginCatalog({ coreVersion: shopdbVersion(), packageDirs: FIXTURE_PACKAGE_DIRS });
const PLUGINS = catalog.plugins.map((p) => ({ name: p.manifest.name, kind: p.origin.kind }));

it('finds every bundled plugin and every fixture package, none of them invalid', () => {
  expect(catalog.invalid.map((p) => `${p.name}: ${p.error.message}`)).toEqual([]);
  expect(
    PLUGINS.filter((p) => p.kind === 'bundled')
      .map((p) => p.name)
      .sort(),
  ).toEqual(readdirSync(join(packageRoot, 'plugins')).sort());
  expect(PLUGINS.filter((p) => p.kind === 'package').length).toBe(FIXTURE_PACKAGE_DIRS.length);
});

async function rowCount(db: Knex, table: string): Promise<number> {
  return Number(((await db(table).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
}

/** The tables that are not migration history (`shopdb_…_migrations`, `…_lock`). */
async function schemaTables(db: Knex): Promise<string[]> {
  return (await listTables(db)).filter((table) => !MIGRATION_HISTORY_TABLE.test(table.replace(/_lock$/, '')));
}

for (const { name, kind } of PLUGINS) {
  describeEachEngine(`plugin contract: ${name} (${kind})`, (engine) => {
    const s = useMigratedSite(engine, { seed: 'base', catalog });
    const plugin = findPlugin(catalog, name);
    const installs = withDependencies(catalog, [name]).map((p) => p.manifest.name);
    const dependencies = installs.filter((n) => n !== name);
    let tables: string[];
    let dependencyTables: string[];
    let coreTables: string[];

    it('has a manifest the catalog can use: a valid name, a core range this shopdb meets, its migrations folder', () => {
      expect(plugin.problems).toEqual([]);
      expect(pluginNameProblem(name)).toBeUndefined();
      if (plugin.manifest.migrations) expect(existsSync(plugin.migrationsDir!), `${plugin.migrationsDir} exists`).toBe(true);
      else expect(plugin.migrationsDir).toBeNull();
    });

    it('installs after what it depends on, making only tables of their prefixes, empty, and its asset types', async () => {
      coreTables = await schemaTables(s.db);

      const results = await installTestPlugins(s.db, [name], catalog);

      expect(results.map((r) => [r.name, r.action])).toEqual(installs.map((n) => [n, 'installed']));
      const made = (await schemaTables(s.db)).filter((table) => !coreTables.includes(table));
      const prefixes = installs.map(tablePrefixOf);
      expect(
        made.filter((table) => !prefixes.some((prefix) => table.startsWith(prefix))),
        "tables outside the plugins' prefixes",
      ).toEqual([]);
      tables = await listPluginTables(s.db, name);
      dependencyTables = (await Promise.all(dependencies.map((d) => listPluginTables(s.db, d)))).flat();
      if (plugin.manifest.migrations) expect(tables.length, 'its migrations make tables').toBeGreaterThan(0);
      for (const table of made) expect(await rowCount(s.db, table), `rows in ${table}`).toBe(0);
      for (const type of plugin.manifest.assetTypes ?? [])
        expect(await s.db('asset_types').where({ key: type.key }).first('label', 'plugin')).toEqual({ label: type.label, plugin: name });
    });

    it('seeds nothing outside the demo, however often the seed runs', async () => {
      await s.seed('base');
      await s.seed('base');

      for (const installed of installs)
        expect((await pluginHoldings(s.db, installed, catalog)).total, `${installed} holds nothing`).toBe(0);
      expect(await rowCount(s.db, 'assets')).toBe(0);
    });

    it('rolls its migrations back leaving no table of its own, keeps what it depends on, and comes up again the same', async () => {
      const source = pluginMigrationSource(plugin);
      if (!source) return;

      await migrateRollback(s.db, source, { all: true });
      const afterDown = await listPluginTables(s.db, name);
      const everyTableAfterDown = await schemaTables(s.db);
      const dependenciesAfterDown = (await Promise.all(dependencies.map((d) => listPluginTables(s.db, d)))).flat();
      await migrateLatest(s.db, [source]);

      expect(afterDown).toEqual([]);
      expect(everyTableAfterDown.sort(), 'its down migrations leave the schema as it was before its install').toEqual(
        [...coreTables, ...dependencyTables].sort(),
      );
      expect(dependenciesAfterDown).toEqual(dependencyTables);
      expect(await listPluginTables(s.db, name)).toEqual(tables);
    });

    it('mounts its routes under its own prefix and documents them in the OpenAPI document', async () => {
      const app = await s.api.app({ pluginCatalog: catalog });

      const paths = Object.keys(
        (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{ paths: Record<string, unknown> }>().paths,
      );

      expect(paths.some((path) => path.startsWith(`${PLUGIN_ROUTE_PREFIX}/${name}/`))).toBe(Boolean(plugin.manifest.routes));
    });

    it('uninstalls while it holds nothing, leaving no table, migration history, asset type or state; what it depends on stays', async () => {
      const uninstalled = await uninstallPlugin(await pluginSession(s.db, catalog), name);

      expect(uninstalled.purged).toBe(false);
      expect(await listPluginTables(s.db, name)).toEqual([]);
      expect((await listTables(s.db)).filter((table) => table.startsWith(`shopdb_plugin_${name.replace(/-/g, '_')}_`))).toEqual([]);
      expect(await s.db('asset_types').where({ plugin: name })).toEqual([]);
      expect(await s.db('installed_plugins').where({ name })).toEqual([]);
      expect((await Promise.all(dependencies.map((d) => listPluginTables(s.db, d)))).flat()).toEqual(dependencyTables);
    });

    it('installs again, and its demo seed changes nothing on a second run', async () => {
      await installTestPlugins(s.db, [name], catalog);
      const snapshot = async () => {
        const counts: Record<string, number> = {};
        for (const table of [...(await listPluginTables(s.db, name)), ...dependencyTables, 'assets', 'asset_links', 'audit_log'])
          counts[table] = await rowCount(s.db, table);
        return counts;
      };

      await s.seed('demo');
      const first = await snapshot();
      await s.seed('demo');

      expect(await snapshot()).toEqual(first);
    });
  });
}

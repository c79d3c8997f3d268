// The whole life of the bundled plugins on a fresh site, through the real binary, on both
// engines: migrate, install --all, seed --demo; every plugin's tables exist and hold demo data;
// uninstall --purge of each (dependents first) leaves no table, history or state; reinstall works.

import { existsSync } from 'node:fs';
import type { Knex } from 'knex';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listTables } from '../src/core/db/schema.js';
import { withDependencies } from '../src/core/plugins/catalog.js';
import { tablePrefixOf } from '../src/core/plugins/manifest.js';
import { runBin } from './support/cli.js';
import { bundledCatalog } from './support/plugins.js';
import { createSite, describeEachEngine, type TestSite } from './support/site.js';

describeEachEngine('bundled plugins, install to purge', (engine) => {
  let site: TestSite;
  let db: Knex;
  let names: string[];
  const shopdb = (...argv: string[]) => runBin([...argv, '--env-file', site.envFile, '--json']);
  const pluginTables = async (name: string) =>
    (await listTables(db)).filter((t) => t.startsWith(tablePrefixOf(name)) || t.startsWith(`shopdb_plugin_${name.replace(/-/g, '_')}_`));

  beforeAll(async () => {
    site = await createSite(engine);
    const catalog = await bundledCatalog();
    names = withDependencies(
      catalog,
      catalog.plugins.filter((p) => p.problems.length === 0).map((p) => p.manifest.name),
    ).map((p) => p.manifest.name);
    expect(names).toEqual(expect.arrayContaining(['equipment', 'computers', 'printers', 'network', 'notifications', 'software']));
    expect(names.indexOf('computers')).toBeLessThan(names.indexOf('software'));
  });
  afterAll(async () => {
    await db?.destroy();
    await site.cleanup();
  });

  it('migrates, installs every plugin, and seeds a demo site that covers each of them', async () => {
    const migrated = await shopdb('migrate');
    const installed = await shopdb('plugin', 'install', '--all');
    const seeded = await shopdb('seed', '--demo');
    const again = await shopdb('plugin', 'install', '--all');
    db = await site.open();

    expect(migrated.exitCode, migrated.stderr).toBe(0);
    expect(installed.exitCode, installed.stderr).toBe(0);
    expect(installed.json.plugins.map((p: { name: string; action: string }) => [p.name, p.action])).toEqual(
      names.map((name) => [name, 'installed']),
    );
    expect(seeded.exitCode, seeded.stderr).toBe(0);
    expect([...seeded.json.plugins].sort()).toEqual([...names].sort());
    expect(again.json.plugins.every((p: { action: string }) => p.action === 'unchanged')).toBe(true);
    for (const name of names) {
      const tables = (await pluginTables(name)).filter((t) => !t.startsWith('shopdb_'));
      expect(tables.length, `${name} has tables`).toBeGreaterThan(0);
      let rows = 0;
      for (const table of tables) rows += Number(((await db(table).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
      expect(rows, `the demo puts rows in ${name}'s tables`).toBeGreaterThan(0);
    }
    const status = await shopdb('migrate', 'status');
    expect(status.json.sources.map((s: { id: string }) => s.id)).toEqual(['core', ...names.map((n) => `plugin:${n}`)]);
    expect(status.json.upToDate).toBe(true);
  });

  it('purges each plugin, dependents first, leaving no table, migration history or state; then reinstalls', async () => {
    for (const name of [...names].reverse()) {
      const refused = await shopdb('plugin', 'uninstall', name);
      expect(refused.exitCode, `${name} holds demo data`).toBe(1);
      const purged = await shopdb('plugin', 'uninstall', name, '--purge', '--yes');
      expect(purged.exitCode, purged.stderr).toBe(0);
      expect(purged.json.backup, 'a safety backup before the purge').toMatch(/-pre-uninstall\.shopdb\.tar$/);
      expect(existsSync(purged.json.backup)).toBe(true);
      expect(await pluginTables(name), `nothing of ${name} remains`).toEqual([]);
      expect(await db('installed_plugins').where({ name }).first()).toBeUndefined();
      expect(await db('asset_types').where({ plugin: name }).first()).toBeUndefined();
    }
    expect(Number(((await db('installed_plugins').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n)).toBe(0);

    const reinstalled = await shopdb('plugin', 'install', '--all');
    expect(reinstalled.exitCode, reinstalled.stderr).toBe(0);
    expect(reinstalled.json.plugins.map((p: { action: string }) => p.action)).toEqual(names.map(() => 'installed'));
  }, 300_000);
});

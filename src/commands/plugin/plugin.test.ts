// Every `shopdb plugin …` command, both ways users run them: in-process and through bin/run.js.
// The plugins are fixture packages, found through SHOPDB_PLUGIN_DIRS: deps-base and deps-child
// (which depends on it) in test/fixtures/plugins-deps/, and tally in two versions
// (test/fixtures/plugins-upgrade/). In-process runs leave the bundled plugins out, so nothing
// here depends on them; through bin they are listed too, and the assertions ignore them.

import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '@oclif/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runBin, runCommand, type CommandOutput } from '../../../test/support/cli.js';
import { createSite, type TestSite } from '../../../test/support/site.js';
import { listTables } from '../../core/db/schema.js';
import { migrateSite } from '../../core/migrations/site.js';
import { packageRoot } from '../../core/paths.js';
import PluginDisable from './disable.js';
import PluginEnable from './enable.js';
import PluginInfoCommand from './info.js';
import PluginInstall from './install.js';
import PluginList from './list.js';
import PluginNew from './new.js';
import PluginUninstall from './uninstall.js';
import PluginUpgrade from './upgrade.js';

vi.mock('../../core/plugins/catalog.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../core/plugins/catalog.js')>();
  return {
    ...actual,
    // A folder that does not exist: no bundled plugins in-process.
    catalogOptionsFromConfig: (config: Parameters<typeof actual.catalogOptionsFromConfig>[0]) => ({
      ...actual.catalogOptionsFromConfig(config),
      bundledDir: '/nonexistent/shopdb-test-no-bundled-plugins',
    }),
  };
});

const FIXTURES = join(packageRoot, 'test', 'fixtures');
const FIXTURE_NAMES = ['deps-base', 'deps-child', 'tally'];

const COMMANDS: Record<string, typeof Command> = {
  list: PluginList,
  info: PluginInfoCommand,
  install: PluginInstall,
  enable: PluginEnable,
  disable: PluginDisable,
  uninstall: PluginUninstall,
  upgrade: PluginUpgrade,
  new: PluginNew,
};

const LISTING_KEYS = [
  'availableVersion',
  'dependsOn',
  'description',
  'enabled',
  'installedVersion',
  'name',
  'origin',
  'problems',
  'status',
];
const INFO_KEYS = [...LISTING_KEYS, 'assetTypes', 'dependents', 'holdings', 'installedAt', 'migrations', 'routePrefix'].sort();

describe.each(['in-process', 'bin'] as const)('shopdb plugin … (%s)', (way) => {
  let site: TestSite;
  /** `shopdb plugin <command> …args` on this suite's site. */
  const plugin = (command: string, ...args: string[]): Promise<CommandOutput> => {
    const argv = [...args, '--env-file', site.envFile];
    return way === 'bin' ? runBin(['plugin', command, ...argv]) : runCommand(COMMANDS[command]!, argv);
  };
  const ours = (result: CommandOutput) => (result.json.plugins as Array<{ name: string }>).filter((p) => FIXTURE_NAMES.includes(p.name));
  const withDb = async <T>(work: (db: Awaited<ReturnType<TestSite['open']>>) => Promise<T>): Promise<T> => {
    const db = await site.open();
    try {
      return await work(db);
    } finally {
      await db.destroy();
    }
  };
  const installedNames = () => withDb(async (db) => (await db('installed_plugins').orderBy('name').pluck('name')) as string[]);

  beforeAll(async () => {
    site = await createSite('sqlite', { SHOPDB_PLUGIN_DIRS: `${join(FIXTURES, 'plugins-deps')},site-plugins` });
    cpSync(join(FIXTURES, 'plugins-upgrade', 'v1', 'shopdb-plugin-tally'), join(site.dir, 'site-plugins', 'shopdb-plugin-tally'), {
      recursive: true,
    });
    await migrateSite({ config: site.config() });
  });
  afterAll(async () => site?.cleanup());

  it('list: a table of the plugins; --json has the same fields for every plugin', async () => {
    const human = await plugin('list');
    const json = await plugin('list', '--json');

    expect(human.exitCode, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^NAME +VERSION +STATUS +DESCRIPTION$/m);
    expect(human.stdout).toMatch(/^deps-child +1\.0\.0 +available +Fixture: depends on deps-base$/m);
    expect(json.exitCode).toBe(0);
    if (way === 'in-process') expect(json.json.plugins.map((p: { name: string }) => p.name)).toEqual(FIXTURE_NAMES);
    for (const listing of json.json.plugins) expect(Object.keys(listing).sort()).toEqual(LISTING_KEYS);
    expect(ours(json)).toEqual([
      {
        name: 'deps-base',
        description: 'Fixture: the plugin deps-child depends on',
        availableVersion: '1.0.0',
        installedVersion: null,
        enabled: false,
        status: 'available',
        origin: 'package',
        dependsOn: [],
        problems: [],
      },
      {
        name: 'deps-child',
        description: 'Fixture: depends on deps-base',
        availableVersion: '1.0.0',
        installedVersion: null,
        enabled: false,
        status: 'available',
        origin: 'package',
        dependsOn: ['deps-base'],
        problems: [],
      },
      {
        name: 'tally',
        description: 'Fixture: a plugin with a newer version',
        availableVersion: '1.0.0',
        installedVersion: null,
        enabled: false,
        status: 'available',
        origin: 'package',
        dependsOn: [],
        problems: [],
      },
    ]);
  });

  it('info: one plugin with what depends on it; an unknown name fails (exit 1)', async () => {
    const human = await plugin('info', 'deps-base');
    const json = await plugin('info', 'deps-child', '--json');
    const unknown = await plugin('info', 'nope');

    expect(human.exitCode, human.stderr).toBe(0);
    expect(human.stdout).toContain('Needed by:   deps-child');
    expect(Object.keys(json.json).sort()).toEqual(INFO_KEYS);
    expect(json.json).toMatchObject({
      name: 'deps-child',
      status: 'available',
      dependsOn: ['deps-base'],
      dependents: [],
      assetTypes: [],
      routePrefix: null,
      migrations: null,
      holdings: null,
      installedAt: null,
    });
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('There is no plugin named "nope"');
  });

  it('install: refuses names with --all (exit 2) and unknown names (exit 1, naming what is available), changing nothing', async () => {
    const both = await plugin('install', 'deps-base', '--all');
    const unknown = await plugin('install', 'nope', '--json');

    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('Give plugin names or --all, not both');
    expect(unknown.exitCode).toBe(1);
    expect(unknown.json.error).toMatchObject({ code: 'NOT_FOUND', message: 'There is no plugin named "nope"', exitCode: 1 });
    expect(unknown.json.error.suggestion).toMatch(/Available plugins: .*deps-base, deps-child.*tally/);
    expect(await installedNames()).toEqual([]);
  });

  it('install: a plugin and what it depends on, dependencies first; again, nothing changes', async () => {
    const first = await plugin('install', 'deps-child', '--json');
    const again = await plugin('install', 'deps-child');

    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.json.plugins).toEqual([
      { name: 'deps-base', version: '1.0.0', action: 'installed', migrations: ['20260101A-create-deps-base-notes'] },
      { name: 'deps-child', version: '1.0.0', action: 'installed', migrations: ['20260101A-create-deps-child-items'] },
    ]);
    expect(first.stderr).toContain('deps-child install hook ran (1.0.0)');
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('deps-base 1.0.0: already installed and enabled');
    expect(again.stdout).toContain('deps-child 1.0.0: already installed and enabled');
  });

  it('install --all: every usable plugin', async () => {
    // Through bin the bundled plugins would be installed too; this suite stays on its fixtures.
    if (way === 'bin') {
      const installed = await plugin('install', 'tally');
      expect(installed.exitCode, installed.stderr).toBe(0);
      return;
    }
    const all = await plugin('install', '--all', '--json');

    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.json.plugins.map((p: { name: string; action: string }) => `${p.name} ${p.action}`)).toEqual([
      'deps-base unchanged',
      'deps-child unchanged',
      'tally installed',
    ]);
    expect(await installedNames()).toEqual(FIXTURE_NAMES);
  });

  it('disable and enable: refused while a dependent is enabled, or a dependency is not, naming it', async () => {
    const blocked = await plugin('disable', 'deps-base');
    expect(blocked.exitCode).toBe(1);
    expect(blocked.stderr).toContain('Plugin "deps-base" cannot be disabled: "deps-child" depends on it and is enabled');

    const child = await plugin('disable', 'deps-child', '--json');
    const twice = await plugin('disable', 'deps-child');
    const base = await plugin('disable', 'deps-base');
    expect(child.json).toEqual({ name: 'deps-child', enabled: false, changed: true });
    expect(child.stderr).toContain('deps-child disable hook ran');
    expect(twice.stdout).toContain('deps-child was already disabled; nothing changed.');
    expect(base.exitCode, base.stderr).toBe(0);

    const needs = await plugin('enable', 'deps-child');
    expect(needs.exitCode).toBe(1);
    expect(needs.stderr).toContain('Plugin "deps-child" needs "deps-base", which is not enabled');

    expect((await plugin('enable', 'deps-base')).exitCode).toBe(0);
    const enabled = await plugin('enable', 'deps-child', '--json');
    expect(enabled.json).toEqual({ name: 'deps-child', enabled: true, changed: true });
    expect(enabled.stderr).toContain('deps-child enable hook ran');
  });

  it('uninstall: refused while a plugin depends on it or it holds data; --purge needs --yes without a terminal; --purge --yes removes it', async () => {
    await withDb((db) => db('deps_child_items').insert({ name: 'kept until purged' }));

    const dependedOn = await plugin('uninstall', 'deps-base');
    const holding = await plugin('uninstall', 'deps-child');
    const unconfirmed = await plugin('uninstall', 'deps-child', '--purge');

    expect(dependedOn.exitCode).toBe(1);
    expect(dependedOn.stderr).toContain('Plugin "deps-base" cannot be uninstalled: "deps-child" depends on it');
    expect(holding.exitCode).toBe(1);
    expect(holding.stderr).toContain('Plugin "deps-child" holds data on this site (deps_child_items: 1)');
    expect(unconfirmed.exitCode).toBe(2);
    expect(unconfirmed.stderr).toContain('--yes');
    expect(await withDb((db) => db('deps_child_items').count({ n: '*' }))).toEqual([{ n: 1 }]);
    expect(await installedNames()).toContain('deps-child');

    const purged = await plugin('uninstall', 'deps-child', '--purge', '--yes', '--json');
    const base = await plugin('uninstall', 'deps-base');

    expect(purged.exitCode, purged.stderr).toBe(0);
    expect(purged.json).toEqual({
      name: 'deps-child',
      purged: true,
      removed: { tables: ['deps_child_items'], rows: 1, assets: 0, migrations: ['20260101A-create-deps-child-items'] },
      backup: expect.stringMatching(/-pre-uninstall\.shopdb\.tar$/),
    });
    expect(purged.stderr).toContain('deps-child uninstall hook ran');
    expect(base.exitCode, base.stderr).toBe(0);
    expect(base.stdout).toContain('Uninstalled plugin deps-base; 1 migrations rolled back.');
    const tables = await withDb(listTables);
    expect(tables.filter((t) => /^(deps_|shopdb_plugin_deps_)/.test(t))).toEqual([]);
    expect(await installedNames()).toEqual(['tally']);
  });

  it('upgrade: nothing to do at the same version; a newer package brings its migration and version', async () => {
    const same = await plugin('upgrade', 'tally', '--json');
    expect(same.json.plugins).toEqual([{ name: 'tally', version: '1.0.0', action: 'unchanged', migrations: [] }]);

    // The site replaces the package with v2 (in another folder: Node caches a module by its path).
    rmSync(join(site.dir, 'site-plugins', 'shopdb-plugin-tally'), { recursive: true });
    cpSync(join(FIXTURES, 'plugins-upgrade', 'v2', 'shopdb-plugin-tally'), join(site.dir, 'site-plugins', 'shopdb-plugin-tally-v2'), {
      recursive: true,
    });
    const listed = await plugin('list', '--json');
    const upgraded = await plugin('upgrade', '--json');

    expect(ours(listed)).toContainEqual(
      expect.objectContaining({ name: 'tally', installedVersion: '1.0.0', availableVersion: '1.1.0', status: 'upgradable' }),
    );
    expect(upgraded.exitCode, upgraded.stderr).toBe(0);
    expect(upgraded.json.plugins).toEqual([
      { name: 'tally', version: '1.1.0', action: 'upgraded', migrations: ['20260201A-create-tally-marks'] },
    ]);
    expect(await withDb(listTables)).toEqual(expect.arrayContaining(['tally_counts', 'tally_marks']));
    expect(await withDb((db) => db('installed_plugins').where({ name: 'tally' }).pluck('version'))).toEqual(['1.1.0']);
  });

  it('new: scaffolds a package into local-plugins/ beside the .env; a bad name is exit 2, an existing folder exit 1', async () => {
    const created = await plugin('new', 'gauge-crib', '--json');
    const badName = await plugin('new', 'Gauge_Crib');
    const existing = await plugin('new', 'gauge-crib');

    expect(created.exitCode, created.stderr).toBe(0);
    const directory = join(site.dir, 'local-plugins', 'shopdb-plugin-gauge-crib');
    expect(created.json).toMatchObject({ name: 'gauge-crib', directory });
    expect(created.json.files).toEqual(
      expect.arrayContaining(['index.js', 'package.json', 'routes.js', 'README.md', 'test/plugin.test.js']),
    );
    expect(readdirSync(join(directory, 'migrations'))).toEqual([expect.stringMatching(/^\d{8}A-create-gauge-crib-items\.js$/)]);
    expect(badName.exitCode).toBe(2);
    expect(badName.stderr).toContain('"Gauge_Crib" is not a usable plugin name');
    expect(existsSync(join(site.dir, 'local-plugins', 'shopdb-plugin-Gauge_Crib'))).toBe(false);
    expect(existing.exitCode).toBe(1);
    expect(existing.stderr).toContain('already exists');
  });
});

// `shopdb migrate rollback` as a destructive command: it asks (or needs --yes), takes a safety
// backup, refuses — changing nothing, records and schema alike — what it can see would hurt the
// site, and when a down() still fails half-way says exactly what it left and how to get back.
// Plugins here: the bundled ones, and the fixtures deps-base/deps-child (test/fixtures/plugins-deps)
// and halfway (test/fixtures/plugins-halfway), whose down() fails on duplicate notes.

import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { exportTables } from '../../../test/support/backup.js';
import { runBin, runCommand } from '../../../test/support/cli.js';
import { installTestPlugins } from '../../../test/support/plugins.js';
import { createSite, describeEachEngine, withSiteDb, type TestSite } from '../../../test/support/site.js';
import type { Knex } from 'knex';
import { isSqlite } from '../../core/db/connect.js';
import { listTables } from '../../core/db/schema.js';
import { textKey } from '../../core/db/text-keys.js';
import { migrateSite } from '../../core/migrations/site.js';
import { coreMigrationSource, DirectoryMigrationSource } from '../../core/migrations/sources.js';
import { packageRoot } from '../../core/paths.js';
import PluginInstall from '../plugin/install.js';
import MigrateRollback from './rollback.js';

const FIXTURES = join(packageRoot, 'test', 'fixtures');

async function coreMigrationNames(): Promise<string[]> {
  const reader = new DirectoryMigrationSource(coreMigrationSource().directory);
  return (await reader.getMigrations()).map((m) => reader.getMigrationName(m));
}

describeEachEngine('shopdb migrate rollback', (engine) => {
  let site: TestSite;
  afterEach(async () => site?.cleanup());

  const withDb = <T>(work: (db: Knex) => Promise<T>) => withSiteDb(site, work);
  /** Every table's definition (with its indexes) and rows, migration records included. */
  const schemaAndRecords = async () => {
    const definitions = await withDb(async (db) => {
      const out: Record<string, string> = {};
      for (const table of await listTables(db)) {
        if (isSqlite(db)) {
          const rows = (await db.raw('select sql from sqlite_master where tbl_name = ? order by name', [table])) as Array<{
            sql: string | null;
          }>;
          out[table] = rows.map((r) => r.sql).join('\n');
        } else {
          const [rows] = (await db.raw('show create table ??', [table])) as unknown as [Array<Record<string, string>>];
          out[table] = rows[0]!['Create Table']!;
        }
      }
      return out;
    });
    return { definitions, rows: await exportTables(site) };
  };
  const backupFiles = () => {
    const dir = resolve(site.dir, site.config().values.BACKUP_DIR);
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.shopdb.tar')) : [];
  };
  const bin = (...args: string[]) => runBin(['migrate', 'rollback', ...args, '--env-file', site.envFile]);
  const historyOf = (table: string) => withDb(async (db) => (await db(table).orderBy('id').pluck('name')) as string[]);

  it('without a terminal needs --yes (exit 2, naming it), and changes nothing', async () => {
    site = await createSite(engine);
    await migrateSite({ config: site.config() });
    const before = await schemaAndRecords();

    const human = await bin();
    const json = await runCommand(MigrateRollback, ['--env-file', site.envFile, '--json']);

    expect(human.exitCode).toBe(2);
    const count = (await coreMigrationNames()).length;
    expect(human.stderr).toMatch(
      new RegExp(`^Error: Confirmation to roll back ${count} shopdb core migrations is needed, and there is no terminal to ask on$`, 'm'),
    );
    expect(human.stderr).toMatch(/^Fix: Pass --yes\.$/m);
    expect(json.exitCode).toBe(2);
    expect(json.json.error).toMatchObject({ code: 'USAGE', suggestion: 'Pass --yes.' });
    expect(await schemaAndRecords()).toEqual(before);
    expect(backupFiles()).toEqual([]);
  });

  it('with --yes takes a safety backup, then rolls back each migration with its record (bin)', async () => {
    site = await createSite(engine);
    const names = await coreMigrationNames();
    await migrateSite({ config: site.config() });

    // Back to before the schema lock: every migration from 20261203A on, whatever came after it.
    const step = names.length - names.indexOf('20261203A-create-schema-lock');
    const result = await bin('--step', String(step), '--yes', '--json');

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.sources[0].applied).toEqual(names.slice(-step).reverse());
    expect(result.json.droppedTables).toEqual([
      { table: 'import_legacy_ids', rows: 0 },
      { table: 'imports', rows: 0 },
      { table: 'monitoring_cache', rows: 0 },
      { table: 'monitoring_pins', rows: 0 },
      { table: 'scheduled_rounds', rows: 0 },
      { table: 'schema_lock', rows: 0 },
    ]);
    expect(result.json.backup).toMatch(/-pre-rollback\.shopdb\.tar$/);
    expect(existsSync(result.json.backup)).toBe(true);
    expect(await historyOf('shopdb_migrations')).toEqual(names.slice(0, -step));
    const tables = await withDb((db) => listTables(db));
    expect(tables).not.toContain('schema_lock');
    expect(tables).not.toContain('monitoring_pins');
    expect(tables).not.toContain('imports');
    expect(tables).toContain('login_throttle');
    expect(tables).toContain('sessions');
    const pending = await runBin(['doctor', '--tag', 'start', '--json', '--env-file', site.envFile]);
    expect(pending.exitCode).toBe(1);
    expect(pending.json.checks.find((c: { id: string }) => c.id === 'migrations')).toMatchObject({
      status: 'fail',
      message: `${step} migrations pending`,
    });
    expect(pending.json.checks.find((c: { id: string }) => c.id === 'schema')).toMatchObject({ status: 'pass' });

    const human = await bin('--step', '1', '--yes', '--no-backup');
    expect(human.exitCode, human.stderr).toBe(0);
    expect(human.stdout).toBe(`shopdb core: rolled back 1\n  - ${names.at(-step - 1)}`);
    expect(backupFiles()).toHaveLength(1);
    expect((await runBin(['migrate', '--env-file', site.envFile])).exitCode).toBe(0);
    const healthy = await runBin(['doctor', '--tag', 'start', '--env-file', site.envFile]);
    expect(healthy.exitCode, healthy.stdout).toBe(0);
  });

  it('refuses to roll back the core while plugins are installed, naming them and the uninstall commands (bin)', async () => {
    site = await createSite(engine);
    await migrateSite({ config: site.config() });
    await withDb((db) => installTestPlugins(db, ['computers', 'notifications']));
    const before = await schemaAndRecords();

    const result = await bin('--all', '--yes', '--purge');

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      'Error: The shopdb core cannot be rolled back while plugins are installed: "computers", "notifications"',
    );
    expect(result.stderr).toContain(
      'Fix: Uninstall them first: `shopdb plugin uninstall notifications`, then `shopdb plugin uninstall computers`',
    );
    expect(await schemaAndRecords()).toEqual(before);
    expect(backupFiles()).toEqual([]);
  });

  it('refuses a plugin rollback that would delete its data, as plugin uninstall does; --purge --yes rolls it back after a backup that restores it', async () => {
    site = await createSite(engine);
    await migrateSite({ config: site.config() });
    await withDb(async (db) => {
      await installTestPlugins(db, ['software']);
      await db('software_titles').insert({
        name: 'CATIA',
        name_key: textKey('CATIA'),
        version: 'V5-6R2024',
        version_key: textKey('V5-6R2024'),
      });
    });
    const before = await schemaAndRecords();

    const refused = await bin('--source', 'plugin:software', '--all', '--yes');
    const uninstall = await runBin(['plugin', 'uninstall', 'software', '--env-file', site.envFile]);

    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(
      /^Error: Rolling back plugin software \(.*20261127A-create-software-tables\) would delete data: software_titles: 1 rows$/m,
    );
    expect(refused.stderr).toContain('`shopdb migrate rollback --source plugin:software --all --purge`');
    expect(uninstall.exitCode).toBe(1);
    expect(await schemaAndRecords()).toEqual(before);

    const purged = await runCommand(MigrateRollback, [
      '--source',
      'plugin:software',
      '--all',
      '--purge',
      '--yes',
      '--json',
      '--env-file',
      site.envFile,
    ]);

    expect(purged.exitCode, purged.stderr).toBe(0);
    expect(purged.json.droppedTables).toContainEqual({ table: 'software_titles', rows: 1 });
    expect(purged.json.backup).toMatch(/-pre-rollback\.shopdb\.tar$/);
    expect(purged.stderr).toContain(
      'The plugin is still installed: `shopdb migrate` applies these again; `shopdb plugin uninstall software` removes it.',
    );
    expect((await withDb((db) => listTables(db))).filter((t) => t.startsWith('software_'))).toEqual([]);

    const restored = await runBin(['restore', purged.json.backup, '--yes', '--env-file', site.envFile]);
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect((await schemaAndRecords()).rows).toEqual(before.rows);
  });

  it('refuses when a table that stays references one it would drop, naming it (bin)', async () => {
    site = await createSite(engine);
    await migrateSite({ config: site.config() });
    await withDb((db) =>
      db.schema.createTable('site_badges', (table) => {
        table.increments('id').primary();
        table.integer('user_id').unsigned().notNullable().references('id').inTable('users');
      }),
    );
    const before = await schemaAndRecords();

    const result = await bin('--all', '--yes');

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^Error: The rollback would drop users, which other tables still reference$/m);
    expect(result.stderr).toContain('• site_badges.user_id → users (not created by any shopdb migration)');
    expect(await schemaAndRecords()).toEqual(before);
  });

  it('refuses a plugin that an installed plugin depends on, naming the dependent (bin)', async () => {
    site = await createSite(engine, { SHOPDB_PLUGIN_DIRS: join(FIXTURES, 'plugins-deps') });
    await migrateSite({ config: site.config() });
    expect((await runCommand(PluginInstall, ['deps-child', '--env-file', site.envFile])).exitCode).toBe(0);
    const before = await schemaAndRecords();

    const result = await bin('--source', 'plugin:deps-base', '--all', '--yes');

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Error: Plugin "deps-base" cannot be rolled back: "deps-child" depends on it and is installed');
    expect(result.stderr).toContain('Fix: Uninstall it first: `shopdb plugin uninstall deps-child`.');
    expect(await schemaAndRecords()).toEqual(before);
  });

  it('stops with exit 5 while another run holds the schema lock, changing nothing (bin)', async () => {
    site = await createSite(engine);
    await migrateSite({ config: site.config() });
    await withDb((db) =>
      db('schema_lock').insert({ id: 1, holder: 'other-host pid 4242: plugin install printers', acquired_at: '2026-12-03 10:00:00.000' }),
    );
    const before = await schemaAndRecords();

    const result = await bin('--yes');

    expect(result.exitCode).toBe(5);
    expect(result.stderr).toContain("Error: Another run is changing the site's schema (other-host pid 4242: plugin install printers");
    expect(await schemaAndRecords()).toEqual(before);
  });

  it('a plugin the schema model cannot replay: doctor warns (exit 0), the rollback needs --purge (bin)', async () => {
    site = await createSite(engine, { SHOPDB_PLUGIN_DIRS: join(FIXTURES, 'plugins-unportable') });
    await migrateSite({ config: site.config() });
    await withDb((db) => db.schema.createTable('unportable_notes', (table) => table.increments('id')));
    expect((await runCommand(PluginInstall, ['unportable', '--env-file', site.envFile])).exitCode).toBe(0);
    const before = await schemaAndRecords();

    const doctor = await runBin(['doctor', '--tag', 'start', '--json', '--env-file', site.envFile]);
    const refused = await bin('--source', 'plugin:unportable', '--yes');

    expect(doctor.exitCode, doctor.stdout).toBe(0);
    expect(doctor.json.checks.find((c: { id: string }) => c.id === 'schema')).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/^could not check plugin:unportable from 20260101A-add-notes-author on/),
    });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(
      /^Error: Cannot tell what rolling back plugin unportable drops: migration 20260101A-add-notes-author \(plugin:unportable\) does not replay on the schema model/m,
    );
    expect(refused.stderr).toContain('`shopdb migrate rollback --source plugin:unportable --purge`');
    expect(await schemaAndRecords()).toEqual(before);

    const purged = await bin('--source', 'plugin:unportable', '--purge', '--yes', '--no-backup', '--json');
    expect(purged.exitCode, purged.stderr).toBe(0);
    expect(purged.json).toMatchObject({
      sources: [{ id: 'plugin:unportable', applied: ['20260101A-add-notes-author'] }],
      droppedTables: [],
      backup: null,
    });
    expect(Object.keys(await withDb((db) => db('unportable_notes').columnInfo()))).toEqual(['id']);
  });

  it('a down() failing half-way: names the migration, what it left and the restore that brings the site back; doctor fails (bin)', async () => {
    site = await createSite(engine, { SHOPDB_PLUGIN_DIRS: join(FIXTURES, 'plugins-halfway') });
    await migrateSite({ config: site.config() });
    expect((await runCommand(PluginInstall, ['halfway', '--env-file', site.envFile])).exitCode).toBe(0);
    await withDb((db) => db('halfway_notes').insert([{ text: 'torque 12 Nm' }, { text: 'torque 12 Nm' }]));
    const before = await exportTables(site);

    const result = await bin('--source', 'plugin:halfway', '--step', '2', '--yes', '--json');
    const status = await runBin(['migrate', 'status', '--json', '--env-file', site.envFile]);
    const doctor = await runBin(['doctor', '--json', '--env-file', site.envFile]);

    expect(result.exitCode).toBe(1);
    const { error } = result.json;
    expect(error.message).toMatch(/^Rolling back plugin halfway stopped at 20260101B-allow-duplicate-notes: /);
    expect(error.details[0]).toBe('Rolled back completely, no longer recorded: 20260101C-create-halfway-labels');
    // SQLite rolls the failed down() back with its transaction; MySQL has already committed its DROP.
    expect(error.details[1]).toBe(
      engine === 'sqlite'
        ? '20260101B-allow-duplicate-notes is still recorded as applied, and the tables its down() drops are all still there.'
        : '20260101B-allow-duplicate-notes is still recorded as applied, but its down() had already dropped halfway_archive (MySQL cannot undo DDL).',
    );
    const backup = /`shopdb restore (\S+-pre-rollback\.shopdb\.tar) --yes`/.exec(error.suggestion)?.[1];
    expect(backup && existsSync(backup)).toBe(true);
    expect(await historyOf('shopdb_plugin_halfway_migrations')).toEqual([
      '20260101A-create-halfway-notes',
      '20260101B-allow-duplicate-notes',
    ]);
    const halfway = status.json.sources.find((s: { id: string }) => s.id === 'plugin:halfway');
    expect(halfway.lastFailure).toMatchObject({ migration: '20260101B-allow-duplicate-notes' });
    expect(doctor.exitCode).toBe(1);
    const checks = Object.fromEntries(doctor.json.checks.map((c: { id: string }) => [c.id, c]));
    expect(checks.migrations).toMatchObject({ status: 'fail' });
    expect(checks.migrations.message).toContain('a migration failed: plugin:halfway: 20260101B-allow-duplicate-notes');
    if (engine === 'mysql')
      expect(checks.schema.message).toBe(
        'recorded as applied, but their tables are missing: halfway_archive (plugin:halfway 20260101B-allow-duplicate-notes)',
      );
    else expect(checks.schema.status).toBe('pass');

    const restored = await runBin(['restore', backup!, '--yes', '--env-file', site.envFile]);
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect(await exportTables(site)).toEqual(before);
  });
});

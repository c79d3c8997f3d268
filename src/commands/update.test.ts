import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { archivesIn, createDemoSite, exportTables } from '../../test/support/backup.js';
import { runBin, runCommand } from '../../test/support/cli.js';
import { createSite, describeEachEngine, withSiteDb, type TestSite } from '../../test/support/site.js';
import { DoctorRegistry } from '../core/doctor/registry.js';
import { migrateRollback } from '../core/migrations/service.js';
import { coreMigrationSource, DirectoryMigrationSource, pluginMigrationTable, siteMigrationSources } from '../core/migrations/sources.js';
import { runUpdate, type UpdateStep } from '../core/update/service.js';
import MigrateStatus from './migrate/status.js';
import Update from './update.js';

async function coreMigrationNames(): Promise<string[]> {
  const reader = new DirectoryMigrationSource(coreMigrationSource().directory);
  return (await reader.getMigrations()).map((m) => reader.getMigrationName(m));
}

/** Core plus a fixture source whose second migration fails after the first created a table. */
function brokenSources(): { sources: ReturnType<typeof siteMigrationSources>; folder: string } {
  const folder = mkdtempSync(join(tmpdir(), 'shopdb-broken-'));
  writeFileSync(join(folder, 'package.json'), '{"type":"module"}\n');
  writeFileSync(
    join(folder, '20261201A-create-fixture-things.js'),
    `export async function up(knex) { await knex.schema.createTable('fixture_things', (t) => { t.increments('id'); t.string('name'); }); await knex('fixture_things').insert({ name: 'half-done' }); }
export async function down(knex) { await knex.schema.dropTable('fixture_things'); }\n`,
  );
  writeFileSync(
    join(folder, '20261201B-broken.js'),
    `export async function up(knex) { await knex('assets').update({ name: 'changed by a broken update' }); throw new Error('deliberately broken migration'); }
export async function down() {}\n`,
  );
  const sources = siteMigrationSources().register({
    id: 'plugin:broken',
    label: 'plugin broken',
    tableName: pluginMigrationTable('broken'),
    directory: folder,
  });
  return { sources, folder };
}

describeEachEngine('shopdb update', (engine) => {
  let site: TestSite;
  const folders: string[] = [];
  afterEach(async () => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
    await site?.cleanup();
  });

  it('--dry-run lists the steps and the pending migrations and changes nothing (in-process and bin)', async () => {
    site = await createSite(engine);
    const names = await coreMigrationNames();
    const inProcess = await runCommand(Update, ['--dry-run', '--env-file', site.envFile, '--json']);
    const bin = await runBin(['update', '--dry-run', '--env-file', site.envFile]);
    const status = await runCommand(MigrateStatus, ['--env-file', site.envFile, '--json']);

    expect(inProcess.exitCode, inProcess.stderr).toBe(0);
    expect(inProcess.json.dryRun).toBe(true);
    expect(inProcess.json.steps.map((s: { id: string }) => s.id)).toEqual(['preflight', 'backup', 'migrate', 'ready']);
    expect(inProcess.json.pendingMigrations).toEqual(names.map((name) => ({ source: 'core', name })));
    expect(inProcess.json.steps[2].detail).toEqual(names.map((name) => `apply core: ${name}`));
    expect(bin.exitCode, bin.stderr).toBe(0);
    expect(bin.stdout).toMatch(/^Dry run: nothing is changed/);
    expect(bin.stdout).toContain(`apply core: ${names[0]}`);
    expect(status.json.upToDate).toBe(false);
    expect(status.json.sources[0].applied).toEqual([]);
    expect(archivesIn(join(site.dir, 'backups'))).toEqual([]);
  });

  it('takes a pre-update backup, applies the pending migrations and checks readiness (bin)', async () => {
    site = await createDemoSite(engine);
    const names = await coreMigrationNames();
    // Under the command's guards (plugins are installed): the migration runner itself.
    const db = await site.open();
    try {
      await migrateRollback(db, coreMigrationSource(), { step: 1 });
    } finally {
      await db.destroy();
    }
    const result = await runBin(['update', '--env-file', site.envFile, '--json']);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.applied).toEqual([`core: ${names.at(-1)}`]);
    expect(result.json.steps.map((s: { status: string }) => s.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(result.json.backup).toMatch(/test-site-\d{8}T\d{6}Z-pre-update\.shopdb\.tar$/);
    expect(archivesIn(join(site.dir, 'backups'))).toHaveLength(1);
    const again = await runBin(['update', '--env-file', site.envFile]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Updated in .*: no migration was pending\. Pre-update backup: /);
  });

  it('two updates started at once: the second waits for the whole first one, backs up the finished schema and applies nothing', async () => {
    site = await createDemoSite(engine);
    const names = await coreMigrationNames();
    const db = await site.open();
    try {
      await migrateRollback(db, coreMigrationSource(), { step: 1 });
    } finally {
      await db.destroy();
    }
    // Two hosts' worth of runs: the same database, each its own backup folder.
    const envFiles = [0, 1].map((n) => {
      const file = join(site.dir, `host-${n}.env`);
      writeFileSync(file, `${readFileSync(site.envFile, 'utf8')}\nBACKUP_DIR=${join(site.dir, `backups-${n}`)}\n`, { mode: 0o600 });
      return file;
    });

    const runs = await Promise.all(envFiles.map((file) => runBin(['update', '--env-file', file, '--json'])));

    for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);
    expect(runs.flatMap((run) => run.json.applied as string[])).toEqual([`core: ${names.at(-1)}`]);
    // The schema lock each backup was taken under is not carried into the site a restore makes.
    const restored = await runBin(['restore', runs[0]!.json.backup, '--yes', '--env-file', site.envFile, '--json']);
    expect(restored.exitCode, restored.stderr).toBe(0);
    const lockRows = await withSiteDb(site, (db) => db('schema_lock').select('holder'));
    expect(lockRows).toEqual([]);
    const migrate = await runBin(['migrate', '--wait', '0', '--env-file', site.envFile, '--json']);
    expect(migrate.exitCode, migrate.stderr).toBe(0);
  });

  it('a failing migration puts the pre-update backup back and says so plainly', async () => {
    site = await createDemoSite(engine);
    const { sources, folder } = brokenSources();
    folders.push(folder);
    const before = await exportTables(site);
    const error = await runUpdate({ config: site.config(), path: process.env.PATH ?? '', sources }).then(
      () => undefined,
      (e: unknown) => e as Error & { details: string[]; exitCode: number },
    );

    expect(error?.message).toMatch(
      /^The update failed at "Migrate core and plugins": A plugin broken migration failed: .*deliberately broken migration\. The database was restored from the pre-update backup .*-pre-update\.shopdb\.tar, so the site is as it was before the update\./,
    );
    expect(error?.exitCode).toBe(1);
    expect(await exportTables(site)).toEqual(before);
    expect(Object.keys(before)).not.toContain('fixture_things');
    expect(archivesIn(join(site.dir, 'backups'))).toEqual([expect.stringMatching(/-pre-update\.shopdb\.tar$/)]);
  });

  it('undoes the steps an extension added (the compose image step) after restoring, newest first', async () => {
    site = await createDemoSite(engine);
    const { sources, folder } = brokenSources();
    folders.push(folder);
    const events: string[] = [];
    const imageStep: UpdateStep = {
      id: 'image',
      title: 'Pull the new image and restart',
      plan: () => ['docker compose pull api && docker compose up -d api'],
      run: async () => void events.push('pulled'),
      undo: async () => void events.push('previous image back'),
    };
    const error = await runUpdate({
      config: site.config(),
      path: process.env.PATH ?? '',
      sources,
      extendSteps: (steps) => steps.insertAfter('backup', imageStep),
    }).catch((e: Error) => e);

    expect(events).toEqual(['pulled', 'previous image back']);
    expect((error as Error).message).toContain('Undone: Pull the new image and restart.');
  });

  it('stops before the backup when a pre-flight check fails, changing nothing', async () => {
    site = await createDemoSite(engine);
    const failing = new DoctorRegistry().register({
      id: 'always-fails',
      title: 'A check that fails',
      tags: ['update'],
      run: async () => ({ status: 'fail', message: 'no good', suggestion: 'fix it' }),
    });
    const error = await runUpdate({ config: site.config(), path: process.env.PATH ?? '', doctorRegistry: failing }).catch(
      (e: Error & { details: string[] }) => e,
    );

    expect((error as Error).message).toBe('1 pre-flight check failed; nothing was changed');
    expect((error as Error & { details: string[] }).details).toEqual(['A check that fails: no good — fix it']);
    expect(archivesIn(join(site.dir, 'backups'))).toEqual([]);
  });
});

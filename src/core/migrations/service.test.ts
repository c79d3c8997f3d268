// Database suite (SQLite and MySQL): the migration service over fixture migration folders
// written to a temp dir for each test, against a real database.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSite, describeEachEngine, tempDir, type TestSite } from '../../../test/support/site.js';
import { ExitCode, LockedError, UserError } from '../errors.js';
import { migrateLatest, migrateRollback, migrationStatus, releaseMigrationLock } from './service.js';
import type { MigrationSourceSpec } from './sources.js';

const createTable = (table: string) => `
export async function up(knex) {
  await knex.schema.createTable('${table}', (t) => { t.increments('id'); });
}
export async function down(knex) {
  await knex.schema.dropTable('${table}');
}
`;

const addColumn = (table: string, column: string) => `
export async function up(knex) {
  await knex.schema.alterTable('${table}', (t) => { t.string('${column}', 50); });
}
export async function down(knex) {
  await knex.schema.alterTable('${table}', (t) => { t.dropColumn('${column}'); });
}
`;

const slowCreateTable = (table: string, ms: number) => `
export async function up(knex) {
  await knex.schema.createTable('${table}', (t) => { t.increments('id'); });
  await new Promise((resolve) => setTimeout(resolve, ${ms}));
}
export async function down(knex) {
  await knex.schema.dropTable('${table}');
}
`;

const failing = (message: string) => `
export async function up() {
  throw new Error(${JSON.stringify(message)});
}
export async function down() {}
`;

const folders: string[] = [];

/** A migration folder holding `files` (ESM .js unless the name says .ts). */
function migrationFolder(files: Record<string, string>): string {
  const directory = tempDir('shopdb-migrations-');
  folders.push(directory);
  writeFileSync(join(directory, 'package.json'), '{"type":"module"}\n');
  for (const [file, body] of Object.entries(files)) writeFileSync(join(directory, file), body);
  return directory;
}

function fixtureSource(id: string, directory: string): MigrationSourceSpec {
  return { id, label: `fixture ${id}`, tableName: `fx_${id}_migrations`, directory };
}

async function history(db: Knex, source: MigrationSourceSpec): Promise<Array<{ name: string; batch: number }>> {
  const rows = (await db(source.tableName).select('name', 'batch').orderBy('id')) as Array<{ name: string; batch: unknown }>;
  return rows.map((row) => ({ name: row.name, batch: Number(row.batch) }));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject');
}

describeEachEngine('migration service', (engine) => {
  let site: TestSite;
  const connections: Knex[] = [];

  async function connect(): Promise<Knex> {
    const db = await site.open();
    connections.push(db);
    return db;
  }

  beforeEach(async () => {
    site = await createSite(engine);
  });

  afterEach(async () => {
    await Promise.all(connections.splice(0).map((db) => db.destroy()));
    await site.cleanup();
    for (const directory of folders.splice(0)) rmSync(directory, { recursive: true, force: true });
  });

  it('applies pending migrations in name order, and a second run applies nothing', async () => {
    const source = fixtureSource(
      'order',
      migrationFolder({
        '20260102A-create-widget-notes.js': createTable('widget_notes'),
        '20260101B-add-widget-serial.js': addColumn('widgets', 'serial'),
        '20260101A-create-widgets.js': createTable('widgets'),
      }),
    );
    const db = await connect();

    const first = await migrateLatest(db, [source]);

    const names = ['20260101A-create-widgets', '20260101B-add-widget-serial', '20260102A-create-widget-notes'];
    expect(first).toEqual([{ id: 'order', label: 'fixture order', applied: names }]);
    expect(await history(db, source)).toEqual(names.map((name) => ({ name, batch: 1 })));
    expect(await db.schema.hasColumn('widgets', 'serial')).toBe(true);

    const second = await migrateLatest(db, [source]);

    expect(second[0]!.applied).toEqual([]);
    expect(await history(db, source)).toHaveLength(3);
  });

  it('counts a .ts and a .js file of the same name once, and ignores .d.ts, tests and other files', async () => {
    const source = fixtureSource(
      'dual',
      migrationFolder({
        '20260101A-create-gadgets.ts': createTable('gadgets').replace('(knex)', '(knex: any)').replace('(knex)', '(knex: any)'),
        '20260101A-create-gadgets.js': createTable('gadgets'),
        '20260101A-create-gadgets.d.ts': 'export declare function up(): Promise<void>;\n',
        '20260101A-create-gadgets.test.ts': "import { it } from 'vitest';\nit('is a test', () => {});\n",
        'README.md': '# not a migration\n',
      }),
    );
    const db = await connect();

    const before = await migrationStatus(db, [source]);
    const applied = await migrateLatest(db, [source]);

    expect(before.sources[0]!.pending).toEqual(['20260101A-create-gadgets']);
    expect(applied[0]!.applied).toEqual(['20260101A-create-gadgets']);
    expect(await history(db, source)).toEqual([{ name: '20260101A-create-gadgets', batch: 1 }]);
  });

  it('reports applied and pending migrations per source', async () => {
    const toolsDir = migrationFolder({
      '20260101A-create-tools.js': createTable('tools'),
      '20260101B-add-tool-serial.js': addColumn('tools', 'serial'),
    });
    const tools = fixtureSource('tools', toolsDir);
    const printers = fixtureSource('printers', migrationFolder({ '20260101A-create-printers.js': createTable('printers') }));
    const db = await connect();
    const startedAt = Date.now();
    await migrateLatest(db, [tools]);
    writeFileSync(join(toolsDir, '20260105A-create-tool-notes.js'), createTable('tool_notes'));

    const status = await migrationStatus(db, [tools, printers]);

    expect(status.upToDate).toBe(false);
    const [toolStatus, printerStatus] = status.sources;
    expect(toolStatus).toMatchObject({
      id: 'tools',
      table: 'fx_tools_migrations',
      pending: ['20260105A-create-tool-notes'],
      unknown: [],
      lockHeld: false,
      lastFailure: null,
    });
    expect(toolStatus!.applied.map((m) => [m.name, m.batch])).toEqual([
      ['20260101A-create-tools', 1],
      ['20260101B-add-tool-serial', 1],
    ]);
    for (const migration of toolStatus!.applied) {
      expect(migration.appliedAt).toBeInstanceOf(Date);
      expect(Math.abs(migration.appliedAt!.getTime() - startedAt)).toBeLessThan(60_000);
    }
    expect(printerStatus).toMatchObject({ id: 'printers', applied: [], pending: ['20260101A-create-printers'], lockHeld: false });

    await migrateLatest(db, [tools, printers]);

    expect((await migrationStatus(db, [tools, printers])).upToDate).toBe(true);
  });

  it('keeps each source in its own history and lock table', async () => {
    const tools = fixtureSource('tools', migrationFolder({ '20260101A-create-tools.js': createTable('tools') }));
    const printers = fixtureSource('printers', migrationFolder({ '20260101A-create-printers.js': createTable('printers') }));
    const db = await connect();

    await migrateLatest(db, [tools, printers]);

    expect((await history(db, tools)).map((m) => m.name)).toEqual(['20260101A-create-tools']);
    expect((await history(db, printers)).map((m) => m.name)).toEqual(['20260101A-create-printers']);

    await db('fx_tools_migrations_lock').update({ is_locked: 1 });
    writeFileSync(join(printers.directory, '20260102A-create-printer-queues.js'), createTable('printer_queues'));

    const printersRun = await migrateLatest(db, [printers]);
    const toolsRollback = await rejection(migrateRollback(db, tools));
    const printersRollback = await migrateRollback(db, printers, { all: true });

    expect(printersRun[0]!.applied).toEqual(['20260102A-create-printer-queues']);
    expect(toolsRollback).toBeInstanceOf(LockedError);
    expect(printersRollback.applied).toEqual(['20260102A-create-printer-queues', '20260101A-create-printers']);
    expect(await history(db, tools)).toHaveLength(1);
    expect(await db.schema.hasTable('tools')).toBe(true);
  });

  it('lets only one of two concurrent runs migrate when the other does not wait', async () => {
    const source = fixtureSource('slow', migrationFolder({ '20260101A-create-slow-things.js': slowCreateTable('slow_things', 1500) }));
    const [one, two] = [await connect(), await connect()];

    const outcomes = await Promise.allSettled([
      migrateLatest(one, [source], { waitSeconds: 0 }),
      migrateLatest(two, [source], { waitSeconds: 0 }),
    ]);

    const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(fulfilled, JSON.stringify(rejected.map((r) => String(r.reason)))).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.reason).toBeInstanceOf(LockedError);
    expect((rejected[0]!.reason as LockedError).exitCode).toBe(ExitCode.LOCKED);
    expect((rejected[0]!.reason as LockedError).message).toContain('fx_slow_migrations_lock');
    expect((rejected[0]!.reason as LockedError).suggestion).toContain('shopdb migrate unlock');
    expect(await history(one, source)).toEqual([{ name: '20260101A-create-slow-things', batch: 1 }]);
    expect((await migrationStatus(one, [source])).sources[0]!.lockHeld).toBe(false);
  });

  it('lets a waiting run finish after the other one, applying each migration once', async () => {
    const source = fixtureSource('slow', migrationFolder({ '20260101A-create-slow-things.js': slowCreateTable('slow_things', 1500) }));
    const [one, two] = [await connect(), await connect()];

    const results = await Promise.all([
      migrateLatest(one, [source], { waitSeconds: 300 }),
      migrateLatest(two, [source], { waitSeconds: 300 }),
    ]);

    expect(results.flatMap(([result]) => result!.applied)).toEqual(['20260101A-create-slow-things']);
    expect(await history(one, source)).toEqual([{ name: '20260101A-create-slow-things', batch: 1 }]);
  }, 360_000);

  it('records a failed migration for status, and clears it once a fixed file applies', async () => {
    const broken = fixtureSource(
      'press',
      migrationFolder({
        '20260101A-create-presses.js': createTable('presses'),
        '20260101B-add-press-tonnage.js': failing('the press jammed at 40 t'),
      }),
    );
    const db = await connect();

    const error = await rejection(migrateLatest(db, [broken]));

    expect(error).toBeInstanceOf(UserError);
    expect(error).not.toBeInstanceOf(LockedError);
    expect((error as UserError).exitCode).toBe(ExitCode.FAILED);
    expect(error.message).toContain('the press jammed at 40 t');
    const failed = (await migrationStatus(db, [broken])).sources[0]!;
    expect(failed.lastFailure).toMatchObject({
      migration: '20260101B-add-press-tonnage',
      error: expect.stringContaining('the press jammed at 40 t'),
    });
    expect(failed.lastFailure!.failedAt).toBeInstanceOf(Date);
    expect(failed.pending).toContain('20260101B-add-press-tonnage');
    expect(failed.lockHeld).toBe(false);

    // The fixed release ships the same migration name in a new folder (a running process keeps
    // the broken module cached, as a new `shopdb migrate` process would not).
    const fixed = fixtureSource(
      'press',
      migrationFolder({
        '20260101A-create-presses.js': createTable('presses'),
        '20260101B-add-press-tonnage.js': addColumn('presses', 'tonnage'),
      }),
    );
    await migrateLatest(db, [fixed]);

    const after = (await migrationStatus(db, [fixed])).sources[0]!;
    expect(after.lastFailure).toBeNull();
    expect(after.pending).toEqual([]);
    expect(after.applied.map((m) => m.name)).toEqual(['20260101A-create-presses', '20260101B-add-press-tonnage']);
    expect(await db.schema.hasColumn('presses', 'tonnage')).toBe(true);
  });

  it('reports migrations applied by a newer shopdb as unknown and refuses to migrate', async () => {
    const newer = fixtureSource(
      'core',
      migrationFolder({
        '20260101A-create-tools.js': createTable('tools'),
        '20260301A-create-gauges.js': createTable('gauges'),
      }),
    );
    const db = await connect();
    await migrateLatest(db, [newer]);
    const older = fixtureSource('core', migrationFolder({ '20260101A-create-tools.js': createTable('tools') }));

    const status = await migrationStatus(db, [older]);
    const error = await rejection(migrateLatest(db, [older]));

    expect(status.upToDate).toBe(false);
    expect(status.sources[0]!.unknown).toEqual(['20260301A-create-gauges']);
    expect(status.sources[0]!.pending).toEqual([]);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain('20260301A-create-gauges');
    expect((error as UserError).suggestion).toMatch(/newer shopdb/);
    expect(await history(db, older)).toHaveLength(2);
  });

  it('rolls back the last batch by default, n migrations with step, and everything with all', async () => {
    const directory = migrationFolder({
      '20260101A-create-tools.js': createTable('tools'),
      '20260101B-create-gauges.js': createTable('gauges'),
    });
    const source = fixtureSource('core', directory);
    const db = await connect();
    await migrateLatest(db, [source]);
    writeFileSync(join(directory, '20260102A-create-fixtures.js'), createTable('fixtures'));
    writeFileSync(join(directory, '20260102B-create-probes.js'), createTable('probes'));
    await migrateLatest(db, [source]);

    const lastBatch = await migrateRollback(db, source);

    expect(lastBatch.applied).toEqual(['20260102B-create-probes', '20260102A-create-fixtures']);
    expect(await db.schema.hasTable('fixtures')).toBe(false);
    expect((await history(db, source)).map((m) => m.name)).toEqual(['20260101A-create-tools', '20260101B-create-gauges']);

    await migrateLatest(db, [source]);
    const twoSteps = await migrateRollback(db, source, { step: 2 });

    expect(twoSteps.applied).toEqual(['20260102B-create-probes', '20260102A-create-fixtures']);

    const oneStep = await migrateRollback(db, source, { step: 1 });

    expect(oneStep.applied).toEqual(['20260101B-create-gauges']);
    expect(await db.schema.hasTable('gauges')).toBe(false);
    expect(await db.schema.hasTable('tools')).toBe(true);

    await migrateLatest(db, [source]);
    const all = await migrateRollback(db, source, { all: true });
    const nothingLeft = await migrateRollback(db, source, { all: true });

    expect(all.applied).toEqual([
      '20260102B-create-probes',
      '20260102A-create-fixtures',
      '20260101B-create-gauges',
      '20260101A-create-tools',
    ]);
    expect(nothingLeft.applied).toEqual([]);
    expect(await history(db, source)).toEqual([]);
    expect(await db.schema.hasTable('tools')).toBe(false);
  });

  it('releases a lock left behind by a crashed run', async () => {
    const directory = migrationFolder({ '20260101A-create-tools.js': createTable('tools') });
    const source = fixtureSource('core', directory);
    const db = await connect();
    await migrateLatest(db, [source]);
    await db('fx_core_migrations_lock').update({ is_locked: 1 });
    writeFileSync(join(directory, '20260102A-create-gauges.js'), createTable('gauges'));

    const lockedStatus = await migrationStatus(db, [source]);
    const blocked = await rejection(migrateLatest(db, [source], { waitSeconds: 0 }));
    const released = await releaseMigrationLock(db, source);
    const releasedAgain = await releaseMigrationLock(db, source);

    expect(lockedStatus.sources[0]!.lockHeld).toBe(true);
    expect(blocked).toBeInstanceOf(LockedError);
    expect(released).toBe(true);
    expect(releasedAgain).toBe(false);
    expect((await migrationStatus(db, [source])).sources[0]!.lockHeld).toBe(false);
    expect((await migrateLatest(db, [source]))[0]!.applied).toEqual(['20260102A-create-gauges']);
  });

  it('repairs a doubled lock row left by two first runs racing', async () => {
    const directory = migrationFolder({ '20260101A-create-tools.js': createTable('tools') });
    const source = fixtureSource('core', directory);
    const db = await connect();
    await migrateLatest(db, [source]);
    await db('fx_core_migrations_lock').insert({ is_locked: 0 });
    writeFileSync(join(directory, '20260102A-create-gauges.js'), createTable('gauges'));

    const result = await migrateLatest(db, [source], { waitSeconds: 0 });

    expect(result[0]!.applied).toEqual(['20260102A-create-gauges']);
    expect(await db('fx_core_migrations_lock').select('is_locked')).toEqual([{ is_locked: 0 }]);
  });

  it('gives up waiting for a held lock after waitSeconds', async () => {
    const directory = migrationFolder({ '20260101A-create-tools.js': createTable('tools') });
    const source = fixtureSource('core', directory);
    const db = await connect();
    await migrateLatest(db, [source]);
    await db('fx_core_migrations_lock').update({ is_locked: 1 });
    writeFileSync(join(directory, '20260102A-create-gauges.js'), createTable('gauges'));
    const started = Date.now();

    const error = await rejection(migrateLatest(db, [source], { waitSeconds: 1 }));

    expect(error).toBeInstanceOf(LockedError);
    expect(error.message).toMatch(/waited 1s/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(await history(db, source)).toHaveLength(1);
  });
});

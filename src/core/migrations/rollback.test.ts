// rollbackSite's refusals that need a migration written for the case: a down() that cannot work,
// a migration the schema model cannot replay, and a schema that changes while the person decides.
// The fixture source's migrations are written into a temp folder per test.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createSite, describeEachEngine, type TestSite } from '../../../test/support/site.js';
import { listTables } from '../db/schema.js';
import { rollbackSite, type RollbackPlan } from './rollback.js';
import { migrateLatest } from './service.js';
import { migrateSite } from './site.js';
import { coreMigrationSource, knexMigratorConfig, MigrationSourceRegistry, type MigrationSourceSpec } from './sources.js';

const CREATE_ITEMS = `
export async function up(knex) {
  await knex.schema.createTable('fixture_items', (table) => { table.increments('id'); table.string('name', 100); });
}
export async function down(knex) {
  await knex.schema.dropTable('fixture_items');
}
`;

describeEachEngine('rollbackSite', (engine) => {
  let site: TestSite;
  afterEach(async () => site?.cleanup());

  async function siteWith(
    migrations: Record<string, string>,
    beforeMigrate?: (db: Awaited<ReturnType<TestSite['open']>>) => Promise<void>,
  ) {
    site = await createSite(engine);
    await migrateSite({ config: site.config() });
    const directory = join(site.dir, 'fixture-migrations');
    mkdirSync(directory);
    for (const [name, text] of Object.entries(migrations)) writeFileSync(join(directory, `${name}.js`), text);
    const source: MigrationSourceSpec = {
      id: 'plugin:fixture',
      label: 'plugin fixture',
      tableName: 'shopdb_plugin_fixture_migrations',
      directory,
    };
    const db = await site.open();
    try {
      await beforeMigrate?.(db);
      await migrateLatest(db, [source]);
    } finally {
      await db.destroy();
    }
    return { source, sources: new MigrationSourceRegistry().register(coreMigrationSource()).register(source) };
  }
  const snapshot = async (source: MigrationSourceSpec) => {
    const db = await site.open();
    try {
      return { tables: await listTables(db), records: await db(source.tableName).orderBy('id').pluck('name') };
    } finally {
      await db.destroy();
    }
  };

  it('refuses, before asking, a down() that fails even on the schema model (one that says it cannot be undone)', async () => {
    const { source, sources } = await siteWith({
      '20260101A-create-items': CREATE_ITEMS,
      '20260101B-irreversible': `
export async function up(knex) { await knex.schema.createTable('fixture_log', (t) => { t.increments('id'); }); }
export async function down() { throw new Error('cannot be undone: restore the backup taken before 20260101B'); }
`,
    });
    const before = await snapshot(source);
    let asked = false;

    const refused = rollbackSite({
      config: site.config(),
      sources,
      source: source.id,
      all: true,
      beforeRollback: async () => ((asked = true), null),
    });

    await expect(refused).rejects.toThrow(
      'The down() of plugin fixture migration 20260101B-irreversible fails even on an empty copy of the schema: cannot be undone: restore the backup taken before 20260101B',
    );
    expect(asked).toBe(false);
    expect(await snapshot(source)).toEqual(before);
  });

  it('needs --purge when the model cannot replay the source (a migration that builds on a table made by hand)', async () => {
    const { source, sources } = await siteWith(
      {
        '20260101A-add-site-notes-author': `
export async function up(knex) { await knex.schema.alterTable('site_notes', (t) => { t.string('author', 100); }); }
export async function down(knex) { await knex.schema.alterTable('site_notes', (t) => { t.dropColumn('author'); }); }
`,
      },
      (db) => db.schema.createTable('site_notes', (t) => t.increments('id')),
    );
    const before = await snapshot(source);
    const plans: RollbackPlan[] = [];
    const beforeRollback = async (plan: RollbackPlan) => (plans.push(plan), null);

    const refused = rollbackSite({ config: site.config(), sources, source: source.id, beforeRollback });
    await expect(refused).rejects.toThrow(
      /^Cannot tell what rolling back plugin fixture drops: migration 20260101A-add-site-notes-author \(plugin:fixture\) does not replay on the schema model/,
    );
    expect(await snapshot(source)).toEqual(before);

    const purged = await rollbackSite({ config: site.config(), sources, source: source.id, purge: true, beforeRollback });
    expect(purged.sources[0]!.applied).toEqual(['20260101A-add-site-notes-author']);
    expect(plans).toMatchObject([{ migrations: ['20260101A-add-site-notes-author'], modelled: false, tables: [] }]);
    expect((await snapshot(source)).records).toEqual([]);
  });

  it('rolls nothing back when the schema changed while it waited for the confirmation and backup', async () => {
    const { source, sources } = await siteWith({
      '20260101A-create-items': CREATE_ITEMS,
      '20260101B-create-tags': CREATE_ITEMS.replace(/fixture_items/g, 'fixture_tags'),
    });
    const otherRun = async () => {
      // Another run rolls back the newest one meanwhile.
      const db = await site.open();
      try {
        await db.migrate.down({ ...knexMigratorConfig(source), name: '20260101B-create-tags' });
      } finally {
        await db.destroy();
      }
      return null;
    };

    const result = rollbackSite({ config: site.config(), sources, source: source.id, all: true, beforeRollback: otherRun });

    await expect(result).rejects.toThrow(
      "The site's schema changed while the rollback of plugin fixture waited for its confirmation and backup",
    );
    expect(await snapshot(source)).toMatchObject({ records: ['20260101A-create-items'] });
    expect((await snapshot(source)).tables).toContain('fixture_items');
  });
});

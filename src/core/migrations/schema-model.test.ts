// The schema model is only as good as its promise: replaying a site's applied migrations on
// SQLite names exactly the tables the site has, on SQLite and on MySQL, core and plugins alike.

import { afterEach, expect, it } from 'vitest';
import { describeEachEngine, createSite, type TestSite } from '../../../test/support/site.js';
import { bundledCatalog, installTestPlugins } from '../../../test/support/plugins.js';
import { listTables } from '../db/schema.js';
import { installedPluginSources } from '../plugins/service.js';
import { migrateSite } from './site.js';
import { migrationStatus, FAILURES_TABLE } from './service.js';
import { withSchemaModel } from './schema-model.js';
import { coreMigrationSource, MIGRATION_HISTORY_TABLE } from './sources.js';

describeEachEngine('schema model', (engine) => {
  let site: TestSite;
  afterEach(async () => site?.cleanup());

  it('names the tables of every applied migration, as the site has them, and what a down() drops', async () => {
    site = await createSite(engine);
    await migrateSite({ config: site.config() });
    const db = await site.open();
    try {
      await installTestPlugins(db, ['computers', 'software', 'notifications']);
      const sources = [coreMigrationSource(), ...(await installedPluginSources(db, await bundledCatalog()))];
      const status = await migrationStatus(db, sources);
      const applied = status.sources.map((s, i) => ({ source: sources[i]!, applied: s.applied.map((m) => m.name) }));
      const siteTables = (await listTables(db)).filter(
        (t) => !MIGRATION_HISTORY_TABLE.test(t.replace(/_lock$/, '')) && t !== FAILURES_TABLE,
      );

      const { tables, failures, software } = await withSchemaModel(applied, async (model) => ({
        tables: model.tables(),
        failures: model.failures,
        software: await model.rollBack(
          sources.find((s) => s.id === 'plugin:software')!,
          [...applied.find((a) => a.source.id === 'plugin:software')!.applied].reverse(),
        ),
      }));

      expect(failures).toEqual([]);
      expect(tables.map((t) => t.table)).toEqual(siteTables);
      expect(tables.find((t) => t.table === 'audit_log')).toEqual({
        table: 'audit_log',
        sourceId: 'core',
        migration: '20261127C-create-users-and-audit',
      });
      expect(tables.find((t) => t.table === 'software_titles')).toMatchObject({
        sourceId: 'plugin:software',
        migration: '20261127A-create-software-tables',
      });
      expect(software.failure).toBeNull();
      expect(software.downs.flatMap((d) => d.dropped).sort()).toEqual(siteTables.filter((t) => t.startsWith('software_')));
    } finally {
      await db.destroy();
    }
  });
});

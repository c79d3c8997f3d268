// Doctor check: do the migration records tell the truth? A down() that failed half-way on MySQL,
// or a table dropped by hand, leaves a migration recorded as applied without its tables; every
// command then fails somewhere else, far from the cause. The tables the records promise come
// from the schema model (the applied migrations replayed, src/core/migrations/schema-model.ts).

import { listTables } from '../db/schema.js';
import { migrationStatus } from '../migrations/service.js';
import { withSchemaModel } from '../migrations/schema-model.js';
import { siteMigrationSources } from '../migrations/sources.js';
import { catalogOptionsFromConfig, loadPluginCatalog } from '../plugins/catalog.js';
import { installedPluginSources } from '../plugins/service.js';
import { listInstalled } from '../plugins/state.js';
import type { DoctorCheck } from './registry.js';

export const schemaMatchesRecordsCheck: DoctorCheck = {
  id: 'schema',
  title: 'Schema matches the migration records',
  tags: ['install', 'start'],
  async run(context) {
    if (!context.config) return { status: 'skip', message: 'skipped: the configuration did not load' };
    const db = await context.database();
    const plugins =
      (await listInstalled(db)).length > 0
        ? await installedPluginSources(db, await loadPluginCatalog(catalogOptionsFromConfig(context.config)))
        : [];
    const sources = [...siteMigrationSources().list(), ...plugins];
    const status = await migrationStatus(db, sources);
    const applied = status.sources.map((s, i) => ({ source: sources[i]!, applied: s.applied.map((m) => m.name) }));
    const count = applied.reduce((n, s) => n + s.applied.length, 0);
    if (count === 0) return { status: 'skip', message: 'no migration applied yet' };
    const existing = new Set(await listTables(db));
    return withSchemaModel(applied, async (model) => {
      const expected = model.tables();
      const missing = expected.filter((t) => !existing.has(t.table));
      const data = {
        expectedTables: expected.length,
        missing: missing.map((t) => ({ table: t.table, source: t.sourceId, migration: t.migration })),
      };
      if (missing.length > 0) {
        return {
          status: 'fail',
          message: `recorded as applied, but their tables are missing: ${missing.map((t) => `${t.table} (${t.sourceId} ${t.migration})`).join(', ')}`,
          suggestion:
            'A rollback or a schema change stopped half-way, or a table was dropped by hand. Restore the backup taken before it (`shopdb restore <file> --yes`; `migrate rollback` leaves a …-pre-rollback.shopdb.tar in BACKUP_DIR). `shopdb migrate status` shows the records.',
          data,
        };
      }
      // A recorded migration this shopdb lacks fails the migrations check; anything else here is the model's limit.
      const unreplayed = model.failures.filter((f) => !status.sources.some((s) => s.id === f.sourceId && s.unknown.includes(f.migration)));
      if (unreplayed.length > 0) {
        return {
          status: 'warn',
          message: `could not check ${unreplayed.map((f) => `${f.sourceId} from ${f.migration} on (${f.error})`).join('; ')}`,
          suggestion:
            'That migration does not run on the SQLite model of the schema, so its tables cannot be checked; see docs/MIGRATIONS.md ("Portable SQL only").',
          data,
        };
      }
      return { status: 'pass', message: `the ${expected.length} tables of ${count} applied migrations are there`, data };
    });
  },
};

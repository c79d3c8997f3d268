// `shopdb migrate rollback`: undo migrations of one source without leaving the site worse than a
// refusal would. Everything that can be known up front is checked before anything changes — the
// schema lock, plugins that run on the source, the down()s replayed on a model of the schema
// (what they drop, and that they work), foreign keys from other tables into what they drop, and
// the data in it. Then each migration goes down on its own, its record deleted with it, so the
// records match the schema migration by migration; a down() that still fails half-way (MySQL
// cannot undo DDL) is named with what it left and how to get back (ADR-015).

import type { Knex } from 'knex';
import { describeTarget, databaseTargetFromConfig, withDatabase } from '../db/connect.js';
import { listForeignKeys } from '../db/foreign-keys.js';
import { listTables } from '../db/schema.js';
import { ConflictError, UserError } from '../errors.js';
import { dependentsOf, loadPluginCatalog, catalogOptionsFromConfig, type PluginCatalog } from '../plugins/catalog.js';
import { installedPlugins } from '../plugins/service.js';
import { listInstalled } from '../plugins/state.js';
import { SCHEMA_LOCK_TABLE, withSchemaLock } from './schema-lock.js';
import { withSchemaModel, type SchemaModel } from './schema-model.js';
import {
  FAILURES_TABLE,
  isLockError,
  lockedError,
  migrationStatus,
  recordFailure,
  unknownMigrationsError,
  type SourceStatus,
} from './service.js';
import { siteRegistry, sourceById, type MigrateResult, type SiteMigrationOptions } from './site.js';
import { CORE_SOURCE_ID, knexMigratorConfig, type MigrationSourceSpec } from './sources.js';

export interface RollbackSiteOptions extends SiteMigrationOptions {
  source: string;
  /** Roll back this many migrations, newest first (default: the last batch). */
  step?: number;
  /** Roll back every migration of the source. */
  all?: boolean;
  /** Roll back even though tables it drops hold rows (the CLI's --purge). */
  purge?: boolean;
  /** Called once every check has passed, before anything changes: asks, takes a safety backup and returns its file (or null). */
  beforeRollback?: (plan: RollbackPlan) => Promise<string | null>;
}

export interface DroppedTable {
  table: string;
  rows: number;
}

export interface RollbackPlan {
  database: string;
  source: string;
  label: string;
  /** Newest first: the order their down()s run in. */
  migrations: string[];
  /** The site's tables the down()s drop, with their rows. */
  tables: DroppedTable[];
  rows: number;
  /** False when the schema model could not replay the source (then `tables` is unknown and empty). */
  modelled: boolean;
}

export interface RollbackResult extends MigrateResult {
  droppedTables: DroppedTable[];
  /** The safety backup taken first, if one was. */
  backup: string | null;
}

/** The migrations a rollback undoes, newest first, from the history table. */
async function plannedMigrations(db: Knex, source: MigrationSourceSpec, options: RollbackSiteOptions): Promise<string[]> {
  if (!(await db.schema.hasTable(source.tableName))) return [];
  const rows = (await db(source.tableName).select('name', 'batch').orderBy('id', 'desc')) as Array<{ name: string; batch: number }>;
  if (options.all) return rows.map((row) => row.name);
  if (options.step !== undefined) return rows.slice(0, options.step).map((row) => row.name);
  const lastBatch = Math.max(...rows.map((row) => Number(row.batch)));
  return rows.filter((row) => Number(row.batch) === lastBatch).map((row) => row.name);
}

function uninstallCommands(names: string[]): string {
  return names.map((name) => `\`shopdb plugin uninstall ${name}\``).join(', then ');
}

/** The core is what every plugin runs on; a plugin is what the plugins depending on it run on. */
async function refuseWhilePluginsDependOn(db: Knex, source: MigrationSourceSpec, catalog: () => Promise<PluginCatalog>): Promise<void> {
  const installed = (await listInstalled(db)).map((state) => state.name);
  if (installed.length === 0) return;
  const ordered = (await installedPlugins(db, await catalog())).plugins.map(({ plugin }) => plugin.manifest.name);
  // Dependents first, so each uninstall in the list is allowed; plugins whose files are missing last.
  const removalOrder = [...ordered.reverse(), ...installed.filter((name) => !ordered.includes(name))];
  if (source.id === CORE_SOURCE_ID) {
    throw new ConflictError(
      `The shopdb core cannot be rolled back while plugins are installed: ${installed.map((n) => `"${n}"`).join(', ')} (every plugin runs on the core schema)`,
      {
        suggestion: `Uninstall them first: ${uninstallCommands(removalOrder)} (add --purge where a plugin holds data). Nothing was changed.`,
      },
    );
  }
  const name = source.id.slice('plugin:'.length);
  const dependents = dependentsOf(await catalog(), name).filter((dependent) => installed.includes(dependent));
  if (dependents.length > 0) {
    throw new ConflictError(
      `Plugin "${name}" cannot be rolled back: ${dependents.map((d) => `"${d}"`).join(', ')} depend${dependents.length > 1 ? '' : 's'} on it and ${dependents.length > 1 ? 'are' : 'is'} installed`,
      {
        suggestion: `Uninstall ${dependents.length > 1 ? 'them' : 'it'} first: ${uninstallCommands(removalOrder.filter((n) => dependents.includes(n)))}. Nothing was changed.`,
      },
    );
  }
}

/** Refuses when a table that stays would still reference a table the rollback drops. */
async function refuseForeignReferences(db: Knex, model: SchemaModel, dropped: ReadonlySet<string>): Promise<void> {
  const blocking = (await listForeignKeys(db)).filter((fk) => dropped.has(fk.referencedTable) && !dropped.has(fk.table));
  if (blocking.length === 0) return;
  const owners = new Map(model.tables().map((t) => [t.table, t]));
  const describe = (table: string) => {
    const owner = owners.get(table);
    return owner ? `${owner.sourceId}, migration ${owner.migration}` : 'not created by any shopdb migration';
  };
  throw new ConflictError(
    `The rollback would drop ${[...new Set(blocking.map((fk) => fk.referencedTable))].join(', ')}, which other tables still reference`,
    {
      details: blocking.map((fk) => `${fk.table}.${fk.column} → ${fk.referencedTable} (${describe(fk.table)})`),
      suggestion:
        'Remove what references them first: uninstall the plugin that owns the table (`shopdb plugin uninstall <name>`), or drop a table or foreign key the site added by hand. Nothing was changed.',
    },
  );
}

async function rowsIn(db: Knex, tables: readonly string[]): Promise<DroppedTable[]> {
  const counted: DroppedTable[] = [];
  for (const table of tables) {
    // Its one row is the lock this rollback holds, not the site's data.
    if (table === SCHEMA_LOCK_TABLE) {
      counted.push({ table, rows: 0 });
      continue;
    }
    const [{ rows }] = (await db(table).count({ rows: '*' })) as Array<{ rows: number | string }>;
    counted.push({ table, rows: Number(rows) });
  }
  return counted;
}

function rerunCommand(options: RollbackSiteOptions): string {
  const how = options.all ? ' --all' : options.step !== undefined ? ` --step ${options.step}` : '';
  return `shopdb migrate rollback --source ${options.source}${how} --purge`;
}

/** Runs every check on the plan; returns what the down()s drop, per migration. */
async function checkPlan(
  db: Knex,
  model: SchemaModel,
  sources: readonly MigrationSourceSpec[],
  source: MigrationSourceSpec,
  migrations: string[],
  options: RollbackSiteOptions,
): Promise<{ tables: DroppedTable[]; modelled: boolean; dropsOf: Map<string, string[]> | null }> {
  const upTo = sources.slice(0, sources.indexOf(source) + 1);
  const unmodelled = model.failures.find((failure) => upTo.some((s) => s.id === failure.sourceId));
  if (unmodelled) {
    if (!options.purge) {
      throw new UserError(
        `Cannot tell what rolling back ${source.label} drops: migration ${unmodelled.migration} (${unmodelled.sourceId}) does not replay on the schema model: ${unmodelled.error}`,
        {
          suggestion: `Without that, the data guard cannot run. To roll back anyway, with whatever data the down()s drop: \`${rerunCommand(options)}\` (asks first and takes a safety backup). Nothing was changed.`,
        },
      );
    }
    return { tables: [], modelled: false, dropsOf: null };
  }
  const simulated = await model.rollBack(source, migrations);
  if (simulated.failure) {
    throw new UserError(
      `The down() of ${source.label} migration ${simulated.failure.migration} fails even on an empty copy of the schema: ${simulated.failure.error}`,
      {
        suggestion: `It would fail on the site too, half-way on MySQL. Nothing was changed. The migration is broken: report it (for a plugin, to its author).`,
      },
    );
  }
  const existing = new Set(await listTables(db));
  const dropped = new Set(simulated.downs.flatMap((down) => down.dropped).filter((table) => existing.has(table)));
  await refuseForeignReferences(db, model, dropped);
  const tables = await rowsIn(db, [...dropped].sort());
  const holding = tables.filter((t) => t.rows > 0);
  if (holding.length > 0 && !options.purge) {
    throw new ConflictError(
      `Rolling back ${source.label} (${migrations.join(', ')}) would delete data: ${holding.map((t) => `${t.table}: ${t.rows} rows`).join(', ')}`,
      {
        suggestion: `Keep it, or roll back with its data: \`${rerunCommand(options)}\` (asks first and takes a safety backup). Nothing was changed.`,
      },
    );
  }
  // Only tables the site has: a table missing already is not one a failed down() dropped.
  return {
    tables,
    modelled: true,
    dropsOf: new Map(simulated.downs.map((down) => [down.migration, down.dropped.filter((table) => existing.has(table))])),
  };
}

/** What a down() that failed on the site left: said exactly, with the way back. */
async function stoppedHalfWay(
  db: Knex,
  source: MigrationSourceSpec,
  failed: string,
  error: unknown,
  done: string[],
  planned: string[] | undefined,
  backup: string | null,
): Promise<UserError> {
  const message = error instanceof Error ? error.message : String(error);
  await recordFailure(db, source, new Error(`down() failed: ${message}`), failed);
  const existing = new Set(await listTables(db));
  const gone = (planned ?? []).filter((table) => !existing.has(table));
  const left = (planned ?? []).filter((table) => existing.has(table));
  const state =
    planned === undefined
      ? `${failed} is still recorded as applied; what its down() had already changed is not known (the schema model could not replay it).`
      : gone.length > 0
        ? `${failed} is still recorded as applied, but its down() had already dropped ${gone.join(', ')} (MySQL cannot undo DDL)${left.length > 0 ? `; still there: ${left.join(', ')}` : ''}.`
        : `${failed} is still recorded as applied, and the tables its down() drops are all still there.`;
  const back = backup
    ? `To get back to the site as it was before this rollback: \`shopdb restore ${backup} --yes\`.`
    : 'No safety backup was taken (--no-backup): to get back, restore your latest backup (`shopdb restore <file> --yes`).';
  return new UserError(`Rolling back ${source.label} stopped at ${failed}: ${message}`, {
    details: [
      done.length > 0 ? `Rolled back completely, no longer recorded: ${done.join(', ')}` : 'No migration was rolled back completely.',
      state,
    ],
    suggestion: `${back} Or fix the cause and run the rollback again. \`shopdb doctor\` shows where the records and the schema disagree.`,
    cause: error,
  });
}

async function runDowns(
  db: Knex,
  source: MigrationSourceSpec,
  migrations: string[],
  dropsOf: Map<string, string[]> | null,
  backup: string | null,
): Promise<string[]> {
  const done: string[] = [];
  for (const name of migrations) {
    try {
      await db.migrate.down({
        ...knexMigratorConfig(source),
        name,
        // knex deletes the record after the migration's transaction; inside it, the record goes
        // with the schema change on SQLite, and right after the last DDL on MySQL.
        afterEach: async (trx) => {
          await trx(source.tableName).where({ name }).delete();
        },
      });
    } catch (error) {
      if (isLockError(error)) throw lockedError(source, 0);
      throw await stoppedHalfWay(db, source, name, error, done, dropsOf ? (dropsOf.get(name) ?? []) : undefined, backup);
    }
    done.push(name);
  }
  // A failed down() of one of these, recorded earlier, is resolved now that it is rolled back.
  if (await db.schema.hasTable(FAILURES_TABLE))
    await db(FAILURES_TABLE).where({ source_id: source.id }).whereIn('migration', done).delete();
  return done;
}

interface CheckedPlan {
  source: MigrationSourceSpec;
  plan: RollbackPlan;
  dropsOf: Map<string, string[]> | null;
}

/** Every up-front check, read-only: the plan, or a refusal. Run under the schema lock. */
async function planRollback(
  db: Knex,
  database: string,
  options: RollbackSiteOptions,
  loadCatalog: () => Promise<PluginCatalog>,
): Promise<CheckedPlan> {
  const registry = await siteRegistry(db, options);
  const source = sourceById(registry, options.source);
  const sources = registry.list();
  const status = await migrationStatus(db, sources);
  const own = status.sources.find((s) => s.id === source.id) as SourceStatus;
  if (own.unknown.length > 0) throw unknownMigrationsError(source, own.unknown.join(', '));
  if (own.lockHeld) throw lockedError(source, 0);
  const migrations = await plannedMigrations(db, source, options);
  const plan: RollbackPlan = { database, source: source.id, label: source.label, migrations, tables: [], rows: 0, modelled: true };
  if (migrations.length === 0) return { source, plan, dropsOf: new Map() };
  await refuseWhilePluginsDependOn(db, source, loadCatalog);
  const applied = status.sources.map((s) => ({ source: sources.find((spec) => spec.id === s.id)!, applied: s.applied.map((m) => m.name) }));
  const checked = await withSchemaModel(applied, (model) => checkPlan(db, model, sources, source, migrations, options));
  return {
    source,
    plan: { ...plan, tables: checked.tables, rows: checked.tables.reduce((sum, t) => sum + t.rows, 0), modelled: checked.modelled },
    dropsOf: checked.dropsOf,
  };
}

const sameSteps = (a: RollbackPlan, b: RollbackPlan) =>
  a.migrations.join() === b.migrations.join() && a.tables.map((t) => t.table).join() === b.tables.map((t) => t.table).join();

export async function rollbackSite(options: RollbackSiteOptions): Promise<RollbackResult> {
  const target = databaseTargetFromConfig(options.config);
  const database = describeTarget(target);
  const what = `migrate rollback --source ${options.source}`;
  let catalog: PluginCatalog | undefined = options.catalog;
  const loadCatalog = async () => (catalog ??= await loadPluginCatalog(catalogOptionsFromConfig(options.config)));
  return withDatabase(target, { logger: options.logger }, async (db) => {
    const first = await withSchemaLock(db, what, { waitSeconds: 0 }, () => planRollback(db, database, options, loadCatalog));
    const result: RollbackResult = {
      database,
      sources: [{ id: first.source.id, label: first.source.label, applied: [] }],
      appliedCount: 0,
      droppedTables: [],
      backup: null,
    };
    if (first.plan.migrations.length === 0) return result;
    // Asked and backed up outside the lock: a person may take a while to answer, and a backup
    // taken under it would hold the lock row, restoring a site that looks locked.
    const backup = (await options.beforeRollback?.(first.plan)) ?? null;
    return withSchemaLock(db, what, { waitSeconds: 0 }, async () => {
      const checked = await planRollback(db, database, options, loadCatalog);
      if (!sameSteps(first.plan, checked.plan)) {
        throw new ConflictError(
          `The site's schema changed while the rollback of ${checked.source.label} waited for its confirmation and backup`,
          {
            suggestion: 'Nothing was rolled back. Run the command again to see the new plan.',
          },
        );
      }
      const done = await runDowns(db, checked.source, checked.plan.migrations, checked.dropsOf, backup);
      return {
        ...result,
        sources: [{ ...result.sources[0]!, applied: done }],
        appliedCount: done.length,
        droppedTables: checked.plan.tables,
        backup,
      };
    });
  });
}

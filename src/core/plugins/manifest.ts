// The plugin contract (docs/PLUGIN-HOOKS.md): what a plugin module exports, and the checks a
// manifest passes before shopdb lets it near a site's database. A problem names the plugin and
// the field, so whoever wrote the plugin knows what to change.

import type { Knex } from 'knex';
import { validRange, validVersion } from './versions.js';
import type { Actor } from '../audit/log.js';
import { UserError, type ShopdbErrorOptions } from '../errors.js';
import { validateFieldDefinitions, type CustomFieldDefinition } from '../inventory/custom-fields.js';
import type { AssetEventHooks, AssetWriteOptions } from '../inventory/assets.js';
import { CHECK_TAGS, type CheckOutcome, type CheckTag } from '../doctor/registry.js';
import { detailTableName, type DetailTableSpec } from './detail-table.js';

/** Lower-case words joined by hyphens; tables use it with `_` for `-`. */
export const PLUGIN_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const PLUGIN_NAME_MIN = 2;
const PLUGIN_NAME_MAX = 32;

/** A usable plugin name: the pattern, 2–32 characters, and not `shopdb…` (the core's own tables). */
export function pluginNameProblem(name: string): string | undefined {
  if (!PLUGIN_NAME.test(name) || name.length < PLUGIN_NAME_MIN || name.length > PLUGIN_NAME_MAX) {
    return `it must be lower-case words joined by hyphens, ${PLUGIN_NAME_MIN} to ${PLUGIN_NAME_MAX} characters`;
  }
  if (name.startsWith('shopdb')) return 'it may not start with "shopdb" (the prefix of shopdb\'s own tables)';
  return undefined;
}

/** An asset type a plugin contributes: its custom fields and, optionally, its 1:1 detail table. */
export interface PluginAssetType {
  key: string;
  label: string;
  fields: CustomFieldDefinition[];
  /**
   * A table of the plugin keyed by `asset_id` (one row per asset of this type). Declared with
   * `defineDetailTable` (its columns, their API names and kinds, the plugin's rules), the core
   * gives every new asset of the type its row and the plugin reads and writes it through the
   * same declaration; a plain table name only names it.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a manifest holds a detail table of any row shape
  detailTable?: string | DetailTableSpec<any, any>;
  /**
   * The detail fields `shopdb import` and `shopdb export` carry for this type, as columns
   * `<plugin>.<field>` (docs/IMPORT.md is generated from these). A plugin that declares them gets
   * import and export of its details with no other code.
   */
  detailColumns?: PluginDetailColumns;
}

/** The kinds of value an import column holds; the core parses and checks each kind the same way. */
export const DETAIL_COLUMN_TYPES = ['text', 'integer', 'boolean', 'date', 'enum', 'ip'] as const;
export type DetailColumnType = (typeof DETAIL_COLUMN_TYPES)[number];

/** One detail field as an import/export column. */
export interface PluginDetailColumn {
  /** snake_case: the column is `<plugin>.<field>`. */
  field: string;
  type: DetailColumnType;
  description: string;
  /** text: the longest value. */
  maxLength?: number;
  /** integer: the bounds, inclusive. */
  min?: number;
  max?: number;
  /** enum: the values allowed. */
  choices?: readonly string[];
}

/** What an import hands a plugin to write: values parsed and checked, null to clear; absent fields stay. */
export interface PluginDetailWrite {
  assetId: number;
  /** True for an asset this import has just created. */
  created: boolean;
  values: Record<string, unknown>;
}

export interface PluginDetailColumns {
  columns: PluginDetailColumn[];
  /**
   * The plugin's own rules across fields, given every detail value the asset will have (those of
   * the file over those stored): field → problem. Values have already passed their column's type.
   */
  check?: (values: Record<string, unknown>) => Record<string, string>;
  /** The stored values of these assets (every declared field; null when unset), keyed by asset id. */
  read: (db: Knex | Knex.Transaction, assetIds: readonly number[]) => Promise<Map<number, Record<string, unknown>>>;
  /** Writes many assets' values at once, inside the import's batch transaction. */
  write: (db: Knex.Transaction, rows: readonly PluginDetailWrite[]) => Promise<void>;
}

/** What every lifecycle hook and the seed receive. */
export interface PluginContext {
  /**
   * A transaction: what the hook writes commits or rolls back with the step that called it.
   * The uninstall hook alone gets the pool.
   */
  db: Knex | Knex.Transaction;
  plugin: { name: string; version: string };
  actor: Actor;
  /** Progress for the person running the command (stderr); never for secrets. */
  log: (message: string) => void;
}

export interface PluginSeedContext extends PluginContext {
  /** True for `shopdb seed --demo`: add the plugin's share of the demo site. */
  demo: boolean;
  /**
   * Pass to createAsset/updateAsset so a seed's assets go through every enabled plugin's asset
   * hooks (its own included), as assets created through the API do.
   */
  assetOptions: AssetWriteOptions;
}

export interface PluginLifecycleHooks {
  /** After the plugin's migrations, asset types and seed, before it is marked installed. */
  install?: (ctx: PluginContext) => Promise<void> | void;
  /**
   * At `shopdb plugin uninstall` (with or without --purge), before the plugin's migrations are
   * rolled back. It gets the pool, not a transaction: the rollback that follows is DDL.
   */
  uninstall?: (ctx: PluginContext) => Promise<void> | void;
  enable?: (ctx: PluginContext) => Promise<void> | void;
  disable?: (ctx: PluginContext) => Promise<void> | void;
}

export type PluginHooks = PluginLifecycleHooks & AssetEventHooks;

/** What a plugin's summary hook receives: a plain read, outside any transaction. */
export interface PluginSummaryContext {
  db: Knex;
  plugin: { name: string; version: string };
  now: Date;
}

/**
 * One headline figure of a plugin in the site summary (`GET /api/summary`), such as "machines
 * with overdue PM". A count, never a row: the summary leaves the site for a fleet's central view.
 */
export interface PluginHeadline {
  /** Stable, lower-case with hyphens: what a central report keys its column on. */
  key: string;
  label: string;
  value: number;
}

/** What a plugin's doctor check receives: a plain read of the site, outside any transaction. */
export interface PluginDoctorContext {
  db: Knex;
  plugin: { name: string; version: string };
  now: Date;
}

/**
 * A check of the plugin's own data that `shopdb doctor` runs while the plugin is enabled, shown
 * under the plugin's name (`<plugin>.<id>`, "<plugin>: <title>"). Never a secret in its outcome.
 */
export interface PluginDoctorCheck {
  /** Lower-case with hyphens, unique in the plugin. */
  id: string;
  title: string;
  /** When it matters, as the core's checks (`update` runs its tag as a pre-flight); none: only a plain `shopdb doctor`. */
  tags?: CheckTag[];
  run: (ctx: PluginDoctorContext) => Promise<CheckOutcome> | CheckOutcome;
}

/** What a plugin's monitoringAddresses hook receives: a plain read, outside any transaction. */
export interface PluginMonitoringContext {
  db: Knex;
  plugin: { name: string; version: string };
}

/** One IP address the inventory knows for an asset (an interface, a management address). */
export interface PluginMonitoringAddress {
  assetId: number;
  ip: string;
}

/**
 * What a plugin's knownVlans hook receives: the VLAN ids another plugin asks about, and the
 * caller's connection (a transaction, when the question is part of a write).
 */
export interface PluginVlanContext {
  db: Knex | Knex.Transaction;
  plugin: { name: string; version: string };
  vlanIds: readonly number[];
}

export const LIFECYCLE_HOOKS = ['install', 'uninstall', 'enable', 'disable'] as const;
export const ASSET_EVENT_HOOKS = [
  'beforeAssetCreate',
  'afterAssetCreate',
  'beforeAssetUpdate',
  'afterAssetUpdate',
  'beforeAssetDelete',
  'afterAssetDelete',
] as const;

/**
 * What a plugin module exports (default export, or a named `plugin`). `routes` is a Fastify
 * plugin `(app, host) => Promise<void>`; it is typed in src/api/plugin-host.ts, since the core
 * knows nothing of HTTP.
 */
export interface PluginManifest {
  name: string;
  /** semver. */
  version: string;
  description: string;
  /** The shopdb versions it works with, as a semver range (e.g. "^0.1.0"). */
  core: string;
  dependsOn?: string[];
  /**
   * Plugins whose seed, when they are installed, runs before this one's (the demo links a PC to
   * the machines it drives, so computers seeds after equipment). Ordering only: not a dependency.
   */
  seedAfter?: string[];
  /** Its knex migrations folder, relative to the module's own folder. */
  migrations?: string;
  /** Idempotent: runs at install, upgrade and `shopdb seed`. */
  seed?: (ctx: PluginSeedContext) => Promise<void> | void;
  assetTypes?: PluginAssetType[];
  routes?: (app: never, host: never) => Promise<void>;
  hooks?: PluginHooks;
  /** The plugin's headline figures for the site summary; a few cheap aggregate queries. */
  summary?: (ctx: PluginSummaryContext) => Promise<PluginHeadline[]> | PluginHeadline[];
  /** Checks of the plugin's data for `shopdb doctor`. */
  doctor?: PluginDoctorCheck[];
  /**
   * The IP addresses the plugin knows for assets, for matching them to monitoring hosts
   * (`shopdb zabbix match`): one cheap query over the plugin's own tables.
   */
  monitoringAddresses?: (ctx: PluginMonitoringContext) => Promise<PluginMonitoringAddress[]> | PluginMonitoringAddress[];
  /**
   * For a plugin that keeps the site's VLANs: which of `vlanIds` it knows. Other plugins ask
   * through `host.knownVlans`, so they check a VLAN without importing this one.
   */
  knownVlans?: (ctx: PluginVlanContext) => Promise<readonly number[]> | readonly number[];
}

export interface ManifestProblem {
  field: string;
  message: string;
}

/** A manifest that cannot be used: names the plugin, and each field with what is wrong. */
export class PluginManifestError extends UserError {
  override readonly code: string = 'PLUGIN_MANIFEST_INVALID';
  constructor(
    readonly plugin: string,
    readonly problems: ManifestProblem[],
    options: ShopdbErrorOptions = {},
  ) {
    super(`Plugin "${plugin}" has an invalid manifest: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, {
      suggestion: 'Fix the manifest in the plugin (see docs/PLUGIN-HOOKS.md), or remove the plugin from this site.',
      details: problems.map((p) => `${p.field}: ${p.message}`),
      ...options,
    });
  }
}

/** The table prefix of a plugin: its name with `_` for `-`, then `_`. */
export function tablePrefixOf(pluginName: string): string {
  return `${pluginName.replace(/-/g, '_')}_`;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every problem of a manifest at once (empty when it is usable). Does not look at other plugins:
 * unknown and cyclic dependencies are the catalog's to find.
 */
export function manifestProblems(raw: unknown): ManifestProblem[] {
  if (!isObject(raw)) return [{ field: 'manifest', message: 'must be an object (the default export of the plugin module)' }];
  const problems: ManifestProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });
  const { name, version, description, core, dependsOn, migrations, seed, assetTypes, routes, hooks } = raw;

  if (typeof name !== 'string' || name === '') problem('name', 'is missing');
  else if (pluginNameProblem(name)) problem('name', `"${name}": ${pluginNameProblem(name)!}`);
  if (typeof version !== 'string' || version === '') problem('version', 'is missing');
  else if (!validVersion(version)) problem('version', `"${version}" is not a semver version (like 1.2.0)`);
  if (typeof description !== 'string' || description.trim() === '') problem('description', 'is missing');
  if (typeof core !== 'string' || core === '') problem('core', 'is missing (the range of shopdb versions it works with, like "^0.1.0")');
  else if (!validRange(core)) problem('core', `"${core}" is not a semver range`);

  if (dependsOn !== undefined) {
    if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string' || !PLUGIN_NAME.test(d)))
      problem('dependsOn', 'must be a list of plugin names');
    else if (typeof name === 'string' && dependsOn.includes(name)) problem('dependsOn', 'names the plugin itself');
  }
  if (
    raw.seedAfter !== undefined &&
    (!Array.isArray(raw.seedAfter) || raw.seedAfter.some((d) => typeof d !== 'string' || !PLUGIN_NAME.test(d)))
  )
    problem('seedAfter', 'must be a list of plugin names');
  if (migrations !== undefined && (typeof migrations !== 'string' || migrations === ''))
    problem('migrations', 'must be a folder path relative to the plugin module');
  if (seed !== undefined && typeof seed !== 'function') problem('seed', 'must be a function');
  if (routes !== undefined && typeof routes !== 'function') problem('routes', 'must be a function (a Fastify plugin)');
  if (raw.summary !== undefined && typeof raw.summary !== 'function')
    problem('summary', 'must be a function returning the headline figures');
  if (raw.monitoringAddresses !== undefined && typeof raw.monitoringAddresses !== 'function')
    problem('monitoringAddresses', 'must be a function returning the IP addresses of assets');
  if (raw.knownVlans !== undefined && typeof raw.knownVlans !== 'function')
    problem('knownVlans', 'must be a function returning the VLAN ids it knows among those asked');

  if (raw.doctor !== undefined) {
    if (!Array.isArray(raw.doctor)) problem('doctor', 'must be a list of checks');
    else {
      const ids = new Set<string>();
      raw.doctor.forEach((check: unknown, index) => {
        const where = `doctor[${index}]`;
        if (!isObject(check)) return problem(where, 'must be an object');
        if (typeof check.id !== 'string' || !PLUGIN_NAME.test(check.id))
          problem(`${where}.id`, 'must be lower-case words joined by hyphens');
        else if (ids.has(check.id)) problem(`${where}.id`, `"${check.id}" is used twice`);
        else ids.add(check.id);
        if (typeof check.title !== 'string' || check.title === '') problem(`${where}.title`, 'is missing');
        if (typeof check.run !== 'function') problem(`${where}.run`, 'must be a function returning the outcome');
        if (
          check.tags !== undefined &&
          (!Array.isArray(check.tags) || check.tags.some((tag) => !(CHECK_TAGS as readonly unknown[]).includes(tag)))
        ) {
          problem(`${where}.tags`, `must be a list of ${CHECK_TAGS.join(', ')}`);
        }
      });
    }
  }

  if (hooks !== undefined) {
    if (!isObject(hooks)) problem('hooks', 'must be an object of functions');
    else {
      const known = new Set<string>([...LIFECYCLE_HOOKS, ...ASSET_EVENT_HOOKS]);
      for (const [key, value] of Object.entries(hooks)) {
        if (!known.has(key)) problem(`hooks.${key}`, `is not a hook (known: ${[...known].join(', ')})`);
        else if (typeof value !== 'function') problem(`hooks.${key}`, 'must be a function');
      }
    }
  }

  if (assetTypes !== undefined) {
    if (!Array.isArray(assetTypes)) problem('assetTypes', 'must be a list');
    else {
      const prefix = typeof name === 'string' ? tablePrefixOf(name) : undefined;
      assetTypes.forEach((type: unknown, index) => {
        const where = `assetTypes[${index}]`;
        if (!isObject(type)) return problem(where, 'must be an object');
        if (typeof type.key !== 'string' || !/^[a-z][a-z0-9-]{0,63}$/.test(type.key))
          problem(`${where}.key`, 'must be a lower-case key like "equipment"');
        if (typeof type.label !== 'string' || type.label === '') problem(`${where}.label`, 'is missing');
        try {
          validateFieldDefinitions(type.fields ?? []);
        } catch (error) {
          const fields = (error as { fields?: Record<string, string> }).fields ?? {};
          for (const [field, message] of Object.entries(fields)) problem(`${where}.${field}`, message);
        }
        if (type.detailColumns !== undefined) {
          const spec = type.detailColumns as Partial<PluginDetailColumns> | null;
          if (!isObject(spec) || !Array.isArray(spec.columns) || typeof spec.read !== 'function' || typeof spec.write !== 'function') {
            problem(`${where}.detailColumns`, 'must be { columns: [...], read(db, ids), write(db, rows) }');
          } else {
            spec.columns.forEach((column: Partial<PluginDetailColumn>, i) => {
              if (!isObject(column) || typeof column.field !== 'string' || !/^[a-z][a-z0-9_]{0,63}$/.test(column.field))
                problem(`${where}.detailColumns.columns[${i}].field`, 'must be snake_case');
              else if (!DETAIL_COLUMN_TYPES.includes(column.type as DetailColumnType))
                problem(`${where}.detailColumns.columns[${i}].type`, `must be one of ${DETAIL_COLUMN_TYPES.join(', ')}`);
              else if (column.type === 'enum' && (!Array.isArray(column.choices) || column.choices.length === 0))
                problem(`${where}.detailColumns.columns[${i}].choices`, 'an enum needs choices');
            });
            if (spec.check !== undefined && typeof spec.check !== 'function') problem(`${where}.detailColumns.check`, 'must be a function');
          }
        }
        if (type.detailTable !== undefined) {
          const table =
            isObject(type.detailTable) || typeof type.detailTable === 'string'
              ? detailTableName(type.detailTable as string | { table: string })
              : undefined;
          if (typeof table !== 'string' || (prefix && !table.startsWith(prefix)))
            problem(`${where}.detailTable`, `must be a table of the plugin (named ${prefix ?? '<name>_'}…)`);
          else if (isObject(type.detailTable))
            detailTableProblems(type.detailTable).forEach((message) => problem(`${where}.detailTable`, message));
        }
      });
    }
  }
  return problems;
}

const DETAIL_KINDS = new Set(['text', 'integer', 'boolean', 'datetime', 'date']);

/** What is wrong with a declared detail table (its name is checked by the caller). */
function detailTableProblems(spec: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const columns = spec.columns;
  if (!isObject(columns) || Object.keys(columns).length === 0) problems.push('needs columns: each detail by its API name, with its column');
  else {
    for (const [key, column] of Object.entries(columns)) {
      if (!isObject(column) || typeof column.column !== 'string' || !/^[a-z][a-z0-9_]{0,63}$/.test(column.column))
        problems.push(`columns.${key} needs a column name (lower-case, like "os_name")`);
      else if (column.kind !== undefined && !DETAIL_KINDS.has(column.kind as string))
        problems.push(`columns.${key}.kind must be one of ${[...DETAIL_KINDS].join(', ')}`);
    }
  }
  if (typeof spec.objectType !== 'string' || spec.objectType === '')
    problems.push('needs objectType (what its audit entries are about, like "computers.host")');
  for (const name of ['merge', 'validate', 'derivedColumns', 'writeError']) {
    if (spec[name] !== undefined && typeof spec[name] !== 'function') problems.push(`${name} must be a function`);
  }
  return problems;
}

/** The manifest, checked; throws PluginManifestError naming each bad field. */
export function validateManifest(raw: unknown, origin: string): PluginManifest {
  const problems = manifestProblems(raw);
  if (problems.length > 0) {
    const name = isObject(raw) && typeof raw.name === 'string' && raw.name !== '' ? raw.name : origin;
    throw new PluginManifestError(name, problems);
  }
  return raw as unknown as PluginManifest;
}

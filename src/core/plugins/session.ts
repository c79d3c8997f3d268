// What every plugin operation shares: the session it runs in (site database, catalog, actor), the
// context a plugin's hooks and seed receive, and running plugin code so that a failure names the
// plugin and the step.

import type { Knex } from 'knex';
import type { Actor } from '../audit/log.js';
import { UserError } from '../errors.js';
import type { AssetWriteOptions } from '../inventory/assets.js';
import { type AvailablePlugin, type PluginCatalog } from './catalog.js';
import { type PluginContext, type PluginLifecycleHooks } from './manifest.js';

/** Everything a plugin operation needs: the site database, what is available, who acts. */
export interface PluginSession {
  db: Knex;
  catalog: PluginCatalog;
  actor: Actor;
  /** Progress lines (stderr in the CLI). */
  log?: (message: string) => void;
}

export const noop = () => {};

export function hookContext(session: PluginSession, db: Knex | Knex.Transaction, plugin: AvailablePlugin): PluginContext {
  return { db, plugin: { name: plugin.manifest.name, version: plugin.manifest.version }, actor: session.actor, log: session.log ?? noop };
}

/** Runs plugin code; a failure names the plugin and the step, and keeps the original as cause. */
export async function runPluginStep(
  plugin: AvailablePlugin,
  step: string,
  work: () => Promise<void> | void,
  outcome = 'Nothing of this step was kept.',
): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`The ${step} of plugin "${plugin.manifest.name}" failed: ${(error as Error).message}`, {
      suggestion: `${outcome} Fix what the message names (or report it to the plugin author) and run the command again.`,
      cause: error,
    });
  }
}

export async function runHook(
  session: PluginSession,
  db: Knex | Knex.Transaction,
  plugin: AvailablePlugin,
  hook: keyof PluginLifecycleHooks,
): Promise<void> {
  const fn = plugin.manifest.hooks?.[hook];
  // The uninstall hook runs on the pool (DDL follows), so what it wrote stays; the plugin does too.
  const outcome = hook === 'uninstall' ? 'The plugin is still installed and its tables are untouched.' : undefined;
  if (fn) await runPluginStep(plugin, `${hook} hook`, () => fn(hookContext(session, db, plugin)), outcome);
}

export async function runSeed(
  session: PluginSession,
  db: Knex | Knex.Transaction,
  plugin: AvailablePlugin,
  demo: boolean,
  assetOptions: AssetWriteOptions = {},
): Promise<void> {
  const seed = plugin.manifest.seed;
  if (seed)
    await runPluginStep(plugin, demo ? 'demo seed' : 'seed', () => seed({ ...hookContext(session, db, plugin), demo, assetOptions }));
}

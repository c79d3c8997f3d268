// Runs the doctor checks of a site: loads the configuration (a failure becomes a failed check,
// not an abort), shares one database connection between the checks, and always closes it.

import type { Knex } from 'knex';
import type { LoadedConfig } from '../config/index.js';
import { databaseTargetFromConfig, openDatabase, type DatabaseLogger } from '../db/connect.js';
import { asShopdbError, type ShopdbError } from '../errors.js';
import { coreDoctorRegistry } from './checks.js';
import { pluginDoctorChecks } from './plugin-checks.js';
import { runChecks, type CheckTag, type DoctorRegistry, type DoctorReport } from './registry.js';

export * from './registry.js';
export { coreDoctorRegistry } from './checks.js';

export interface RunDoctorOptions {
  /** Loads the site configuration; may throw (reported as the config check failing). */
  loadConfig: () => LoadedConfig;
  tags?: readonly CheckTag[];
  path: string;
  logger?: DatabaseLogger;
  /** The checks to run; default: the core's and those of the site's enabled plugins. */
  registry?: DoctorRegistry;
}

export async function runDoctor(options: RunDoctorOptions): Promise<DoctorReport> {
  let config: LoadedConfig | null = null;
  let configError: ShopdbError | null = null;
  try {
    config = options.loadConfig();
  } catch (error) {
    configError = asShopdbError(error);
  }
  let opened: Promise<Knex> | undefined;
  const context = {
    config,
    configError,
    logger: options.logger,
    path: options.path,
    database(): Promise<Knex> {
      opened ??= openDatabase(databaseTargetFromConfig(config!), { logger: options.logger });
      return opened;
    },
  };
  try {
    const registry =
      options.registry ?? (await pluginDoctorChecks(context)).reduce((all, check) => all.register(check), coreDoctorRegistry());
    return await runChecks(registry.select(options.tags), context, options.tags);
  } finally {
    if (opened) await opened.then((db) => db.destroy()).catch(() => {});
  }
}

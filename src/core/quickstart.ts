// `shopdb quickstart`: the newcomer's path on the embedded SQLite default — write a .env if there
// is none, create the schema, add the demo site, create the first administrator (its generated
// password shown once), and check the result. Each step is one core service; the command then
// serves the API.

import { existsSync } from 'node:fs';
import type { Actor } from './audit/log.js';
import { generatePassword } from './auth/passwords.js';
import { loadConfig, type LoadedConfig } from './config/index.js';
import { databaseTargetFromConfig, withDatabase } from './db/connect.js';
import { seedSite, type SeedResult } from './seed/index.js';
import { createUser, listUsers } from './users/service.js';
import { runDoctor } from './doctor/index.js';
import type { DoctorReport } from './doctor/registry.js';
import { initSite } from './init/service.js';
import { migrateSite, type MigrateResult } from './migrations/site.js';
import { catalogOptionsFromConfig, loadPluginCatalog, type PluginCatalog } from './plugins/catalog.js';
import { installPlugins, type InstallResult } from './plugins/service.js';
import type { TaskStep } from './tasks.js';

export interface QuickstartOptions {
  envFile: string;
  env: Readonly<Record<string, string | undefined>>;
  path: string;
  actor: Actor;
}

/** The username quickstart gives the first administrator. */
export const QUICKSTART_ADMIN = 'admin';

export interface QuickstartContext {
  createdEnvFile: boolean;
  config?: LoadedConfig;
  migrate?: MigrateResult;
  seed?: SeedResult;
  catalog?: PluginCatalog;
  plugins?: InstallResult[];
  /** Set when this run created the administrator; the password exists nowhere else. */
  admin?: { username: string; password: string } | { username: string; existing: true };
  doctor?: DoctorReport;
}

export function quickstartSteps(options: QuickstartOptions): TaskStep<QuickstartContext>[] {
  const load = () => loadConfig({ envFile: options.envFile, cwd: '/', env: options.env });
  return [
    {
      title: 'Write the site .env (embedded SQLite, generated secrets)',
      skip: () => (existsSync(options.envFile) ? `${options.envFile} exists: keeping it` : false),
      task: async (ctx) => {
        await initSite({ envFile: options.envFile, force: false, answers: {} });
        ctx.createdEnvFile = true;
      },
    },
    {
      title: 'Create the database schema',
      task: async (ctx, report) => {
        ctx.config = load();
        ctx.migrate = await migrateSite({ config: ctx.config });
        report(`${ctx.migrate.appliedCount} migration(s) applied to ${ctx.migrate.database}`);
      },
    },
    {
      title: 'Install the default plugins (SHOPDB_DEFAULT_PLUGINS)',
      task: async (ctx, report) => {
        const catalog = await loadPluginCatalog(catalogOptionsFromConfig(ctx.config!));
        ctx.catalog = catalog;
        const names = ctx.config!.values.SHOPDB_DEFAULT_PLUGINS;
        ctx.plugins =
          names.length === 0
            ? []
            : await withDatabase(databaseTargetFromConfig(ctx.config!), {}, (db) =>
                installPlugins({ db, catalog, actor: options.actor }, { names }),
              );
        report(ctx.plugins.length === 0 ? 'none configured' : ctx.plugins.map((p) => `${p.name} ${p.action}`).join(', '));
      },
    },
    {
      title: 'Add the reference data and the demo site',
      task: async (ctx, report) => {
        ctx.seed = await withDatabase(databaseTargetFromConfig(ctx.config!), {}, (db) =>
          seedSite(db, { demo: true, actor: options.actor, catalog: ctx.catalog }),
        );
        report(`${ctx.seed.demo?.created ?? 0} demo rows added; plugins seeded: ${ctx.seed.plugins.join(', ') || 'none'}`);
      },
    },
    {
      title: 'Create the first administrator',
      task: async (ctx, report) => {
        ctx.admin = await withDatabase(databaseTargetFromConfig(ctx.config!), {}, async (db) => {
          const admins = (await listUsers(db)).filter((user) => user.role === 'admin');
          if (admins.length > 0) return { username: admins[0]!.username, existing: true as const };
          const password = generatePassword();
          await createUser(db, options.actor, { username: QUICKSTART_ADMIN, role: 'admin', password });
          return { username: QUICKSTART_ADMIN, password };
        });
        report('existing' in ctx.admin ? `an administrator exists already (${ctx.admin.username})` : `created ${ctx.admin.username}`);
      },
    },
    {
      title: 'Check the site',
      task: async (ctx) => {
        ctx.doctor = await runDoctor({ loadConfig: load, tags: ['install'], path: options.path });
      },
    },
  ];
}

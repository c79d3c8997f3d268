// `shopdb quickstart`: the newcomer's path on the embedded SQLite default — write a .env if there
// is none, create the schema, and check the result. Each step is one core service.

import { existsSync } from 'node:fs';
import { loadConfig, type LoadedConfig } from './config/index.js';
import { runDoctor } from './doctor/index.js';
import type { DoctorReport } from './doctor/registry.js';
import { initSite } from './init/service.js';
import { migrateSite, type MigrateResult } from './migrations/site.js';
import type { TaskStep } from './tasks.js';

export interface QuickstartOptions {
  envFile: string;
  env: Readonly<Record<string, string | undefined>>;
  path: string;
}

export interface QuickstartContext {
  createdEnvFile: boolean;
  config?: LoadedConfig;
  migrate?: MigrateResult;
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
      title: 'Check the site',
      task: async (ctx) => {
        ctx.doctor = await runDoctor({ loadConfig: load, tags: ['install'], path: options.path });
      },
    },
  ];
}

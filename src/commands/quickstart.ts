import { isAbsolute, resolve } from 'node:path';
import { BaseCommand } from '../cli/base-command.js';
import { ExitCode } from '../core/errors.js';
import type { DoctorReport } from '../core/doctor/registry.js';
import type { QuickstartContext } from '../core/quickstart.js';

export interface QuickstartResult {
  envFile: string;
  createdEnvFile: boolean;
  database: string | null;
  appliedCount: number;
  doctor: DoctorReport | null;
}

export default class Quickstart extends BaseCommand {
  static override summary = 'Set up a working site on the embedded SQLite default: .env, schema, checks.';
  static override description = 'Safe to run again: an existing .env is kept, and migrations already applied are skipped.';
  static override examples = ['<%= config.bin %> quickstart', '<%= config.bin %> quickstart --env-file ./demo/.env'];
  static override enableJsonFlag = true;

  async run(): Promise<QuickstartResult> {
    const { flags } = await this.parse(Quickstart);
    const envFile = this.envFileOf(flags).path;
    const { quickstartSteps } = await import('../core/quickstart.js');
    const target = isAbsolute(envFile) ? envFile : resolve(this.cwd, envFile);
    const steps = quickstartSteps({ envFile: target, env: this.env, path: this.env.PATH ?? '' });
    const ctx = await this.ui.tasks<QuickstartContext>(steps, { createdEnvFile: false });
    for (const check of ctx.doctor?.checks ?? []) this.ui.result(`${check.status.padEnd(4)}  ${check.title}: ${check.message.split('\n')[0]}`);
    this.ui.result('');
    this.ui.result(`shopdb is set up with ${ctx.migrate?.database ?? 'its database'}. Try: shopdb migrate status, shopdb doctor, shopdb --help`);
    if (ctx.doctor && !ctx.doctor.ok) process.exitCode = ExitCode.FAILED;
    // The context holds the loaded configuration (secrets included): return only what is safe.
    return {
      envFile: target,
      createdEnvFile: ctx.createdEnvFile,
      database: ctx.migrate?.database ?? null,
      appliedCount: ctx.migrate?.appliedCount ?? 0,
      doctor: ctx.doctor ?? null,
    };
  }
}

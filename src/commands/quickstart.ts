import { userInfo } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import type { DoctorReport } from '../core/doctor/registry.js';
import { ExitCode } from '../core/errors.js';
import type { QuickstartContext } from '../core/quickstart.js';

export interface QuickstartResult {
  envFile: string;
  createdEnvFile: boolean;
  database: string | null;
  appliedCount: number;
  /** `password` only when this run created the administrator: it is shown this once. */
  admin: { username: string; password?: string } | null;
  url: string | null;
  doctor: DoctorReport | null;
}

export default class Quickstart extends BaseCommand {
  static override summary = 'Set up a working site on the embedded SQLite default and serve the API.';
  static override description =
    'Writes a .env (if there is none), creates the schema, adds the demo site, creates the administrator `admin` with a generated password shown once, checks the site, then serves the API until Ctrl-C. Safe to run again: the .env, applied migrations, seeded rows and an existing administrator are kept.';
  static override examples = [
    '<%= config.bin %> quickstart',
    '<%= config.bin %> quickstart --no-serve --json',
    'HTTP_PORT=9000 <%= config.bin %> quickstart',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    serve: Flags.boolean({
      summary: 'Serve the API when the site is ready (--no-serve to stop after set-up).',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<QuickstartResult> {
    const { flags } = await this.parse(Quickstart);
    const envFile = this.envFileOf(flags).path;
    const target = isAbsolute(envFile) ? envFile : resolve(this.cwd, envFile);
    const [{ quickstartSteps }, { cliActor }] = await Promise.all([import('../core/quickstart.js'), import('../core/audit/log.js')]);
    const steps = quickstartSteps({ envFile: target, env: this.env, path: this.env.PATH ?? '', actor: cliActor(userInfo().username) });
    const ctx = await this.ui.tasks<QuickstartContext>(steps, { createdEnvFile: false });

    for (const check of ctx.doctor?.checks ?? [])
      this.ui.result(`${check.status.padEnd(4)}  ${check.title}: ${check.message.split('\n')[0]}`);
    this.ui.result('');
    this.ui.result(`shopdb is set up with ${ctx.migrate?.database ?? 'its database'} and the demo site.`);
    const created = ctx.admin && 'password' in ctx.admin ? ctx.admin : undefined;
    if (created)
      this.ui.result(
        `Administrator: ${created.username}, password ${created.password} (shown only now; change it with \`shopdb user reset-password ${created.username}\`)`,
      );
    else if (ctx.admin)
      this.ui.result(
        `Administrator: ${ctx.admin.username} (already there; \`shopdb user reset-password ${ctx.admin.username}\` sets a new password)`,
      );
    if (ctx.doctor && !ctx.doctor.ok) process.exitCode = ExitCode.FAILED;

    const result: QuickstartResult = {
      envFile: target,
      createdEnvFile: ctx.createdEnvFile,
      database: ctx.migrate?.database ?? null,
      appliedCount: ctx.migrate?.appliedCount ?? 0,
      admin: ctx.admin ? { username: ctx.admin.username, ...(created ? { password: created.password } : {}) } : null,
      url: null,
      doctor: ctx.doctor ?? null,
    };
    if (!flags.serve || !ctx.config || (ctx.doctor && !ctx.doctor.ok)) return result;

    const { startServer } = await import('../api/server.js');
    const server = await startServer({ config: ctx.config, logger: false });
    result.url = server.url;
    this.ui.result('');
    this.ui.result(`The API listens on ${server.url} — Ctrl-C stops it. Try:`);
    this.ui.result(
      `  curl -s -X POST ${server.url}/api/auth/login -H 'content-type: application/json' -d '{"username":"${ctx.admin?.username ?? 'admin'}","password":"…"}'`,
    );
    this.ui.result(`  curl -s '${server.url}/api/assets?type=equipment' -H "authorization: Bearer <token from the login>"`);
    await server.stopped;
    return result;
  }
}

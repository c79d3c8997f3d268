import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { CHECK_TAGS, type CheckStatus, type DoctorReport } from '../core/doctor/registry.js';
import { ExitCode } from '../core/errors.js';

export default class Doctor extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary = 'Check that the site is ready: configuration, database, migrations, backup tools and space.';
  static override description = `Exit code 0 when every check passes (warnings allowed), ${ExitCode.FAILED} when any fails. --tag runs only the checks that matter at that moment: \`update\` runs its tag as a pre-flight; run \`--tag start\` before serving and \`--tag backup\` to check the backup tools and folder.`;
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --tag backup --json'];
  static override enableJsonFlag = true;
  static override flags = {
    tag: Flags.string({ summary: 'Only checks that matter for this moment (repeatable).', options: [...CHECK_TAGS], multiple: true }),
  };

  async run(): Promise<DoctorReport> {
    const { flags } = await this.parse(Doctor);
    const { runDoctor } = await import('../core/doctor/index.js');
    const report = await runDoctor({
      loadConfig: () => this.loadSiteConfig(flags),
      tags: flags.tag as DoctorReport['checks'][number]['tags'] | undefined,
      path: this.env.PATH ?? '',
      logger: this.dbLogger,
    });
    const { chalk } = this.ui;
    const mark: Record<CheckStatus, string> = {
      pass: chalk.green('ok  '),
      warn: chalk.yellow('warn'),
      fail: chalk.red('FAIL'),
      skip: chalk.dim('skip'),
    };
    for (const check of report.checks) {
      const [first, ...rest] = check.message.split('\n');
      this.ui.result(`${mark[check.status]}  ${check.title}: ${first}`);
      for (const line of rest) this.ui.result(`        ${line}`);
      if (check.suggestion && (check.status === 'fail' || check.status === 'warn'))
        this.ui.result(`        ${chalk.cyan('Fix:')} ${check.suggestion}`);
    }
    const { pass, warn, fail, skip } = report.counts;
    this.ui.result(`\n${pass} passed, ${warn} warnings, ${fail} failed, ${skip} skipped.`);
    if (!report.ok) process.exitCode = ExitCode.FAILED;
    return report;
  }
}

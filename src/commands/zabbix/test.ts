import { BaseCommand } from '../../cli/base-command.js';
import { ExitCode } from '../../core/errors.js';
import type { ZabbixTestReport } from '../../core/monitoring/zabbix/diagnose.js';

export default class ZabbixTest extends BaseCommand {
  static override summary =
    'Check the Zabbix connection step by step: reachable, TLS, version, which way of sending the credentials works, and how many hosts they can read.';
  static override description = `Tries the credentials both in the request body and in the Authorization header: when they work in one but not the one the version wants, it says so and prints the web-server fix. The token is never printed. Exit code ${ExitCode.FAILED} when any step fails.`;
  static override examples = ['<%= config.bin %> zabbix test', '<%= config.bin %> zabbix test --json'];
  static override enableJsonFlag = true;

  async run(): Promise<ZabbixTestReport> {
    const { flags } = await this.parse(ZabbixTest);
    const config = this.loadSiteConfig(flags);
    const { requireZabbixSettings } = await import('../../core/monitoring/zabbix/settings.js');
    const { testZabbix } = await import('../../core/monitoring/zabbix/diagnose.js');
    const report = await testZabbix(requireZabbixSettings(config));
    const { chalk } = this.ui;
    this.ui.result(`${report.url}${report.version ? `  (Zabbix ${report.version})` : ''}`);
    for (const step of report.steps) {
      this.ui.result(`  ${step.ok ? chalk.green('ok  ') : chalk.red('FAIL')}  ${step.step}: ${step.message}`);
      if (step.fix) this.ui.result(`          ${chalk.cyan('Fix:')} ${step.fix}`);
    }
    if (report.version)
      this.ui.result(
        `  auth: body ${report.auth.body}, header ${report.auth.header}; Zabbix ${report.version} wants the ${report.auth.expected}`,
      );
    if (!report.ok) process.exitCode = ExitCode.FAILED;
    return report;
  }
}

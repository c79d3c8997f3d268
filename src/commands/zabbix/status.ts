import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { SiteMonitoringReport } from '../../core/monitoring/report.js';

export default class ZabbixStatus extends BaseCommand {
  static override summary =
    'Show the Zabbix status of one asset, or of every pinned asset, with its open problems and how old the answer is.';
  static override description =
    'States: ok, problem, unknown (Zabbix could not be asked: the reason follows), unmatched (no pin), disabled (the host is disabled in Zabbix). Problems are at most ZABBIX_PROBLEM_TTL old unless marked stale.';
  static override examples = ['<%= config.bin %> zabbix status', '<%= config.bin %> zabbix status CNC-0042 --json'];
  static override enableJsonFlag = true;
  static override args = {
    assetTag: Args.string({ required: false, description: 'The asset tag of one asset.' }),
  };

  async run(): Promise<SiteMonitoringReport> {
    const { args, flags } = await this.parse(ZabbixStatus);
    const config = this.loadSiteConfig(flags);
    const { withMonitoring } = await import('../../cli/zabbix.js');
    const { siteMonitoringReport } = await import('../../core/monitoring/report.js');
    const report = await withMonitoring(config, this.dbLogger, this.ui, (session, monitoring) =>
      siteMonitoringReport(session.db, monitoring, args.assetTag),
    );
    const { chalk } = this.ui;
    const paint = { ok: chalk.green, problem: chalk.red, unknown: chalk.yellow, unmatched: chalk.gray, disabled: chalk.gray } as const;
    for (const asset of report.assets) {
      const m = asset.monitoring;
      const age = m.ageSeconds === null ? 'never checked' : `checked ${m.ageSeconds} s ago${m.stale ? ', stale' : ''}`;
      this.ui.result(
        `${paint[m.state](m.state.padEnd(9))} ${asset.assetTag.padEnd(16)} ${m.host ?? '-'}  (${age})${m.reason ? `: ${m.reason}` : ''}`,
      );
      for (const p of m.problems)
        this.ui.result(`            ${p.severity.padEnd(14)} ${p.name}  since ${p.since}${p.acknowledged ? '  (acknowledged)' : ''}`);
    }
    if (args.assetTag === undefined)
      this.ui.info(
        `${report.assets.length} pinned assets: ${
          Object.entries(report.counts)
            .filter(([, n]) => n > 0)
            .map(([s, n]) => `${n} ${s}`)
            .join(', ') || 'none'
        }; ${report.unpinned} not pinned.`,
      );
    return report;
  }
}

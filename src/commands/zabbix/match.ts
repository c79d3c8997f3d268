import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { MatchReport } from '../../core/monitoring/match.js';

export default class ZabbixMatch extends BaseCommand {
  static override summary =
    'Propose a Zabbix host for each unpinned asset (hostname, then the name without its domain, then a known IP); --apply stores the pins.';
  static override description =
    'Refreshes the Zabbix host map first. Ambiguous matches (several hosts), duplicates (several assets for one host, or a host pinned already) and prefix collisions (vcenter / vcenter8) are listed and never pinned: pin those through the API. Without --apply nothing is written (--dry-run says so explicitly). Each pin is audited.';
  static override examples = [
    '<%= config.bin %> zabbix match',
    '<%= config.bin %> zabbix match --apply',
    '<%= config.bin %> zabbix match --dry-run --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    apply: Flags.boolean({ summary: 'Store the proposed pins.', exclusive: ['dry-run'] }),
    'dry-run': Flags.boolean({ summary: 'Only show the proposals (the default).', exclusive: ['apply'] }),
  };

  async run(): Promise<MatchReport> {
    const { flags } = await this.parse(ZabbixMatch);
    const config = this.loadSiteConfig(flags);
    const { withMonitoring } = await import('../../cli/zabbix.js');
    const { matchAssets } = await import('../../core/monitoring/match.js');
    const report = await withMonitoring(config, this.dbLogger, this.ui, (session, monitoring) =>
      matchAssets({ db: session.db, monitoring, plugins: session.catalog.plugins, actor: session.actor, apply: flags.apply === true }),
    );
    for (const p of report.proposals)
      this.ui.result(
        `${report.applied ? 'pinned ' : 'propose'}  ${p.assetTag.padEnd(16)} → ${p.host} (hostid ${p.hostid}) by ${p.how} ${p.on}`,
      );
    for (const issue of report.issues) this.ui.result(`${issue.kind.padEnd(16)}  ${issue.assetTag.padEnd(16)}   ${issue.reason}`);
    for (const e of report.addressErrors) this.ui.warn(`the ${e.plugin} plugin's addresses could not be read: ${e.error}`);
    this.ui.info(
      `${report.hostsInZabbix} Zabbix hosts, ${report.alreadyPinned} assets pinned already; ${report.proposals.length} ${report.applied ? 'pinned now' : 'proposed'}, ${report.issues.length} to review, ${report.unmatched} unmatched.` +
        (!report.applied && report.proposals.length > 0 ? ' Run again with --apply to store the proposals.' : ''),
    );
    return report;
  }
}

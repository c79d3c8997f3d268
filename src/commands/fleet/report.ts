import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { FleetReportResult, ReportFormat } from '../../core/fleet/report.js';

export default class FleetReport extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary =
    "Pull every site and write the fleet's totals and per-site table, as CSV, JSON or a self-contained HTML page with a chart, for a monthly report.";
  static override description =
    'A site that does not answer is reported from its last good summary, marked stale with the time it was pulled; the sites that are not fresh are listed on stderr. Exit code 0 once the report is written, even with stale sites (use `fleet status` to monitor), 1 when no site has any figures.';
  static override examples = [
    '<%= config.bin %> fleet report --format csv --out fleet-2026-12.csv',
    '<%= config.bin %> fleet report --format json > fleet.json',
    '<%= config.bin %> fleet report --format html --out fleet-2026-12.html',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    format: Flags.string({
      summary:
        'csv: one row per site and a total row; json: the same, structured; html: one page (no scripts, nothing loaded) with the totals, the table and a chart of assets by type per site.',
      options: ['csv', 'json', 'html'],
      default: 'csv',
    }),
    out: Flags.string({ summary: 'Write the report to this file (default: stdout).' }),
    timeout: Flags.integer({ summary: 'Seconds the pull may take, every site included (default 10).', min: 1, max: 3600 }),
    concurrency: Flags.integer({ summary: 'Sites pulled at the same time (default 64).', min: 1, max: 1024 }),
  };

  async run(): Promise<Omit<FleetReportResult, 'text'>> {
    const { flags } = await this.parse(FleetReport);
    const config = this.loadSiteConfig(flags);
    const { resolve } = await import('node:path');
    const [{ createFleetReport }, { fleetFileOf }, { defaultKnownMigrationSources }, { shopdbVersion }, { whileHandlingSignals }] =
      await Promise.all([
        import('../../core/fleet/report.js'),
        import('../../core/fleet/fleet-file.js'),
        import('../../core/backup/known-migrations.js'),
        import('../../core/plugins/catalog.js'),
        import('../../cli/signals.js'),
      ]);
    const knownSources = await defaultKnownMigrationSources(config);
    const { text, ...result } = await whileHandlingSignals(
      (signal) =>
        createFleetReport({
          fleetFile: fleetFileOf(config),
          format: flags.format as ReportFormat,
          out: flags.out === undefined ? undefined : resolve(this.cwd, flags.out),
          timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000,
          concurrency: flags.concurrency,
          knownSources,
          version: shopdbVersion(),
          signal,
        }),
      { ui: this.ui },
    );
    for (const site of result.notFresh) this.ui.warn(`${site.site}: ${site.status}${site.problem ? ` (${site.problem})` : ''}`);
    if (result.out) this.ui.info(`Wrote the ${result.format} report of ${result.report.sites.length} sites to ${result.out}.`);
    else this.ui.result(text.replace(/\n$/, ''));
    return result;
  }
}

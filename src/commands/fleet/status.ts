import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { UsageError } from '../../core/errors.js';
import type { FleetStatusReport } from '../../core/fleet/status.js';

/** 42 s, 17 min, 5 h, 3 d. */
function age(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

function seconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0 || parsed > 3600)
    throw new UsageError(`--${flag} must be a number of seconds between 0 and 3600 (got "${value}")`);
  return Math.round(parsed * 1000);
}

export default class FleetStatus extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary =
    "Pull every site's summary at once and show each site and the fleet totals; a site that does not answer is shown from its last good summary, marked stale.";
  static override description =
    'Statuses: ok, stale (the last good summary is shown; why this pull failed follows), timeout, refused, auth_failed (token revoked or not summary:read), incompatible (a newer schema or an older shopdb), error. The whole run takes at most --timeout, whatever the sites do. Exit code 0 when every site is fresh, 1 when some are stale or failing, 3 when none answered, 2 for a configuration problem (no sites, a bad fleet file).';
  static override examples = [
    '<%= config.bin %> fleet status',
    '<%= config.bin %> fleet status --json --timeout 20',
    '<%= config.bin %> fleet status --concurrency 8',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    timeout: Flags.string({ summary: 'Seconds the whole run may take, every site included (default 10).' }),
    'connect-timeout': Flags.string({ summary: "Seconds to wait for each site's connection (default 3)." }),
    concurrency: Flags.integer({ summary: 'Sites pulled at the same time (default 64).', min: 1, max: 1024 }),
  };

  async run(): Promise<FleetStatusReport> {
    const { flags } = await this.parse(FleetStatus);
    const timeoutMs = seconds('timeout', flags.timeout);
    const connectTimeoutMs = seconds('connect-timeout', flags['connect-timeout']);
    const config = this.loadSiteConfig(flags);
    const [
      { fleetStatus },
      { fleetFileOf },
      { defaultKnownMigrationSources },
      { shopdbVersion },
      { whileHandlingSignals },
      { printTable },
    ] = await Promise.all([
      import('../../core/fleet/status.js'),
      import('../../core/fleet/fleet-file.js'),
      import('../../core/backup/known-migrations.js'),
      import('../../core/paths.js'),
      import('../../cli/signals.js'),
      import('../../cli/users.js'),
    ]);
    const knownSources = await defaultKnownMigrationSources(config);
    const report = await whileHandlingSignals(
      (signal) =>
        fleetStatus({
          fleetFile: fleetFileOf(config),
          timeoutMs,
          connectTimeoutMs,
          concurrency: flags.concurrency,
          knownSources,
          version: shopdbVersion(),
          signal,
        }),
      { ui: this.ui },
    );
    for (const warning of report.warnings) this.ui.warn(warning);
    const rows = report.sites.map((s) => [
      s.name,
      s.status === 'stale' ? `stale (${s.failure})` : s.status,
      s.shopdbVersion ?? '-',
      s.coreSchema ?? '-',
      age(s.dataAgeSeconds),
      age(s.backupAgeSeconds),
      s.assets === null ? '-' : String(s.assets),
      s.problem ?? '',
    ]);
    printTable(this.ui, ['SITE', 'STATUS', 'VERSION', 'SCHEMA', 'DATA AGE', 'BACKUP AGE', 'ASSETS', 'PROBLEM'], rows);
    const t = report.totals;
    const counts = Object.entries(t.byStatus)
      .filter(([, n]) => n > 0)
      .map(([status, n]) => `${n} ${status}`)
      .join(', ');
    this.ui.result(
      `\n${t.sites} sites: ${counts}. ${t.assets} assets${t.assetsByType.length > 0 ? ` (${t.assetsByType.map((a) => `${a.count} ${a.key}`).join(', ')})` : ''}.`,
    );
    for (const headline of t.headlines.filter((h) => h.value > 0))
      this.ui.result(`${headline.label} (${headline.plugin}): ${headline.value}`);
    this.ui.info(
      `Pulled in ${(report.durationMs / 1000).toFixed(1)} s (at most ${report.timeoutMs / 1000} s, ${report.concurrency} at a time).`,
    );
    process.exitCode = report.exitCode;
    return report;
  }
}

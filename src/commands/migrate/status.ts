import { BaseCommand } from '../../cli/base-command.js';
import type { SiteMigrationStatus } from '../../core/migrations/site.js';

export default class MigrateStatus extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary = 'Show applied and pending migrations of every migration source.';
  static override description = 'Exit code 0 whether or not migrations are pending; read `upToDate` in --json output to decide.';
  static override examples = ['<%= config.bin %> migrate status', '<%= config.bin %> migrate status --json'];
  static override enableJsonFlag = true;

  async run(): Promise<SiteMigrationStatus> {
    const { flags } = await this.parse(MigrateStatus);
    const config = this.loadSiteConfig(flags);
    const { siteMigrationStatus } = await import('../../core/migrations/site.js');
    const status = await siteMigrationStatus({ config, logger: this.dbLogger });
    const { chalk } = this.ui;
    this.ui.result(`Database: ${status.database}${status.databaseExists ? '' : ' (not created yet: run `shopdb migrate`)'}`);
    for (const source of status.sources) {
      this.ui.result('');
      this.ui.result(chalk.bold(`${source.label} (${source.table}): ${source.applied.length} applied, ${source.pending.length} pending`));
      for (const m of source.applied)
        this.ui.result(`  ${chalk.green('applied')}  ${m.name}  batch ${m.batch}  ${m.appliedAt?.toISOString() ?? ''}`);
      for (const name of source.pending) this.ui.result(`  ${chalk.yellow('pending')}  ${name}`);
      for (const name of source.unknown) this.ui.result(`  ${chalk.red('unknown')}  ${name}  (applied by a newer shopdb)`);
      if (source.lockHeld)
        this.ui.result(`  ${chalk.red('locked')}   a migrate run is in progress, or one crashed: \`shopdb migrate unlock\` once none runs`);
      if (source.lastFailure) {
        this.ui.result(
          `  ${chalk.red('failed')}   ${source.lastFailure.migration} at ${source.lastFailure.failedAt?.toISOString() ?? '?'}: ${source.lastFailure.error}`,
        );
        this.ui.result('           On MySQL its DDL may be partly applied; see docs/MIGRATIONS.md, then run `shopdb migrate`.');
      }
    }
    this.ui.result('');
    this.ui.result(status.upToDate ? 'Up to date.' : 'Migrations are pending: run `shopdb migrate`.');
    return status;
  }
}

import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { MigrateResult } from '../../core/migrations/site.js';

export default class Migrate extends BaseCommand {
  static override summary = 'Apply pending database migrations (core first, then plugins).';
  static override description =
    'Brings the site database to the latest schema. Running it again is a no-op. If another run holds the migration lock, waits up to --wait seconds, then stops with exit code 5.';
  static override examples = ['<%= config.bin %> migrate', '<%= config.bin %> migrate --env-file /srv/shopdb/.env --json'];
  static override enableJsonFlag = true;
  static override flags = {
    wait: Flags.integer({ summary: "Seconds to wait for another run's migration lock.", default: 30, min: 0 }),
  };

  async run(): Promise<MigrateResult> {
    const { flags } = await this.parse(Migrate);
    const config = this.loadSiteConfig(flags);
    const { migrateSite } = await import('../../core/migrations/site.js');
    const result = await migrateSite({
      config,
      waitSeconds: flags.wait,
      logger: this.dbLogger,
      onSource: (source) => this.ui.info(`Migrating ${source.label}…`),
    });
    for (const source of result.sources) {
      this.ui.result(`${source.label}: ${source.applied.length === 0 ? 'already up to date' : `applied ${source.applied.length}`}`);
      for (const name of source.applied) this.ui.result(`  + ${name}`);
    }
    this.ui.result(`${result.database} is up to date.`);
    return result;
  }
}

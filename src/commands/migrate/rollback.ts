import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { MigrateResult } from '../../core/migrations/site.js';

export default class MigrateRollback extends BaseCommand {
  static override summary = 'Undo migrations of one source: the last batch, --step n, or --all.';
  static override description =
    'Runs the down() of the newest migrations. Take a backup first: rolling back a migration that created a table drops that table and its rows.';
  static override examples = [
    '<%= config.bin %> migrate rollback',
    '<%= config.bin %> migrate rollback --step 1',
    '<%= config.bin %> migrate rollback --all --source core',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    step: Flags.integer({ summary: 'Roll back this many migrations, newest first.', min: 1, exclusive: ['all'] }),
    all: Flags.boolean({ summary: 'Roll back every migration of the source.', exclusive: ['step'] }),
    source: Flags.string({ summary: 'Migration source to roll back.', default: 'core' }),
  };

  async run(): Promise<MigrateResult> {
    const { flags } = await this.parse(MigrateRollback);
    const config = this.loadSiteConfig(flags);
    const { rollbackSite } = await import('../../core/migrations/site.js');
    const result = await rollbackSite({ config, source: flags.source, step: flags.step, all: flags.all, logger: this.dbLogger });
    const [source] = result.sources;
    this.ui.result(source && source.applied.length > 0 ? `${source.label}: rolled back ${source.applied.length}` : 'Nothing to roll back.');
    for (const name of source?.applied ?? []) this.ui.result(`  - ${name}`);
    return result;
  }
}

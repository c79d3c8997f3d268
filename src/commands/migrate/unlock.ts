import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';

export default class MigrateUnlock extends BaseCommand {
  static override summary = 'Release a migration lock left behind by a crashed run.';
  static override description = 'Only run this when no `shopdb migrate` or `shopdb update` is running: the lock is what stops two runs applying the same migration.';
  static override examples = ['<%= config.bin %> migrate unlock'];
  static override enableJsonFlag = true;
  static override flags = {
    source: Flags.string({ summary: 'Migration source whose lock to release.', default: 'core' }),
  };

  async run(): Promise<{ database: string; source: string; wasLocked: boolean }> {
    const { flags } = await this.parse(MigrateUnlock);
    const config = this.loadSiteConfig(flags);
    const { unlockSite } = await import('../../core/migrations/site.js');
    const result = await unlockSite({ config, source: flags.source, logger: this.dbLogger });
    this.ui.result(result.wasLocked ? `Released the ${result.source} migration lock.` : `The ${result.source} migration lock was not held.`);
    return result;
  }
}

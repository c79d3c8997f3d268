import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';

export default class MigrateUnlock extends BaseCommand {
  static override summary = "Release a migration lock (and the site's schema lock) left behind by a crashed run.";
  static override description =
    'Only run this when no `shopdb migrate`, `shopdb migrate rollback`, `shopdb update` or `shopdb plugin install|upgrade|uninstall` is running: the locks are what stop two runs changing the schema at once.';
  static override examples = ['<%= config.bin %> migrate unlock'];
  static override enableJsonFlag = true;
  static override flags = {
    source: Flags.string({ summary: 'Migration source whose lock to release.', default: 'core' }),
  };

  async run(): Promise<{ database: string; source: string; wasLocked: boolean; schemaLockHolder: string | null }> {
    const { flags } = await this.parse(MigrateUnlock);
    const config = this.loadSiteConfig(flags);
    const { unlockSite } = await import('../../core/migrations/site.js');
    const result = await unlockSite({ config, source: flags.source, logger: this.dbLogger });
    if (result.schemaLockHolder !== null) this.ui.result(`Released the site's schema lock (held by ${result.schemaLockHolder}).`);
    this.ui.result(
      result.wasLocked ? `Released the ${result.source} migration lock.` : `The ${result.source} migration lock was not held.`,
    );
    return result;
  }
}

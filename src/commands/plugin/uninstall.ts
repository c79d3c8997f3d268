import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { CancelledError } from '../../core/errors.js';
import type { UninstallResult } from '../../core/plugins/service.js';
import type { PluginHoldings } from '../../core/plugins/listing.js';

export default class PluginUninstall extends BaseCommand {
  static override summary = 'Uninstall a plugin: roll back its migrations and remove its asset types and state.';
  static override description =
    'Refuses while the plugin holds data (rows in its tables, assets of its types) unless --purge, and while an installed plugin depends on it. --purge asks first (or takes --yes), takes a safety backup (<site>-<time>-pre-uninstall.shopdb.tar in BACKUP_DIR; --no-backup skips it), then removes the plugin with its data: nothing of it remains; the audit log keeps its history. `shopdb restore <that file> --yes` brings it all back.';
  static override examples = ['<%= config.bin %> plugin uninstall printers', '<%= config.bin %> plugin uninstall printers --purge --yes'];
  static override enableJsonFlag = true;
  static override args = {
    name: Args.string({ required: true, description: 'The plugin.' }),
  };
  static override flags = {
    purge: Flags.boolean({ summary: 'Also delete the data it holds.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask before purging (for scripts).' }),
    backup: Flags.boolean({ summary: 'Take a safety backup before purging (--no-backup: do not).', default: true, allowNo: true }),
  };

  async run(): Promise<UninstallResult & { backup: string | null }> {
    const { args, flags } = await this.parse(PluginUninstall);
    const config = this.loadSiteConfig(flags);
    const { withPluginSession } = await import('../../cli/plugins.js');
    const { uninstallPlugin } = await import('../../core/plugins/service.js');
    let backup: string | null = null;
    const confirmPurge = async (holdings: PluginHoldings) => {
      const what = `${holdings.assets} assets and ${holdings.total - holdings.assets} rows in ${holdings.tables.length} tables`;
      if (!flags.yes) {
        this.ui.requireInteractive(`Confirmation to delete ${what} of plugin ${args.name}`, '--yes');
        const backupNote = flags.backup ? ' A safety backup is taken first.' : ' No backup is taken (--no-backup).';
        if (!(await this.ui.confirm(`Delete plugin ${args.name} with ${what}?${backupNote}`))) {
          throw new CancelledError(`Plugin ${args.name} was not uninstalled; nothing was changed`);
        }
      }
      if (!flags.backup) return;
      const { takeSafetyBackup } = await import('../../core/backup/create.js');
      backup = await takeSafetyBackup(
        { config, path: this.env.PATH ?? '', logger: this.dbLogger, warn: (message) => this.ui.warn(message) },
        'pre-uninstall',
      );
      this.ui.info(`Safety backup written: ${backup}`);
    };
    const result = await withPluginSession(config, this.dbLogger, this.ui, (session) =>
      uninstallPlugin(session, args.name, { purge: flags.purge, beforePurge: confirmPurge }),
    );
    const removed = result.purged ? ` with its data (${result.removed.assets} assets, ${result.removed.rows} rows)` : '';
    this.ui.result(`Uninstalled plugin ${result.name}${removed}; ${result.removed.migrations.length} migrations rolled back.`);
    if (backup) this.ui.result(`To bring it back: shopdb restore ${backup} --yes`);
    return { ...result, backup };
  }
}

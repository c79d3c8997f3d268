import { BaseCommand } from '../../cli/base-command.js';
import type { InstallResult } from '../../core/plugins/service.js';

export default class PluginUpgrade extends BaseCommand {
  static override summary =
    'Apply what newer plugin versions bring: migrations, asset types, seed. Without a name, every installed plugin.';
  static override description =
    'Plugins are upgraded in dependency order. A plugin whose installed version is newer than the one here is refused (no downgrades).';
  static override examples = ['<%= config.bin %> plugin upgrade', '<%= config.bin %> plugin upgrade equipment --json'];
  static override enableJsonFlag = true;
  static override strict = false;
  static override usage = ['plugin upgrade [NAME...]'];

  async run(): Promise<{ plugins: InstallResult[] }> {
    const { argv, flags } = await this.parse(PluginUpgrade);
    const config = this.loadSiteConfig(flags);
    const { withPluginSession } = await import('../../cli/plugins.js');
    const { upgradePlugins } = await import('../../core/plugins/service.js');
    const plugins = await withPluginSession(config, this.dbLogger, this.ui, (session) => upgradePlugins(session, argv as string[]));
    if (plugins.length === 0) this.ui.result('No plugin is installed; nothing to upgrade.');
    for (const plugin of plugins) {
      const migrations =
        plugin.migrations.length > 0 ? `, ${plugin.migrations.length} migration${plugin.migrations.length > 1 ? 's' : ''}` : '';
      this.ui.result(`${plugin.name} ${plugin.version}: ${plugin.action === 'upgraded' ? 'upgraded' : 'already current'}${migrations}`);
    }
    return { plugins };
  }
}

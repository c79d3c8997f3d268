import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { UsageError } from '../../core/errors.js';
import type { InstallResult } from '../../core/plugins/service.js';

export default class PluginInstall extends BaseCommand {
  static override summary = 'Install plugins on this site (and what they depend on): migrations, asset types, seed, enabled.';
  static override description =
    'Dependencies are installed first. Idempotent: an installed, enabled, current plugin is left as it is; a disabled one is enabled again. Each plugin is one unit: if a step fails, what that plugin did is undone. A running `shopdb serve` picks the change up within seconds.';
  static override examples = ['<%= config.bin %> plugin install equipment computers', '<%= config.bin %> plugin install --all --json'];
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = {};
  static override flags = {
    all: Flags.boolean({ summary: 'Install every plugin that can be used on this site.' }),
  };
  static override usage = ['plugin install NAME... [--all]'];

  async run(): Promise<{ plugins: InstallResult[] }> {
    const { argv, flags } = await this.parse(PluginInstall);
    const names = argv as string[];
    if (flags.all && names.length > 0)
      throw new UsageError('Give plugin names or --all, not both', { suggestion: 'Use `shopdb plugin install --all` for every plugin.' });
    const config = this.loadSiteConfig(flags);
    const { withPluginSession } = await import('../../cli/plugins.js');
    const { installPlugins } = await import('../../core/plugins/service.js');
    const plugins = await withPluginSession(config, this.dbLogger, this.ui, (session) =>
      installPlugins(session, { names, all: flags.all }),
    );
    for (const plugin of plugins) {
      const migrations =
        plugin.migrations.length > 0 ? ` (${plugin.migrations.length} migration${plugin.migrations.length > 1 ? 's' : ''})` : '';
      this.ui.result(
        `${plugin.name} ${plugin.version}: ${plugin.action === 'unchanged' ? 'already installed and enabled' : plugin.action}${migrations}`,
      );
    }
    return { plugins };
  }
}

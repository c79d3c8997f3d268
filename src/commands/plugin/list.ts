import { BaseCommand } from '../../cli/base-command.js';
import type { PluginListing } from '../../core/plugins/listing.js';

export default class PluginList extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary = 'List the plugins: available to this shopdb, installed on this site, enabled or not.';
  static override description =
    'Status is one of: available (not installed), enabled, disabled, upgradable (a newer version is here: `shopdb plugin upgrade`), missing (installed, but its files are gone), unusable (invalid, made for another shopdb, or a dependency problem — see its problems).';
  static override examples = ['<%= config.bin %> plugin list', '<%= config.bin %> plugin list --json'];
  static override enableJsonFlag = true;

  async run(): Promise<{ plugins: PluginListing[] }> {
    const { flags } = await this.parse(PluginList);
    const config = this.loadSiteConfig(flags);
    const { withPluginSession, describeListing } = await import('../../cli/plugins.js');
    const { listPlugins } = await import('../../core/plugins/listing.js');
    const plugins = await withPluginSession(config, this.dbLogger, this.ui, listPlugins);
    this.ui.result(`${'NAME'.padEnd(16)} ${'VERSION'.padEnd(16)} ${'STATUS'.padEnd(11)} DESCRIPTION`);
    for (const plugin of plugins) {
      this.ui.result(describeListing(plugin));
      for (const problem of plugin.problems) this.ui.result(`  ! ${problem}`);
    }
    return { plugins };
  }
}

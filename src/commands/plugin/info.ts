import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { PluginInfo } from '../../core/plugins/listing.js';

export default class PluginInfoCommand extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary = 'Show one plugin: versions, state, dependencies, asset types, routes, migrations and the data it holds.';
  static override examples = ['<%= config.bin %> plugin info equipment', '<%= config.bin %> plugin info software --json'];
  static override enableJsonFlag = true;
  static override args = {
    name: Args.string({ required: true, description: 'The plugin.' }),
  };

  async run(): Promise<PluginInfo> {
    const { args, flags } = await this.parse(PluginInfoCommand);
    const config = this.loadSiteConfig(flags);
    const { withPluginSession, describeListing } = await import('../../cli/plugins.js');
    const { pluginInfo } = await import('../../core/plugins/listing.js');
    const info = await withPluginSession(config, this.dbLogger, this.ui, (session) => pluginInfo(session, args.name));
    this.ui.result(describeListing(info));
    for (const problem of info.problems) this.ui.result(`  ! ${problem}`);
    if (info.dependsOn.length > 0) this.ui.result(`Depends on:  ${info.dependsOn.join(', ')}`);
    if (info.dependents.length > 0) this.ui.result(`Needed by:   ${info.dependents.join(', ')}`);
    for (const type of info.assetTypes)
      this.ui.result(`Asset type:  ${type.key} (${type.label})${type.detailTable ? `, details in ${type.detailTable}` : ''}`);
    if (info.routePrefix) this.ui.result(`Routes:      ${info.routePrefix}/…`);
    if (info.migrations) {
      const applied = info.migrations.applied.at(-1)?.name ?? 'none';
      this.ui.result(
        `Migrations:  ${info.migrations.applied.length} applied (last: ${applied}), ${info.migrations.pending.length} pending`,
      );
    }
    if (info.holdings) {
      const rows = info.holdings.tables.map((t) => `${t.table} ${t.rows}`).join(', ');
      this.ui.result(`Holds:       ${info.holdings.assets} assets${rows ? `; ${rows}` : ''}`);
    }
    return info;
  }
}

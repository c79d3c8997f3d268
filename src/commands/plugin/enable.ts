import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { StateChange } from '../../core/plugins/service.js';

export default class PluginEnable extends BaseCommand {
  static override summary = 'Enable an installed plugin: its routes answer and its asset types are shown again.';
  static override description = 'Refuses while a plugin it depends on is not enabled, and names it.';
  static override examples = ['<%= config.bin %> plugin enable printers'];
  static override enableJsonFlag = true;
  static override args = {
    name: Args.string({ required: true, description: 'The plugin.' }),
  };

  async run(): Promise<StateChange> {
    const { args, flags } = await this.parse(PluginEnable);
    const config = this.loadSiteConfig(flags);
    const { withPluginSession } = await import('../../cli/plugins.js');
    const { enablePlugin } = await import('../../core/plugins/service.js');
    const result = await withPluginSession(config, this.dbLogger, this.ui, (session) => enablePlugin(session, args.name));
    this.ui.result(result.changed ? `Enabled plugin ${result.name}.` : `${result.name} was already enabled; nothing changed.`);
    return result;
  }
}

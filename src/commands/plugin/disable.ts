import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { StateChange } from '../../core/plugins/service.js';

export default class PluginDisable extends BaseCommand {
  static override summary = 'Disable a plugin: its routes answer 404 and its asset types are hidden; its data stays.';
  static override description =
    'Refuses while an enabled plugin depends on it, and names that plugin. `shopdb plugin enable` brings it back as it was.';
  static override examples = ['<%= config.bin %> plugin disable printers'];
  static override enableJsonFlag = true;
  static override args = {
    name: Args.string({ required: true, description: 'The plugin.' }),
  };

  async run(): Promise<StateChange> {
    const { args, flags } = await this.parse(PluginDisable);
    const config = this.loadSiteConfig(flags);
    const { withPluginSession } = await import('../../cli/plugins.js');
    const { disablePlugin } = await import('../../core/plugins/service.js');
    const result = await withPluginSession(config, this.dbLogger, this.ui, (session) => disablePlugin(session, args.name));
    this.ui.result(
      result.changed ? `Disabled plugin ${result.name}; its data is kept.` : `${result.name} was already disabled; nothing changed.`,
    );
    return result;
  }
}

import { BaseCommand } from '../../cli/base-command.js';
import { describeConfig, type ConfigEntry } from '../../core/config/index.js';

export default class ConfigShow extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary = 'Show the effective configuration and where each value comes from (secrets masked).';
  static override examples = ['<%= config.bin %> config show', '<%= config.bin %> config show --json'];
  static override enableJsonFlag = true;

  async run(): Promise<{ envFile: string | null; entries: ConfigEntry[] }> {
    const { flags } = await this.parse(ConfigShow);
    const config = this.loadSiteConfig(flags);
    const entries = describeConfig(config);
    const width = Math.max(...entries.map((e) => e.name.length));
    for (const entry of entries) {
      const shown = entry.value === null ? '' : typeof entry.value === 'object' ? JSON.stringify(entry.value) : String(entry.value);
      this.ui.result(`${entry.name.padEnd(width)}  ${shown}${this.ui.chalk.dim(`  (${entry.source})`)}`);
    }
    return { envFile: config.envFileFound ? config.envFile : null, entries };
  }
}

import { BaseCommand } from '../../cli/base-command.js';
import { checkedConfig } from '../../core/config/index.js';

export default class ConfigCheck extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary = 'Validate the site configuration, including the production rules.';
  static override description =
    'Lists every problem at once and exits with code 2 when there is any; exit 0 means the configuration meets the rules of its mode (production or development).';
  static override examples = ['<%= config.bin %> config check', '<%= config.bin %> config check --env-file /srv/shopdb/.env --json'];
  static override enableJsonFlag = true;

  async run(): Promise<{ valid: true; mode: string; envFile: string | null }> {
    const { flags } = await this.parse(ConfigCheck);
    const config = checkedConfig(this.inspectSiteConfig(flags));
    this.ui.result(`The configuration is valid for ${config.values.SHOPDB_ENV} mode.`);
    return { valid: true, mode: config.values.SHOPDB_ENV, envFile: config.envFileFound ? config.envFile : null };
  }
}

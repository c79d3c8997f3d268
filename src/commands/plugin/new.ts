import { join, resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { ScaffoldResult } from '../../core/plugins/scaffold.js';

export default class PluginNew extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary = 'Scaffold a working plugin package: manifest, one migration, two routes, one test.';
  static override description =
    'Writes shopdb-plugin-<name>/ into local-plugins/ beside the .env (or --dir), where shopdb finds it: `shopdb plugin install <name>` next. docs/PLUGIN-QUICKSTART.md walks through it.';
  static override examples = [
    '<%= config.bin %> plugin new tool-crib',
    '<%= config.bin %> plugin new tool-crib --dir ~/src --description "Tool crib checkout"',
  ];
  static override enableJsonFlag = true;
  static override args = {
    name: Args.string({ required: true, description: 'Plugin name: lower-case words joined by hyphens.' }),
  };
  static override flags = {
    dir: Flags.string({ summary: 'Folder to create the package in (default: local-plugins/ beside the .env).' }),
    description: Flags.string({ summary: 'One line saying what the plugin is for.' }),
  };

  async run(): Promise<ScaffoldResult> {
    const { args, flags } = await this.parse(PluginNew);
    const config = this.loadSiteConfig(flags);
    const { scaffoldPlugin, LOCAL_PLUGINS_DIR } = await import('../../core/plugins/scaffold.js');
    const { shopdbVersion } = await import('../../core/paths.js');
    const { templatesDir } = await import('../../core/paths.js');
    const result = scaffoldPlugin({
      name: args.name,
      description: flags.description,
      parentDir: flags.dir ? resolve(this.cwd, flags.dir) : join(config.baseDir, LOCAL_PLUGINS_DIR),
      templatesDir,
      coreVersion: shopdbVersion(),
    });
    this.ui.result(`Created ${result.directory}`);
    for (const file of result.files) this.ui.result(`  ${file}`);
    this.ui.result(`Next: shopdb plugin install ${result.name}`);
    return result;
  }
}

import { Args, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { BaseCommand } from '../../cli/base-command.js';
import type { MadeMigration } from '../../core/migrations/make.js';
import { coreMigrationsSourceDir, packageRoot, templatesDir } from '../../core/paths.js';

export default class MigrateMake extends BaseCommand {
  static override summary = 'Create a new migration file from templates/migration.ts.tpl (for shopdb and plugin developers).';
  static override examples = [
    '<%= config.bin %> migrate make add-asset-serial-index',
    '<%= config.bin %> migrate make create-widgets --dir plugins/widgets/migrations',
  ];
  static override enableJsonFlag = true;
  static override args = {
    name: Args.string({ description: 'What the migration does, in kebab-case.', required: true }),
  };
  static override flags = {
    dir: Flags.string({ summary: 'Folder to write to (default: the core migrations/ folder).' }),
  };

  async run(): Promise<MadeMigration> {
    const { args, flags } = await this.parse(MigrateMake);
    const { makeMigration } = await import('../../core/migrations/make.js');
    const made = makeMigration({
      directory: flags.dir ? resolve(this.cwd, flags.dir) : coreMigrationsSourceDir,
      name: args.name,
      templatesDir,
      packageRoot,
    });
    this.ui.result(`Created ${made.path}`);
    this.ui.info('Fill in up() and down(), then `npm run build` and `shopdb migrate`.');
    return made;
  }
}

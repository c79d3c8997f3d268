import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { CancelledError } from '../core/errors.js';
import type { DownResult } from '../core/deploy/index.js';

export default class Down extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary = "Stop the site's Docker stack and remove its containers; the data stays.";
  static override description =
    'Runs `docker compose down`. The database and backups volumes are kept unless --volumes is given, which deletes them — the whole database and every backup inside the stack. --volumes asks for confirmation on a terminal; elsewhere it needs --yes, or stops with exit code 2.';
  static override examples = ['<%= config.bin %> down', '<%= config.bin %> down --volumes --yes'];
  static override enableJsonFlag = true;
  static override flags = {
    volumes: Flags.boolean({ summary: 'Also delete the volumes: the database and the backups in the stack.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask before deleting volumes.' }),
  };

  async run(): Promise<DownResult> {
    const { flags } = await this.parse(Down);
    const config = this.loadSiteConfig(flags);
    const { ComposeRunner, composeProjectOf, stackDown } = await import('../core/deploy/index.js');
    const runner = new ComposeRunner(composeProjectOf(config, this.env));
    if (flags.volumes && !flags.yes) {
      this.ui.requireInteractive(
        'Confirmation to delete the database and backups volumes',
        '--yes to delete them (or leave out --volumes to keep the data)',
      );
      await runner.preflight();
      const sure = await this.ui.confirm(
        `Delete the stack's volumes in ${runner.project.directory}: the whole database and every backup kept in the stack?`,
        false,
      );
      if (!sure) throw new CancelledError('Nothing was stopped or deleted');
    }
    const result = await stackDown(runner, { volumes: flags.volumes === true });
    this.ui.result(
      result.volumesRemoved
        ? 'The stack is stopped and its volumes are deleted.'
        : 'The stack is stopped; its database and backups volumes are kept.',
    );
    return result;
  }
}

import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { SetDisabledResult } from '../../core/users/service.js';

export default class UserDisable extends BaseCommand {
  static override summary = 'Disable a user: they can no longer log in, their sessions end, and their API tokens stop working.';
  static override description =
    'Nothing is deleted: `shopdb user enable` restores the account and its tokens (not the ended sessions: they log in again). To end a single token, use `shopdb user token revoke`. The last enabled admin is disabled only with --force.';
  static override examples = ['<%= config.bin %> user disable bob', '<%= config.bin %> user disable alice --force'];
  static override enableJsonFlag = true;
  static override args = {
    username: Args.string({ required: true, description: 'The user to disable.' }),
  };
  static override flags = {
    force: Flags.boolean({ summary: 'Disable the last enabled admin anyway, leaving the site with no enabled admin.' }),
  };

  async run(): Promise<SetDisabledResult> {
    const { args, flags } = await this.parse(UserDisable);
    const config = this.loadSiteConfig(flags);
    const { currentCliActor, warnNoEnabledAdmin, withUsersDatabase } = await import('../../cli/users.js');
    const { setUserDisabled } = await import('../../core/users/service.js');
    const actor = await currentCliActor(this.env);
    const result = await withUsersDatabase(config, this.dbLogger, (db) =>
      setUserDisabled(db, actor, args.username, true, { force: flags.force }),
    );
    this.ui.result(
      result.changed ? `Disabled user ${result.user.username}.` : `${result.user.username} was already disabled; nothing changed.`,
    );
    if (result.leavesNoEnabledAdmin) warnNoEnabledAdmin(this.ui, result.user.username);
    return result;
  }
}

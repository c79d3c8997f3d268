import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { SetDisabledResult } from '../../core/users/service.js';

export default class UserEnable extends BaseCommand {
  static override summary = 'Enable a disabled user again, with their API tokens.';
  static override description =
    'Tokens revoked or expired while the user was disabled stay unusable, and the sessions the disable ended stay ended: the user logs in again.';
  static override examples = ['<%= config.bin %> user enable bob'];
  static override enableJsonFlag = true;
  static override args = {
    username: Args.string({ required: true, description: 'The user to enable.' }),
  };

  async run(): Promise<SetDisabledResult> {
    const { args, flags } = await this.parse(UserEnable);
    const config = this.loadSiteConfig(flags);
    const { currentCliActor, withUsersDatabase } = await import('../../cli/users.js');
    const { setUserDisabled } = await import('../../core/users/service.js');
    const actor = await currentCliActor(this.env);
    const result = await withUsersDatabase(config, this.dbLogger, (db) => setUserDisabled(db, actor, args.username, false));
    this.ui.result(
      result.changed ? `Enabled user ${result.user.username}.` : `${result.user.username} was already enabled; nothing changed.`,
    );
    return result;
  }
}

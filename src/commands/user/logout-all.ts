import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';

export default class UserLogoutAll extends BaseCommand {
  static override summary = 'End every login session of a user, on every server, at once.';
  static override description =
    'The user must log in again everywhere. Their API tokens are not sessions and keep working: revoke those with `shopdb user token revoke`. A password reset, a role change and `shopdb user disable` end the sessions too.';
  static override examples = ['<%= config.bin %> user logout-all bob'];
  static override enableJsonFlag = true;
  static override args = {
    username: Args.string({ required: true, description: 'Whose sessions to end.' }),
  };

  async run(): Promise<{ username: string; sessionsEnded: number }> {
    const { args, flags } = await this.parse(UserLogoutAll);
    const config = this.loadSiteConfig(flags);
    const { currentCliActor, withUsersDatabase } = await import('../../cli/users.js');
    const { logoutEverywhere } = await import('../../core/auth/sessions.js');
    const { requireUser } = await import('../../core/users/service.js');
    const actor = await currentCliActor(this.env);
    const result = await withUsersDatabase(config, this.dbLogger, async (db) => {
      const user = await requireUser(db, args.username);
      return { username: user.username, sessionsEnded: await logoutEverywhere(db, actor, user) };
    });
    this.ui.result(
      result.sessionsEnded === 0
        ? `${result.username} had no live sessions; nothing to end.`
        : `Ended ${result.sessionsEnded} session${result.sessionsEnded === 1 ? '' : 's'} of ${result.username}.`,
    );
    return result;
  }
}

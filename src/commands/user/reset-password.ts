import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { newPasswordFlags } from '../../cli/users.js';
import type { UserRecord } from '../../core/users/rows.js';

export default class UserResetPassword extends BaseCommand {
  static override summary = 'Set a new password for a user.';
  static override description =
    'The password must not be a common one or built on the username. Asked twice on a terminal; scripts pipe it in with --password-stdin or pass --generate, which prints a strong password once. A password in argv (--password) is refused. Every login session of the user ends, on every server; their API tokens keep working: revoke them separately if the account was compromised.';
  static override examples = [
    '<%= config.bin %> user reset-password bob',
    '<%= config.bin %> user reset-password bob --generate',
    'printf %s "$PW" | <%= config.bin %> user reset-password bob --password-stdin',
  ];
  static override enableJsonFlag = true;
  static override args = {
    username: Args.string({ required: true, description: 'The user whose password to set.' }),
  };
  static override flags = { ...newPasswordFlags };

  async run(): Promise<{ user: UserRecord; generatedPassword: string | null }> {
    const { args, flags } = await this.parse(UserResetPassword);
    const config = this.loadSiteConfig(flags);
    const { currentCliActor, obtainNewPassword, refuseArgvPassword, showGeneratedPassword, withUsersDatabase } =
      await import('../../cli/users.js');
    const { requireUser, resetPassword } = await import('../../core/users/service.js');
    refuseArgvPassword(flags);
    const actor = await currentCliActor(this.env);
    const result = await withUsersDatabase(config, this.dbLogger, async (db) => {
      const { username } = await requireUser(db, args.username);
      const { password, generated } = await obtainNewPassword(this.ui, flags, username);
      return { user: await resetPassword(db, actor, username, password), generatedPassword: generated };
    });
    this.ui.result(`Set a new password for ${result.user.username}.`);
    if (result.generatedPassword !== null) showGeneratedPassword(this.ui, result.user.username, result.generatedPassword);
    return result;
  }
}

import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { LockStatus } from '../../core/auth/login-throttle.js';

export default class UserUnlock extends BaseCommand {
  static override summary = 'Clear the failed-login counters of a username, so it can log in again at once.';
  static override description =
    "Logins are limited per username and address, and per username from addresses it never logged in from (15 minutes). This clears both for the username, from every address, on every server. The server's own host and addresses the user logged in from before are never locked out by others' failures.";
  static override examples = ['<%= config.bin %> user unlock admin'];
  static override enableJsonFlag = true;
  static override args = {
    username: Args.string({ required: true, description: 'The username to unlock (it need not exist: sprayed names can be cleared too).' }),
  };

  async run(): Promise<{ username: string; before: LockStatus; countersCleared: number; userExists: boolean }> {
    const { args, flags } = await this.parse(UserUnlock);
    const config = this.loadSiteConfig(flags);
    const { withUsersDatabase } = await import('../../cli/users.js');
    const { lockStatus, unlockUsername } = await import('../../core/auth/login-throttle.js');
    const { getUser } = await import('../../core/users/service.js');
    const result = await withUsersDatabase(config, this.dbLogger, async (db) => {
      const user = await getUser(db, args.username);
      const before = await lockStatus(db, args.username);
      return {
        username: user?.username ?? args.username,
        before,
        countersCleared: await unlockUsername(db, args.username),
        userExists: user !== null,
      };
    });
    if (!result.userExists) this.ui.warn(`There is no user named "${args.username}"; its counters were cleared anyway.`);
    const was = [
      result.before.lockedForSeconds !== null ? `locked for new addresses for ${result.before.lockedForSeconds} s more` : null,
      result.before.lockedAddresses.length > 0 ? `locked from ${result.before.lockedAddresses.join(', ')}` : null,
    ].filter(Boolean);
    this.ui.result(
      result.countersCleared === 0
        ? `${result.username} had no failed-login counters; nothing to clear.`
        : `Cleared ${result.countersCleared} failed-login counter${result.countersCleared === 1 ? '' : 's'} of ${result.username}${was.length > 0 ? ` (it was ${was.join('; ')})` : ''}.`,
    );
    return result;
  }
}

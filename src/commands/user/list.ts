import { BaseCommand } from '../../cli/base-command.js';
import type { UserRecord } from '../../core/users/rows.js';

export default class UserList extends BaseCommand {
  static override summary = 'List the users of this site, with role, state and last login.';
  static override examples = ['<%= config.bin %> user list', '<%= config.bin %> user list --json'];
  static override enableJsonFlag = true;

  async run(): Promise<{ users: UserRecord[] }> {
    const { flags } = await this.parse(UserList);
    const config = this.loadSiteConfig(flags);
    const { printTable, withUsersDatabase } = await import('../../cli/users.js');
    const { listUsers } = await import('../../core/users/service.js');
    const users = await withUsersDatabase(config, this.dbLogger, (db) => listUsers(db));
    if (users.length === 0) {
      this.ui.info('No users yet: create the first administrator with `shopdb admin create <username>`.');
      return { users };
    }
    const rows = users.map((u) => [
      u.username,
      u.role,
      u.disabled ? 'disabled' : 'enabled',
      u.authSource,
      u.lastLoginAt?.toISOString().slice(0, 16).replace('T', ' ') ?? 'never',
      u.displayName ?? '',
    ]);
    printTable(this.ui, ['USERNAME', 'ROLE', 'STATE', 'SOURCE', 'LAST LOGIN (UTC)', 'NAME'], rows);
    return { users };
  }
}

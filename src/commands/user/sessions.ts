import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { SessionInfo } from '../../core/auth/sessions.js';

export default class UserSessions extends BaseCommand {
  static override summary = 'List login sessions (all users, or one): when they began, last seen, from where.';
  static override description =
    'Live sessions only, unless --all (then also those ended or expired in the last 7 days). End them with `shopdb user logout-all <username>` or DELETE /api/sessions/<id>.';
  static override examples = ['<%= config.bin %> user sessions', '<%= config.bin %> user sessions bob --all --json'];
  static override enableJsonFlag = true;
  static override args = {
    username: Args.string({ required: false, description: "Only this user's sessions." }),
  };
  static override flags = {
    all: Flags.boolean({ summary: 'Also sessions that ended or expired (kept 7 days).' }),
  };

  async run(): Promise<{ sessions: SessionInfo[] }> {
    const { args, flags } = await this.parse(UserSessions);
    const config = this.loadSiteConfig(flags);
    const { printTable, withUsersDatabase } = await import('../../cli/users.js');
    const { listSessions } = await import('../../core/auth/sessions.js');
    const { requireUser } = await import('../../core/users/service.js');
    const sessions = await withUsersDatabase(config, this.dbLogger, async (db) =>
      listSessions(db, {
        userId: args.username === undefined ? undefined : (await requireUser(db, args.username)).id,
        includeEnded: flags.all,
      }),
    );
    if (sessions.length === 0) {
      this.ui.info(`No ${flags.all ? '' : 'live '}sessions${args.username ? ` for ${args.username}` : ''}.`);
      return { sessions };
    }
    const minute = (date: Date | null) => date?.toISOString().slice(0, 16).replace('T', ' ') ?? '-';
    const rows = sessions.map((s) => [
      String(s.id),
      s.username,
      s.status + (s.endedReason ? ` (${s.endedReason})` : ''),
      minute(s.createdAt),
      minute(s.lastSeenAt),
      minute(s.expiresAt),
      s.ip ?? '-',
    ]);
    printTable(this.ui, ['ID', 'USER', 'STATUS', 'STARTED (UTC)', 'LAST SEEN', 'EXPIRES', 'FROM'], rows);
    return { sessions };
  }
}

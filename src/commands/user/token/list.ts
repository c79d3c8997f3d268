import { Args } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import type { ApiTokenInfo } from '../../../core/auth/api-tokens.js';

export default class UserTokenList extends BaseCommand {
  static override summary = "List API tokens (all, or one user's): id, prefix, scope, status, last use. Never the tokens themselves.";
  static override examples = ['<%= config.bin %> user token list', '<%= config.bin %> user token list bob --json'];
  static override enableJsonFlag = true;
  static override args = {
    username: Args.string({ required: false, description: "Only this user's tokens." }),
  };

  async run(): Promise<{ tokens: ApiTokenInfo[] }> {
    const { args, flags } = await this.parse(UserTokenList);
    const config = this.loadSiteConfig(flags);
    const { printTable, withUsersDatabase } = await import('../../../cli/users.js');
    const { listApiTokens } = await import('../../../core/auth/api-tokens.js');
    const { requireUser } = await import('../../../core/users/service.js');
    const tokens = await withUsersDatabase(config, this.dbLogger, async (db) =>
      listApiTokens(db, args.username === undefined ? undefined : (await requireUser(db, args.username)).id),
    );
    if (tokens.length === 0) {
      this.ui.info(
        `No API tokens${args.username ? ` for ${args.username}` : ''}: create one with \`shopdb user token create <username> --name … --scope read\`.`,
      );
      return { tokens };
    }
    const day = (date: Date | null) => date?.toISOString().slice(0, 10) ?? '-';
    const rows = tokens.map((t) => [String(t.id), t.prefix, t.username, t.name, t.scope, t.status, day(t.expiresAt), day(t.lastUsedAt)]);
    printTable(this.ui, ['ID', 'PREFIX', 'USER', 'NAME', 'SCOPE', 'STATUS', 'EXPIRES', 'LAST USED'], rows);
    return { tokens };
  }
}

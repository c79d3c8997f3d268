import { Args } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import type { RevokeResult } from '../../../core/auth/api-tokens.js';

export default class UserTokenRevoke extends BaseCommand {
  static override summary = 'Revoke an API token, by id or by its prefix (shopdb_xxxxx).';
  static override description =
    'Takes effect at once and cannot be undone: create a new token instead. Revoking a revoked token changes nothing.';
  static override examples = ['<%= config.bin %> user token revoke 7', '<%= config.bin %> user token revoke shopdb_Ab3xZ'];
  static override enableJsonFlag = true;
  static override args = {
    'id-or-prefix': Args.string({ required: true, description: "The token's id or prefix, as `shopdb user token list` shows them." }),
  };

  async run(): Promise<RevokeResult> {
    const { args, flags } = await this.parse(UserTokenRevoke);
    const config = this.loadSiteConfig(flags);
    const { currentCliActor, describeToken, withUsersDatabase } = await import('../../../cli/users.js');
    const { revokeApiToken } = await import('../../../core/auth/api-tokens.js');
    const actor = await currentCliActor(this.env);
    const result = await withUsersDatabase(config, this.dbLogger, (db) => revokeApiToken(db, actor, args['id-or-prefix']));
    const what = `${describeToken(result.token)} of ${result.token.username}`;
    this.ui.result(result.alreadyRevoked ? `Token ${what} was already revoked; nothing changed.` : `Revoked token ${what}.`);
    return result;
  }
}

import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import type { CreatedApiToken, TokenScope } from '../../../core/auth/api-tokens.js';

export default class UserTokenCreate extends BaseCommand {
  static override summary = 'Create an API token for a user; the token is printed once, on stdout.';
  static override description =
    "Only a hash of the token is stored: copy it now, it cannot be shown again. A read token may only read, whatever the user's role; a write token may do what the user's role allows. A summary:read token reads GET /api/summary and nothing else, for a fleet's central instance (`shopdb fleet add`). The token stops working when it expires, is revoked, or its user is disabled.";
  static override examples = [
    '<%= config.bin %> user token create bob --name label-printer --scope read',
    'TOKEN=$(<%= config.bin %> user token create ci --name nightly-import --scope write --expires-in 90d)',
    '<%= config.bin %> user token create fleet --name corporate-roll-up --scope summary:read | shopdb fleet add plant-2 https://shopdb.plant2.example --token-stdin',
  ];
  static override enableJsonFlag = true;
  static override args = {
    username: Args.string({ required: true, description: 'The user the token acts as.' }),
  };
  static override flags = {
    name: Flags.string({ summary: 'What the token is for (shown in `shopdb user token list`).', required: true }),
    scope: Flags.string({
      summary: "read: read only; write: what the user's role allows; summary:read: GET /api/summary only (a fleet's central instance).",
      options: ['read', 'write', 'summary:read'] satisfies TokenScope[],
      required: true,
    }),
    'expires-in': Flags.string({ summary: 'Lifetime such as 12h, 90d, 4w or 1y (default: no expiry).' }),
  };

  async run(): Promise<CreatedApiToken & { username: string }> {
    const { args, flags } = await this.parse(UserTokenCreate);
    const config = this.loadSiteConfig(flags);
    const { currentCliActor, describeToken, withUsersDatabase } = await import('../../../cli/users.js');
    const { createApiToken, expiryFromDuration } = await import('../../../core/auth/api-tokens.js');
    const { requireUser } = await import('../../../core/users/service.js');
    const expiresAt = flags['expires-in'] === undefined ? null : expiryFromDuration(flags['expires-in']);
    const actor = await currentCliActor(this.env);
    const result = await withUsersDatabase(config, this.dbLogger, async (db) => {
      const user = await requireUser(db, args.username);
      const created = await createApiToken(db, actor, { userId: user.id, name: flags.name, scope: flags.scope as TokenScope, expiresAt });
      return { ...created, username: user.username };
    });
    this.ui.info(`Created API token ${describeToken(result)} for ${result.username}. It is shown only this once:`);
    this.ui.result(result.token);
    return result;
  }
}

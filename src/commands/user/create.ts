import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { newPasswordFlags, type CreateUserCommandResult } from '../../cli/users.js';
import { ROLES, type RoleName } from '../../core/auth/types.js';

export default class UserCreate extends BaseCommand {
  static override summary = 'Create a user with a role (or reset one with --update).';
  static override description =
    'Roles: viewer reads, editor also changes inventory, admin also manages users and tokens. The password must not be a common one or built on the username. It is asked twice on a terminal; scripts pipe it in with --password-stdin or pass --generate, which prints a strong password once. A password in argv (--password) is refused.';
  static override examples = [
    '<%= config.bin %> user create bob --role editor',
    '<%= config.bin %> user create kiosk-3 --role viewer --generate --json',
    'printf %s "$PW" | <%= config.bin %> user create bob --role editor --password-stdin',
    '<%= config.bin %> user create bob --role viewer --update',
  ];
  static override enableJsonFlag = true;
  static override args = {
    username: Args.string({ required: true, description: 'Login name: 1 to 64 letters, digits, dot, underscore or hyphen.' }),
  };
  static override flags = {
    role: Flags.string({ summary: 'What the user may do.', options: [...ROLES], required: true }),
    'display-name': Flags.string({ summary: 'Full name shown in the web interface.' }),
    email: Flags.string({ summary: 'E-mail address.' }),
    update: Flags.boolean({ summary: 'If the user exists, reset their password and role instead of failing.' }),
    force: Flags.boolean({
      summary: 'With --update: demote the last enabled admin anyway, leaving the site with no enabled admin.',
      dependsOn: ['update'],
    }),
    ...newPasswordFlags,
  };

  async run(): Promise<CreateUserCommandResult> {
    const { args, flags } = await this.parse(UserCreate);
    const config = this.loadSiteConfig(flags);
    const { createUserFromCli, renderCreatedUser } = await import('../../cli/users.js');
    const result = await createUserFromCli(
      { ui: this.ui, config, logger: this.dbLogger, env: this.env },
      {
        username: args.username,
        role: flags.role as RoleName,
        displayName: flags['display-name'],
        email: flags.email,
        update: flags.update,
        force: flags.force,
        passwordFlags: flags,
      },
    );
    renderCreatedUser(this.ui, result);
    return result;
  }
}

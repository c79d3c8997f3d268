import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { newPasswordFlags, type CreateUserCommandResult } from '../../cli/users.js';

export default class AdminCreate extends BaseCommand {
  static override summary = 'Create an administrator (or reset one with --update).';
  static override description =
    'Creates a local user with the admin role. The password must not be a common one or built on the username. It is asked twice on a terminal; scripts pipe it in with --password-stdin or pass --generate, which prints a strong password once. A password in argv (--password) is refused: every user can read argv in `ps`. Works on a migrated site before any seeding: the built-in roles are created when the roles table is empty.';
  static override examples = [
    '<%= config.bin %> admin create alice',
    '<%= config.bin %> admin create alice --generate --json',
    'printf %s "$PW" | <%= config.bin %> admin create alice --password-stdin',
    '<%= config.bin %> admin create alice --update',
  ];
  static override enableJsonFlag = true;
  static override args = {
    username: Args.string({ required: true, description: 'Login name: 1 to 64 letters, digits, dot, underscore or hyphen.' }),
  };
  static override flags = {
    'display-name': Flags.string({ summary: 'Full name shown in the web interface.' }),
    email: Flags.string({ summary: 'E-mail address.' }),
    update: Flags.boolean({ summary: 'If the user exists, reset their password and make them admin instead of failing.' }),
    ...newPasswordFlags,
  };

  async run(): Promise<CreateUserCommandResult> {
    const { args, flags } = await this.parse(AdminCreate);
    const config = this.loadSiteConfig(flags);
    const { createUserFromCli, renderCreatedUser } = await import('../../cli/users.js');
    const result = await createUserFromCli(
      { ui: this.ui, config, logger: this.dbLogger, env: this.env },
      {
        username: args.username,
        role: 'admin',
        displayName: flags['display-name'],
        email: flags.email,
        update: flags.update,
        passwordFlags: flags,
      },
    );
    renderCreatedUser(this.ui, result);
    return result;
  }
}

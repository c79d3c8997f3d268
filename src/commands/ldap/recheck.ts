import { BaseCommand } from '../../cli/base-command.js';
import type { RecheckReport } from '../../core/auth/directory/recheck.js';

export default class LdapRecheck extends BaseCommand {
  static override summary = 'Re-check signed-in directory users now, instead of waiting for LDAP_RECHECK_INTERVAL.';
  static override description =
    'Every directory user with a live session or API token is read from the directory again and judged as a login would: one disabled there, in no granting group any more or whose entry is gone is disabled here (never deleted) and loses every session and API token at once; the others get the role, name and mail the directory has now. `shopdb serve` does the same on LDAP_RECHECK_INTERVAL. A directory that cannot be reached changes nothing.';
  static override examples = ['<%= config.bin %> ldap recheck', '<%= config.bin %> ldap recheck --json'];
  static override enableJsonFlag = true;

  async run(): Promise<RecheckReport> {
    const { flags } = await this.parse(LdapRecheck);
    const config = this.loadSiteConfig(flags);
    const { withUsersDatabase, currentCliActor } = await import('../../cli/users.js');
    const { requireDirectorySettings } = await import('../../core/auth/directory/settings.js');
    const { recheckDirectoryUsers } = await import('../../core/auth/directory/recheck.js');
    const settings = requireDirectorySettings(config);
    const actor = await currentCliActor(this.env);
    const report = await withUsersDatabase(config, this.dbLogger, (db) => recheckDirectoryUsers(db, settings, { actor }));
    for (const user of report.users) {
      if (user.outcome !== 'unchanged')
        this.ui.result(`${user.outcome.padEnd(9)} ${user.username.padEnd(24)} ${user.detail ?? ''}`.trimEnd());
    }
    this.ui.result(
      `${report.checked} signed-in directory user(s) checked: ${report.updated} updated, ${report.shutOut} shut out, ${report.unchanged} unchanged.`,
    );
    return report;
  }
}

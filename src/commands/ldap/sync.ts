import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { SyncReport } from '../../core/auth/directory/sync.js';

export default class LdapSync extends BaseCommand {
  static override summary = 'Bring the directory users into shopdb: create, update and disable accounts to match the directory.';
  static override description =
    "Reads every entry LDAP_USER_FILTER could match (a paged search, so past AD's 1000-entry pages) and judges each as a login would: new users with a granting group are created, changed roles, names and mail are updated, users disabled in the directory, in no granting group any more or whose entry is gone are disabled (never deleted) and lose their sessions and API tokens. Every skip says why. --dry-run lists it all and changes nothing.";
  static override examples = ['<%= config.bin %> ldap sync --dry-run', '<%= config.bin %> ldap sync --json'];
  static override enableJsonFlag = true;
  static override flags = {
    'dry-run': Flags.boolean({ summary: 'List what would change; change nothing.' }),
  };

  async run(): Promise<SyncReport> {
    const { flags } = await this.parse(LdapSync);
    const config = this.loadSiteConfig(flags);
    const { withUsersDatabase, currentCliActor } = await import('../../cli/users.js');
    const { requireDirectorySettings } = await import('../../core/auth/directory/settings.js');
    const { syncDirectoryUsers } = await import('../../core/auth/directory/sync.js');
    const settings = requireDirectorySettings(config);
    const actor = await currentCliActor(this.env);
    const report = await withUsersDatabase(config, this.dbLogger, (db) =>
      syncDirectoryUsers(db, settings, {
        dryRun: flags['dry-run'],
        actor,
        onProgress: (judged, total) => this.ui.info(`${judged} of ${total} entries judged…`),
      }),
    );
    for (const line of report.users) {
      if (line.action === 'unchanged') continue;
      this.ui.result(
        `${line.action.padEnd(9)} ${(line.username ?? line.dn ?? '?').padEnd(24)} ${(line.role ?? '-').padEnd(7)} ${line.reason ?? ''}`.trimEnd(),
      );
    }
    const { create, update, disable, unchanged, skip } = report.counts;
    const verb = report.dryRun ? 'would be' : 'were';
    this.ui.result(
      `\n${report.search.entries} directory entries (${report.search.filter} under ${report.search.base}): ${create} ${verb} created, ${update} updated, ${disable} disabled, ${unchanged} unchanged, ${skip} skipped.`,
    );
    return report;
  }
}

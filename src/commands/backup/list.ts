import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { BackupListing } from '../../core/backup/inspect.js';

export default class BackupList extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary =
    'List the backups in the backup directory, with date, size, shopdb version, migration heads and whether each checksum holds.';
  static override description =
    'Reads every *.shopdb.tar in the directory (default BACKUP_DIR) and recomputes the sha256 of each dump. A file that is not a usable backup is listed with the reason. Unfinished backups (hidden temporary files) are never listed.';
  static override examples = ['<%= config.bin %> backup list', '<%= config.bin %> backup list --dir /mnt/offsite/shopdb --json'];
  static override enableJsonFlag = true;
  static override flags = {
    dir: Flags.string({ summary: 'Directory to list (default: BACKUP_DIR).' }),
  };

  async run(): Promise<BackupListing> {
    const { flags } = await this.parse(BackupList);
    const config = this.loadSiteConfig(flags);
    const [{ listBackups }, { formatBytes }, { resolve }] = await Promise.all([
      import('../../core/backup/inspect.js'),
      import('../../cli/backup.js'),
      import('node:path'),
    ]);
    const listing = await listBackups({ directory: resolve(config.baseDir, flags.dir ?? config.values.BACKUP_DIR) });
    const { chalk } = this.ui;
    if (listing.backups.length === 0) this.ui.result(`No backups in ${listing.directory}.`);
    for (const backup of listing.backups) {
      const state = backup.checksumOk ? chalk.green('ok  ') : chalk.red('BAD ');
      const when = backup.createdAt?.replace('T', ' ').replace(/\.\d+Z$/, 'Z') ?? '?';
      const heads = backup.migrations.map((m) => `${m.source}@${m.head ?? '-'}`).join(', ') || '-';
      this.ui.result(`${state} ${backup.name}  ${when}  ${formatBytes(backup.size)}  shopdb ${backup.shopdbVersion ?? '?'}  ${heads}`);
      if (backup.problem) this.ui.result(`       ${backup.problem}`);
    }
    return listing;
  }
}

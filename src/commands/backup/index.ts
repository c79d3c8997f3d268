import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { BackupResult } from '../../core/backup/create.js';

export default class Backup extends BaseCommand {
  static override summary = 'Back up the site database to one archive (dump, manifest, checksum), then apply retention.';
  static override description = [
    'MySQL/MariaDB: the dump tool matching the server (mariadb-dump or mysqldump) with a consistent snapshot; SQLite: an online copy. The archive (<site>-<UTC time>.shopdb.tar, mode 0600) holds the gzip-compressed dump and a manifest: shopdb version, server, migration heads, plugins, rows per table, sha256.',
    'Retention runs only after a successful backup and never removes the newest one; it keeps the newest --keep good backups of each kind (nightly, pre-update, pre-restore, pre-uninstall) and never counts a damaged one. --out and --copy-to are checked before the lock is taken. A second backup while one runs stops with exit code 5; SIGINT/SIGTERM clean up and exit 130/143. Made for cron: no prompts, no output but one summary line (or --json), exit 0 only on success. See docs/BACKUP.md.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> backup',
    '<%= config.bin %> backup --env-file /srv/shopdb/.env --json',
    '<%= config.bin %> backup --out /var/backups/shopdb --keep 30 --copy-to /mnt/offsite/shopdb',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    out: Flags.string({ summary: 'Directory to write the backup to (default: BACKUP_DIR).' }),
    keep: Flags.integer({ summary: 'Keep this many good backups of the site there, of each kind (default: BACKUP_KEEP).', min: 1 }),
    'keep-days': Flags.integer({
      summary: 'Also remove backups older than this many days (default: BACKUP_KEEP_DAYS; 0: no age limit).',
      min: 0,
    }),
    'copy-to': Flags.string({
      summary: 'Also copy the backup to this directory (an offsite mount) and check the copy (default: BACKUP_COPY_TO).',
    }),
  };

  async run(): Promise<BackupResult> {
    const { flags } = await this.parse(Backup);
    const config = this.loadSiteConfig(flags);
    const [{ createBackup }, { stepRunnerFor, formatBytes, formatDuration }, { whileHandlingSignals }] = await Promise.all([
      import('../../core/backup/create.js'),
      import('../../cli/backup.js'),
      import('../../cli/signals.js'),
    ]);
    const result = await whileHandlingSignals((signal) =>
      createBackup({
        config,
        path: this.env.PATH ?? '',
        logger: this.dbLogger,
        warn: (message) => this.ui.warn(message),
        runSteps: stepRunnerFor(this.ui, { quietWithoutTerminal: true }),
        directory: flags.out,
        keep: flags.keep,
        keepDays: flags['keep-days'],
        copyTo: flags['copy-to'],
        signal,
      }),
    );
    const extras = [
      result.copy ? `copied to ${result.copy}` : '',
      result.removed.length > 0 ? `removed ${result.removed.length} old backup${result.removed.length === 1 ? '' : 's'}` : '',
    ].filter(Boolean);
    this.ui.result(
      `Backup written: ${result.file} (${formatBytes(result.size)}, ${result.tables} tables, ${result.rows} rows, ${formatDuration(result.durationMs)})${extras.length > 0 ? `; ${extras.join('; ')}` : ''}`,
    );
    return result;
  }
}

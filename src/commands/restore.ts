import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import type { RestoreResult } from '../core/backup/restore.js';
import { CancelledError } from '../core/errors.js';

export default class Restore extends BaseCommand {
  static override summary = 'Restore a backup into the site database: checks first, safety backup, restore, then migrate.';
  static override description = [
    'Refuses, touching nothing, a backup whose checksum fails, whose manifest is missing or damaged, whose migration heads are newer than this shopdb knows, or whose dump holds anything but the site\'s own tables and rows (no USE, CREATE DATABASE, other schemas or client commands).',
    'Asks for confirmation on a terminal; without one, pass --yes. Then takes a safety backup of the current database (<site>-<time>-pre-restore.shopdb.tar), replaces the database with the backup, and runs the migrations so an older backup reaches the current schema. If anything fails after the database was touched, the safety backup is put back.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> restore backups/plant7-20261127T020000Z.shopdb.tar',
    '<%= config.bin %> restore backups/plant7-20261127T020000Z.shopdb.tar --yes --json',
  ];
  static override enableJsonFlag = true;
  static override args = {
    file: Args.string({ required: true, description: 'The backup file (.shopdb.tar).' }),
  };
  static override flags = {
    yes: Flags.boolean({ char: 'y', summary: 'Restore without asking (required without a terminal).' }),
  };

  async run(): Promise<RestoreResult> {
    const { args, flags } = await this.parse(Restore);
    const config = this.loadSiteConfig(flags);
    if (!flags.yes) this.ui.requireInteractive('Confirmation to replace the database', '--yes');
    const [{ prepareRestore, restoreBackup }, { describeBackup }, { stepRunnerFor, formatDuration }] = await Promise.all([
      import('../core/backup/restore.js'),
      import('../core/backup/inspect.js'),
      import('../cli/backup.js'),
    ]);
    const env = { config, path: this.env.PATH ?? '', processEnv: this.env, logger: this.dbLogger, warn: (m: string) => this.ui.warn(m) };
    if (!this.ui.json) this.ui.info(`Checking ${args.file}…`);
    const plan = await prepareRestore({ ...env, file: args.file });
    if (!flags.yes) {
      const what = plan.current.exists && plan.current.tables > 0 ? `the ${plan.current.tables} tables of ${plan.database}` : `${plan.database} (empty)`;
      this.ui.info(`Backup: ${describeBackup(plan.archive.manifest, plan.file)}`);
      if (!(await this.ui.confirm(`Replace ${what} with this backup? A safety backup is taken first.`, false))) {
        throw new CancelledError('Restore cancelled; nothing was changed');
      }
    }
    const result = await restoreBackup(plan, { ...env, runSteps: stepRunnerFor(this.ui) });
    this.ui.result(`Restored ${result.file} into ${result.database}: ${result.tables} tables, ${result.rows} rows (${formatDuration(result.durationMs)}).`);
    this.ui.result(result.safetyBackup ? `Safety backup of the previous contents: ${result.safetyBackup}` : 'No safety backup: the database was empty.');
    this.ui.result(result.migrationsApplied.length > 0 ? `Migrated to the current schema: ${result.migrationsApplied.join(', ')}` : 'The schema was already current; no migration needed.');
    if (result.sessionsEnded !== null) this.ui.result(`Ended ${result.sessionsEnded} login session${result.sessionsEnded === 1 ? '' : 's'} restored from the backup: everyone logs in again.`);
    return result;
  }
}

import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import type { RestoreResult } from '../core/backup/restore.js';
import { CancelledError } from '../core/errors.js';

export default class Restore extends BaseCommand {
  static override summary = 'Restore a backup into the site database: checks first, safety backup, restore, then migrate.';
  static override description = [
    "Refuses, touching nothing, a backup whose checksum fails, whose manifest is missing or damaged, whose migration heads are newer than this shopdb knows, or whose dump holds anything but the site's own tables and rows (no USE, CREATE DATABASE, other schemas or client commands).",
    'Asks for confirmation on a terminal, saying first how many rows it replaces and whether the backup comes from another site or another shopdb version; without a terminal, pass --yes. Then takes a safety backup of the current database (<site>-<time>-pre-restore.shopdb.tar), replaces the database with the backup, and runs the migrations so an older backup reaches the current schema. If anything fails after the database was touched, or the run gets SIGINT (Ctrl-C), SIGTERM or SIGHUP (a dropped SSH session), the safety backup is put back; further signals are ignored while that runs.',
    'If the process is killed outright (kill -9, a power cut), a marker beside the .env (.shopdb-restore-in-progress.json) makes every command that touches the data refuse, naming the way back: `shopdb restore --resume --yes` restores the same backup again, or restore the safety backup it names.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> restore backups/plant7-20261127T020000Z.shopdb.tar',
    '<%= config.bin %> restore backups/plant7-20261127T020000Z.shopdb.tar --yes --json',
    '<%= config.bin %> restore --resume --yes',
  ];
  static override enableJsonFlag = true;
  static override args = {
    file: Args.string({
      required: false,
      description: 'The backup file (.shopdb.tar); with --resume, the one the interrupted restore was restoring.',
    }),
  };
  static override flags = {
    yes: Flags.boolean({ char: 'y', summary: 'Restore without asking (required without a terminal).' }),
    resume: Flags.boolean({ summary: 'Finish a restore that was interrupted (kill -9, power cut): restore the same backup again.' }),
  };

  /** The way out of an interrupted restore is a restore: it does not refuse for the marker. */
  static override allowsInterruptedRestore = true;

  async run(): Promise<RestoreResult> {
    const { args, flags } = await this.parse(Restore);
    const config = this.loadSiteConfig(flags);
    const [
      { prepareRestore, restoreBackup, resumeTarget },
      { describeBackup },
      { stepRunnerFor, formatDuration },
      { whileHandlingSignals },
    ] = await Promise.all([
      import('../core/backup/restore.js'),
      import('../core/backup/inspect.js'),
      import('../cli/backup.js'),
      import('../cli/signals.js'),
    ]);
    const file = resumeTarget(config, { file: args.file, resume: flags.resume });
    if (!flags.yes) this.ui.requireInteractive('Confirmation to replace the database', '--yes');
    const env = { config, path: this.env.PATH ?? '', processEnv: this.env, logger: this.dbLogger, warn: (m: string) => this.ui.warn(m) };
    if (!this.ui.json) this.ui.info(`Checking ${file}…`);
    const plan = await prepareRestore({ ...env, file });
    // Said before the question (and as warnings with --yes): what a tired reader must not miss.
    for (const line of plan.differences) this.ui.warn(line);
    if (!flags.yes) {
      const what =
        plan.current.exists && plan.current.tables > 0
          ? `the ${plan.current.tables} tables and ${plan.current.rows} rows of ${plan.database}`
          : `${plan.database} (empty)`;
      this.ui.info(`Backup: ${describeBackup(plan.archive.manifest, plan.file)}`);
      if (!(await this.ui.confirm(`Replace ${what} with this backup? A safety backup is taken first.`, false))) {
        throw new CancelledError('Restore cancelled; nothing was changed');
      }
    }
    const result = await whileHandlingSignals((signal) => restoreBackup(plan, { ...env, signal, runSteps: stepRunnerFor(this.ui) }), {
      ui: this.ui,
      protecting: 'whatever the restore changed is put back as it was',
    });
    this.ui.result(
      `Restored ${result.file} into ${result.database}: ${result.tables} tables, ${result.rows} rows (${formatDuration(result.durationMs)}).`,
    );
    this.ui.result(
      result.safetyBackup ? `Safety backup of the previous contents: ${result.safetyBackup}` : 'No safety backup: the database was empty.',
    );
    this.ui.result(
      result.migrationsApplied.length > 0
        ? `Migrated to the current schema: ${result.migrationsApplied.join(', ')}`
        : 'The schema was already current; no migration needed.',
    );
    if (result.sessionsEnded !== null)
      this.ui.result(
        `Ended ${result.sessionsEnded} login session${result.sessionsEnded === 1 ? '' : 's'} restored from the backup: everyone logs in again.`,
      );
    return result;
  }
}

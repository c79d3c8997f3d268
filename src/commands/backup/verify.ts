import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { VerifyReport } from '../../core/backup/inspect.js';
import { ExitCode } from '../../core/errors.js';

export default class BackupVerify extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary =
    'Check a backup: archive structure, manifest, checksum and every statement of the dump; --deep restores it into a scratch database.';
  static override description =
    "Without --deep nothing is written anywhere but a temporary file. --deep restores the backup into a temporary schema on the site's MySQL server (the database user needs CREATE/DROP on <DB_NAME>_verify_%; see docs/BACKUP.md) or into a temporary SQLite file, compares the rows of every table with the manifest, and drops the scratch database. Exit code 0 when everything matches, 1 on any mismatch.";
  static override examples = [
    '<%= config.bin %> backup verify backups/plant7-20261127T020000Z.shopdb.tar',
    '<%= config.bin %> backup verify backups/plant7-20261127T020000Z.shopdb.tar --deep --json',
  ];
  static override enableJsonFlag = true;
  static override args = {
    file: Args.string({ required: true, description: 'The backup file (.shopdb.tar).' }),
  };
  static override flags = {
    deep: Flags.boolean({ summary: 'Also restore it into a scratch database and compare the row counts.' }),
  };

  async run(): Promise<VerifyReport> {
    const { args, flags } = await this.parse(BackupVerify);
    const config = this.loadSiteConfig(flags);
    const [{ verifyBackup, describeBackup }, { whileHandlingSignals }] = await Promise.all([
      import('../../core/backup/inspect.js'),
      import('../../cli/signals.js'),
    ]);
    if (!this.ui.json) this.ui.info(`Checking ${args.file}${flags.deep ? ' (restoring it into a scratch database)' : ''}…`);
    const report = await whileHandlingSignals((signal) =>
      verifyBackup({
        config,
        path: this.env.PATH ?? '',
        logger: this.dbLogger,
        warn: (m) => this.ui.warn(m),
        file: args.file,
        deep: flags.deep,
        signal,
      }),
    );
    const { chalk } = this.ui;
    if (report.ok) {
      this.ui.result(`${chalk.green('ok')}  ${describeBackup(report.manifest!, report.file)}`);
      this.ui.result(
        `    checksum, manifest and dump agree${report.deep ? `; restored into ${report.deep.database}: every row count matches` : ''}.`,
      );
    } else {
      this.ui.result(`${chalk.red('FAIL')}  ${report.file}`);
      for (const problem of report.problems) this.ui.result(`    ${problem}`);
      process.exitCode = ExitCode.FAILED;
    }
    return report;
  }
}

import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { CancelledError } from '../../core/errors.js';
import type { RollbackPlan, RollbackResult } from '../../core/migrations/rollback.js';

export default class MigrateRollback extends BaseCommand {
  static override summary = 'Undo migrations of one source: the last batch, --step n, or --all.';
  static override description =
    'Runs the down() of the newest migrations, one at a time. Refuses, changing nothing, while plugins run on the source (the core: any installed plugin), while another run changes the schema (exit 5), when a table that stays references one it drops, and when the tables it drops hold rows unless --purge. Asks first (or takes --yes), then takes a safety backup (<site>-<time>-pre-rollback.shopdb.tar in BACKUP_DIR; --no-backup skips it). If a down() fails half-way it says which, what it left, and the `shopdb restore` that brings the site back.';
  static override examples = [
    '<%= config.bin %> migrate rollback',
    '<%= config.bin %> migrate rollback --step 1 --yes',
    '<%= config.bin %> migrate rollback --all --source plugin:printers --purge --yes',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    step: Flags.integer({ summary: 'Roll back this many migrations, newest first.', min: 1, exclusive: ['all'] }),
    all: Flags.boolean({ summary: 'Roll back every migration of the source.', exclusive: ['step'] }),
    source: Flags.string({ summary: 'Migration source to roll back.', default: 'core' }),
    purge: Flags.boolean({ summary: 'Roll back even though the tables it drops hold data (deleted with them).' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask before rolling back (for scripts).' }),
    backup: Flags.boolean({ summary: 'Take a safety backup first (--no-backup: do not).', default: true, allowNo: true }),
  };

  async run(): Promise<RollbackResult> {
    const { flags } = await this.parse(MigrateRollback);
    const config = this.loadSiteConfig(flags);
    const { rollbackSite } = await import('../../core/migrations/rollback.js');
    const confirm = async (plan: RollbackPlan): Promise<string | null> => {
      if (!flags.yes) {
        this.ui.requireInteractive(`Confirmation to roll back ${plan.migrations.length} ${plan.label} migrations`, '--yes');
        this.ui.info(`Rolling back ${plan.label} on ${plan.database}, newest first:`);
        for (const name of plan.migrations) this.ui.info(`  - ${name}`);
        const drops = plan.modelled
          ? plan.tables.map((t) => `${t.table} (${t.rows} rows)`).join(', ') || 'none'
          : 'not known (the schema model could not replay it)';
        this.ui.info(`Tables dropped: ${drops}`);
        const backupNote = flags.backup ? ' A safety backup is taken first.' : ' No backup is taken (--no-backup).';
        if (!(await this.ui.confirm(`Roll back ${plan.migrations.length} migrations of ${plan.label}?${backupNote}`))) {
          throw new CancelledError('Rollback cancelled; nothing was changed');
        }
      }
      if (!flags.backup) return null;
      const { takeSafetyBackup } = await import('../../core/backup/create.js');
      const file = await takeSafetyBackup(
        { config, path: this.env.PATH ?? '', logger: this.dbLogger, warn: (message) => this.ui.warn(message) },
        'pre-rollback',
      );
      this.ui.info(`Safety backup written: ${file}`);
      return file;
    };
    const result = await rollbackSite({
      config,
      source: flags.source,
      step: flags.step,
      all: flags.all,
      purge: flags.purge,
      beforeRollback: confirm,
      logger: this.dbLogger,
    });
    const [source] = result.sources;
    this.ui.result(source && source.applied.length > 0 ? `${source.label}: rolled back ${source.applied.length}` : 'Nothing to roll back.');
    for (const name of source?.applied ?? []) this.ui.result(`  - ${name}`);
    if (result.backup) this.ui.result(`To undo this rollback: shopdb restore ${result.backup} --yes`);
    if (source && source.applied.length > 0 && source.id.startsWith('plugin:')) {
      this.ui.info(
        `The plugin is still installed: \`shopdb migrate\` applies these again; \`shopdb plugin uninstall ${source.id.slice('plugin:'.length)}\` removes it.`,
      );
    }
    return result;
  }
}

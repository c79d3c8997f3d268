import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import type { UpdateResult } from '../core/update/service.js';

export default class Update extends BaseCommand {
  static override summary =
    'Update the site: pre-flight checks, a pre-update backup, migrations, readiness; any failure restores the backup.';
  static override description = [
    'Run it after installing the new shopdb version. Steps: the doctor checks tagged "update"; a backup (<site>-<time>-pre-update.shopdb.tar); the migrations of core and plugins; a wait until the database is reachable with every migration applied. If a step after the backup fails, the pre-update backup is restored and the command says so and exits 1 (130, 143 or 129 when it was stopped by SIGINT, SIGTERM or SIGHUP, which it handles the same way, at the end of the step under way); the shopdb code itself is not rolled back outside the compose stack.',
    '--dry-run lists the steps and the pending migrations and changes nothing.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> update --dry-run',
    '<%= config.bin %> update',
    '<%= config.bin %> update --env-file /srv/shopdb/.env --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    'dry-run': Flags.boolean({ summary: 'Show the steps and pending migrations without doing anything.' }),
    wait: Flags.integer({ summary: "Seconds to wait for another run's migration lock.", default: 30, min: 0 }),
  };

  async run(): Promise<UpdateResult> {
    const { flags } = await this.parse(Update);
    const config = this.loadSiteConfig(flags);
    const [{ planUpdate, runUpdate }, { stepRunnerFor, formatDuration }] = await Promise.all([
      import('../core/update/service.js'),
      import('../cli/backup.js'),
    ]);
    const options = {
      config,
      path: this.env.PATH ?? '',
      processEnv: this.env,
      logger: this.dbLogger,
      warn: (m: string) => this.ui.warn(m),
      waitSeconds: flags.wait,
      runSteps: stepRunnerFor(this.ui),
    };
    if (flags['dry-run']) {
      const plan = await planUpdate(options);
      this.ui.result('Dry run: nothing is changed. `shopdb update` would:');
      plan.steps.forEach((step, index) => {
        this.ui.result(`${index + 1}. ${step.title}`);
        for (const line of step.detail) this.ui.result(`     ${line}`);
      });
      return plan;
    }
    const { whileHandlingSignals } = await import('../cli/signals.js');
    const result = await whileHandlingSignals((signal) => runUpdate({ ...options, signal }), {
      ui: this.ui,
      protecting: 'whatever the update changed is put back from the pre-update backup',
    });
    this.ui.result(
      `Updated in ${formatDuration(result.durationMs)}: ${result.applied.length === 0 ? 'no migration was pending' : `applied ${result.applied.join(', ')}`}. Pre-update backup: ${result.backup}`,
    );
    return result;
  }
}

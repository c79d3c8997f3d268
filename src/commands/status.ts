import { BaseCommand } from '../cli/base-command.js';
import type { StackStatus } from '../core/deploy/index.js';

function age(seconds: number): string {
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

export default class Status extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary = "Show the site's Docker stack: services, health, images, migrations and the age of the last backup.";
  static override description =
    'Reads `docker compose ps` and asks shopdb inside the api container for the migration state and the newest backup. What cannot be known (the stack is down, an older image) is reported as unknown with the reason. Exit code 0 whenever docker answered; read `healthy` in --json output to decide.';
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json'];
  static override enableJsonFlag = true;

  async run(): Promise<StackStatus> {
    const { flags } = await this.parse(Status);
    const config = this.loadSiteConfig(flags);
    const { ComposeRunner, composeProjectOf, stackStatus } = await import('../core/deploy/index.js');
    const status = await stackStatus(new ComposeRunner(composeProjectOf(config, this.env)));
    const { chalk } = this.ui;
    if (status.services.length === 0) this.ui.result('No containers: the stack is not started (`shopdb up`).');
    for (const s of status.services) {
      const health = s.health || s.state;
      const painted = health === 'healthy' || health === 'running' ? chalk.green(health) : chalk.yellow(health);
      this.ui.result(
        `${s.service.padEnd(6)} ${painted.padEnd(9)}  ${s.image}  ${s.status}${s.ports.length ? `  ${s.ports.join(', ')}` : ''}`,
      );
    }
    const m = status.migrations;
    this.ui.result(
      `Migrations: ${m.state === 'current' ? 'current' : m.state === 'pending' ? `${m.pending} pending — ${m.reason}` : `unknown (${m.reason})`}`,
    );
    const b = status.lastBackup;
    this.ui.result(
      `Last backup: ${b.state === 'found' ? `${b.file}, ${age(b.ageSeconds ?? 0)} ago` : b.state === 'none' ? `none (${b.reason})` : `unknown (${b.reason})`}`,
    );
    this.ui.result(status.healthy ? 'Every service is healthy.' : 'Not every service is healthy.');
    return status;
  }
}

import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { UsageError } from '../core/errors.js';
import type { LogsResult } from '../core/deploy/index.js';

export default class Logs extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary = "Show the logs of the site's Docker stack, or of one service (db, api).";
  static override description =
    'Passes `docker compose logs` through. The api service writes JSON lines (LOG_LEVEL). With --json the lines are returned in one document, so --follow cannot be combined with it.';
  static override examples = [
    '<%= config.bin %> logs api --since 1h',
    '<%= config.bin %> logs -f',
    '<%= config.bin %> logs db --tail 50 --json',
  ];
  static override enableJsonFlag = true;
  static override args = {
    service: Args.string({ description: 'Only this service: db or api.' }),
  };
  static override flags = {
    follow: Flags.boolean({ char: 'f', summary: 'Keep printing new lines until Ctrl-C.' }),
    since: Flags.string({ summary: 'Only lines since then: a duration (10m, 2h) or a timestamp (2026-11-27T08:00:00).' }),
    tail: Flags.integer({ summary: 'Only the last N lines of each service.', min: 0 }),
  };

  async run(): Promise<LogsResult> {
    const { args, flags } = await this.parse(Logs);
    if (flags.follow && this.jsonEnabled()) {
      throw new UsageError('--follow streams lines as they come and cannot be combined with --json', {
        suggestion: 'Leave out one of them.',
      });
    }
    const config = this.loadSiteConfig(flags);
    const { ComposeRunner, composeProjectOf, stackLogs } = await import('../core/deploy/index.js');
    const runner = new ComposeRunner(composeProjectOf(config, this.env));
    return stackLogs(runner, {
      service: args.service,
      follow: flags.follow,
      since: flags.since,
      tail: flags.tail,
      capture: this.jsonEnabled(),
    });
  }
}

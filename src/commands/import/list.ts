import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { ImportHistoryEntry } from '../../core/import/service.js';

export default class ImportList extends BaseCommand {
  static override summary = 'List past imports, newest first: dry runs, applies, and what each counted.';
  static override description =
    'Status is dry-run, invalid (the file had problems; nothing written), applying (still running, or interrupted: run the same import again), completed or failed. The id is the plan id of a dry run, and the request id on every audit entry an apply wrote.';
  static override examples = ['<%= config.bin %> import list', '<%= config.bin %> import list --json'];
  static override enableJsonFlag = true;
  static override flags = { limit: Flags.integer({ summary: 'How many to show (default 50).', min: 1, max: 1000, default: 50 }) };

  async run(): Promise<{ imports: ImportHistoryEntry[] }> {
    const { flags } = await this.parse(ImportList);
    const config = this.loadSiteConfig(flags);
    const { importHistory } = await import('../../core/import/index.js');
    const imports = await importHistory(config, this.dbLogger, flags.limit);
    this.ui.result(`${'ID'.padEnd(36)}  ${'STATUS'.padEnd(9)}  ${'STARTED (UTC)'.padEnd(19)}  ${'FILE'.padEnd(24)}  COUNTS`);
    for (const i of imports) {
      const c = i.counts as Record<string, number>;
      this.ui.result(
        `${i.id}  ${i.status.padEnd(9)}  ${i.startedAt.slice(0, 19).padEnd(19)}  ${i.file.slice(0, 24).padEnd(24)}  read ${c.read ?? 0}, created ${c.created ?? 0}, updated ${c.updated ?? 0}, unchanged ${c.unchanged ?? 0}, skipped ${c.skipped ?? 0}`,
      );
    }
    if (imports.length === 0) this.ui.result('No imports yet.');
    return { imports };
  }
}

import { userInfo } from 'node:os';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import type { SeedResult } from '../core/seed/index.js';

export default class Seed extends BaseCommand {
  static override summary = 'Add the reference data every site needs (roles, status labels, asset types); --demo adds a sample site.';
  static override description =
    'Idempotent: rows that exist are left as they are, so running it twice changes nothing and local edits survive. Run `shopdb migrate` first.';
  static override examples = ['<%= config.bin %> seed', '<%= config.bin %> seed --demo --json'];
  static override enableJsonFlag = true;
  static override flags = {
    demo: Flags.boolean({
      summary:
        'Also add a small sample site: two buildings, and from each enabled plugin its share (CNC machines, the PCs that drive them, printers, switches, notices, software).',
    }),
  };

  async run(): Promise<SeedResult> {
    const { flags } = await this.parse(Seed);
    const config = this.loadSiteConfig(flags);
    const [{ seedSite }, { cliActor }, { databaseTargetFromConfig, withDatabase }, { catalogOptionsFromConfig, loadPluginCatalog }] =
      await Promise.all([
        import('../core/seed/index.js'),
        import('../core/audit/log.js'),
        import('../core/db/connect.js'),
        import('../core/plugins/catalog.js'),
      ]);
    const catalog = await loadPluginCatalog(catalogOptionsFromConfig(config));
    const result = await withDatabase(databaseTargetFromConfig(config), { logger: this.dbLogger }, (db) =>
      seedSite(db, { demo: flags.demo, actor: cliActor(userInfo().username), catalog, log: (message) => this.ui.info(message) }),
    );
    const line = (label: string, counts: { created: number; existing: number }) =>
      this.ui.result(`${label.padEnd(16)} ${counts.created} added, ${counts.existing} already there`);
    line('Roles', result.roles);
    line('Status labels', result.statusLabels);
    line('Asset types', result.assetTypes);
    if (result.demo) line('Demo site rows', result.demo);
    this.ui.result(
      `${'Plugins seeded'.padEnd(16)} ${result.plugins.length > 0 ? result.plugins.join(', ') : 'none (no plugin is enabled)'}`,
    );
    return result;
  }
}

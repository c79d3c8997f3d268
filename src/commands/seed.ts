import { userInfo } from 'node:os';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import type { SeedResult } from '../core/seed/index.js';

export default class Seed extends BaseCommand {
  static override summary = 'Add the reference data every site needs (roles, status labels, asset types); --demo adds a sample site.';
  static override description = 'Idempotent: rows that exist are left as they are, so running it twice changes nothing and local edits survive. Run `shopdb migrate` first.';
  static override examples = ['<%= config.bin %> seed', '<%= config.bin %> seed --demo --json'];
  static override enableJsonFlag = true;
  static override flags = {
    demo: Flags.boolean({ summary: 'Also add a small sample site: two buildings, CNC machines, the PCs that drive them, printers.' }),
  };

  async run(): Promise<SeedResult> {
    const { flags } = await this.parse(Seed);
    const config = this.loadSiteConfig(flags);
    const [{ seedSite }, { cliActor }, { databaseTargetFromConfig, withDatabase }] = await Promise.all([
      import('../core/seed/index.js'),
      import('../core/audit/log.js'),
      import('../core/db/connect.js'),
    ]);
    const result = await withDatabase(databaseTargetFromConfig(config), { logger: this.dbLogger }, (db) =>
      seedSite(db, { demo: flags.demo, actor: cliActor(userInfo().username) }),
    );
    const line = (label: string, counts: { created: number; existing: number }) => this.ui.result(`${label.padEnd(16)} ${counts.created} added, ${counts.existing} already there`);
    line('Roles', result.roles);
    line('Status labels', result.statusLabels);
    line('Asset types', result.assetTypes);
    if (result.demo) line('Demo site rows', result.demo);
    return result;
  }
}

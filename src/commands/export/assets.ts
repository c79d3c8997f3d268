import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';

export default class ExportAssets extends BaseCommand {
  static override summary =
    'Write the live assets as CSV or JSON Lines, in the dialect `shopdb import assets` reads back with zero changes.';
  static override description =
    "Streams page by page, whatever the site's size. CSV cells that a spreadsheet would run as a formula (starting with = + - @, tab or CR) get a leading ' (import removes it); --no-escape-formulas writes them as they are. A file given with --out is written to a temporary name and renamed when complete (mode 0600).";
  static override examples = [
    '<%= config.bin %> export assets --out assets.csv',
    '<%= config.bin %> export assets --format jsonl --type equipment > machines.jsonl',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    format: Flags.string({ summary: 'csv or jsonl.', options: ['csv', 'jsonl'], default: 'csv' }),
    out: Flags.string({ summary: 'Write to this file (default: stdout).' }),
    type: Flags.string({ summary: 'Only assets of this type key.' }),
    status: Flags.string({ summary: 'Only assets with this status name.' }),
    location: Flags.string({ summary: 'Only assets at this location code or under it.' }),
    manufacturer: Flags.string({ summary: 'Only assets whose model is of this manufacturer.' }),
    search: Flags.string({ summary: 'Only assets whose tag, name, serial or hostname starts with this text.' }),
    'escape-formulas': Flags.boolean({ summary: "Prefix formula cells with ' (CSV).", allowNo: true, default: true }),
  };

  async run(): Promise<{ rows: number; format: string; out: string | null }> {
    const { flags } = await this.parse(ExportAssets);
    const config = this.loadSiteConfig(flags);
    const { exportFile } = await import('../../core/import/index.js');
    const filters = {
      type: flags.type,
      status: flags.status,
      location: flags.location,
      manufacturer: flags.manufacturer,
      search: flags.search,
    };
    if (flags.out === undefined && this.jsonEnabled()) {
      const { UsageError } = await import('../../core/errors.js');
      throw new UsageError('--json reports on the export, so the export itself needs --out', {
        suggestion: 'Pass --out FILE with --json, or leave out --json to write the export to stdout.',
      });
    }
    const { resolve } = await import('node:path');
    const out = flags.out === undefined ? null : resolve(this.cwd, flags.out);
    let result: { rows: number };
    if (out === null)
      result = await exportFile(config, this.dbLogger, {
        format: flags.format as 'csv' | 'jsonl',
        filters,
        out: process.stdout,
        escapeFormulas: flags['escape-formulas'],
      });
    else {
      const { writeStreamAtomically } = await import('../../core/export/file.js');
      result = await writeStreamAtomically(out, (stream) =>
        exportFile(config, this.dbLogger, {
          format: flags.format as 'csv' | 'jsonl',
          filters,
          out: stream,
          escapeFormulas: flags['escape-formulas'],
        }),
      );
      this.ui.info(`Wrote ${result.rows} assets to ${out}.`);
    }
    return { rows: result.rows, format: flags.format, out };
  }
}

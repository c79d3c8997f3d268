import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { ImportReport } from '../../core/import/service.js';

export default class ImportAssets extends BaseCommand {
  static override summary =
    'Bring assets in from a CSV or JSON Lines file (or - for stdin): every row checked first, then created or updated by asset tag.';
  static override description = `On a terminal the default is a dry run: every problem of the file (line, column, code, what to do), then the plan (to create, to update with the fields that change, unchanged, conflicts) and its id. --apply writes it in transactional batches; safe to run again after a crash (rows already written are unchanged). Without a terminal pass --dry-run or --apply.

Empty cells: an empty cell leaves the field as it is; with --empty clears it clears the field. A cell holding exactly (clear) clears the field either way. An absent column leaves the field alone. Columns: docs/IMPORT.md.`;
  static override examples = [
    '<%= config.bin %> import assets machines.csv',
    '<%= config.bin %> import assets machines.csv --apply --plan 3f1c…',
    '<%= config.bin %> import assets - --format jsonl --apply --json < assets.jsonl',
    '<%= config.bin %> import assets old-system.csv --source maint2000 --map docs/examples/legacy-map.yaml --dry-run',
  ];
  static override enableJsonFlag = true;
  static override args = { file: Args.string({ description: 'The file to import, or - for stdin.', required: true }) };
  static override flags = {
    'dry-run': Flags.boolean({
      summary: 'Check the file and print the plan; write nothing (the default on a terminal).',
      exclusive: ['apply'],
    }),
    apply: Flags.boolean({ summary: 'Write the file (refused when any row has a problem: nothing is written then).' }),
    plan: Flags.string({
      summary: 'With --apply: the dry run whose plan this must be; refused if the file or the assets it touches changed since.',
      dependsOn: ['apply'],
    }),
    empty: Flags.string({
      summary: 'What an empty cell means: keeps (leave the field alone, default) or clears (clear the field).',
      options: ['keeps', 'clears'],
      default: 'keeps',
    }),
    'create-missing': Flags.string({
      summary: 'Create the references the file names that do not exist yet: some of locations,models,manufacturers.',
    }),
    format: Flags.string({ summary: 'csv or jsonl (default: from the file extension; csv for stdin).', options: ['csv', 'jsonl'] }),
    encoding: Flags.string({ summary: "The file's encoding when it is not UTF-8 (e.g. windows-1252, from an old Excel)." }),
    separator: Flags.string({
      summary: 'The CSV separator (default: detected from the header line).',
      options: ['comma', 'semicolon', 'tab'],
    }),
    source: Flags.string({
      summary: 'A legacy migration: the name of the legacy system (its record ids are kept per source). Needs --map.',
    }),
    map: Flags.string({ summary: 'A legacy migration: the YAML map (renamed columns, mapped values, the filter). Needs --source.' }),
    'batch-size': Flags.integer({ summary: 'Rows per transaction when applying (default 1000).', min: 1, max: 10_000, hidden: true }),
  };

  async run(): Promise<ImportReport> {
    const { args, flags } = await this.parse(ImportAssets);
    const config = this.loadSiteConfig(flags);
    const { UsageError } = await import('../../core/errors.js');
    if (!flags.apply && !flags['dry-run'] && !this.ui.interactive) {
      throw new UsageError('Say whether to check or to write: there is no terminal, so no dry run is assumed', {
        suggestion: 'Pass --dry-run to check the file and see the plan, or --apply to write it.',
      });
    }
    const [{ importFile }, { cliActor }, { userInfo }, { renderImportReport }] = await Promise.all([
      import('../../core/import/index.js'),
      import('../../core/audit/log.js'),
      import('node:os'),
      import('../../cli/import.js'),
    ]);
    const separators = { comma: ',', semicolon: ';', tab: '\t' } as const;
    const report = await renderImportReport(
      this.ui,
      (progress) =>
        importFile(config, this.dbLogger, {
          file: args.file,
          stdin: process.stdin,
          format: flags.format as 'csv' | 'jsonl' | undefined,
          encoding: flags.encoding,
          separator: flags.separator === undefined ? undefined : separators[flags.separator as keyof typeof separators],
          apply: flags.apply,
          planId: flags.plan,
          emptyClears: flags.empty === 'clears',
          createMissing:
            flags['create-missing']
              ?.split(',')
              .map((s) => s.trim())
              .filter(Boolean) ?? [],
          source: flags.source,
          mapFile: flags.map,
          actor: cliActor(userInfo().username),
          batchSize: flags['batch-size'],
          progress,
        }),
      { apply: flags.apply, file: args.file },
    );
    return report;
  }
}

// How `shopdb import assets` shows its work: a listr2 task list on a terminal (check, then apply),
// plain lines without one; then the plan or the reconciliation on stdout.

import type { ImportReport } from '../core/import/service.js';
import type { Ui } from './ui.js';

type Progress = (event: { phase: 'check' | 'apply'; rows: number }) => void;

export async function renderImportReport(
  ui: Ui,
  work: (progress: Progress) => Promise<ImportReport>,
  what: { apply: boolean; file: string },
): Promise<ImportReport> {
  const ctx: { report?: ImportReport } = {};
  let last = 0;
  await ui.tasks<typeof ctx>(
    [
      {
        title: what.apply ? `Check and apply ${what.file}` : `Check ${what.file} (dry run)`,
        task: async (context, report) => {
          context.report = await work((event) => {
            // A line per 10,000 rows at most: cron logs stay short.
            if (event.rows - last < 10_000 && event.rows !== 0) return;
            last = event.rows;
            report(`${event.phase === 'check' ? 'checked' : 'applied'} ${event.rows} rows`);
          });
        },
      },
    ],
    ctx,
  );
  const r = ctx.report!;
  const p = r.plan;
  if (r.mode === 'dry-run') {
    ui.result(
      `Plan ${r.importId}: ${p.create} to create, ${p.update} to update, ${p.unchanged} unchanged, ${p.conflicts} conflicts${p.skip ? `, ${p.skip} skipped` : ''}`,
    );
    for (const u of r.updates.slice(0, 50)) ui.result(`  update ${u.assetTag} (line ${u.line}): ${u.fields.join(', ')}`);
    if (r.updates.length > 50) ui.result(`  … and ${p.update - 50} more updates (--json lists them)`);
  } else {
    const c = r.counts;
    ui.result(
      `Import ${r.importId}: ${c.read} rows read = ${c.created} created + ${c.updated} updated + ${c.unchanged} unchanged + ${c.skipped} skipped + ${c.failed} failed`,
    );
  }
  for (const [kind, names] of Object.entries(p.referencesToCreate))
    if (names.length > 0)
      ui.result(
        `  ${r.mode === 'dry-run' ? 'to create' : 'created'}: ${names.length} ${kind} (${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''})`,
      );
  for (const [reason, count] of Object.entries(r.excluded)) ui.result(`  excluded by the filter: ${count} ${reason}`);
  if (r.mode === 'dry-run') ui.info(`Apply this plan: the same command with --apply --plan ${r.importId} (in place of --dry-run)`);
  return r;
}

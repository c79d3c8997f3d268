// Terminal helpers shared by the backup, restore and update commands: how their steps are shown,
// and sizes and durations for people. Steps are a listr2 task list (plain lines without a
// terminal, nothing with --json), except for `backup` without a terminal: under cron its one
// summary line is the whole output (--verbose brings the steps back).

import { runStepsQuietly, type StepRunner } from '../core/backup/steps.js';
import type { Ui } from './ui.js';

export function stepRunnerFor(ui: Ui, options: { quietWithoutTerminal?: boolean } = {}): StepRunner {
  if (ui.json || (options.quietWithoutTerminal && !ui.interactive && !ui.verbose)) return runStepsQuietly;
  return (steps, ctx) => ui.tasks(steps, ctx);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  return ms < 10_000
    ? `${(ms / 1000).toFixed(1)} s`
    : ms < 120_000
      ? `${Math.round(ms / 1000)} s`
      : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

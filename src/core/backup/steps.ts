// The backup services describe their work as TaskSteps; the CLI renders them with listr2 on a
// terminal and runs them silently under cron (one summary line), tests run them directly.

import type { TaskStep } from '../tasks.js';

export type StepRunner = <Ctx extends object>(steps: ReadonlyArray<TaskStep<Ctx>>, ctx: Ctx) => Promise<Ctx>;

/** Runs the steps in order without output. */
export const runStepsQuietly: StepRunner = async (steps, ctx) => {
  for (const step of steps) {
    const skip = step.skip?.(ctx);
    if (skip) continue;
    await step.task(ctx, () => {});
  }
  return ctx;
};

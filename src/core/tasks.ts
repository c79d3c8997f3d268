// A step of a multi-step operation. Core describes steps; the CLI runs them as a listr2 task
// list (animated on a terminal, plain lines in cron), so core never depends on a renderer.

export interface TaskStep<Ctx> {
  title: string;
  /** A reason (or true) to skip the step. */
  skip?: (ctx: Ctx) => string | boolean | undefined;
  task: (ctx: Ctx, report: (output: string) => void) => Promise<void> | void;
}

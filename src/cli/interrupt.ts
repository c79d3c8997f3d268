// Ctrl-C (SIGINT), `kill` (SIGTERM) and a dropped SSH session (SIGHUP) during a command that
// changes the site: the command is told (an AbortSignal) instead of dying where it stands, so it
// can stop at a safe point and put things back. A second signal while it does so is ignored, and
// says so: stopping the way back half-way would leave the site with nothing to stand on.

import type { Ui } from './ui.js';

export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `work` with an AbortSignal that the first of INTERRUPT_SIGNALS aborts (its reason is the
 * signal's name). `afterwards` says what happens next, e.g. "putting the safety backup back".
 */
export async function runInterruptibly<T>(ui: Ui, afterwards: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const say = (message: string) => {
    try {
      ui.warn(message);
    } catch {
      // The terminal may be gone (SIGHUP): nobody is there to read it.
    }
  };
  // After a hang-up, writes to the dead terminal fail; they must not end the process.
  const ignoreWriteError = () => {};
  process.stderr.on('error', ignoreWriteError);
  process.stdout.on('error', ignoreWriteError);
  const onSignal = (name: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      say(`${name}: stopping at the next safe point; ${afterwards}. Further signals are ignored until that is done.`);
      controller.abort(name);
    } else {
      say(`${name} again: ignored, ${afterwards}; wait for it to finish.`);
    }
  };
  for (const name of INTERRUPT_SIGNALS) process.on(name, onSignal);
  try {
    return await work(controller.signal);
  } finally {
    for (const name of INTERRUPT_SIGNALS) process.off(name, onSignal);
    process.stderr.off('error', ignoreWriteError);
    process.stdout.off('error', ignoreWriteError);
  }
}

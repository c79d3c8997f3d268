// SIGINT (Ctrl-C), SIGTERM (systemd, `kill`, `docker stop`) and SIGHUP (the terminal went away)
// during a long command become an AbortSignal for its core service, so stopping it runs the same
// cleanup as a failure — the dump tool stopped, the unfinished file and the lock removed, the
// scratch schema dropped — and the command exits 130, 143 or 129. A second signal takes the
// default action at once; what is then left over is swept by the next run (ADR-016).
// A command that puts the site back when stopped (`restore`, `update`: ADR-019) says what it is
// doing instead (`protecting`): the first signal is announced and every later one is ignored,
// with a word, because stopping the way back half-way would leave nothing to stand on.

import { InterruptedError } from '../core/errors.js';
import type { Ui } from './ui.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

export interface SignalHandling {
  /** Where to say what happens. */
  ui?: Ui;
  /** What runs after the first signal and must not be stopped, e.g. "the database is put back as it was". */
  protecting?: string;
}

export async function whileHandlingSignals<T>(work: (signal: AbortSignal) => Promise<T>, handling: SignalHandling = {}): Promise<T> {
  const controller = new AbortController();
  const handlers = new Map<StopSignal, () => void>();
  const say = (message: string) => {
    try {
      handling.ui?.warn(message);
    } catch {
      // The terminal may be gone (SIGHUP): nobody is there to read it.
    }
  };
  // After a hang-up, writes to the dead terminal fail; they must not end the way back.
  const ignoreWriteError = () => {};
  if (handling.protecting) {
    process.stderr.on('error', ignoreWriteError);
    process.stdout.on('error', ignoreWriteError);
  }
  const removeHandlers = () => {
    for (const [name, handler] of handlers) process.off(name, handler);
    handlers.clear();
    process.stderr.off('error', ignoreWriteError);
    process.stdout.off('error', ignoreWriteError);
  };
  for (const name of STOP_SIGNALS) {
    const handler = () => {
      if (controller.signal.aborted && handling.protecting) {
        say(`${name} again: ignored, ${handling.protecting}; wait for it to finish.`);
        return;
      }
      if (controller.signal.aborted) {
        // Asked twice: stop now, as if shopdb had no handler.
        removeHandlers();
        process.kill(process.pid, name);
        return;
      }
      if (handling.protecting)
        say(`${name}: stopping at the next safe point; ${handling.protecting}. Further signals are ignored until that is done.`);
      controller.abort(
        new InterruptedError(name, `Stopped by ${name} before it finished; what it had started was cleaned up`, {
          suggestion: 'Run it again when it may run to the end.',
        }),
      );
    };
    handlers.set(name, handler);
    process.on(name, handler);
  }
  try {
    return await work(controller.signal);
  } finally {
    removeHandlers();
  }
}

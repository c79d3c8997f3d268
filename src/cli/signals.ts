// SIGINT (Ctrl-C), SIGTERM (systemd, `kill`, `docker stop`) and SIGHUP (the terminal went away)
// during a long command become an AbortSignal for its core service, so stopping it runs the same
// cleanup as a failure — the dump tool stopped, the unfinished file and the lock removed, the
// scratch schema dropped — and the command exits 130, 143 or 129. A second signal takes the
// default action at once; what is then left over is swept by the next run (ADR-016).

import { InterruptedError } from '../core/errors.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

export async function whileHandlingSignals<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const handlers = new Map<StopSignal, () => void>();
  const removeHandlers = () => {
    for (const [name, handler] of handlers) process.off(name, handler);
    handlers.clear();
  };
  for (const name of STOP_SIGNALS) {
    const handler = () => {
      if (controller.signal.aborted) {
        // Asked twice: stop now, as if shopdb had no handler.
        removeHandlers();
        process.kill(process.pid, name);
        return;
      }
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

// What every bench script shares: its usage text (the comment block at its top), integer
// options, and one way to run — parse, run, and on Ctrl-C or SIGTERM stop at the next checkpoint
// and undo what it set up (cleanups run newest first, also after a failure). A second signal
// leaves everything as it is and says what was left. Exit codes: 0 measured, 1 failed, 2 usage,
// 130 interrupted.

import { readFileSync } from 'node:fs';

export class UsageProblem extends Error {}
export class Cancelled extends Error {}

export const log = (message: string): void => void process.stderr.write(`${message}\n`);
export const thousands = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The `// Usage:` paragraph of a script's header comment, as plain text. */
export function usageOf(file: string): string {
  const lines = readFileSync(file, 'utf8').split('\n');
  const from = lines.findIndex((line) => line.startsWith('// Usage:'));
  return lines
    .slice(from, lines.findIndex((line, i) => i > from && !line.startsWith('//')))
    .map((line) => line.replace(/^\/\/ ?/, ''))
    .join('\n');
}

/** A whole number option of at least `min`, or a UsageProblem naming the option. */
export function integerOption(name: string, text: string, min: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageProblem(`--${name} must be an integer of at least ${min} (got "${text}")`);
  return Number(text);
}

export class BenchRun {
  private cancelledBy: NodeJS.Signals | null = null;
  private readonly cleanups: Array<{ what: string; run: () => Promise<void> }> = [];
  private readonly stoppers = new Set<() => void>();

  get cancelled(): boolean {
    return this.cancelledBy !== null;
  }

  /** Throws Cancelled once a signal came: call it between steps. */
  checkpoint(): void {
    if (this.cancelled) throw new Cancelled('interrupted');
  }

  /** Undone at the end, newest first, whatever happened. */
  cleanup(what: string, run: () => Promise<void>): void {
    this.cleanups.push({ what, run });
  }

  /** Something running now that a signal should stop at once (a load generator); returns its removal. */
  onStop(stop: () => void): () => void {
    this.stoppers.add(stop);
    return () => this.stoppers.delete(stop);
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.cancelled) {
      log(`${signal} again: stopping without cleaning up${this.cleanups.length ? ` (left: ${this.cleanups.map((c) => c.what).join(', ')})` : ''}.`);
      process.exit(130);
    }
    this.cancelledBy = signal;
    log(`${signal}: stopping and cleaning up (press Ctrl-C again to leave everything as it is).`);
    for (const stop of this.stoppers) stop();
  };

  private async runCleanups(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await cleanup.run();
      } catch (error) {
        log(`Could not ${cleanup.what}: ${(error as Error).message}`);
        process.exitCode = 1;
      }
    }
  }

  /** Parses the arguments (null: --help), runs, cleans up, and sets the exit code. */
  async main<O>(name: string, file: string, parse: (argv: string[]) => O | null, run: (options: O) => Promise<void>): Promise<void> {
    let options: O | null;
    try {
      options = parse(process.argv.slice(2));
    } catch (error) {
      log(`${name}: ${(error as Error).message}\n\n${usageOf(file)}`);
      process.exitCode = 2;
      return;
    }
    if (options === null) {
      process.stdout.write(`${usageOf(file)}\n`);
      return;
    }
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    try {
      await run(options);
    } catch (error) {
      if (error instanceof Cancelled || this.cancelled) {
        process.exitCode = 130;
      } else if (error instanceof UsageProblem) {
        log(`${name}: ${error.message}`);
        process.exitCode = 2;
      } else {
        log(`${name} failed: ${(error as Error).stack ?? String(error)}`);
        process.exitCode = 1;
      }
    } finally {
      await this.runCleanups();
    }
  }
}

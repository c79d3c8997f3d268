// Drives a command on a real terminal (tmux), the way site IT runs `shopdb init` by hand:
// keystrokes in, the screen out. Suites using it are skipped, with the reason, where tmux is missing.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export function tmuxAvailable(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class TerminalSession {
  readonly name = `shopdb-test-${randomBytes(4).toString('hex')}`;

  constructor(command: string, cwd: string) {
    // `; sleep` keeps the pane (and its last screen) alive after the command exits.
    execFileSync('tmux', [
      'new-session',
      '-d',
      '-s',
      this.name,
      '-x',
      '160',
      '-y',
      '50',
      '-c',
      cwd,
      `${command}; echo "EXIT=$?"; sleep 60`,
    ]);
  }

  screen(): string {
    return execFileSync('tmux', ['capture-pane', '-p', '-t', this.name], { encoding: 'utf8' });
  }

  /** Waits until the screen shows `text` (or throws with the screen after `timeoutMs`). */
  async waitFor(text: string | RegExp, timeoutMs = 45_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (typeof text === 'string' ? screen.includes(text) : text.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${String(text)}. Screen:\n${screen}`);
      await sleep(100);
    }
  }

  /** Sends keys as tmux names them: literal text, or 'Enter', 'Down', 'C-c'. */
  send(...keys: string[]): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, ...keys]);
  }

  close(): void {
    try {
      execFileSync('tmux', ['kill-session', '-t', this.name], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

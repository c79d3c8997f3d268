// Shell completion (`shopdb autocomplete`, from @oclif/plugin-autocomplete): through the real
// binary, the setup it prints, the completion files it writes into the user's cache directory,
// and — in a real bash, and in zsh where it is installed — what <TAB> offers.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBin, runCommandLine } from './support/cli.js';

const zshAvailable = (await execa('zsh', ['--version'], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0;

describe('shopdb autocomplete', () => {
  let home: string;
  let env: Record<string, string>;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'shopdb-completion-'));
    env = { HOME: home, XDG_CACHE_HOME: join(home, 'cache') };
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const completionDir = () => join(home, 'cache', 'shopdb', 'autocomplete');

  /** What bash's <TAB> offers after each command line (the last word is the one being completed). */
  async function bashCompletions(setupScript: string, lines: string[][]): Promise<string[][]> {
    const harness = [
      setupScript,
      'offer() { COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}; _shopdb_autocomplete; printf "%s\\n" "${COMPREPLY[@]}"; echo "--end--"; }',
      ...lines.map((words) => `offer ${words.map((word) => `'${word}'`).join(' ')}`),
    ].join('\n');
    const result = await execa('bash', ['--norc', '-c', harness], { env, extendEnv: false, reject: false });
    expect(result.exitCode, result.stderr).toBe(0);
    const sections = result.stdout.split('--end--\n').slice(0, lines.length);
    return sections.map((section) => [...new Set(section.split('\n').filter(Boolean))].sort());
  }

  it('prints the bash setup and writes the completion function with shopdb’s commands and flags (bin)', async () => {
    const result = await runBin(['autocomplete', 'bash'], { env });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('printf "$(shopdb autocomplete script bash)" >> ~/.bashrc');
    const functions = readFileSync(join(completionDir(), 'functions', 'bash', 'shopdb.bash'), 'utf8');
    expect(functions).toContain('complete -F _shopdb_autocomplete shopdb');
    expect(functions).toMatch(/^user:disable .*--force/m);
  });

  it('completes commands, subcommands and flags in a real bash, never the refused --password (bin)', async () => {
    expect((await runBin(['autocomplete', 'bash'], { env })).exitCode).toBe(0);
    const script = await runBin(['autocomplete', 'script', 'bash'], { env });

    expect(script.exitCode, script.stderr).toBe(0);
    expect(script.stdout).toContain(`SHOPDB_AC_BASH_SETUP_PATH=${join(completionDir(), 'bash_setup')}`);
    const [topLevel, subcommand, flag, createFlags] = await bashCompletions(script.stdout, [
      ['shopdb', 'us'],
      ['shopdb', 'user', 'dis'],
      ['shopdb', 'user', 'disable', '--f'],
      ['shopdb', 'user', 'create', '--'],
    ]);
    expect(topLevel).toEqual(['user']);
    expect(subcommand).toEqual(['disable']);
    expect(flag).toEqual(['--force']);
    expect(createFlags).toEqual(expect.arrayContaining(['--role', '--password-stdin', '--generate', '--update', '--force']));
    expect(createFlags).not.toContain('--password');
  });

  it('prints the zsh setup and writes a zsh completion function (bin)', async () => {
    const result = await runBin(['autocomplete', 'zsh'], { env });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('printf "$(shopdb autocomplete script zsh)" >> ~/.zshrc');
    const functions = readFileSync(join(completionDir(), 'functions', 'zsh', '_shopdb'), 'utf8');
    expect(functions.split('\n')[0]).toBe('#compdef shopdb');
    expect(functions).toContain('"disable[Disable a user');
    expect(functions).toContain('--force"[Disable the last enabled admin anyway');
  });

  it.skipIf(!zshAvailable)(
    `loads into zsh's completion system${zshAvailable ? '' : ' — skipped: zsh is not installed'} (bin)`,
    async () => {
      expect((await runBin(['autocomplete', 'zsh'], { env })).exitCode).toBe(0);
      const script = await runBin(['autocomplete', 'script', 'zsh'], { env });
      const functions = join(completionDir(), 'functions', 'zsh', '_shopdb');

      const syntax = await execa('zsh', ['-n', functions], { env, extendEnv: false, reject: false });
      const loaded = await execa(
        'zsh',
        [
          '-f',
          '-c',
          `autoload -U compinit && compinit -u -d ${join(home, '.zcompdump')}\n${script.stdout}\nprint -r -- "\${_comps[shopdb]}"`,
        ],
        { env, extendEnv: false, reject: false },
      );

      expect(syntax.exitCode, syntax.stderr).toBe(0);
      expect(loaded.exitCode, loaded.stderr).toBe(0);
      expect(loaded.stdout.trim().split('\n').at(-1)).toBe('_shopdb');
    },
  );

  it('refuses a shell it cannot complete with exit 2 naming the ones it can, writing nothing (bin)', async () => {
    const result = await runBin(['autocomplete', 'fish'], { env });

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/fish/);
    expect(result.stderr).toMatch(/zsh, bash, powershell/);
    expect(existsSync(completionDir())).toBe(false);
  });

  it('works in-process too, through oclif with the plugins of package.json', async () => {
    const result = await runCommandLine(['autocomplete', 'bash'], { env });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('shopdb autocomplete script bash');
    expect(existsSync(join(completionDir(), 'functions', 'bash', 'shopdb.bash'))).toBe(true);
  });
});

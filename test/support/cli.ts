// Runs shopdb commands the two ways users run them: in-process (a command class, fast, with its
// output captured) and through bin/run.js as a child process (the real binary, exit codes and all).

import { join } from 'node:path';
import { Errors, type Command } from '@oclif/core';
import { execa } from 'execa';
import { packageRoot } from '../../src/core/paths.js';

export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** stdout parsed as JSON when it is JSON. */
  json?: any;
}

function withJson(output: Omit<CommandOutput, 'json'>): CommandOutput {
  try {
    return { ...output, json: JSON.parse(output.stdout) };
  } catch {
    return output;
  }
}

export interface RunOptions {
  /** Environment variables set for the run (in-process: temporarily on process.env). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** bin only: text piped to stdin. */
  input?: string;
}

/** In-process: runs a command class with stdout/stderr captured. */
export async function runCommand(command: typeof Command, argv: string[], options: RunOptions = {}): Promise<CommandOutput> {
  // Command.run's `this` type demands a concrete class; every shopdb command is one.
  return runInProcess(
    () => (command as unknown as { run(argv: string[], opts: string): Promise<unknown> }).run(argv, packageRoot),
    options,
  );
}

/**
 * In-process, by command line, through oclif's own dispatch with every plugin of package.json
 * loaded: for commands shopdb gets from a plugin (`autocomplete`), which have no class to import.
 */
export async function runCommandLine(argv: string[], options: RunOptions = {}): Promise<CommandOutput> {
  const { run } = await import('@oclif/core');
  return runInProcess(() => run(argv, packageRoot), options);
}

async function runInProcess(invoke: () => Promise<unknown>, options: RunOptions): Promise<CommandOutput> {
  const saved: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(options.env ?? {})) {
    saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const previousCwd = process.cwd();
  if (options.cwd) process.chdir(options.cwd);
  let stdout = '';
  let stderr = '';
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  let exitCode: number;
  try {
    await invoke();
    exitCode = Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof Errors.ExitError) exitCode = error.oclif.exit ?? 1;
    else {
      stderr += String((error as Error)?.stack ?? error);
      exitCode = (error as { oclif?: { exit?: number } }).oclif?.exit ?? 1;
    }
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
    process.exitCode = undefined;
    if (options.cwd) process.chdir(previousCwd);
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  return withJson({ stdout, stderr, exitCode });
}

export const binPath = join(packageRoot, 'bin', 'run.js');

/** As a user runs it: `bin/run.js …` through its shebang, in a clean environment (no TTY, so no colour or prompts). */
export async function runBin(argv: string[], options: RunOptions = {}): Promise<CommandOutput> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8' };
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
  const result = await execa(binPath, argv, {
    cwd: options.cwd ?? packageRoot,
    env,
    extendEnv: false,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : undefined,
    reject: false,
    timeout: 60_000,
  });
  return withJson({ stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? 1 });
}

// The one place the CLI talks to a person: results to stdout, everything else to stderr;
// colour only on a terminal and never with NO_COLOR / --no-color; prompts only on a TTY;
// listr2 task lists that fall back to plain lines without one (cron, CI).

import { Chalk, type ChalkInstance } from 'chalk';
import type { ConfigProblem } from '../core/errors.js';
import type { TaskStep } from '../core/tasks.js';
import { CancelledError, UsageError, type ShopdbError } from '../core/errors.js';

export interface UiOptions {
  json: boolean;
  verbose: boolean;
  /** --color / --no-color, if given. */
  colorFlag: boolean | undefined;
  env: Readonly<Record<string, string | undefined>>;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

export class Ui {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly colour: boolean;
  /** A person can answer prompts: stdin and stderr are terminals and we are not in --json mode. */
  readonly interactive: boolean;
  readonly chalk: ChalkInstance;
  private readonly out: NodeJS.WriteStream;
  private readonly err: NodeJS.WriteStream;
  private readonly input: NodeJS.ReadStream;

  constructor(options: UiOptions) {
    this.out = options.stdout ?? process.stdout;
    this.err = options.stderr ?? process.stderr;
    this.input = options.stdin ?? process.stdin;
    this.json = options.json;
    this.verbose = options.verbose || Boolean(options.env.DEBUG);
    const noColorEnv = Boolean(options.env.NO_COLOR);
    this.colour = options.colorFlag ?? (!noColorEnv && Boolean(this.err.isTTY) && options.env.TERM !== 'dumb');
    this.chalk = new Chalk({ level: this.colour ? 1 : 0 });
    this.interactive = !this.json && Boolean(this.input.isTTY) && Boolean(this.err.isTTY);
  }

  /** A result line for humans (stdout). Suppressed in --json mode, where the JSON is the result. */
  result(line = ''): void {
    if (!this.json) this.out.write(line + '\n');
  }

  /** Progress and information (stderr). */
  info(line = ''): void {
    this.err.write(line + '\n');
  }

  warn(line: string): void {
    this.err.write(`${this.chalk.yellow('Warning:')} ${line}\n`);
  }

  debug(line: string): void {
    if (this.verbose) this.err.write(this.chalk.dim(line) + '\n');
  }

  configWarnings(problems: readonly ConfigProblem[]): void {
    for (const p of problems) this.warn(`${p.variable} ${p.problem} — ${p.fix}.`);
  }

  renderError(error: ShopdbError): void {
    const lines = [`${this.chalk.red('Error:')} ${error.message}`];
    for (const detail of error.details) lines.push(`  • ${detail}`);
    if (error.suggestion) lines.push(`${this.chalk.cyan('Fix:')} ${error.suggestion}`);
    if (this.verbose) {
      if ('stderr' in error && typeof error.stderr === 'string' && error.stderr) lines.push('', error.stderr);
      lines.push('', error.stack ?? '');
      if (error.cause instanceof Error && error.cause.stack) lines.push('Caused by: ' + error.cause.stack);
    }
    this.err.write(lines.join('\n') + '\n');
  }

  /** Fails early, naming what to pass, when a prompt would be needed but nobody can answer. */
  requireInteractive(what: string, alternatives: string): void {
    if (!this.interactive) {
      throw new UsageError(`${what} is needed, and there is no terminal to ask on${this.json ? ' (--json never prompts)' : ''}`, {
        suggestion: `Pass ${alternatives}.`,
      });
    }
  }

  private get promptContext() {
    return { input: this.input, output: this.err, clearPromptOnDone: false };
  }

  private async prompt<T>(ask: () => Promise<T>): Promise<T> {
    try {
      return await ask();
    } catch (error) {
      if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')) {
        throw new CancelledError('Cancelled at the prompt; nothing was changed');
      }
      throw error;
    }
  }

  async askText(message: string, defaultValue: string, validate?: (value: string) => string | true): Promise<string> {
    const { input } = await import('@inquirer/prompts');
    return this.prompt(() => input({ message, default: defaultValue, validate }, this.promptContext));
  }

  async askChoice<T extends string>(message: string, choices: readonly T[], defaultValue: T): Promise<T> {
    const { select } = await import('@inquirer/prompts');
    return this.prompt(() =>
      select<T>({ message, default: defaultValue, choices: choices.map((value) => ({ value, name: value })) }, this.promptContext),
    );
  }

  async askSecret(message: string): Promise<string> {
    const { password } = await import('@inquirer/prompts');
    return this.prompt(() => password({ message, mask: true }, this.promptContext));
  }

  async confirm(message: string, defaultValue = false): Promise<boolean> {
    const { confirm } = await import('@inquirer/prompts');
    return this.prompt(() => confirm({ message, default: defaultValue }, this.promptContext));
  }

  /**
   * Runs steps as a listr2 task list on stderr: animated on a terminal, one plain line per event
   * otherwise, silent in --json mode. Errors propagate unchanged.
   */
  async tasks<Ctx extends object>(steps: ReadonlyArray<TaskStep<Ctx>>, ctx: Ctx): Promise<Ctx> {
    const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
    const logger = new ListrLogger({ processOutput: new ProcessOutput(this.err, this.err), useIcons: this.colour });
    const list = new Listr<Ctx>(
      steps.map((step) => ({
        title: step.title,
        skip: step.skip ? (context: Ctx) => step.skip!(context) ?? false : undefined,
        task: async (context: Ctx, task) => {
          await step.task(context, (output) => {
            task.output = output;
          });
        },
      })),
      {
        ctx,
        exitOnError: true,
        registerSignalListeners: false,
        renderer: 'default',
        rendererOptions: { logger, formatOutput: 'wrap' },
        fallbackRenderer: 'simple',
        fallbackRendererOptions: { logger },
        fallbackRendererCondition: !(this.err.isTTY && this.colour),
        silentRendererCondition: this.json,
      },
    );
    return list.run();
  }
}

// The base of every shopdb command: the shared flags (--env-file, --verbose, --[no-]color),
// the Ui, loading the site configuration, and the only place errors are rendered.

import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import { inspectConfig, loadedOrThrow, type ConfigInspection, type LoadedConfig } from '../core/config/index.js';
import type { DatabaseLogger } from '../core/db/connect.js';
import { assertNoInterruptedRestore, FINISHING_RESTORE_ENV } from '../core/backup/restore-marker.js';
import { asShopdbError, ShopdbError, UsageError } from '../core/errors.js';
import { Ui } from './ui.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;

const ANSI = /\u001B\[[0-9;]*m/g;

export abstract class BaseCommand extends Command {
  static override baseFlags = {
    'env-file': Flags.string({
      summary: 'Site .env file to use (default: $SHOPDB_ENV_FILE or ./.env).',
      helpGroup: 'GLOBAL',
    }),
    verbose: Flags.boolean({ summary: 'Show debug output and stack traces with errors.', helpGroup: 'GLOBAL' }),
    color: Flags.boolean({
      summary: 'Colour the output (default: only on a terminal, never with NO_COLOR).',
      allowNo: true,
      helpGroup: 'GLOBAL',
    }),
  };

  protected ui!: Ui;

  /**
   * Whether the command may run while an interrupted restore's marker stands beside the .env
   * (ADR-019). Off for everything that reads or changes the site data; on for the way back
   * (`restore`), for `doctor` (which reports it) and for what only reads files or the stack.
   */
  static allowsInterruptedRestore = false;

  override async init(): Promise<void> {
    await super.init();
    // Built from the raw argv so that even a flag-parsing error is rendered the right way.
    const colorFlag = this.argv.includes('--no-color') ? false : this.argv.includes('--color') ? true : undefined;
    this.ui = new Ui({ json: this.jsonEnabled(), verbose: this.argv.includes('--verbose'), colorFlag, env: process.env });
  }

  /** The process environment, read here and passed down: core never reads process.env itself. */
  protected get env(): NodeJS.ProcessEnv {
    return process.env;
  }

  protected get cwd(): string {
    return process.cwd();
  }

  /** Where the site .env is, and whether the user named it explicitly (then it must exist). */
  protected envFileOf(flags: { 'env-file'?: string }): { path: string; explicit: boolean } {
    const named = flags['env-file'] ?? this.env.SHOPDB_ENV_FILE;
    return { path: named ?? './.env', explicit: named !== undefined };
  }

  /** Loads the site configuration and prints its warnings to stderr. */
  protected loadSiteConfig(flags: { 'env-file'?: string }): LoadedConfig {
    const config = loadedOrThrow(this.inspectSiteConfig(flags));
    const finishingRestore = this.env[FINISHING_RESTORE_ENV] === '1';
    if (!(this.constructor as typeof BaseCommand).allowsInterruptedRestore && !finishingRestore) assertNoInterruptedRestore(config);
    return config;
  }

  /** Reads the site configuration without refusing it (for the commands that list every problem); prints its warnings. */
  protected inspectSiteConfig(flags: { 'env-file'?: string }): ConfigInspection {
    const envFile = this.envFileOf(flags);
    const inspection = inspectConfig({ envFile: envFile.path, cwd: this.cwd, env: this.env, requireEnvFile: envFile.explicit });
    if (!inspection.config.envFileFound) {
      this.ui.info(`No ${inspection.config.envFile}: using defaults and the process environment (\`shopdb init\` creates a site .env).`);
    }
    this.ui.configWarnings(inspection.config.warnings);
    return inspection;
  }

  /** Routes knex's warnings and debug lines to stderr (debug only with --verbose). */
  protected get dbLogger(): DatabaseLogger {
    return { warn: (message) => this.ui.warn(message), debug: (message) => this.ui.debug(message) };
  }

  protected override toErrorJson(err: unknown): unknown {
    return { error: asShopdbError(err).toJSON() };
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<never> {
    if (err instanceof Errors.ExitError) throw err;
    const error = this.normalizeError(err);
    process.exitCode = error.exitCode;
    if (this.ui === undefined) this.ui = new Ui({ json: false, verbose: true, colorFlag: false, env: process.env });
    if (this.jsonEnabled()) this.logJson(this.toErrorJson(error));
    else this.ui.renderError(error);
    throw new Errors.ExitError(error.exitCode);
  }

  /** oclif's own parse errors (unknown flag, bad value) become usage errors with a pointer to --help. */
  private normalizeError(err: unknown): ShopdbError {
    if (err instanceof ShopdbError) return err;
    if (err instanceof Error && (err as { oclif?: unknown }).oclif !== undefined) {
      // oclif puts a headline first and one line per problem after it (e.g. exclusive flags).
      const [headline = 'Invalid command line', ...rest] = err.message
        .replace(ANSI, '')
        .split('\n')
        .map((line) => line.trim());
      const details = rest.filter((line) => line && !/^See more help with/.test(line));
      const command = `shopdb ${(this.id ?? '').replace(/:/g, ' ')}`.trim();
      return new UsageError(headline, { details, suggestion: `See \`${command} --help\` for the flags and examples.`, cause: err });
    }
    return asShopdbError(err);
  }
}

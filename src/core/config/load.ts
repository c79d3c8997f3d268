// Loads a site's configuration: the .env file, then the process environment over it (the
// docker compose convention), then `NAME_FILE` secrets, then defaults. Every problem is
// collected and reported at once; `inspectConfig` also hands back the configuration as far as it
// loaded, so `config check` and `doctor` can judge the production rules in the same breath.

import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { parseEnvFile } from './env-file.js';
import { closestName, parseValue } from './parse.js';
import { CONFIG_VAR_NAMES, configSchema, specOf, type ConfigValues, type ConfigVarName, type VarCondition } from './schema.js';

export type ValueSource = 'default' | 'env-file' | 'environment' | 'secret-file' | 'unset';

export interface LoadedConfig {
  values: ConfigValues;
  /** Absolute path of the .env file that was (or would have been) read. */
  envFile: string;
  envFileFound: boolean;
  /** Relative paths in the configuration resolve against this folder (the .env's folder). */
  baseDir: string;
  sources: Record<ConfigVarName, ValueSource>;
  /** Things worth telling the user that do not stop the command. */
  warnings: ConfigProblem[];
}

export interface LoadConfigOptions {
  /** Path of the site .env (absolute, or relative to `cwd`). */
  envFile: string;
  cwd: string;
  /** The process environment; passed in so core never reads process.env itself. */
  env: Readonly<Record<string, string | undefined>>;
  /** Fail when the .env file does not exist (an explicit --env-file). */
  requireEnvFile?: boolean;
  /** The .env's content when it is not on disk yet: `init` judges what it is about to write. */
  envFileText?: string;
}

const KNOWN_NAMES: readonly string[] = CONFIG_VAR_NAMES;
const SECRET_NAMES = CONFIG_VAR_NAMES.filter((name) => specOf(name).type === 'secret');
const FILE_SUFFIX = '_FILE';
/** Variables the test suite reads; they are not site configuration. */
const TEST_PREFIX = 'SHOPDB_TEST_';
const TEST_VARIABLES = ['SHOPDB_REQUIRE_MYSQL'];
/** Set by shopdb itself on a shopdb it runs (a restore's migrate in the api container: restore-marker.ts); not site configuration. */
const INTERNAL_VARIABLES = ['SHOPDB_FINISHING_RESTORE'];

/**
 * The configuration did not load. `partial` is what did load, with each bad value replaced by its
 * default, for the checks that list every problem at once; nothing should run on it.
 */
export class ConfigLoadError extends ConfigError {
  constructor(
    message: string,
    problems: ConfigProblem[],
    readonly partial: LoadedConfig,
    options: ConstructorParameters<typeof ConfigError>[2] = {},
  ) {
    super(message, problems, options);
  }
}

/** What `inspectConfig` found: the configuration as far as it loaded, and what stops it loading. */
export interface ConfigInspection {
  config: LoadedConfig;
  problems: ConfigProblem[];
}

function readEnvFile(path: string): ReturnType<typeof parseEnvFile> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`Cannot read ${path}`, [], {
      suggestion: `Check that the file is readable by this user (${(error as Error).message}).`,
      cause: error,
    });
  }
  return parseEnvFile(text, path);
}

function suggestionFor(name: string, candidates: readonly string[]): string {
  const close = closestName(name, candidates);
  return close ? `did you mean ${close}? Rename it` : 'remove it, or see .env.example for the variables shopdb reads';
}

/** Does `condition` hold for the raw values seen so far? */
export function conditionHolds(condition: VarCondition, raw: (name: string) => string | undefined): boolean {
  const value = raw(condition.variable)?.trim().toLowerCase() ?? '';
  if (condition.is === 'set') return value.length > 0;
  const fallback = (configSchema as Record<string, { default?: string }>)[condition.variable]?.default ?? '';
  return (value || fallback.toLowerCase()) === condition.is;
}

/** Loads the configuration or throws one ConfigLoadError listing every problem. */
export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  return loadedOrThrow(inspectConfig(options));
}

/** The configuration of an inspection that found nothing wrong; otherwise a ConfigLoadError. */
export function loadedOrThrow({ config, problems }: ConfigInspection): LoadedConfig {
  if (problems.length > 0) {
    const where = config.envFileFound ? config.envFile : 'the environment';
    throw new ConfigLoadError(
      `The configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'}${config.envFileFound ? ` (${config.envFile})` : ''}`,
      problems,
      config,
      { suggestion: `Fix ${problems.length === 1 ? 'it' : 'each one'} in ${where} and run the command again.` },
    );
  }
  return config;
}

/**
 * Reads everything and reports every problem without throwing for them (only for a missing
 * required file or an unreadable one). A value with a problem takes its default in `config`.
 */
export function inspectConfig(options: LoadConfigOptions): ConfigInspection {
  const envFile = isAbsolute(options.envFile) ? options.envFile : resolve(options.cwd, options.envFile);
  const baseDir = dirname(envFile);
  const parsedFile = options.envFileText !== undefined ? parseEnvFile(options.envFileText, envFile) : readEnvFile(envFile);
  const fileValues = parsedFile ? Object.fromEntries([...parsedFile.entries].map(([name, entry]) => [name, entry.value])) : undefined;
  const errors: ConfigProblem[] = [...(parsedFile?.problems ?? [])];
  const warnings: ConfigProblem[] = [...(parsedFile?.warnings ?? [])];

  if (!fileValues && options.requireEnvFile) {
    throw new ConfigError(`No configuration file at ${envFile}`, [], {
      suggestion: 'Create one with `shopdb init`, or point --env-file at the site .env.',
    });
  }

  // Unknown names in the .env are errors: a typo silently falling back to a default is how a
  // site ends up talking to the wrong database.
  for (const name of Object.keys(fileValues ?? {})) {
    if (KNOWN_NAMES.includes(name)) {
      if ((configSchema as Record<string, { environmentOnly?: true }>)[name]?.environmentOnly) {
        warnings.push({ variable: name, problem: 'has no effect inside a .env file', fix: 'set it in the process environment instead' });
      }
      continue;
    }
    if (name.endsWith(FILE_SUFFIX) && SECRET_NAMES.includes(name.slice(0, -FILE_SUFFIX.length) as ConfigVarName)) continue;
    const line = parsedFile?.entries.get(name)?.line;
    errors.push({
      variable: name,
      problem: `is not a shopdb variable (${envFile}${line ? `, line ${line}` : ''})`,
      fix: suggestionFor(name, KNOWN_NAMES),
    });
  }
  // In the process environment only our own prefix is ours to judge; warn, do not fail.
  for (const name of Object.keys(options.env)) {
    if (
      !name.startsWith('SHOPDB_') ||
      name.startsWith(TEST_PREFIX) ||
      TEST_VARIABLES.includes(name) ||
      INTERNAL_VARIABLES.includes(name) ||
      KNOWN_NAMES.includes(name)
    )
      continue;
    if (name.endsWith(FILE_SUFFIX) && SECRET_NAMES.includes(name.slice(0, -FILE_SUFFIX.length) as ConfigVarName)) continue;
    warnings.push({
      variable: name,
      problem: 'is set in the environment but shopdb does not read it',
      fix: suggestionFor(name, KNOWN_NAMES),
    });
  }

  const lookup = (name: string): { raw: string; source: ValueSource } | undefined => {
    const fromEnv = options.env[name];
    if (fromEnv !== undefined && fromEnv !== '') return { raw: fromEnv, source: 'environment' };
    const fromFile = fileValues?.[name];
    if (fromFile !== undefined && fromFile !== '') return { raw: fromFile, source: 'env-file' };
    return undefined;
  };

  const values: Record<string, unknown> = {};
  const sources = {} as Record<ConfigVarName, ValueSource>;

  for (const name of CONFIG_VAR_NAMES) {
    const spec = specOf(name);
    let found = spec.environmentOnly ? envOnly(options.env, name) : lookup(name);

    if (spec.type === 'secret') {
      const fileRef = lookup(name + FILE_SUFFIX);
      if (fileRef && found) {
        errors.push({
          variable: name,
          problem: `is set both directly and through ${name}${FILE_SUFFIX}`,
          fix: `keep only one of ${name} and ${name}${FILE_SUFFIX}`,
        });
        sources[name] = 'unset';
        continue;
      }
      if (fileRef) {
        const secretPath = isAbsolute(fileRef.raw) ? fileRef.raw : resolve(baseDir, fileRef.raw);
        try {
          found = { raw: readFileSync(secretPath, 'utf8').replace(/\r?\n$/, ''), source: 'secret-file' };
        } catch (error) {
          errors.push({
            variable: name + FILE_SUFFIX,
            problem: `cannot read ${secretPath} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
            fix: 'point it at a readable file that holds only the secret',
          });
          sources[name] = 'unset';
          continue;
        }
      }
    }

    const raw = found?.raw ?? spec.default;
    sources[name] = found ? found.source : spec.default !== undefined ? 'default' : 'unset';
    if (raw === undefined) {
      values[name] = undefined;
      continue;
    }
    const parsed = parseValue(raw, spec);
    if (!parsed.ok) {
      // Never echo a secret back in an error message.
      const problem = spec.type === 'secret' ? 'is not valid' : parsed.problem;
      errors.push({ variable: name, problem, fix: parsed.fix });
      const fallback = spec.default === undefined ? undefined : parseValue(spec.default, spec);
      values[name] = fallback?.ok ? (spec.type === 'path' ? resolvePath(baseDir, fallback.value as string) : fallback.value) : undefined;
      continue;
    }
    values[name] = spec.type === 'path' ? resolvePath(baseDir, parsed.value as string) : parsed.value;
  }

  if (fileValues && options.envFileText === undefined && SECRET_NAMES.some((name) => fileValues[name])) {
    const mode = statSync(envFile).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      warnings.push({
        variable: envFile,
        problem: `holds secrets but is readable by others (mode ${mode.toString(8)})`,
        fix: `run: chmod 600 ${envFile}`,
      });
    }
  }

  const config: LoadedConfig = {
    values: values as ConfigValues,
    envFile,
    envFileFound: fileValues !== undefined,
    baseDir,
    sources,
    warnings,
  };
  return { config, problems: errors };
}

function envOnly(env: LoadConfigOptions['env'], name: string): { raw: string; source: ValueSource } | undefined {
  const value = env[name];
  return value !== undefined && value !== '' ? { raw: value, source: 'environment' } : undefined;
}

function resolvePath(baseDir: string, value: string): string {
  return isAbsolute(value) ? value : resolve(baseDir, value);
}

// `shopdb init`: writes a site's .env from the schema, with generated secrets, mode 0600, never
// over an existing file without `force` (and then keeping the old one). With MySQL
// administrator credentials it can also create the database and a least-privilege user.
// The whole file is rendered and judged by the rules of its mode first: a refusal leaves the old
// .env, the database server and the disk exactly as they were.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { allConfigProblems, conditionHolds, inspectConfig, parseDuration, renderEnvFile, type ConfigVarName } from '../config/index.js';
import { parseValue } from '../config/parse.js';
import { CONFIG_VAR_NAMES, specOf } from '../config/schema.js';
import { createSiteDatabase } from '../db/mysql-admin.js';
import { ConfigError, UsageError, type ConfigProblem } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';

export type InitAnswers = Partial<Record<ConfigVarName, string>>;

export interface InitOptions {
  /** Absolute path of the .env to write. */
  envFile: string;
  force: boolean;
  /** Raw values for the init variables (from flags or prompts); missing ones take the default. */
  answers: InitAnswers;
  /** MySQL only: the password of an existing DB_USER. Generated when creating the database. */
  dbPassword?: string;
  /** With LDAP_ENABLED=true: the directory service account's password (LDAP_BIND_PASSWORD). */
  ldapBindPassword?: string;
  /**
   * MySQL only: create the database and user with these administrator credentials. `reuseUser`:
   * an existing DB_USER is kept, given a new generated password and granted the database.
   */
  createDatabase?: { adminUser: string; adminPassword: string; userHost: string; reuseUser?: boolean };
  now?: Date;
}

export interface InitResult {
  envFile: string;
  /** Where the previous .env was kept, when --force replaced one. */
  previousEnvFile: string | null;
  client: 'sqlite' | 'mysql';
  mode: string;
  /** Names (never values) of the secrets that were generated. */
  generatedSecrets: string[];
  databaseCreated: boolean;
  userCreated: boolean;
  /** --reuse-user found the user there already and gave it the new password. */
  userReused: boolean;
  nextSteps: string[];
}

/** A strong random secret that needs no quoting anywhere (.env, compose, URLs). */
export function generateSecret(bytes = 48): string {
  return randomBytes(bytes).toString('base64url');
}

/** The init variables in prompt order, each with whether it applies given earlier answers. */
export function initQuestions(): ConfigVarName[] {
  return CONFIG_VAR_NAMES.filter((name) => specOf(name).init !== undefined);
}

export function questionApplies(name: ConfigVarName, answers: InitAnswers): boolean {
  const when = specOf(name).init?.when;
  return when === undefined || conditionHolds(when, (variable) => answers[variable as ConfigVarName]);
}

/** Validates one answer; returns a message for a prompt, or true. */
export function validateAnswer(name: ConfigVarName, raw: string): string | true {
  if (raw === '') return true;
  const parsed = parseValue(raw, specOf(name));
  return parsed.ok ? true : `${parsed.problem}: ${parsed.fix}`;
}

/** Refuses early, before any question is asked, when the target exists and --force is absent. */
export function assertInitTarget(envFile: string, force: boolean): void {
  if (existsSync(envFile) && !force) {
    throw new UsageError(`${envFile} already exists; it was left untouched`, {
      suggestion: "Pass --force to replace it (the old file is kept as .env.bak-<time>), or use --env-file to write another site's file.",
    });
  }
}

function timestamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** .env.bak-<time>, or .env.bak-<time>-2… when a backup of the same second exists: never overwrite one. */
function freeBackupPath(envFile: string, now: Date): string {
  const base = `${envFile}.bak-${timestamp(now)}`;
  let candidate = base;
  for (let n = 2; existsSync(candidate); n++) candidate = `${base}-${n}`;
  return candidate;
}

/** The file init would write, and what it generated for it. */
interface PlannedSiteEnv {
  client: 'sqlite' | 'mysql';
  mode: string;
  values: InitAnswers;
  content: string;
  generatedSecrets: string[];
}

/**
 * Validates the answers, generates the secrets and renders the .env, then judges that text by
 * the rules of its mode exactly as `config check` will judge the file: a refusal comes before
 * the old .env is moved and before anything is created on the MySQL server.
 */
function planSiteEnv(
  options: Pick<InitOptions, 'envFile' | 'answers' | 'dbPassword' | 'ldapBindPassword' | 'createDatabase' | 'now'>,
): PlannedSiteEnv {
  const problems: ConfigProblem[] = [];
  const values: InitAnswers = {};
  for (const name of initQuestions()) {
    const raw = options.answers[name];
    if (raw === undefined || !questionApplies(name, { ...values, ...options.answers })) continue;
    const verdict = validateAnswer(name, raw);
    if (verdict === true) values[name] = raw;
    else problems.push({ variable: name, problem: verdict, fix: `pass a valid --${specOf(name).init!.flag}` });
  }
  if (problems.length > 0) throw new ConfigError('Some answers are not valid; nothing was written', problems);
  const client = (values.DB_CLIENT ?? specOf('DB_CLIENT').default) as 'sqlite' | 'mysql';
  const mode = values.SHOPDB_ENV ?? specOf('SHOPDB_ENV').default!;

  const generatedSecrets: string[] = ['JWT_SECRET'];
  values.JWT_SECRET = generateSecret();
  if (client === 'mysql') {
    values.MYSQL_ROOT_PASSWORD = generateSecret(24);
    generatedSecrets.push('MYSQL_ROOT_PASSWORD');
    if (options.createDatabase) {
      values.DB_PASSWORD = generateSecret(24);
      generatedSecrets.push('DB_PASSWORD');
    } else if (options.dbPassword !== undefined) {
      values.DB_PASSWORD = options.dbPassword;
    }
  }

  const ldap = values.LDAP_ENABLED === 'true';
  if (ldap && options.ldapBindPassword !== undefined) values.LDAP_BIND_PASSWORD = options.ldapBindPassword;

  const content = renderEnvFile({
    style: 'site',
    header: [
      `shopdb site configuration, written by \`shopdb init\` on ${(options.now ?? new Date()).toISOString()}.`,
      'Holds secrets: keep it mode 0600 and out of version control. Commented lines show defaults.',
      'Every variable is described in docs/CONFIGURATION.md.',
    ],
    values,
  });
  const leftToUser = [
    ...(values.DB_PASSWORD === undefined ? ['DB_PASSWORD'] : []),
    ...(ldap && values.LDAP_BIND_PASSWORD === undefined ? ['LDAP_BIND_PASSWORD'] : []),
  ];
  assertWouldBeValid(options.envFile, content, mode, leftToUser);
  return { client, mode, values, content, generatedSecrets };
}

/**
 * Refuses answers that init would refuse anyway, before anyone is asked for a password: the
 * command calls it as soon as the answers are in. The database password is judged later.
 */
export function assertInitAnswers(envFile: string, answers: InitAnswers): void {
  planSiteEnv({ envFile, answers });
}

export async function initSite(options: InitOptions): Promise<InitResult> {
  assertInitTarget(options.envFile, options.force);
  const now = options.now ?? new Date();
  const { client, mode, values, content, generatedSecrets } = planSiteEnv({ ...options, now });

  let databaseCreated = false;
  let userCreated = false;
  let userReused = false;
  if (client === 'mysql' && options.createDatabase) {
    const created = await createSiteDatabase({
      server: {
        host: values.DB_HOST ?? specOf('DB_HOST').default!,
        port: Number(values.DB_PORT ?? specOf('DB_PORT').default),
        connectTimeoutMs: (parseDuration(specOf('DB_CONNECT_TIMEOUT').default!) ?? 10) * 1000,
      },
      admin: { user: options.createDatabase.adminUser, password: options.createDatabase.adminPassword },
      database: values.DB_NAME ?? specOf('DB_NAME').default!,
      user: values.DB_USER ?? specOf('DB_USER').default!,
      userHost: options.createDatabase.userHost,
      userPassword: values.DB_PASSWORD!,
      reuseUser: options.createDatabase.reuseUser ?? false,
    });
    ({ databaseCreated, userCreated, userReused } = created);
  }

  mkdirSync(dirname(options.envFile), { recursive: true });
  let previousEnvFile: string | null = null;
  if (existsSync(options.envFile)) {
    previousEnvFile = freeBackupPath(options.envFile, now);
    // Created 0600 from the first byte ('wx': never over another backup): it holds secrets.
    writeFileSync(previousEnvFile, readFileSync(options.envFile), { mode: 0o600, flag: 'wx' });
  }
  writeFileAtomic(options.envFile, content, { mode: 0o600 });

  const nextSteps = [
    ...(client === 'mysql' && values.DB_PASSWORD === undefined ? [`Set DB_PASSWORD in ${options.envFile} (or DB_PASSWORD_FILE)`] : []),
    ...(values.LDAP_ENABLED === 'true' && values.LDAP_BIND_PASSWORD === undefined
      ? [`Set LDAP_BIND_PASSWORD in ${options.envFile} (or LDAP_BIND_PASSWORD_FILE)`]
      : []),
    'shopdb migrate            # create the database schema',
    'shopdb migrate status     # see what is applied',
    'shopdb doctor             # check the site is ready',
    ...(values.LDAP_ENABLED === 'true' ? ['shopdb ldap test NAME    # check the directory login, step by step'] : []),
  ];
  return { envFile: options.envFile, previousEnvFile, client, mode, generatedSecrets, databaseCreated, userCreated, userReused, nextSteps };
}

/** Throws one ConfigError naming every problem of `content`, each with the flag that sets it. */
function assertWouldBeValid(envFile: string, content: string, mode: string, passwordsLeftToUser: readonly string[]): void {
  const inspection = inspectConfig({ envFile, cwd: dirname(envFile), env: {}, envFileText: content });
  const problems = allConfigProblems(inspection)
    // Without a password to write, next steps tell the user to set it; that is not a refusal.
    .filter((p) => !passwordsLeftToUser.includes(p.variable))
    .map((p) => {
      const flag = (specOf(p.variable as ConfigVarName) as { init?: { flag: string } } | undefined)?.init?.flag;
      return flag ? { ...p, fix: `${p.fix} (--${flag})` } : p;
    });
  if (problems.length === 0) return;
  throw new ConfigError(`The .env that init would write is not valid in ${mode} mode; nothing was written or created`, problems, {
    suggestion: `Change the flags named above${mode === 'production' ? ', or pass --mode development for a test site' : ''}. An existing ${envFile} was left as it is.`,
  });
}

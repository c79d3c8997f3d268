// What the user and token commands share: the new-password flags and how a password is obtained
// (hidden prompt with confirmation, stdin, or generated — never argv), the CLI actor for the
// audit log, opening the site database, and one-line descriptions of users and tokens.

import { userInfo } from 'node:os';
import { Flags } from '@oclif/core';
import type { Knex } from 'knex';
import type { Actor } from '../core/audit/log.js';
import type { ApiTokenInfo } from '../core/auth/api-tokens.js';
import type { LoadedConfig } from '../core/config/index.js';
import type { DatabaseLogger } from '../core/db/connect.js';
import { UsageError, ValidationError } from '../core/errors.js';
import type { RoleName } from '../core/auth/types.js';
import type { UserRecord } from '../core/users/rows.js';
import { readSecretFromStdin } from './stdin.js';
import type { Ui } from './ui.js';

export const newPasswordFlags = {
  'password-stdin': Flags.boolean({ summary: 'Read the password from stdin (for scripts).', exclusive: ['generate'] }),
  generate: Flags.boolean({ summary: 'Generate a strong password and print it once.', exclusive: ['password-stdin'] }),
  // Declared only to refuse it with advice: argv is visible to every user in `ps`.
  password: Flags.string({ hidden: true }),
};

export type NewPasswordFlags = { password?: string; generate: boolean; 'password-stdin': boolean };

/** Checked before anything else, so a password typed into argv is refused even when other input is wrong too. */
export function refuseArgvPassword(flags: NewPasswordFlags): void {
  if (flags.password !== undefined) {
    throw new UsageError('A password on the command line is visible to every user in `ps`; --password is refused', {
      suggestion: 'Pipe it in with --password-stdin, let shopdb make one with --generate, or leave both out to be asked on a terminal.',
    });
  }
}

export interface NewPassword {
  password: string;
  /** Set when shopdb made the password: the command prints it, once. */
  generated: string | null;
}

const PROMPT_ATTEMPTS = 3;

/** --generate, --password-stdin, or a hidden prompt asked twice; refuses --password and, without a terminal, a prompt. */
export async function obtainNewPassword(ui: Ui, flags: NewPasswordFlags, username: string): Promise<NewPassword> {
  const { assertPasswordAcceptable, generatePassword, MIN_PASSWORD_LENGTH, WEAK_PASSWORD_SUGGESTION } =
    await import('../core/auth/passwords.js');
  refuseArgvPassword(flags);
  if (flags.generate) {
    const password = generatePassword();
    return { password, generated: password };
  }
  if (flags['password-stdin']) {
    const password = await readSecretFromStdin(`the password for ${username}`);
    await assertPasswordAcceptable(password, { username });
    return { password, generated: null };
  }
  ui.requireInteractive(`A password for ${username}`, '--password-stdin (and pipe the password in) or --generate');
  for (let attempt = 1; attempt <= PROMPT_ATTEMPTS; attempt++) {
    const password = await ui.askSecret(`Password for ${username} (at least ${MIN_PASSWORD_LENGTH} characters)`);
    try {
      await assertPasswordAcceptable(password, { username });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      ui.warn(error.message);
      continue;
    }
    if ((await ui.askSecret('Repeat the password')) === password) return { password, generated: null };
    ui.warn('The two passwords differ.');
  }
  throw new UsageError(`No password set after ${PROMPT_ATTEMPTS} attempts; nothing was changed`, {
    suggestion: `Use at least ${MIN_PASSWORD_LENGTH} characters that are not a common password or built on the username, and type the same password twice. ${WEAK_PASSWORD_SUGGESTION}`,
  });
}

/** The person at the terminal, as the audit log records them (`cli:<os user>`). */
export async function currentCliActor(env: NodeJS.ProcessEnv): Promise<Actor> {
  const { cliActor } = await import('../core/audit/log.js');
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    // A container user without a passwd entry.
    name = env.USER ?? env.LOGNAME ?? `uid-${process.getuid?.() ?? 'unknown'}`;
  }
  return cliActor(name);
}

/** Opens the site database (it must exist and be migrated), runs `work`, closes it. */
export async function withUsersDatabase<T>(config: LoadedConfig, logger: DatabaseLogger, work: (db: Knex) => Promise<T>): Promise<T> {
  const { databaseTargetFromConfig, withDatabase } = await import('../core/db/connect.js');
  const { assertUsersSchema } = await import('../core/users/rows.js');
  return withDatabase(databaseTargetFromConfig(config), { logger }, async (db) => {
    await assertUsersSchema(db);
    return work(db);
  });
}

export interface CliContext {
  ui: Ui;
  config: LoadedConfig;
  logger: DatabaseLogger;
  env: NodeJS.ProcessEnv;
}

export interface CreateUserOptions {
  username: string;
  role: RoleName;
  displayName?: string;
  email?: string;
  update: boolean;
  /** With `update`: demote the last enabled admin anyway. */
  force?: boolean;
  passwordFlags: NewPasswordFlags;
}

export interface CreateUserCommandResult {
  user: UserRecord;
  /** False when --update reset an existing user. */
  created: boolean;
  /** Only with --generate: the new password, shown this once. */
  generatedPassword: string | null;
  /** True when --update --force demoted the last enabled admin. */
  leavesNoEnabledAdmin: boolean;
}

/** `admin create` and `user create`: checks what it can before asking for a password, then creates (or with --update resets) the user. */
export async function createUserFromCli(ctx: CliContext, options: CreateUserOptions): Promise<CreateUserCommandResult> {
  const { assertValidUserProfile, createUser, getUser, isLastEnabledAdmin, LastEnabledAdminError, UserExistsError } =
    await import('../core/users/service.js');
  assertValidUserProfile(options);
  refuseArgvPassword(options.passwordFlags);
  const actor = await currentCliActor(ctx.env);
  const existsHint = (username: string) =>
    new UserExistsError(username, 'Run the same command with --update to reset their password and role, or choose another username.');
  return withUsersDatabase(ctx.config, ctx.logger, async (db) => {
    const existing = await getUser(db, options.username);
    if (existing !== null && !options.update) throw existsHint(existing.username);
    if (existing !== null && options.role !== 'admin' && !options.force && (await isLastEnabledAdmin(db, existing))) {
      throw new LastEnabledAdminError(existing.username, 'demote');
    }
    const { password, generated } = await obtainNewPassword(ctx.ui, options.passwordFlags, options.username);
    try {
      const { username, role, displayName, email, update, force } = options;
      const { user, created, leavesNoEnabledAdmin } = await createUser(db, actor, {
        username,
        role,
        displayName,
        email,
        update,
        force,
        password,
      });
      return { user, created, generatedPassword: generated, leavesNoEnabledAdmin };
    } catch (error) {
      throw error instanceof UserExistsError ? existsHint(error.username) : error;
    }
  });
}

export function renderCreatedUser(ui: Ui, result: CreateUserCommandResult): void {
  ui.result(`${result.created ? 'Created' : 'Updated (new password and role)'} user ${describeUser(result.user)}.`);
  if (result.generatedPassword !== null) showGeneratedPassword(ui, result.user.username, result.generatedPassword);
  if (result.leavesNoEnabledAdmin) warnNoEnabledAdmin(ui, result.user.username);
}

/** What a forced change left behind, and the way back (admin create needs no login). */
export function warnNoEnabledAdmin(ui: Ui, username: string): void {
  ui.warn(
    `${username} was the last enabled admin: this site now has no enabled admin, so nobody can manage users, API tokens or settings through the API. ` +
      'Create one with `shopdb admin create <name>` (or `shopdb user enable <name>`), on this server.',
  );
}

export function showGeneratedPassword(ui: Ui, username: string, password: string): void {
  ui.result(`Password for ${username} (shown only this once): ${password}`);
}

/** Aligned columns on stdout, for the list commands. */
export function printTable(ui: Ui, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  for (const row of [header, ...rows])
    ui.result(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}

export function describeUser(user: UserRecord): string {
  const name = user.displayName ? ` (${user.displayName})` : '';
  return `${user.username}${name}, ${user.role}${user.disabled ? ', disabled' : ''}`;
}

export function describeToken(token: Pick<ApiTokenInfo, 'id' | 'prefix' | 'name' | 'scope' | 'expiresAt'>): string {
  const expiry = token.expiresAt ? `expires ${token.expiresAt.toISOString().slice(0, 10)}` : 'does not expire';
  return `#${token.id} ${token.prefix}… "${token.name}" (${token.scope}, ${expiry})`;
}

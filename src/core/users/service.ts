// Local user accounts: create (or reset with `update`), list, look up, disable/enable and reset a
// password. Every write runs in one transaction with its audit entry; passwords are hashed before
// the transaction opens (scrypt takes ~150 ms) and never reach the audit log or a return value.
// A write that can take away an enabled admin (a disable, a role change) serialises on one key and
// refuses to remove the last one unless forced, so a site is never locked out by accident.

import type { Knex } from 'knex';
import { recordAudit, type Actor } from '../audit/log.js';
import { ROLE_RANK, ROLES, type RoleName } from '../auth/types.js';
import { assertPasswordAcceptable, hashPassword } from '../auth/passwords.js';
import { encodeValue } from '../db/values.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { isUniqueViolation } from '../db/constraint-errors.js';
import { textKey } from '../db/text-keys.js';
import { inTransaction } from '../db/transaction.js';
import { endUserSessions } from '../auth/sessions.js';
import { decodeUserRow, findUserRow, findUserRowById, toUserRecord, USERNAME_PATTERN, type UserRecord, type UserRow } from './rows.js';

export { USERNAME_PATTERN, type UserRecord } from './rows.js';

const USERNAME_RULE = '1 to 64 characters: letters, digits, dot, underscore or hyphen';

/** The three built-in roles, as the seed module also writes them. */
export const DEFAULT_ROLES: ReadonlyArray<{ name: RoleName; description: string; rank: number }> = [
  { name: 'admin', description: 'Everything an editor can do, plus users, API tokens and site settings.', rank: ROLE_RANK.admin },
  { name: 'editor', description: 'Reads, creates and changes inventory records.', rank: ROLE_RANK.editor },
  { name: 'viewer', description: 'Reads inventory records.', rank: ROLE_RANK.viewer },
];

/** Inserts the built-in roles that are missing and leaves existing ones as they are. Safe to run any number of times. */
export async function ensureRoles(db: Knex | Knex.Transaction): Promise<void> {
  await db('roles')
    .insert(DEFAULT_ROLES.map((role) => ({ ...role })))
    .onConflict('name')
    .ignore();
}

export interface CreateUserInput {
  username: string;
  displayName?: string | null;
  email?: string | null;
  role: RoleName;
  password: string;
  /** When the user exists: reset their password and role (and name/email when given) instead of failing. */
  update?: boolean;
  /** With `update`: demote the last enabled admin anyway (see LastEnabledAdminError). */
  force?: boolean;
}

export interface CreateUserResult {
  user: UserRecord;
  /** False when an existing user was updated. */
  created: boolean;
  /** True when a forced update demoted the last enabled admin: the site has none now. */
  leavesNoEnabledAdmin: boolean;
}

/**
 * Every write that can take away an enabled admin serialises on this key (ADR-012), so two
 * concurrent disables of the last two admins cannot both see "one other admin is left".
 */
export const ENABLED_ADMINS_LOCK_KEY = 'users:admins';

/** The change would leave the site with no enabled admin: nobody could manage users, tokens or settings. */
export class LastEnabledAdminError extends ConflictError {
  override readonly code: string = 'LAST_ENABLED_ADMIN';
  constructor(
    readonly username: string,
    change: 'disable' | 'demote',
  ) {
    super(
      `"${username}" is the last enabled admin: ${change === 'disable' ? 'disabling' : 'demoting'} them would leave this site with no admin; nothing was changed`,
      {
        suggestion:
          'Make another user admin first (`shopdb admin create <name>`, or `shopdb user enable <name>` for a disabled admin), then try again. To do it anyway, pass --force.',
      },
    );
  }
}

/**
 * Called before a change that takes `row` out of the enabled admins, in a transaction holding
 * ENABLED_ADMINS_LOCK_KEY. True when it is the last one and `force` lets the change go ahead.
 */
async function leavesNoEnabledAdmin(trx: Knex.Transaction, row: UserRow, change: 'disable' | 'demote', force: boolean): Promise<boolean> {
  if ((await countOtherEnabledAdmins(trx, row.id)) > 0) return false;
  if (!force) throw new LastEnabledAdminError(row.username, change);
  return true;
}

const isEnabledAdmin = (row: Pick<UserRow, 'role' | 'disabled'>) => row.role === 'admin' && !row.disabled;

async function countOtherEnabledAdmins(db: Knex | Knex.Transaction, userId: number): Promise<number> {
  const [{ count }] = (await db('users')
    .where({ role: 'admin', disabled: encodeValue('boolean', false) })
    .whereNot('id', userId)
    .count({ count: '*' })) as Array<{ count: number | string }>;
  return Number(count);
}

/**
 * Whether `user` is the only enabled admin: an early answer, without the lock, so the CLI can
 * refuse before it asks for a password. The write itself checks again under the lock.
 */
export async function isLastEnabledAdmin(db: Knex, user: UserRecord): Promise<boolean> {
  return isEnabledAdmin(user) && (await countOtherEnabledAdmins(db, user.id)) === 0;
}

/** The user already exists (and `update` was not asked for). */
export class UserExistsError extends ConflictError {
  override readonly code: string = 'USER_EXISTS';
  constructor(
    readonly username: string,
    suggestion = 'Choose another username, or update the existing user.',
  ) {
    super(`A user named "${username}" already exists`, { suggestion });
  }
}

/** The username, role, name and email rules (all problems at once); createUser checks them too. */
export function assertValidUserProfile(input: {
  username: string;
  role: RoleName;
  displayName?: string | null;
  email?: string | null;
}): void {
  const fields: Record<string, string> = {};
  if (!USERNAME_PATTERN.test(input.username)) fields.username = `must be ${USERNAME_RULE}`;
  if (!(ROLES as readonly string[]).includes(input.role)) fields.role = `must be one of ${ROLES.join(', ')}`;
  if (input.displayName != null && (input.displayName.trim() === '' || input.displayName.length > 191))
    fields.displayName = 'must be 1 to 191 characters';
  if (input.email != null && !/^[^\s@]+@[^\s@]+$/.test(input.email)) fields.email = 'must look like name@example.com';
  else if (input.email != null && input.email.length > 191) fields.email = 'must be at most 191 characters';
  if (Object.keys(fields).length > 0) {
    throw new ValidationError(`Invalid user: ${Object.keys(fields).join(', ')}`, fields);
  }
}

/** The role must be a row of `roles`; a migrated but unseeded site gets the built-in ones first. */
async function assertRoleExists(trx: Knex.Transaction, role: RoleName): Promise<void> {
  const [{ count }] = (await trx('roles').count({ count: '*' })) as Array<{ count: number | string }>;
  if (Number(count) === 0) await ensureRoles(trx);
  const found = await trx('roles').where('name', role).first('name');
  if (found === undefined) {
    const known = ((await trx('roles').select('name').orderBy('rank', 'desc')) as Array<{ name: string }>).map((r) => r.name);
    throw new ValidationError(`There is no role "${role}" on this site`, { role: `must be one of ${known.join(', ')}` });
  }
}

function now(): Date {
  return new Date();
}

async function reload(trx: Knex.Transaction, id: number): Promise<UserRecord> {
  return toUserRecord((await findUserRowById(trx, id))!);
}

async function requireUserRow(db: Knex | Knex.Transaction, username: string): Promise<UserRow> {
  const row = await findUserRow(db, username);
  if (row === null) throw new NotFoundError(`No user named "${username}"`, { suggestion: 'List the users with `shopdb user list`.' });
  return row;
}

export async function createUser(db: Knex, actor: Actor, input: CreateUserInput): Promise<CreateUserResult> {
  const displayName = input.displayName ?? null;
  const email = input.email ?? null;
  assertValidUserProfile(input);
  await assertPasswordAcceptable(input.password, { username: input.username });
  const passwordHash = await hashPassword(input.password);
  const mayDemote = input.update === true && input.role !== 'admin';

  try {
    return await inTransaction(
      db,
      async (trx) => {
        await assertRoleExists(trx, input.role);
        const existing = await findUserRow(trx, input.username);
        if (existing !== null) {
          if (!input.update) throw new UserExistsError(existing.username);
          assertLocal(existing);
          const before = toUserRecord(existing);
          const noAdminLeft =
            mayDemote && isEnabledAdmin(existing) && (await leavesNoEnabledAdmin(trx, existing, 'demote', input.force === true));
          await trx('users')
            .where('id', existing.id)
            .update({
              password_hash: passwordHash,
              role: input.role,
              ...(input.displayName !== undefined ? { display_name: displayName } : {}),
              ...(input.email !== undefined ? { email } : {}),
              updated_at: encodeValue('date', now()),
            });
          // A new password ends every session the old one opened.
          await endUserSessions(trx, existing.id, 'password-reset');
          const user = await reload(trx, existing.id);
          await recordAudit(trx, actor, {
            action: 'update',
            objectType: 'user',
            objectId: user.id,
            before,
            after: { ...user, passwordReset: true, ...(noAdminLeft ? { leftNoEnabledAdmin: true } : {}) },
          });
          return { user, created: false, leavesNoEnabledAdmin: noAdminLeft };
        }
        const [id] = await trx('users').insert({
          username: input.username,
          username_key: textKey(input.username),
          display_name: displayName,
          email,
          password_hash: passwordHash,
          role: input.role,
          auth_source: 'local',
          disabled: encodeValue('boolean', false),
        });
        const user = await reload(trx, Number(id));
        await recordAudit(trx, actor, { action: 'create', objectType: 'user', objectId: user.id, after: user });
        return { user, created: true, leavesNoEnabledAdmin: false };
      },
      { serializeOn: mayDemote ? [ENABLED_ADMINS_LOCK_KEY] : [] },
    );
  } catch (error) {
    // Another run created the same username between our check and our insert.
    if (isUniqueViolation(error)) throw new UserExistsError(input.username);
    throw error;
  }
}

export async function listUsers(db: Knex): Promise<UserRecord[]> {
  const rows = (await db('users').select('*').orderBy('username')) as Array<Record<string, unknown>>;
  return rows.map((raw) => toUserRecord(decodeUserRow(raw)));
}

/** By id (a number) or by username (a string, case-insensitive); null when there is none. */
export async function getUser(db: Knex, idOrUsername: number | string): Promise<UserRecord | null> {
  const row = typeof idOrUsername === 'number' ? await findUserRowById(db, idOrUsername) : await findUserRow(db, idOrUsername);
  return row === null ? null : toUserRecord(row);
}

/** Like getUser by username, but a missing user is a NotFoundError. */
export async function requireUser(db: Knex, username: string): Promise<UserRecord> {
  return toUserRecord(await requireUserRow(db, username));
}

export interface SetDisabledResult {
  user: UserRecord;
  /** False when the user already was in that state (then nothing is written or audited). */
  changed: boolean;
  /** True when a forced disable took the last enabled admin: the site has none now. */
  leavesNoEnabledAdmin: boolean;
}

export interface SetDisabledOptions {
  /** Disable the last enabled admin anyway (see LastEnabledAdminError). */
  force?: boolean;
}

/**
 * A disabled user cannot log in, their sessions end (enabling them again does not bring those
 * back), and their API tokens stop working until they are enabled again. The last enabled admin
 * is disabled only with `force`.
 */
export async function setUserDisabled(
  db: Knex,
  actor: Actor,
  username: string,
  disabled: boolean,
  options: SetDisabledOptions = {},
): Promise<SetDisabledResult> {
  return inTransaction(
    db,
    async (trx) => {
      const row = await requireUserRow(trx, username);
      if (row.disabled === disabled) return { user: toUserRecord(row), changed: false, leavesNoEnabledAdmin: false };
      const noAdminLeft = disabled && isEnabledAdmin(row) && (await leavesNoEnabledAdmin(trx, row, 'disable', options.force === true));
      await trx('users')
        .where('id', row.id)
        .update({ disabled: encodeValue('boolean', disabled), updated_at: encodeValue('date', now()) });
      if (disabled) await endUserSessions(trx, row.id, 'disabled');
      const user = await reload(trx, row.id);
      await recordAudit(trx, actor, {
        action: disabled ? 'disable' : 'enable',
        objectType: 'user',
        objectId: user.id,
        before: { disabled: row.disabled },
        after: { disabled, ...(noAdminLeft ? { leftNoEnabledAdmin: true } : {}) },
      });
      return { user, changed: true, leavesNoEnabledAdmin: noAdminLeft };
    },
    { serializeOn: disabled ? [ENABLED_ADMINS_LOCK_KEY] : [] },
  );
}

export function assertLocal(row: UserRow): void {
  if (row.auth_source !== 'local') {
    throw new ConflictError(`"${row.username}" signs in through the directory (${row.auth_source}); shopdb keeps no password for them`, {
      suggestion: 'Change the password in the directory instead.',
    });
  }
}

export async function resetPassword(db: Knex, actor: Actor, username: string, password: string): Promise<UserRecord> {
  await assertPasswordAcceptable(password, { username });
  const passwordHash = await hashPassword(password);
  return inTransaction(db, async (trx) => {
    const row = await requireUserRow(trx, username);
    assertLocal(row);
    await trx('users')
      .where('id', row.id)
      .update({ password_hash: passwordHash, updated_at: encodeValue('date', now()) });
    // Whoever knew the old password is logged out everywhere.
    await endUserSessions(trx, row.id, 'password-reset');
    const user = await reload(trx, row.id);
    await recordAudit(trx, actor, { action: 'password_reset', objectType: 'user', objectId: user.id, after: { passwordReset: true } });
    return user;
  });
}

export interface UserProfilePatch {
  role?: RoleName;
  displayName?: string | null;
  email?: string | null;
}

/**
 * Changes role, display name or email; audited with the fields before and after. A new role ends
 * the user's sessions. The last enabled admin cannot be demoted here (the API has no --force).
 */
export async function updateUserProfile(db: Knex, actor: Actor, username: string, patch: UserProfilePatch): Promise<UserRecord> {
  const mayDemote = patch.role !== undefined && patch.role !== 'admin';
  return inTransaction(
    db,
    async (trx) => {
      const row = await requireUserRow(trx, username);
      const before = toUserRecord(row);
      const next = {
        username: row.username,
        role: patch.role ?? before.role,
        displayName: patch.displayName === undefined ? before.displayName : patch.displayName,
        email: patch.email === undefined ? before.email : patch.email,
      };
      assertValidUserProfile(next);
      if (patch.role !== undefined) await assertRoleExists(trx, patch.role);
      if (mayDemote && isEnabledAdmin(row)) await leavesNoEnabledAdmin(trx, row, 'demote', false);
      await trx('users')
        .where('id', row.id)
        .update({ role: next.role, display_name: next.displayName, email: next.email, updated_at: encodeValue('date', now()) });
      if (next.role !== before.role) await endUserSessions(trx, row.id, 'role-change');
      const user = await reload(trx, row.id);
      const pick = (u: UserRecord) => ({ role: u.role, displayName: u.displayName, email: u.email });
      await recordAudit(trx, actor, { action: 'update', objectType: 'user', objectId: user.id, before: pick(before), after: pick(user) });
      return user;
    },
    { serializeOn: mayDemote ? [ENABLED_ADMINS_LOCK_KEY] : [] },
  );
}

// Local user accounts: create (or reset with `update`), list, look up, disable/enable and reset a
// password. Every write runs in one transaction with its audit entry; passwords are hashed before
// the transaction opens (scrypt takes ~150 ms) and never reach the audit log or a return value.

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
  await db('roles').insert(DEFAULT_ROLES.map((role) => ({ ...role }))).onConflict('name').ignore();
}

export interface CreateUserInput {
  username: string;
  displayName?: string | null;
  email?: string | null;
  role: RoleName;
  password: string;
  /** When the user exists: reset their password and role (and name/email when given) instead of failing. */
  update?: boolean;
}

export interface CreateUserResult {
  user: UserRecord;
  /** False when an existing user was updated. */
  created: boolean;
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
export function assertValidUserProfile(input: { username: string; role: RoleName; displayName?: string | null; email?: string | null }): void {
  const fields: Record<string, string> = {};
  if (!USERNAME_PATTERN.test(input.username)) fields.username = `must be ${USERNAME_RULE}`;
  if (!(ROLES as readonly string[]).includes(input.role)) fields.role = `must be one of ${ROLES.join(', ')}`;
  if (input.displayName != null && (input.displayName.trim() === '' || input.displayName.length > 191)) fields.displayName = 'must be 1 to 191 characters';
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
  assertPasswordAcceptable(input.password);
  const passwordHash = await hashPassword(input.password);

  try {
    return await inTransaction(db, async (trx) => {
      await assertRoleExists(trx, input.role);
      const existing = await findUserRow(trx, input.username);
      if (existing !== null) {
        if (!input.update) throw new UserExistsError(existing.username);
        assertLocal(existing);
        const before = toUserRecord(existing);
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
        await recordAudit(trx, actor, { action: 'update', objectType: 'user', objectId: user.id, before, after: { ...user, passwordReset: true } });
        return { user, created: false };
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
      return { user, created: true };
    });
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
}

/**
 * A disabled user cannot log in, their sessions end (enabling them again does not bring those
 * back), and their API tokens stop working until they are enabled again.
 */
export async function setUserDisabled(db: Knex, actor: Actor, username: string, disabled: boolean): Promise<SetDisabledResult> {
  return inTransaction(db, async (trx) => {
    const row = await requireUserRow(trx, username);
    if (row.disabled === disabled) return { user: toUserRecord(row), changed: false };
    await trx('users').where('id', row.id).update({ disabled: encodeValue('boolean', disabled), updated_at: encodeValue('date', now()) });
    if (disabled) await endUserSessions(trx, row.id, 'disabled');
    const user = await reload(trx, row.id);
    await recordAudit(trx, actor, {
      action: disabled ? 'disable' : 'enable',
      objectType: 'user',
      objectId: user.id,
      before: { disabled: row.disabled },
      after: { disabled },
    });
    return { user, changed: true };
  });
}

function assertLocal(row: UserRow): void {
  if (row.auth_source !== 'local') {
    throw new ConflictError(`"${row.username}" signs in through the directory (${row.auth_source}); shopdb keeps no password for them`, {
      suggestion: 'Change the password in the directory instead.',
    });
  }
}

export async function resetPassword(db: Knex, actor: Actor, username: string, password: string): Promise<UserRecord> {
  assertPasswordAcceptable(password);
  const passwordHash = await hashPassword(password);
  return inTransaction(db, async (trx) => {
    const row = await requireUserRow(trx, username);
    assertLocal(row);
    await trx('users').where('id', row.id).update({ password_hash: passwordHash, updated_at: encodeValue('date', now()) });
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

/** Changes role, display name or email; audited with the fields before and after. A new role ends the user's sessions. */
export async function updateUserProfile(db: Knex, actor: Actor, username: string, patch: UserProfilePatch): Promise<UserRecord> {
  return inTransaction(db, async (trx) => {
    const row = await requireUserRow(trx, username);
    const before = toUserRecord(row);
    const next = { username: row.username, role: patch.role ?? before.role, displayName: patch.displayName === undefined ? before.displayName : patch.displayName, email: patch.email === undefined ? before.email : patch.email };
    assertValidUserProfile(next);
    if (patch.role !== undefined) await assertRoleExists(trx, patch.role);
    await trx('users').where('id', row.id).update({ role: next.role, display_name: next.displayName, email: next.email, updated_at: encodeValue('date', now()) });
    if (next.role !== before.role) await endUserSessions(trx, row.id, 'role-change');
    const user = await reload(trx, row.id);
    const pick = (u: UserRecord) => ({ role: u.role, displayName: u.displayName, email: u.email });
    await recordAudit(trx, actor, { action: 'update', objectType: 'user', objectId: user.id, before: pick(before), after: pick(user) });
    return user;
  });
}

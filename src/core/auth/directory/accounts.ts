// The shopdb side of a directory user: the `users` row a login, a re-check or `ldap sync` writes.
// The directory decides; this module records. A user the directory shuts out (disabled there, no
// granting group, entry gone) is disabled here, never deleted, and loses every session and API
// token at once; `ldap_refusal` remembers that it was the directory, so a later login it allows
// enables the account again (an admin's own `user disable` leaves the column null and stays).

import type { Knex } from 'knex';
import type { Actor } from '../../audit/log.js';
import { recordAudit } from '../../audit/log.js';
import { inTransaction } from '../../db/transaction.js';
import { textKey } from '../../db/text-keys.js';
import { encodeValue } from '../../db/values.js';
import { decodeUserRow, findUserRow, type UserRow } from '../../users/rows.js';
import { ensureRoles } from '../../users/service.js';
import { endUserSessions } from '../sessions.js';
import type { RoleName } from '../types.js';

/** Who writes what the directory decided, in the audit log. */
export function directoryActor(requestId: string | null = null): Actor {
  return { userId: null, username: 'directory', requestId };
}

export interface DirectoryProfile {
  username: string;
  dn: string;
  displayName: string | null;
  mail: string | null;
  role: RoleName;
}

export interface ApplyResult {
  row: UserRow;
  created: boolean;
  /** Fields that changed (empty when nothing did, or on create). */
  changed: string[];
}

const clip = (value: string | null, length: number) => (value === null ? null : value.slice(0, length));

/** `ldap_refusal` holds the reason, cut to its column. */
const REFUSAL_LENGTH = 191;

/**
 * Creates or updates the row of a directory user the directory lets in: role, display name, mail
 * and DN as the directory has them now. A row the directory had shut out is enabled again; one an
 * admin disabled stays disabled (the caller refuses the login). A new role ends the old sessions.
 */
export async function applyDirectoryProfile(db: Knex, actor: Actor, profile: DirectoryProfile, now = new Date()): Promise<ApplyResult> {
  return inTransaction(db, async (trx) => {
    const existing = await findUserRow(trx, profile.username);
    const fields = {
      display_name: clip(profile.displayName, 191),
      email: clip(profile.mail, 191),
      role: profile.role,
      ldap_dn: clip(profile.dn, 1024),
    };
    if (existing === null) {
      // A site whose first user comes from the directory has no role rows yet.
      await ensureRoles(trx);
      const [id] = await trx('users').insert({
        username: profile.username,
        username_key: textKey(profile.username),
        password_hash: null,
        auth_source: 'ldap',
        disabled: encodeValue('boolean', false),
        ...fields,
        ldap_checked_at: encodeValue('date', now),
        last_login_at: null,
      });
      const row = await reloadRow(trx, Number(id));
      await recordAudit(trx, actor, {
        action: 'create',
        objectType: 'user',
        objectId: row.id,
        after: {
          username: row.username,
          role: row.role,
          displayName: row.display_name,
          email: row.email,
          authSource: 'ldap',
          dn: profile.dn,
        },
      });
      return { row, created: true, changed: [] };
    }
    const before = {
      role: existing.role,
      displayName: existing.display_name,
      email: existing.email,
      dn: existing.ldap_dn ?? null,
      disabled: existing.disabled,
    };
    const reEnable = existing.disabled && ldapRefusalOf(existing) !== null;
    const after = {
      role: fields.role,
      displayName: fields.display_name,
      email: fields.email,
      dn: fields.ldap_dn,
      disabled: reEnable ? false : existing.disabled,
    };
    const changed = (Object.keys(after) as Array<keyof typeof after>).filter((key) => after[key] !== before[key]);
    await trx('users')
      .where('id', existing.id)
      .update({
        ...fields,
        ldap_checked_at: encodeValue('date', now),
        ...(reEnable ? { disabled: encodeValue('boolean', false), ldap_refusal: null } : {}),
        ...(changed.length > 0 ? { updated_at: encodeValue('date', now) } : {}),
      });
    if (changed.includes('role')) await endUserSessions(trx, existing.id, 'role-change', now);
    if (changed.length > 0) {
      const pick = (side: typeof before) => Object.fromEntries(changed.map((key) => [key, side[key]]));
      await recordAudit(trx, actor, {
        action: reEnable ? 'enable' : 'update',
        objectType: 'user',
        objectId: existing.id,
        before: pick(before),
        after: { ...pick(after), source: 'directory' },
      });
    }
    return { row: await reloadRow(trx, existing.id), created: false, changed };
  });
}

export function ldapRefusalOf(row: UserRow): string | null {
  return row.ldap_refusal || null;
}

export interface ShutOutResult {
  /** False when the user was already disabled (nothing written). */
  changed: boolean;
  sessionsEnded: number;
  tokensRevoked: number;
}

/**
 * The directory no longer lets this user in: disable the row, end every session and revoke every
 * API token, in one transaction, audited with the reason. Never deletes the row.
 */
export async function shutOutDirectoryUser(
  db: Knex,
  actor: Actor,
  userId: number,
  reason: string,
  now = new Date(),
): Promise<ShutOutResult> {
  return inTransaction(db, async (trx) => {
    const row = await reloadRow(trx, userId);
    if (row.auth_source !== 'ldap') return { changed: false, sessionsEnded: 0, tokensRevoked: 0 };
    const sessionsEnded = await endUserSessions(trx, row.id, 'disabled', now);
    const tokensRevoked = await trx('api_tokens')
      .where('user_id', row.id)
      .whereNull('revoked_at')
      .update({ revoked_at: encodeValue('date', now), updated_at: encodeValue('date', now) });
    if (row.disabled && sessionsEnded === 0 && tokensRevoked === 0) return { changed: false, sessionsEnded, tokensRevoked };
    await trx('users')
      .where('id', row.id)
      .update({
        disabled: encodeValue('boolean', true),
        // An admin's disable stays the admin's: only a row the directory disables is marked as its.
        ...(row.disabled && ldapRefusalOf(row) === null ? {} : { ldap_refusal: reason.slice(0, REFUSAL_LENGTH) }),
        ldap_checked_at: encodeValue('date', now),
        updated_at: encodeValue('date', now),
      });
    await recordAudit(trx, actor, {
      action: 'disable',
      objectType: 'user',
      objectId: row.id,
      before: { disabled: row.disabled },
      after: { disabled: true, source: 'directory', reason, sessionsEnded, tokensRevoked },
    });
    return { changed: true, sessionsEnded, tokensRevoked };
  });
}

async function reloadRow(db: Knex | Knex.Transaction, id: number): Promise<UserRow> {
  return decodeUserRow((await db('users').where('id', id).first()) as Record<string, unknown>);
}

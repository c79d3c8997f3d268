// A signed-in user changes their own password: the current one is required (and guessing it is
// limited like a login), the new one passes the same rules as any new password, and every other
// session of the user ends, so whoever knew the old password is out, while the session that made
// the change goes on.

import type { Knex } from 'knex';
import { recordAudit, type Actor } from '../audit/log.js';
import { beginLoginAttempt, recordLoginOutcome } from '../auth/login-throttle.js';
import { assertPasswordAcceptable, DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from '../auth/passwords.js';
import { endUserSessions } from '../auth/sessions.js';
import { encodeValue } from '../db/values.js';
import { inTransaction } from '../db/transaction.js';
import { LockedError, NotFoundError, ValidationError } from '../errors.js';
import { findUserRowById } from './rows.js';
import { assertLocal } from './service.js';

export interface OwnPasswordChange {
  userId: number;
  currentPassword: string;
  newPassword: string;
  /** The session making the change: it stays signed in. */
  keepSessionId?: number;
  /** The client's address, for the same limits as logins. */
  ip: string;
}

/** Too many wrong current passwords: the API answers it as it answers a login (429 with Retry-After). */
export class PasswordAttemptsExceededError extends LockedError {
  override readonly code: string = 'RATE_LIMITED';
  constructor(readonly retryAfterSeconds: number) {
    super('Too many wrong passwords', { suggestion: `Wait ${retryAfterSeconds} s and try again.` });
  }
}

export async function changeOwnPassword(db: Knex, actor: Actor, change: OwnPasswordChange): Promise<{ sessionsEnded: number }> {
  const row = await findUserRowById(db, change.userId);
  if (row === null) throw new NotFoundError(`No user with id ${change.userId}`);
  assertLocal(row);
  const gate = await beginLoginAttempt(db, row.username, change.ip);
  if (!gate.allowed) throw new PasswordAttemptsExceededError(gate.retryAfterSeconds);
  const matches = await verifyPassword(change.currentPassword, row.password_hash ?? DUMMY_PASSWORD_HASH);
  await recordLoginOutcome(db, row.username, change.ip, gate, matches);
  if (!matches) throw new ValidationError('The current password is not right', { currentPassword: 'is not your current password' });
  if (change.newPassword === change.currentPassword) {
    throw new ValidationError('The new password is the current one', { newPassword: 'must differ from the current password' });
  }
  await assertPasswordAcceptable(change.newPassword, { username: row.username });
  const passwordHash = await hashPassword(change.newPassword);
  return inTransaction(db, async (trx) => {
    await trx('users')
      .where('id', row.id)
      .update({ password_hash: passwordHash, updated_at: encodeValue('date', new Date()) });
    const sessionsEnded = await endUserSessions(trx, row.id, 'password-reset', new Date(), change.keepSessionId);
    await recordAudit(trx, actor, {
      action: 'password_change',
      objectType: 'user',
      objectId: row.id,
      after: { passwordChanged: true, otherSessionsEnded: sessionsEnded },
    });
    return { sessionsEnded };
  });
}

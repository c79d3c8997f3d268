// Directory login as an AuthProvider (src/core/auth/login.ts asks it after the local table).
// A name that belongs to a local account never reaches the directory, so the break-glass admin
// logs in while the directory is down. Otherwise: bind as the service account (first server that
// answers), one search with the escaped name, the entry's groups, the first matching rule, then a
// bind as the entry with the password. A wrong password, an unknown name and an account the
// directory has disabled all answer null, like a wrong local password; the reason goes to the
// server log (and the audit log, when a known user is shut out) for the admin. A directory that
// does not answer in time is a DirectoryUnavailableError (503), never a hang.

import type { Knex } from 'knex';
import { InvalidCredentialsError } from 'ldapts';
import { recordAudit } from '../../audit/log.js';
import { encodeValue } from '../../db/values.js';
import { findUserRow, toAuthenticatedUser, USERNAME_PATTERN } from '../../users/rows.js';
import type { AuthenticatedUser, AuthProvider, LoginContext } from '../types.js';
import { decodeBindFailure } from './account-state.js';
import { applyDirectoryProfile, directoryActor, ldapRefusalOf, shutOutDirectoryUser } from './accounts.js';
import { withinBudget } from './budget.js';
import { describeDirectoryError, openServiceConnection, type ServerAttempt } from './client.js';
import { DirectoryAccessDeniedError, DirectoryUnavailableError } from './errors.js';
import { judgeEntry, type Verdict } from './evaluate.js';
import { searchUser, type DirectoryUser } from './lookup.js';
import { loginBudgetMs, type DirectorySettings } from './settings.js';

type Answer =
  | { outcome: 'granted'; user: DirectoryUser; verdict: Verdict; url: string }
  | { outcome: 'refused'; why: string; user?: DirectoryUser; verdict?: Verdict; subCode?: string | null };

/** Everything about one attempt except the password, for the server log. */
function describeAttempts(attempts: readonly ServerAttempt[]): string {
  return attempts.map((a) => `${a.url}: ${a.failure.message} — ${a.failure.fix}`).join('; ');
}

export function unavailable(attempts: readonly ServerAttempt[]): DirectoryUnavailableError {
  return new DirectoryUnavailableError(
    'The directory (LDAP / Active Directory) cannot be reached right now, so directory accounts cannot log in',
    {
      suggestion: 'Try again in a few minutes; local accounts still work. Site IT: `shopdb ldap test` shows what fails.',
      details: attempts.map((a) => `${a.url}: ${a.failure.message}`),
    },
    attempts,
  );
}

async function askDirectory(settings: DirectorySettings, username: string, password: string): Promise<Answer> {
  return withinBudget(loginBudgetMs(settings), 'the login', async (tracker) => {
    const opened = await openServiceConnection(settings, { onOpen: tracker.opened });
    if (opened.connection === null) throw unavailable(opened.attempts);
    const { client, url } = opened.connection;
    try {
      const search = await searchUser(client, settings, username);
      if (search.entries.length === 0) return { outcome: 'refused', why: `no entry matches ${search.filter} under ${search.base}` };
      if (search.entries.length > 1)
        return { outcome: 'refused', why: `the filter ${search.filter} matches more than one entry; make LDAP_USER_FILTER match one user` };
      const user = search.entries[0]!;
      const verdict = await judgeEntry(client, settings, user);
      // The account state is known before the bind: a disabled account is refused without one.
      if (verdict.refusal?.code === 'account-state' || verdict.refusal?.code === 'unusable-username')
        return { outcome: 'refused', why: verdict.refusal.reason, user, verdict };
      try {
        await client.bind(user.dn, password);
      } catch (error) {
        if (error instanceof InvalidCredentialsError) {
          const failure = decodeBindFailure(error.message);
          return { outcome: 'refused', why: `bind as ${user.dn} refused: ${failure.reason}`, subCode: failure.subCode, user };
        }
        throw error;
      }
      if (verdict.refusal !== null) return { outcome: 'refused', why: verdict.refusal.reason, user, verdict };
      return { outcome: 'granted', user, verdict, url };
    } catch (error) {
      if (error instanceof DirectoryUnavailableError) throw error;
      const failure = describeDirectoryError(error, settings);
      throw unavailable([{ url, failure }]);
    }
  });
}

export function directoryAuthProvider(settings: DirectorySettings): AuthProvider {
  return {
    name: 'ldap',
    async authenticate(db: Knex, username: string, password: string, context: LoginContext = {}): Promise<AuthenticatedUser | null> {
      const log = context.log;
      const logName = username.slice(0, 64);
      // An empty password is an anonymous bind, which many directories accept: never a login.
      if (password.length === 0) return null;
      const local = USERNAME_PATTERN.test(username) ? await findUserRow(db, username) : null;
      if (local !== null && local.auth_source === 'local') return null;

      let answer: Answer;
      try {
        answer = await askDirectory(settings, username, password);
      } catch (error) {
        if (error instanceof DirectoryUnavailableError) {
          log?.warn(
            { username: logName, reason: error.attempts.length > 0 ? describeAttempts(error.attempts) : error.message },
            'directory login failed: directory unavailable',
          );
        }
        throw error;
      }

      const actor = directoryActor(context.requestId ?? null);
      if (answer.outcome === 'refused') {
        log?.info(
          { username: logName, reason: answer.why, subCode: answer.subCode ?? null, dn: answer.user?.dn ?? null },
          'directory login refused',
        );
        const refusal = answer.verdict?.refusal;
        if (refusal && answer.user?.username && USERNAME_PATTERN.test(answer.user.username)) {
          const row = await findUserRow(db, answer.user.username);
          if (row !== null && row.auth_source === 'ldap' && !row.disabled) await shutOutDirectoryUser(db, actor, row.id, refusal.reason);
          await recordAudit(db, actor, {
            action: 'login_refused',
            objectType: 'user',
            objectId: row?.id ?? null,
            after: { username: answer.user.username, dn: answer.user.dn, reason: refusal.reason },
          });
          // The password was right (or the account is blocked whatever it is): an unusable
          // account is told so neutrally; a user without a granting group is told what to ask for.
          if (refusal.code === 'no-granting-group' || refusal.code === 'not-in-required-group') {
            throw new DirectoryAccessDeniedError(
              `Your directory account is ${refusal.code === 'no-granting-group' ? 'not in any group that grants access to shopdb' : 'not in the group required for shopdb'}`,
              {
                suggestion: 'Ask your IT department to add you to the shopdb group for your role.',
              },
            );
          }
        }
        return null;
      }

      const shopdbName = answer.user.username!;
      const existing = await findUserRow(db, shopdbName);
      if (existing !== null && existing.auth_source === 'local') {
        log?.warn(
          { username: logName, dn: answer.user.dn, localAccount: existing.username },
          'directory login refused: a local account has the same username',
        );
        return null;
      }
      if (existing !== null && existing.disabled && ldapRefusalOf(existing) === null) {
        log?.info({ username: shopdbName }, 'directory login refused: the account is disabled in shopdb');
        return null;
      }
      const { row } = await applyDirectoryProfile(db, actor, {
        username: shopdbName,
        dn: answer.user.dn,
        displayName: answer.user.displayName,
        mail: answer.user.mail,
        role: answer.verdict.role!,
      });
      await db('users')
        .where('id', row.id)
        .update({ last_login_at: encodeValue('date', new Date()) });
      log?.info(
        { username: shopdbName, role: row.role, rule: answer.verdict.rule?.groupDn ?? null, server: answer.url },
        'directory login',
      );
      return toAuthenticatedUser(row);
    },
  };
}

// Username + password login. `authenticate` asks each AuthProvider in turn and takes the first
// user one accepts: the local table, then LDAP / Active Directory when LDAP_ENABLED. Failures say
// nothing about why (no such user, wrong password, disabled), and take as long as a real check,
// so timing does not tell whether a user exists.

import type { Knex } from 'knex';
import { inTransaction } from '../db/transaction.js';
import { encodeValue } from '../db/values.js';
import { findUserRow, toAuthenticatedUser, USERNAME_PATTERN } from '../users/rows.js';
import { DUMMY_PASSWORD_HASH, hashPassword, passwordNeedsRehash, verifyPassword } from './passwords.js';
import type { LoadedConfig } from '../config/index.js';
import { directoryAuthProvider } from './directory/provider.js';
import { directorySettingsFromConfig } from './directory/settings.js';
import type { AuthenticatedUser, AuthProvider, LoginContext } from './types.js';

export const localAuthProvider: AuthProvider = {
  name: 'local',
  async authenticate(db: Knex, username: string, password: string): Promise<AuthenticatedUser | null> {
    const row = USERNAME_PATTERN.test(username) ? await findUserRow(db, username) : null;
    const storedHash = row !== null && row.auth_source === 'local' ? row.password_hash : null;
    // Always one scrypt: against the dummy hash when there is nothing real to check.
    const matches = await verifyPassword(password, storedHash ?? DUMMY_PASSWORD_HASH);
    if (row === null || storedHash === null || !matches || row.disabled) return null;

    const update: Record<string, unknown> = { last_login_at: encodeValue('date', new Date()) };
    // Hashes made with older, weaker parameters are upgraded while we have the password.
    if (passwordNeedsRehash(storedHash)) update.password_hash = await hashPassword(password);
    await inTransaction(db, (trx) => trx('users').where('id', row.id).update(update));
    return toAuthenticatedUser(row);
  },
};

/** The user whose password this is, or null. Providers are tried in order; the first that accepts wins. */
export async function authenticate(
  db: Knex,
  username: string,
  password: string,
  providers: readonly AuthProvider[] = [localAuthProvider],
  context: LoginContext = {},
): Promise<AuthenticatedUser | null> {
  for (const provider of providers) {
    const user = await provider.authenticate(db, username, password, context);
    if (user !== null) return user;
  }
  return null;
}

/** The providers a site's configuration asks for: always the local table first (the break-glass admin), then the directory. */
export function loginProviders(config: LoadedConfig): AuthProvider[] {
  const directory = directorySettingsFromConfig(config);
  return directory === null ? [localAuthProvider] : [localAuthProvider, directoryAuthProvider(directory)];
}

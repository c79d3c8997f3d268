// The directory's verdict on one entry, the same for a login, a re-check, `ldap sync` and
// `ldap test`: its groups, the first rule that matches, the required group, the account state,
// and so the role it gets — or, in words, why it gets none.

import type { Client } from 'ldapts';
import { USERNAME_PATTERN } from '../../users/rows.js';
import type { RoleName } from '../types.js';
import { blockingAccountState } from './account-state.js';
import { normalizeDn } from './dn.js';
import { groupsOf, type DirectoryUser, type GroupMembership } from './lookup.js';
import { firstMatchingRule, type DirectorySettings, type RoleRule } from './settings.js';

export type RefusalCode = 'account-state' | 'no-granting-group' | 'not-in-required-group' | 'unusable-username';

export interface Verdict {
  /** A state that stops a login; only 'disabled' is lasting (a lockout ends, a password gets changed). */
  accountState: 'disabled' | 'locked' | 'password-expired' | null;
  groups: GroupMembership;
  rule: RoleRule | null;
  requiredGroupMet: boolean;
  role: RoleName | null;
  refusal: { code: RefusalCode; reason: string } | null;
}

export const NO_GRANTING_GROUP = 'not in any group that grants access to shopdb';

export async function judgeEntry(client: Client, settings: DirectorySettings, user: DirectoryUser): Promise<Verdict> {
  const groups = await groupsOf(client, settings, user);
  const all = [...groups.direct, ...groups.nested];
  const rule = firstMatchingRule(settings.rules, all);
  const held = new Set(all.map(normalizeDn));
  const requiredGroupMet = settings.requiredGroup === undefined || held.has(normalizeDn(settings.requiredGroup));
  const blocked = blockingAccountState(user.flags);
  let refusal: Verdict['refusal'] = null;
  if (user.username === null || !USERNAME_PATTERN.test(user.username)) {
    refusal = {
      code: 'unusable-username',
      reason: `its ${settings.usernameAttribute} (${JSON.stringify(user.username)}) is not a usable shopdb username (1 to 64 letters, digits, . _ -)`,
    };
  } else if (blocked !== null) refusal = { code: 'account-state', reason: blocked };
  else if (!requiredGroupMet) refusal = { code: 'not-in-required-group', reason: `not in the required group ${settings.requiredGroup}` };
  else if (rule === null) refusal = { code: 'no-granting-group', reason: NO_GRANTING_GROUP };
  const flags = user.flags;
  const accountState = flags?.disabled ? 'disabled' : flags?.lockedOut ? 'locked' : flags?.passwordExpired ? 'password-expired' : null;
  return { accountState, groups, rule, requiredGroupMet, role: refusal === null ? rule!.role : null, refusal };
}

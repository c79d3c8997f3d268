// What shopdb asks the directory about a user, on a connection bound as the service account:
// the one search for the login name (its value escaped, so `*)(uid=*` matches only itself), the
// user's groups — direct, and nested by the configured method — and each query as it was sent, so
// `ldap test` can show exactly what was asked and what answered.

import { Filter, type Entry } from 'ldapts';
import type { Client } from 'ldapts';
import { decodeAccountControl, type AccountFlags } from './account-state.js';
import { normalizeDn } from './dn.js';
import type { DirectorySettings } from './settings.js';

/** The user filter with {username} replaced by the escaped login name. */
export function userFilterFor(template: string, username: string): string {
  const escaped = Filter.escape(username);
  return template.split('{username}').join(escaped);
}

/** An attribute's values whatever the case the server spelled its name in. */
export function attributeValues(entry: Entry, name: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined) return [];
  const value = entry[key];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : String(item))).filter((item) => item.length > 0);
}

export function firstValue(entry: Entry, name: string): string | null {
  return attributeValues(entry, name)[0] ?? null;
}

export interface DirectoryUser {
  dn: string;
  /** The value of LDAP_USERNAME_ATTRIBUTE: the shopdb username. */
  username: string | null;
  displayName: string | null;
  mail: string | null;
  /** AD only (userAccountControl, with the computed lockout and expiry bits); null on OpenLDAP. */
  flags: AccountFlags | null;
  /** AD: when the password was last set (pwdLastSet). */
  passwordLastSet: string | null;
  memberOf: string[];
}

export interface UserSearch {
  base: string;
  filter: string;
  /** 0, 1 or 2 (2: the filter is ambiguous; the search stops there). */
  entries: DirectoryUser[];
}

const AD_COMPUTED_CONTROL = 'msDS-User-Account-Control-Computed';

export function userAttributes(settings: DirectorySettings): string[] {
  return [
    settings.usernameAttribute,
    settings.displayNameAttribute,
    settings.mailAttribute,
    'memberOf',
    'userAccountControl',
    AD_COMPUTED_CONTROL,
    'pwdLastSet',
  ];
}

export function toDirectoryUser(settings: DirectorySettings, entry: Entry): DirectoryUser {
  const control = firstValue(entry, 'userAccountControl');
  // AD keeps the lockout and password-expired bits current only in the computed attribute.
  const computed = firstValue(entry, AD_COMPUTED_CONTROL);
  const bits = control === null ? null : Number(control) | Number(computed ?? 0);
  return {
    dn: entry.dn,
    username: firstValue(entry, settings.usernameAttribute),
    displayName: firstValue(entry, settings.displayNameAttribute),
    mail: firstValue(entry, settings.mailAttribute),
    flags: decodeAccountControl(bits),
    passwordLastSet: firstValue(entry, 'pwdLastSet'),
    memberOf: attributeValues(entry, 'memberOf'),
  };
}

/** The one search for a login name. Referrals (AD's from the domain root) are ignored. */
export async function searchUser(client: Client, settings: DirectorySettings, username: string): Promise<UserSearch> {
  const filter = userFilterFor(settings.userFilter, username);
  const { searchEntries } = await client.search(settings.userBaseDn, {
    scope: 'sub',
    filter,
    attributes: userAttributes(settings),
    sizeLimit: 2,
  });
  return { base: settings.userBaseDn, filter, entries: searchEntries.map((entry) => toDirectoryUser(settings, entry)) };
}

export interface GroupQuery {
  /** What the query was for: the user's memberOf, the in-chain search, a round of a group search… */
  purpose: string;
  base: string;
  filter: string;
  found: string[];
}

export interface GroupMembership {
  direct: string[];
  /** Groups reached only through other groups. */
  nested: string[];
  queries: GroupQuery[];
}

const GROUP_CLASSES = '(|(objectClass=group)(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))';
/** Nesting deeper than this is a loop or a mistake; the search stops there. */
const MAX_NESTING_ROUNDS = 10;

function unique(dns: Iterable<string>, exclude: ReadonlySet<string> = new Set()): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const dn of dns) {
    const key = normalizeDn(dn);
    if (seen.has(key) || exclude.has(key)) continue;
    seen.add(key);
    result.push(dn);
  }
  return result;
}

async function searchGroups(client: Client, base: string, filter: string, attributes: string[] = ['1.1']): Promise<Entry[]> {
  const { searchEntries } = await client.search(base, { scope: 'sub', filter, attributes, paged: { pageSize: 500 } });
  return searchEntries;
}

/** The user's groups, direct and nested, by LDAP_NESTED_GROUPS. */
export async function groupsOf(client: Client, settings: DirectorySettings, user: DirectoryUser): Promise<GroupMembership> {
  const queries: GroupQuery[] = [];
  const memberFilter = (dns: string[]) => {
    const terms = dns.map((dn) => `(member=${Filter.escape(dn)})`);
    return `(&${GROUP_CLASSES}${terms.length === 1 ? terms[0] : `(|${terms.join('')})`})`;
  };

  let direct: string[];
  if (settings.nestedGroups === 'group-search') {
    const filter = memberFilter([user.dn]);
    direct = unique((await searchGroups(client, settings.groupBaseDn, filter)).map((e) => e.dn));
    queries.push({ purpose: 'direct groups (group search)', base: settings.groupBaseDn, filter, found: direct });
  } else {
    direct = unique(user.memberOf);
    queries.push({ purpose: 'direct groups (memberOf of the user entry)', base: user.dn, filter: '(objectClass=*)', found: direct });
  }

  const known = new Set(direct.map(normalizeDn));
  const nested: string[] = [];
  const addNested = (dns: string[]) => {
    const fresh = unique(dns, known);
    for (const dn of fresh) known.add(normalizeDn(dn));
    nested.push(...fresh);
    return fresh;
  };

  switch (settings.nestedGroups) {
    case 'in-chain': {
      // AD walks the whole chain server-side: every group the user is in, at any depth.
      const filter = `(&${GROUP_CLASSES}(member:1.2.840.113556.1.4.1941:=${Filter.escape(user.dn)}))`;
      const all = (await searchGroups(client, settings.groupBaseDn, filter)).map((e) => e.dn);
      addNested(all);
      queries.push({ purpose: 'nested groups (AD in-chain rule)', base: settings.groupBaseDn, filter, found: unique(all) });
      break;
    }
    case 'member-of': {
      let frontier = direct;
      for (let round = 1; round <= MAX_NESTING_ROUNDS && frontier.length > 0; round++) {
        const next: string[] = [];
        for (const groupDn of frontier) {
          const { searchEntries } = await client.search(groupDn, { scope: 'base', filter: '(objectClass=*)', attributes: ['memberOf'] });
          const parents = searchEntries.flatMap((entry) => attributeValues(entry, 'memberOf'));
          queries.push({
            purpose: `nested groups, level ${round} (memberOf of ${groupDn})`,
            base: groupDn,
            filter: '(objectClass=*)',
            found: parents,
          });
          next.push(...addNested(parents));
        }
        frontier = next;
      }
      break;
    }
    case 'group-search': {
      let frontier = direct;
      for (let round = 1; round <= MAX_NESTING_ROUNDS && frontier.length > 0; round++) {
        const filter = memberFilter(frontier);
        const parents = (await searchGroups(client, settings.groupBaseDn, filter)).map((e) => e.dn);
        queries.push({ purpose: `nested groups, level ${round} (group search)`, base: settings.groupBaseDn, filter, found: parents });
        frontier = addNested(parents);
      }
      break;
    }
    case 'off':
      break;
  }
  return { direct, nested, queries };
}

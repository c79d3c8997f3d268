// The site side of the directory-login suites: the LDAP_* lines that point a test site at one of
// the test directories (test/support/directories.ts), and a small world of groups and users in
// it — a group per role, a group nested in the viewers' group, a group that grants nothing, and a
// DN with a comma or parentheses in it (the rules' syntax and the filters must survive them).

import { describe, it, type TestAPI } from 'vitest';
import { directorySkipReason, startOpenLdap, startSambaAd, type DirectoryKind, type TestDirectory } from './directories.js';

export const DIRECTORY_KINDS: readonly DirectoryKind[] = ['openldap', 'ad'];

/**
 * `it` in the suite of the one directory kind a test is about; in the other kind's suite the test
 * is not defined at all, so it does not show up as skipped (a skip here means "could not run").
 */
export function itOnlyOn(kind: DirectoryKind, wanted: DirectoryKind): TestAPI {
  return kind === wanted ? it : ((() => undefined) as unknown as TestAPI);
}

/** One suite per directory kind; a kind this machine cannot run is skipped with the reason in its name. */
export function describeEachDirectory(title: string, body: (kind: DirectoryKind) => void): void {
  for (const kind of DIRECTORY_KINDS) {
    const reason = directorySkipReason(kind);
    if (reason === null) describe(`${title} [${kind}]`, () => body(kind));
    else describe.skip(`${title} [${kind} — skipped: ${reason}]`, () => body(kind));
  }
}

export function startDirectory(kind: DirectoryKind): Promise<TestDirectory> {
  return kind === 'openldap' ? startOpenLdap() : startSambaAd();
}

export interface DirectoryWorld {
  adminsGroup: string;
  editorsGroup: string;
  viewersGroup: string;
  /** Nested inside viewersGroup: its members are viewers through it. */
  nestedGroup: string;
  /** In no rule. */
  otherGroup: string;
  rules: Record<string, string>;
}

/** The groups every directory suite uses, made over the wire (OpenLDAP's memberOf needs that). */
export async function buildWorld(directory: TestDirectory): Promise<DirectoryWorld> {
  // AD refuses a comma in a group's sAMAccountName: there the DN carries parentheses instead,
  // which the group searches' filters must escape.
  const adminsGroup = await directory.addGroup(directory.kind === 'ad' ? 'shopdb admins (hangar 2)' : 'shopdb admins, hangar 2');
  const editorsGroup = await directory.addGroup('shopdb-editors');
  const viewersGroup = await directory.addGroup('shopdb-viewers');
  const nestedGroup = await directory.addGroup('night-shift');
  const otherGroup = await directory.addGroup('canteen');
  await directory.addMember(viewersGroup, nestedGroup);
  return {
    adminsGroup,
    editorsGroup,
    viewersGroup,
    nestedGroup,
    otherGroup,
    rules: { [adminsGroup]: 'admin', [editorsGroup]: 'editor', [viewersGroup]: 'viewer' },
  };
}

/** A user in `groups` (none: a user no rule lets in); returns its DN. */
export async function addDirectoryUser(
  directory: TestDirectory,
  name: string,
  password: string,
  groups: string[],
  options: { displayName?: string; mail?: string } = {},
): Promise<string> {
  const dn = await directory.addUser(name, password, options);
  for (const group of groups) await directory.addMember(group, dn);
  return dn;
}

/** .env lines for a site that logs in through `directory`, over LDAPS with its CA. */
export function directoryEnv(
  directory: TestDirectory,
  world: Pick<DirectoryWorld, 'rules'>,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const ad = directory.kind === 'ad';
  return {
    LDAP_ENABLED: 'true',
    LDAP_URL: directory.ldapsUrl,
    LDAP_TLS: 'ldaps',
    LDAP_CA_FILE: directory.caFile,
    LDAP_BIND_DN: directory.bindDn,
    LDAP_BIND_PASSWORD: directory.bindPassword,
    // AD from the domain root, so its referrals come back (and must be ignored).
    LDAP_BASE_DN: ad ? directory.baseDn : directory.usersDn,
    LDAP_GROUP_BASE_DN: directory.groupsDn,
    LDAP_USER_FILTER: ad
      ? '(&(objectClass=user)(|(sAMAccountName={username})(userPrincipalName={username})))'
      : '(&(objectClass=inetOrgPerson)(uid={username}))',
    LDAP_USERNAME_ATTRIBUTE: ad ? 'sAMAccountName' : 'uid',
    LDAP_NESTED_GROUPS: ad ? 'in-chain' : 'member-of',
    LDAP_GROUP_ROLE_MAP: `'${JSON.stringify(world.rules)}'`,
    LDAP_CONNECT_TIMEOUT: '1s',
    LDAP_TIMEOUT: '2s',
    ...overrides,
  };
}

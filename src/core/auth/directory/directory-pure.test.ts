// The parts of directory login that need no directory: filter escaping, DN comparison, rule
// order, and AD's account flags and bind sub-codes in words.

import { describe, expect, it } from 'vitest';
import { adDurationMs, blockingAccountState, decodeAccountControl, decodeBindFailure, fileTimeToDate } from './account-state.js';
import { normalizeDn } from './dn.js';
import { userFilterFor } from './lookup.js';
import { firstMatchingRule, roleRules } from './settings.js';

describe('userFilterFor', () => {
  it('escapes every filter metacharacter of the login name', () => {
    expect(userFilterFor('(uid={username})', '*)(uid=*')).toBe('(uid=\\2a\\29\\28uid=\\2a)');
    expect(userFilterFor('(uid={username})', 'a\\b')).toBe('(uid=a\\5cb)');
    expect(userFilterFor('(|(sAMAccountName={username})(userPrincipalName={username}))', 'ann')).toBe(
      '(|(sAMAccountName=ann)(userPrincipalName=ann))',
    );
  });
});

describe('normalizeDn', () => {
  it('treats case, spaces after separators and either escape of a comma as the same DN', () => {
    const ad = 'CN=shopdb admins\\, hangar 2,OU=Groups,DC=shop,DC=test';
    const openldap = 'cn=shopdb admins\\2C hangar 2, ou=groups,dc=shop,dc=test';
    expect(normalizeDn(ad)).toBe(normalizeDn(openldap));
    expect(normalizeDn(ad)).not.toBe(normalizeDn('CN=shopdb admins,CN=hangar 2,OU=Groups,DC=shop,DC=test'));
  });
});

describe('group rules', () => {
  it('keeps the order written and takes the first rule the user matches', () => {
    const rules = roleRules({ 'CN=Admins,DC=x': 'admin', 'CN=Editors,DC=x': 'editor', 'CN=Viewers,DC=x': 'viewer' });
    expect(rules.map((r) => r.role)).toEqual(['admin', 'editor', 'viewer']);
    expect(firstMatchingRule(rules, ['cn=viewers,dc=x', 'cn=editors,dc=x'])?.role).toBe('editor');
    expect(firstMatchingRule(rules, ['cn=canteen,dc=x'])).toBeNull();
  });
});

describe('AD account state', () => {
  it('decodes the userAccountControl bits that stop a login', () => {
    expect(blockingAccountState(decodeAccountControl('514'))).toMatch(/disabled/);
    expect(blockingAccountState(decodeAccountControl(0x200 | 0x10))).toMatch(/locked/);
    expect(blockingAccountState(decodeAccountControl(0x200 | 0x800000))).toMatch(/expired/);
    expect(blockingAccountState(decodeAccountControl('512'))).toBeNull();
    expect(decodeAccountControl(undefined)).toBeNull();
  });

  it("reads AD's bind sub-code out of the diagnostic message", () => {
    const message = '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 775, v4563';
    expect(decodeBindFailure(message)).toEqual({ subCode: '775', reason: 'the account is locked out' });
    expect(decodeBindFailure('data 52e').reason).toBe('wrong password');
    expect(decodeBindFailure('Invalid credentials')).toEqual({ subCode: null, reason: 'wrong password (or no such user)' });
  });

  it('converts FILETIME and AD durations', () => {
    expect(fileTimeToDate('116444736000000000')?.toISOString()).toBe('1970-01-01T00:00:00.000Z');
    expect(fileTimeToDate('0')).toBeNull();
    expect(adDurationMs('-36288000000000')).toBe(42 * 86_400_000);
    expect(adDurationMs('-9223372036854775808')).toBeNull();
  });
});

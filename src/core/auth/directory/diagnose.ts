// `shopdb ldap test`: each configured server in turn, step by step — reachable, TLS (protocol,
// certificate, whether the CA verifies it), the service bind, the base DNs, and for a username
// the exact filter sent, the entry, its groups and which query found them, the rule that matched,
// the account flags, and with a password the user's own bind with AD's sub-code in words. Every
// failed step says how to fix it. Passwords are used, never reported.

import { connect as tcpConnect } from 'node:net';
import { InvalidCredentialsError, NoSuchObjectError, type Client } from 'ldapts';
import type { RoleName } from '../types.js';
import {
  adDurationMs,
  blockingAccountState,
  decodeAccountControl,
  decodeBindFailure,
  fileTimeToDate,
  type AccountFlags,
} from './account-state.js';
import { connectTo, describeDirectoryError, type TlsDetails } from './client.js';
import { judgeEntry } from './evaluate.js';
import { firstValue, searchUser, type GroupQuery } from './lookup.js';
import type { DirectorySettings } from './settings.js';

export type StepName =
  'connect' | 'tls' | 'service-bind' | 'user-base' | 'group-base' | 'search' | 'groups' | 'rule' | 'account' | 'user-bind';

export interface TestStep {
  step: StepName;
  ok: boolean;
  message: string;
  /** How to fix a failed step; null when it passed. */
  fix: string | null;
}

export interface TestedUser {
  username: string;
  base: string;
  filter: string;
  dn: string | null;
  groups: { direct: string[]; nested: string[]; queries: GroupQuery[] } | null;
  matchedRule: { groupDn: string; role: RoleName } | null;
  role: RoleName | null;
  flags: AccountFlags | null;
  bind: { ok: boolean; subCode: string | null; reason: string } | null;
}

export interface TestedServer {
  url: string;
  ok: boolean;
  steps: TestStep[];
  tls: TlsDetails | null;
  user: TestedUser | null;
}

export interface DirectoryTestReport {
  ok: boolean;
  servers: TestedServer[];
}

export interface DirectoryTestOptions {
  username?: string;
  /** With a username: also bind as the user (read from stdin by the command, never argv). */
  password?: string;
  now?: Date;
}

export const CERT_WARNING_DAYS = 30;

function tcpReachable(url: string, timeoutMs: number): Promise<string | null> {
  const parsed = new URL(url);
  const port = Number(parsed.port || (parsed.protocol === 'ldaps:' ? 636 : 389));
  return new Promise((resolve) => {
    const socket = tcpConnect(port, parsed.hostname.replace(/^\[|\]$/g, ''));
    const timer = setTimeout(() => finish('no TCP connection within LDAP_CONNECT_TIMEOUT'), timeoutMs);
    const finish = (problem: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    socket.once('connect', () => finish(null));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(`${error.code ?? 'error'}: ${error.message}`));
  });
}

/** Certificate details without trusting it: a connection that accepts any certificate and reads the rootDSE anonymously. */
async function inspectTls(settings: DirectorySettings, url: string): Promise<{ details: TlsDetails | null; error: string | null }> {
  let connection;
  try {
    connection = await connectTo(settings, url, { verifyTls: false });
    await connection.client
      .search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['supportedLDAPVersion'] })
      .catch(() => undefined);
    return { details: connection.tls(), error: null };
  } catch (error) {
    return { details: connection?.tls() ?? null, error: describeDirectoryError(error, settings).message };
  } finally {
    await connection?.close();
  }
}

export function daysUntil(date: Date, now: Date): number {
  return Math.floor((date.getTime() - now.getTime()) / 86_400_000);
}

export async function testServer(settings: DirectorySettings, url: string, options: DirectoryTestOptions = {}): Promise<TestedServer> {
  const now = options.now ?? new Date();
  const steps: TestStep[] = [];
  const server: TestedServer = { url, ok: false, steps, tls: null, user: null };
  const pass = (step: StepName, message: string) => steps.push({ step, ok: true, message, fix: null });
  const fail = (step: StepName, message: string, fix: string) => steps.push({ step, ok: false, message, fix });
  const done = () => ((server.ok = steps.every((s) => s.ok)), server);

  const unreachable = await tcpReachable(url, settings.connectTimeoutMs);
  if (unreachable !== null) {
    fail('connect', unreachable, 'check the host and port in LDAP_URL, that the server runs, and that no firewall is in the way');
    return done();
  }
  pass('connect', 'the port accepts connections');

  if (settings.tls === 'none') pass('tls', 'LDAP_TLS=none: no encryption (passwords cross the network in plain text)');
  else {
    const inspected = await inspectTls(settings, url);
    server.tls = inspected.details;
    const tls = inspected.details;
    if (tls === null) {
      fail(
        'tls',
        `no TLS session (${settings.tls === 'starttls' ? 'StartTLS' : 'LDAPS'}): ${inspected.error ?? 'unknown error'}`,
        settings.tls === 'ldaps'
          ? 'check that the port serves LDAPS (636), or use LDAP_TLS=starttls with an ldap:// URL'
          : 'check that the server offers StartTLS on this port, or use LDAP_TLS=ldaps',
      );
      return done();
    }
    const summary = `${tls.protocol ?? '?'}; certificate ${tls.subject ?? '?'}, issued by ${tls.issuer ?? '?'}, valid until ${tls.validTo?.toISOString() ?? '?'}`;
    if (!tls.verified) {
      fail(
        'tls',
        `${summary}; NOT verified: ${tls.verifyError}`,
        settings.caFile
          ? `LDAP_CA_FILE (${settings.caFile}) does not verify this certificate: point it at the CA that signed it, and check that the URL's host is in the certificate`
          : "set LDAP_CA_FILE to the PEM file of the CA that signed the server's certificate",
      );
      return done();
    }
    const days = tls.validTo ? daysUntil(tls.validTo, now) : null;
    // A certificate about to expire still works: `doctor` warns about it (directory-check.ts).
    pass('tls', `${summary}; verified${days !== null && days < CERT_WARNING_DAYS ? `; expires in ${days} days: renew it` : ''}`);
  }

  let connection;
  try {
    connection = await connectTo(settings, url);
    try {
      await connection.client.bind(settings.bindDn, settings.bindPassword);
      pass('service-bind', `bound as ${settings.bindDn}`);
    } catch (error) {
      const failure = describeDirectoryError(error, settings);
      fail('service-bind', `bind as ${settings.bindDn} refused: ${failure.message}`, failure.fix);
      return done();
    }
    for (const [step, base, variable] of [
      ['user-base', settings.userBaseDn, 'LDAP_BASE_DN'],
      ['group-base', settings.groupBaseDn, 'LDAP_GROUP_BASE_DN'],
    ] as const) {
      try {
        await connection.client.search(base, { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
        pass(step, `${base} exists`);
      } catch (error) {
        const failure = describeDirectoryError(error, settings);
        fail(
          step,
          `${variable}=${base}: ${failure.message}`,
          error instanceof NoSuchObjectError
            ? `there is no entry ${base} on this server (noSuchObject, 0x20): correct ${variable}, e.g. OU=Users,DC=plant,DC=example`
            : failure.fix,
        );
      }
    }
    if (options.username === undefined) return done();

    const search = await searchUser(connection.client, settings, options.username);
    const user: TestedUser = {
      username: options.username,
      base: search.base,
      filter: search.filter,
      dn: null,
      groups: null,
      matchedRule: null,
      role: null,
      flags: null,
      bind: null,
    };
    server.user = user;
    if (search.entries.length !== 1) {
      if (search.entries.length === 0)
        fail(
          'search',
          `no entry matches ${search.filter} under ${search.base}`,
          `check the name, LDAP_BASE_DN and LDAP_USER_FILTER (the user's ${settings.usernameAttribute} must match)`,
        );
      else
        fail(
          'search',
          `more than one entry matches ${search.filter}`,
          'make LDAP_USER_FILTER match exactly one user, e.g. add (objectClass=user)',
        );
      return done();
    }
    const entry = search.entries[0]!;
    user.dn = entry.dn;
    user.flags = entry.flags;
    pass('search', `found ${entry.dn} with ${search.filter}`);

    const verdict = await judgeEntry(connection.client, settings, entry);
    user.groups = verdict.groups;
    const groupCount = verdict.groups.direct.length + verdict.groups.nested.length;
    pass('groups', `${verdict.groups.direct.length} direct, ${verdict.groups.nested.length} nested (${settings.nestedGroups})`);
    if (verdict.rule !== null) user.matchedRule = { groupDn: verdict.rule.groupDn, role: verdict.rule.role };
    if (verdict.rule === null)
      fail(
        'rule',
        `no rule matches the ${groupCount} group(s): ${verdict.refusal?.reason ?? 'not in any group that grants access to shopdb'}`,
        'add the user to a group named in LDAP_GROUP_ROLE_MAP, or map one of their groups (nested groups need LDAP_NESTED_GROUPS)',
      );
    else if (!verdict.requiredGroupMet)
      fail(
        'rule',
        `not in LDAP_REQUIRED_GROUP ${settings.requiredGroup}`,
        'add the user to the required group, or change LDAP_REQUIRED_GROUP',
      );
    else {
      user.role = verdict.rule.role;
      pass('rule', `${verdict.rule.groupDn} → ${verdict.rule.role}`);
    }
    const blocked = blockingAccountState(entry.flags);
    if (blocked !== null) fail('account', blocked, 'enable or unlock the account in the directory, or have the user set a new password');
    else pass('account', entry.flags === null ? 'no account flags (not Active Directory)' : 'enabled, not locked, password not expired');

    if (options.password !== undefined) {
      try {
        await connection.client.bind(entry.dn, options.password);
        user.bind = { ok: true, subCode: null, reason: 'password accepted' };
        pass('user-bind', `bound as ${entry.dn}`);
      } catch (error) {
        if (!(error instanceof InvalidCredentialsError)) throw error;
        const failure = decodeBindFailure(error.message);
        user.bind = { ok: false, subCode: failure.subCode, reason: failure.reason };
        fail(
          'user-bind',
          `bind as ${entry.dn} refused: ${failure.reason}${failure.subCode ? ` (AD data ${failure.subCode})` : ''}`,
          'check the password; for a locked, disabled or expired account fix it in the directory',
        );
      }
    }
  } catch (error) {
    const failure = describeDirectoryError(error, settings);
    fail(steps.at(-1)?.ok === false ? steps.at(-1)!.step : 'search', failure.message, failure.fix);
  } finally {
    await connection?.close();
  }
  return done();
}

export async function testDirectory(settings: DirectorySettings, options: DirectoryTestOptions = {}): Promise<DirectoryTestReport> {
  const servers: TestedServer[] = [];
  for (const url of settings.urls) servers.push(await testServer(settings, url, options));
  return { ok: servers.every((s) => s.ok), servers };
}

export interface ServicePasswordExpiry {
  /** When the service account's password expires; null when it never does or the directory does not say (OpenLDAP). */
  expiresAt: Date | null;
  reason: string;
}

/**
 * AD only: pwdLastSet of the service account plus the domain's maxPwdAge, unless the account's
 * password never expires. Read on a connection bound as the service account.
 */
export async function servicePasswordExpiry(client: Client, settings: DirectorySettings): Promise<ServicePasswordExpiry> {
  const {
    searchEntries: [account],
  } = await client.search(settings.bindDn, { scope: 'base', filter: '(objectClass=*)', attributes: ['pwdLastSet', 'userAccountControl'] });
  const lastSet = account ? firstValue(account, 'pwdLastSet') : null;
  if (account === undefined || lastSet === null)
    return { expiresAt: null, reason: 'the directory keeps no password age (not Active Directory)' };
  if (decodeAccountControl(firstValue(account, 'userAccountControl'))?.passwordNeverExpires)
    return { expiresAt: null, reason: 'the password is set never to expire' };
  const {
    searchEntries: [root],
  } = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['defaultNamingContext'] });
  const domainDn = root ? firstValue(root, 'defaultNamingContext') : null;
  if (domainDn === null) return { expiresAt: null, reason: 'the domain (defaultNamingContext) is not readable' };
  const {
    searchEntries: [domain],
  } = await client.search(domainDn, { scope: 'base', filter: '(objectClass=*)', attributes: ['maxPwdAge'] });
  const maxAge = adDurationMs(domain ? (firstValue(domain, 'maxPwdAge') ?? undefined) : undefined);
  const setAt = fileTimeToDate(lastSet);
  if (maxAge === null) return { expiresAt: null, reason: 'the domain lets passwords live forever (maxPwdAge)' };
  if (setAt === null) return { expiresAt: new Date(0), reason: 'the password must be changed (pwdLastSet is 0)' };
  return {
    expiresAt: new Date(setAt.getTime() + maxAge),
    reason: `set ${setAt.toISOString().slice(0, 10)}, domain maxPwdAge ${Math.round(maxAge / 86_400_000)} days`,
  };
}

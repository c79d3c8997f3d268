// The test directories themselves, through the ldap-utils and openssl command-line tools (so
// nothing here depends on the LDAP client shopdb uses): what the directory-login suites rely on
// — accounts, binds, nested groups, TLS, AD's strong-auth rule, an outage, paging past 1000 —
// behaves as a real OpenLDAP and a real Active Directory do.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  directorySkipReason,
  OPENLDAP_GROUP_PLACEHOLDER_DN,
  startOpenLdap,
  startSambaAd,
  startSilentPort,
  type DirectoryKind,
  type TestDirectory,
} from './directories.js';

type Entry = Record<string, string[]>;

interface SearchAnswer {
  exitCode: number;
  stderr: string;
  entries: Entry[];
}

interface SearchOptions {
  url?: string;
  bindDn?: string;
  password?: string;
  caFile?: string;
  startTls?: boolean;
  base?: string;
  scope?: 'base' | 'one' | 'sub';
  filter?: string;
  attributes?: string[];
  pageSize?: number;
}

const secrets = mkdtempSync(join(tmpdir(), 'shopdb-directory-smoke-'));
afterAll(() => rmSync(secrets, { recursive: true, force: true }));
let secretCount = 0;

/** `-LLL -o ldif-wrap=no` output as entries; referrals and comments are dropped. */
function parseLdif(text: string): Entry[] {
  return text
    .split(/\n\n+/)
    .map((block) => block.split('\n').filter((line) => line !== '' && !line.startsWith('#')))
    .filter((lines) => lines[0]?.startsWith('dn:'))
    .map((lines) => {
      const entry: Entry = {};
      for (const line of lines) {
        const match = /^([\w;-]+)(::?) ?(.*)$/.exec(line);
        if (!match) continue;
        const value = match[2] === '::' ? Buffer.from(match[3]!, 'base64').toString('utf8') : match[3]!;
        (entry[match[1]!] ??= []).push(value);
      }
      return entry;
    });
}

async function search(directory: TestDirectory, options: SearchOptions = {}): Promise<SearchAnswer> {
  const passwordFile = join(secrets, `password-${++secretCount}`);
  writeFileSync(passwordFile, options.password ?? directory.bindPassword, { mode: 0o600 });
  const args = [
    '-x',
    '-LLL',
    '-o',
    'ldif-wrap=no',
    '-o',
    'nettimeout=5',
    '-H',
    options.url ?? directory.ldapsUrl,
    '-D',
    options.bindDn ?? directory.bindDn,
    '-y',
    passwordFile,
  ];
  if (options.startTls) args.push('-ZZ');
  if (options.pageSize) args.push('-E', `pr=${options.pageSize}/noprompt`);
  args.push(
    '-b',
    options.base ?? directory.baseDn,
    '-s',
    options.scope ?? 'sub',
    options.filter ?? '(objectClass=*)',
    ...(options.attributes ?? []),
  );
  const result = await execa('ldapsearch', args, {
    reject: false,
    env: { LDAPTLS_CACERT: options.caFile ?? directory.caFile, LDAPTLS_REQCERT: 'demand' },
  });
  return { exitCode: result.exitCode ?? -1, stderr: String(result.stderr), entries: parseLdif(String(result.stdout)) };
}

async function addAsServiceAccount(directory: TestDirectory, ldif: string): Promise<{ exitCode: number; stderr: string }> {
  const passwordFile = join(secrets, `password-${++secretCount}`);
  writeFileSync(passwordFile, directory.bindPassword, { mode: 0o600 });
  const result = await execa('ldapadd', ['-x', '-H', directory.ldapsUrl, '-D', directory.bindDn, '-y', passwordFile], {
    input: ldif,
    reject: false,
    env: { LDAPTLS_CACERT: directory.caFile },
  });
  return { exitCode: result.exitCode ?? -1, stderr: String(result.stderr) };
}

/** What openssl makes of the server certificate when it trusts only caFile (and checks the IP). */
async function verifyCertificate(url: string, caFile: string): Promise<string> {
  const port = new URL(url).port;
  const result = await execa(
    'openssl',
    ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', caFile, '-verify_ip', '127.0.0.1', '-verify_return_error', '-brief'],
    { input: '', reject: false },
  );
  return `${result.exitCode}: ${result.stderr}`;
}

async function connectionRefused(url: string): Promise<boolean> {
  const port = Number(new URL(url).port);
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

const STARTERS: Record<DirectoryKind, { title: string; start: () => Promise<TestDirectory>; nameAttribute: string }> = {
  openldap: { title: 'the test OpenLDAP (slapd)', start: startOpenLdap, nameAttribute: 'uid' },
  ad: { title: 'the test Active Directory (Samba DC)', start: startSambaAd, nameAttribute: 'sAMAccountName' },
};

for (const kind of ['openldap', 'ad'] as const) {
  const skipReason = directorySkipReason(kind);
  const { title, start, nameAttribute } = STARTERS[kind];

  describe.skipIf(skipReason !== null)(`${title}${skipReason ? ` — skipped: ${skipReason}` : ''}`, { timeout: 180_000 }, () => {
    let directory: TestDirectory;
    let adaDn: string;
    const byName = (name: string) => `(${nameAttribute}=${name})`;

    beforeAll(async () => {
      const started = Date.now();
      directory = await start();
      process.stderr.write(
        `[directories smoke] ${kind} up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${directory.ldapUrl} and ${directory.ldapsUrl}\n`,
      );
      adaDn = await directory.addUser('ada', 'Ada-Pass-1', { displayName: 'Ada Lovelace', mail: 'ada@shop.test' });
    }, 240_000);
    afterAll(async () => directory?.cleanup());

    it('lets the service account find a user added by addUser', async () => {
      const answer = await search(directory, { base: directory.usersDn, filter: byName('ada'), attributes: ['displayName', 'mail'] });

      expect(answer.exitCode, answer.stderr).toBe(0);
      expect(answer.entries).toHaveLength(1);
      expect(answer.entries[0]!.dn).toEqual([adaDn]);
      expect(answer.entries[0]!.displayName).toEqual(['Ada Lovelace']);
      expect(answer.entries[0]!.mail).toEqual(['ada@shop.test']);
    });

    it('gives the service account no right to change the directory (insufficientAccessRights, 50)', async () => {
      const attempt = await addAsServiceAccount(
        directory,
        `dn: cn=intruder,${directory.groupsDn}\nobjectClass: ${kind === 'ad' ? 'group' : 'organizationalRole'}\ncn: intruder\n`,
      );

      expect(attempt.exitCode, attempt.stderr).toBe(50);
    });

    it('binds as the user with the right password and refuses a wrong one with invalidCredentials (49)', async () => {
      const right = await search(directory, { bindDn: adaDn, password: 'Ada-Pass-1', base: adaDn, scope: 'base' });
      const wrong = await search(directory, { bindDn: adaDn, password: 'not-her-password', base: adaDn, scope: 'base' });

      expect(right.exitCode, right.stderr).toBe(0);
      expect(wrong.exitCode).toBe(49);
      expect(wrong.stderr).toContain('Invalid credentials (49)');
      if (kind === 'ad') expect(wrong.stderr).toContain('data 52e');
    });

    it('changes a password with setPassword and removes a user with deleteUser', async () => {
      const dn = await directory.addUser('babbage', 'Old-Pass-1');
      await directory.setPassword('babbage', 'New-Pass-2');

      expect((await search(directory, { bindDn: dn, password: 'New-Pass-2', base: dn, scope: 'base' })).exitCode).toBe(0);
      expect((await search(directory, { bindDn: dn, password: 'Old-Pass-1', base: dn, scope: 'base' })).exitCode).toBe(49);

      await directory.deleteUser('babbage');

      expect((await search(directory, { base: directory.usersDn, filter: byName('babbage') })).entries).toEqual([]);
      expect((await search(directory, { bindDn: dn, password: 'New-Pass-2', base: dn, scope: 'base' })).exitCode).toBe(49);
    });

    it(
      kind === 'ad'
        ? 'refuses a bind to an account disabled by disableUser (data 533)'
        : 'says disableUser is not supported (OpenLDAP has no such flag)',
      async () => {
        const dn = await directory.addUser('hopper', 'Some-Pass-1');

        if (kind === 'ad') {
          await directory.disableUser('hopper');
          const answer = await search(directory, { bindDn: dn, password: 'Some-Pass-1', base: dn, scope: 'base' });
          expect(answer.exitCode).toBe(49);
          expect(answer.stderr).toContain('data 533');
        } else {
          await expect(directory.disableUser('hopper')).rejects.toThrow(/not supported/);
        }
      },
    );

    it('nests groups: user in A, A in B', async () => {
      const groupA = await directory.addGroup('machinists');
      const groupB = await directory.addGroup('shop-floor');
      await directory.addMember(groupA, adaDn);
      await directory.addMember(groupB, groupA);

      if (kind === 'openldap') {
        // The memberof overlay records direct memberships only: Ada shows A, and A shows B.
        const ada = await search(directory, { base: adaDn, scope: 'base', attributes: ['memberOf'] });
        const a = await search(directory, { base: groupA, scope: 'base', attributes: ['memberOf', 'member'] });
        expect(ada.entries[0]!.memberOf).toEqual([groupA]);
        expect(a.entries[0]!.memberOf).toEqual([groupB]);
        expect(a.entries[0]!.member).toEqual([OPENLDAP_GROUP_PLACEHOLDER_DN, adaDn]);
      } else {
        // LDAP_MATCHING_RULE_IN_CHAIN: the users in B through any depth, and every group Ada is in.
        const inChain = await search(directory, {
          base: directory.usersDn,
          filter: `(memberOf:1.2.840.113556.1.4.1941:=${groupB})`,
          attributes: ['1.1'],
        });
        const direct = await search(directory, { base: directory.usersDn, filter: `(memberOf=${groupB})`, attributes: ['1.1'] });
        const adasGroups = await search(directory, {
          base: directory.groupsDn,
          filter: `(member:1.2.840.113556.1.4.1941:=${adaDn})`,
          attributes: ['1.1'],
        });
        expect(inChain.entries.map((entry) => entry.dn![0])).toEqual([adaDn]);
        expect(direct.entries).toEqual([]);
        expect(adasGroups.entries.map((entry) => entry.dn![0]).sort()).toEqual([groupA, groupB].sort());
      }

      await directory.removeMember(groupA, adaDn);
      const after = await search(directory, { base: adaDn, scope: 'base', attributes: ['memberOf'] });
      expect(after.entries[0]!.memberOf).toBeUndefined();
    });

    it('serves TLS that verifies with caFile (127.0.0.1 in the SAN) and not with wrongCaFile', async () => {
      expect(await verifyCertificate(directory.ldapsUrl, directory.caFile)).toMatch(/^0: .*Verification: OK/s);
      // slapd sends the CA along (self-signed in the chain), Samba does not (no local issuer).
      expect(await verifyCertificate(directory.ldapsUrl, directory.wrongCaFile)).toMatch(/^1: .*certificate verify failed/s);

      const trusted = await search(directory, { base: directory.baseDn, scope: 'base' });
      const untrusted = await search(directory, { base: directory.baseDn, scope: 'base', caFile: directory.wrongCaFile });
      const startTls = await search(directory, { url: directory.ldapUrl, startTls: true, base: directory.baseDn, scope: 'base' });
      const startTlsUntrusted = await search(directory, {
        url: directory.ldapUrl,
        startTls: true,
        caFile: directory.wrongCaFile,
        base: directory.baseDn,
        scope: 'base',
      });
      expect(trusted.exitCode, trusted.stderr).toBe(0);
      expect(untrusted.exitCode).not.toBe(0);
      expect(startTls.exitCode, startTls.stderr).toBe(0);
      expect(startTlsUntrusted.exitCode).not.toBe(0);
      expect(directory.serverCertNotAfter.getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    });

    it(
      kind === 'ad'
        ? 'refuses a simple bind over plain LDAP: strong auth required (8)'
        : 'accepts a simple bind over plain LDAP (no TLS rule)',
      async () => {
        const plain = await search(directory, { url: directory.ldapUrl, base: directory.baseDn, scope: 'base' });

        if (kind === 'ad') {
          expect(plain.exitCode).toBe(8);
          expect(plain.stderr).toMatch(/strong/i);
        } else {
          expect(plain.exitCode, plain.stderr).toBe(0);
        }
      },
    );

    it('refuses connections after stop() and answers again after start(), data kept', async () => {
      await directory.stop();

      expect(await connectionRefused(directory.ldapUrl)).toBe(true);
      expect(await connectionRefused(directory.ldapsUrl)).toBe(true);
      expect((await search(directory, { base: directory.baseDn, scope: 'base' })).stderr).toContain("Can't contact LDAP server");

      const started = Date.now();
      await directory.start();
      process.stderr.write(`[directories smoke] ${kind} restarted in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

      const answer = await search(directory, { base: directory.usersDn, filter: byName('ada'), attributes: ['1.1'] });
      expect(answer.exitCode, answer.stderr).toBe(0);
      expect(answer.entries).toHaveLength(1);
    });

    it('adds 1100 users in bulk, all found by a paged search (OpenLDAP cuts an unpaged one short)', async () => {
      const started = Date.now();
      const group = await directory.addGroup('bulk-members');
      await directory.addUsers(1100, 'bulk', { memberOf: group });
      process.stderr.write(`[directories smoke] ${kind} addUsers(1100) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

      const paged = await search(directory, { base: directory.usersDn, filter: byName('bulk*'), attributes: ['1.1'], pageSize: 500 });
      const unpaged = await search(directory, { base: directory.usersDn, filter: byName('bulk*'), attributes: ['1.1'] });
      const members = await search(directory, {
        base: directory.usersDn,
        filter: `(memberOf=${group})`,
        attributes: ['1.1'],
        pageSize: 500,
      });

      expect(paged.exitCode, paged.stderr).toBe(0);
      expect(paged.entries).toHaveLength(1100);
      const names = paged.entries.map((entry) => /^\w+=([^,]+),/.exec(entry.dn![0]!)?.[1]).sort();
      expect([names[0], names[1099]]).toEqual(['bulk0001', 'bulk1100']);
      if (kind === 'openldap') {
        // As OpenLDAP ships: 500 entries, then sizeLimitExceeded (4).
        expect(unpaged.exitCode).toBe(4);
        expect(unpaged.entries).toHaveLength(500);
      } else {
        // Samba has no MaxPageSize cut-off: a Windows DC would stop at 1000 (sizeLimitExceeded).
        expect(unpaged.exitCode).toBe(0);
        expect(unpaged.entries).toHaveLength(1100);
      }
      expect(members.entries).toHaveLength(1100);
    });
  });
}

describe('startSilentPort', () => {
  it('accepts a connection and never answers', async () => {
    const silent = await startSilentPort();
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = connect(silent.port, '127.0.0.1');
        socket.once('error', reject);
        socket.once('connect', () => socket.write(Buffer.from('300c020101600702010304008000', 'hex')));
        socket.once('data', () => resolve('answered'));
        setTimeout(() => {
          socket.destroy();
          resolve('silent');
        }, 1000);
      });
      expect(reply).toBe('silent');
      expect(silent.url).toBe(`ldap://127.0.0.1:${silent.port}`);
    } finally {
      await silent.close();
    }
    expect(await connectionRefused(silent.url)).toBe(true);
  });
});

// Directory suite (a real OpenLDAP and a real Samba AD DC; SQLite): `shopdb ldap test` and
// `shopdb ldap sync`, in-process and through bin/run.js. `ldap test` walks every step and explains
// each failure with its fix; `ldap sync` pages past AD's 1000 entries and lists every user.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, runCommand } from '../../../test/support/cli.js';
import type { TestDirectory } from '../../../test/support/directories.js';
import {
  addDirectoryUser,
  buildWorld,
  describeEachDirectory,
  directoryEnv,
  itOnlyOn,
  startDirectory,
  type DirectoryWorld,
} from '../../../test/support/directory-login.js';
import { createSite, type TestSite, writeEnvFile } from '../../../test/support/site.js';
import { migrateSite } from '../../core/migrations/site.js';
import { createSession } from '../../core/auth/sessions.js';
import LdapSync from './sync.js';
import LdapTest from './test.js';

const PASSWORD = 'Dir-Pass-4711';

describeEachDirectory('shopdb ldap test and ldap sync', (kind) => {
  let directory: TestDirectory;
  let world: DirectoryWorld;
  let site: TestSite;

  beforeAll(async () => {
    directory = await startDirectory(kind);
    world = await buildWorld(directory);
    await addDirectoryUser(directory, 'katherine', PASSWORD, [world.nestedGroup]);
    site = await createSite('sqlite', { LOG_LEVEL: 'silent', ...directoryEnv(directory, world) });
    await migrateSite({ config: site.config() });
  }, 120_000);
  afterAll(async () => {
    await site?.cleanup();
    await directory?.cleanup();
  });

  /** The site's .env with some LDAP_* lines changed, as a second file. */
  function variant(name: string, overrides: Record<string, string>): string {
    const envFile = join(site.dir, `${name}.env`);
    writeEnvFile(envFile, { ...site.vars, ...overrides });
    return envFile;
  }

  describe('ldap test', () => {
    it('passes every step for a user with the right password, naming the filter, the groups and the rule (bin, password on stdin)', async () => {
      const result = await runBin(['ldap', 'test', 'katherine', '--password-stdin', '--json', '--env-file', site.envFile], {
        input: PASSWORD,
      });

      expect(result.exitCode, result.stderr + result.stdout).toBe(0);
      const [server] = result.json.servers;
      expect(server.steps.map((s: { step: string }) => s.step)).toEqual([
        'connect',
        'tls',
        'service-bind',
        'user-base',
        'group-base',
        'search',
        'groups',
        'rule',
        'account',
        'user-bind',
      ]);
      expect(server.tls).toMatchObject({ verified: true, protocol: expect.stringMatching(/^TLSv1\.[23]$/) });
      expect(server.user.filter).toContain('katherine');
      expect(server.user.groups.nested.map((dn: string) => dn.toLowerCase())).toContain(world.viewersGroup.toLowerCase());
      expect(server.user.matchedRule).toMatchObject({ role: 'viewer' });
      expect(server.user.bind).toEqual({ ok: true, subCode: null, reason: 'password accepted' });
      expect(result.stdout).not.toContain(PASSWORD);
      expect(result.stderr).not.toContain(PASSWORD);
    });

    it('explains a wrong password (AD: its sub-code in words) and exits 1', async () => {
      const result = await runBin(['ldap', 'test', 'katherine', '--password-stdin', '--env-file', site.envFile], {
        input: 'not-her-password',
      });

      expect(result.exitCode).toBe(1);
      expect(result.stdout).toMatch(kind === 'ad' ? /user-bind: .*wrong password \(AD data 52e\)/ : /user-bind: .*refused: wrong password/);
    });

    itOnlyOn(kind, 'ad')("decodes a disabled AD account: its userAccountControl flag and the bind's sub-code 533", async () => {
      await addDirectoryUser(directory, 'margaret', PASSWORD, [world.viewersGroup]);
      await directory.disableUser('margaret');

      const result = await runBin(['ldap', 'test', 'margaret', '--password-stdin', '--json', '--env-file', site.envFile], {
        input: PASSWORD,
      });

      expect(result.exitCode).toBe(1);
      const server = result.json.servers[0];
      expect(server.user.flags).toMatchObject({ disabled: true });
      expect(server.steps.find((s: { step: string }) => s.step === 'account')).toMatchObject({
        ok: false,
        message: expect.stringContaining('disabled in the directory (userAccountControl 0x2)'),
      });
      expect(server.user.bind).toEqual({ ok: false, subCode: '533', reason: 'the account is disabled' });
    });

    it('explains a base DN that does not exist (noSuchObject, 0x20)', async () => {
      const result = await runCommand(LdapTest, [
        '--json',
        '--env-file',
        variant('bad-base', { LDAP_BASE_DN: `ou=nowhere,${directory.baseDn}` }),
      ]);

      expect(result.exitCode).toBe(1);
      const step = result.json.servers[0].steps.find((s: { step: string }) => s.step === 'user-base');
      expect(step).toMatchObject({
        ok: false,
        message: expect.stringContaining('noSuchObject (32, 0x20)'),
        fix: expect.stringContaining('correct LDAP_BASE_DN'),
      });
    });

    it('explains a certificate the configured CA does not verify', async () => {
      const result = await runCommand(LdapTest, ['--json', '--env-file', variant('wrong-ca', { LDAP_CA_FILE: directory.wrongCaFile })]);

      expect(result.exitCode).toBe(1);
      const step = result.json.servers[0].steps.find((s: { step: string }) => s.step === 'tls');
      expect(step.ok).toBe(false);
      expect(step.message).toMatch(/NOT verified: [A-Z_]+/);
      expect(step.fix).toContain('LDAP_CA_FILE');
      expect(result.json.servers[0].tls.subject).toBeTruthy();
    });

    it('explains a wrong service password, and says nothing of it', async () => {
      const result = await runCommand(LdapTest, [
        '--json',
        '--env-file',
        variant('bad-bind', { LDAP_BIND_PASSWORD: 'Wrong-Service-Pass-9' }),
      ]);

      expect(result.exitCode).toBe(1);
      const step = result.json.servers[0].steps.find((s: { step: string }) => s.step === 'service-bind');
      expect(step).toMatchObject({
        ok: false,
        message: expect.stringContaining('invalidCredentials (49'),
        fix: expect.stringContaining('LDAP_BIND_PASSWORD'),
      });
      expect(result.stdout + result.stderr).not.toContain('Wrong-Service-Pass-9');
    });

    itOnlyOn(kind, 'ad')('explains strong auth required (8) over plain LDAP: use StartTLS or LDAPS', async () => {
      const result = await runCommand(LdapTest, [
        '--json',
        '--env-file',
        variant('plain', { LDAP_URL: directory.ldapUrl, LDAP_TLS: 'none' }),
      ]);

      expect(result.exitCode).toBe(1);
      const step = result.json.servers[0].steps.find((s: { step: string }) => s.step === 'service-bind');
      expect(step.message).toContain('strongAuthRequired (8');
      expect(step.fix).toContain('LDAP_TLS=starttls');
    });

    it('works over StartTLS too', async () => {
      const result = await runCommand(LdapTest, [
        'katherine',
        '--env-file',
        variant('starttls', { LDAP_URL: directory.ldapUrl, LDAP_TLS: 'starttls' }),
      ]);

      expect(result.exitCode, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(/tls: TLSv1\.[23]; certificate .* verified/);
    });

    it('explains a server that is down', async () => {
      await directory.stop();
      try {
        const result = await runCommand(LdapTest, ['--env-file', site.envFile]);
        expect(result.exitCode).toBe(1);
        expect(result.stdout).toMatch(/connect: ECONNREFUSED/);
        expect(result.stdout).toContain('Fix: check the host and port in LDAP_URL');
      } finally {
        await directory.start();
      }
    }, 60_000);

    it('has no --password flag: the password comes from stdin only', async () => {
      const result = await runCommand(LdapTest, ['katherine', '--password', PASSWORD, '--env-file', site.envFile]);
      expect(result.exitCode).not.toBe(0);
      expect(result.stdout).not.toContain('user-bind');
    });
  });

  describe('ldap sync', () => {
    it('lists who would be created with --dry-run and changes nothing, then creates them, and disables a user whose entry is gone', async () => {
      await addDirectoryUser(directory, 'dorothy', PASSWORD, [world.editorsGroup]);
      await addDirectoryUser(directory, 'mary', PASSWORD, []);

      const dry = await runCommand(LdapSync, ['--dry-run', '--json', '--env-file', site.envFile]);
      expect(dry.exitCode, dry.stderr).toBe(0);
      const lineOf = (report: { users: Array<{ username: string }> }, name: string) => report.users.find((u) => u.username === name);
      expect(lineOf(dry.json, 'dorothy')).toMatchObject({ action: 'create', role: 'editor' });
      expect(lineOf(dry.json, 'mary')).toMatchObject({ action: 'skip', reason: 'not in any group that grants access to shopdb' });
      const db = await site.open();
      try {
        expect(await db('users').where('username', 'dorothy').first()).toBeUndefined();

        const applied = await runBin(['ldap', 'sync', '--json', '--env-file', site.envFile]);
        expect(applied.exitCode, applied.stderr).toBe(0);
        expect(await db('users').where('username', 'dorothy').first()).toMatchObject({ role: 'editor', auth_source: 'ldap' });

        await directory.deleteUser('dorothy');
        const again = await runCommand(LdapSync, ['--json', '--env-file', site.envFile]);
        expect(lineOf(again.json, 'dorothy')).toMatchObject({ action: 'disable', reason: 'the directory entry is gone' });
        const row = await db('users').where('username', 'dorothy').first();
        expect(Boolean(row.disabled)).toBe(true);
      } finally {
        await db.destroy();
      }
    }, 60_000);

    itOnlyOn(kind, 'ad')(
      'pages past 1000 entries: --dry-run lists all of 1100 users',
      async () => {
        await directory.addUsers(1100, 'crew', { memberOf: world.viewersGroup });

        const result = await runCommand(LdapSync, ['--dry-run', '--json', '--env-file', site.envFile]);

        expect(result.exitCode, result.stderr).toBe(0);
        const crew = result.json.users.filter((u: { username: string }) => /^crew\d{4}$/.test(u.username));
        expect(crew).toHaveLength(1100);
        expect(crew.filter((u: { action: string; role: string }) => u.action !== 'create' || u.role !== 'viewer')).toEqual([]);
        expect(result.json.search.entries).toBeGreaterThan(1100);
      },
      300_000,
    );
  });

  describe('ldap recheck', () => {
    it('shuts out a signed-in user removed from their granting group, on demand (bin)', async () => {
      const dn = await addDirectoryUser(directory, 'annie', PASSWORD, [world.editorsGroup]);
      await runCommand(LdapSync, ['--env-file', site.envFile]);
      const db = await site.open();
      try {
        const { id } = await db('users').where('username', 'annie').first();
        await createSession(db, Number(id), 3600);
        await directory.removeMember(world.editorsGroup, dn);

        const result = await runBin(['ldap', 'recheck', '--json', '--env-file', site.envFile]);

        expect(result.exitCode, result.stderr).toBe(0);
        expect(result.json.users).toContainEqual({
          username: 'annie',
          outcome: 'shut-out',
          detail: 'not in any group that grants access to shopdb',
        });
        expect(await db('sessions').where('user_id', id).whereNull('revoked_at').count({ n: '*' })).toEqual([{ n: 0 }]);
      } finally {
        await db.destroy();
      }
    });
  });
});

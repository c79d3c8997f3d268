// Directory suite (a real OpenLDAP and a real Samba AD DC): `shopdb doctor`'s directory check —
// reachability, TLS and the service bind on every server, and warnings 30 days before the server
// certificate or (AD) the service account's password expires.

import { Change, Attribute, Client } from 'ldapts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runBin, runCommand } from '../../test/support/cli.js';
import { startOpenLdap, type TestDirectory } from '../../test/support/directories.js';
import {
  buildWorld,
  describeEachDirectory,
  directoryEnv,
  itOnlyOn,
  startDirectory,
  type DirectoryWorld,
} from '../../test/support/directory-login.js';
import { createSite, type TestSite } from '../../test/support/site.js';
import type { CheckReport } from '../core/doctor/index.js';
import { readFileSync } from 'node:fs';
import Doctor from './doctor.js';

const directoryCheckOf = (json: { checks: CheckReport[] }) => json.checks.find((check) => check.id === 'directory')!;

describeEachDirectory('shopdb doctor: the directory check', (kind) => {
  let directory: TestDirectory;
  let world: DirectoryWorld;
  let site: TestSite;

  beforeAll(async () => {
    directory = await startDirectory(kind);
    world = await buildWorld(directory);
    site = await createSite('sqlite', directoryEnv(directory, world));
  }, 120_000);
  afterAll(async () => {
    await site?.cleanup();
    await directory?.cleanup();
  });

  /** AD: sets the domain's maxPwdAge so the service account's password expires `days` from now. */
  async function servicePasswordExpiresIn(days: number): Promise<void> {
    const admin = new Client({
      url: directory.ldapsUrl,
      timeout: 5000,
      connectTimeout: 2000,
      tlsOptions: { ca: readFileSync(directory.caFile, 'utf8') },
    });
    try {
      await admin.bind(directory.adminDn, directory.adminPassword);
      const {
        searchEntries: [account],
      } = await admin.search(directory.bindDn, { scope: 'base', attributes: ['pwdLastSet'] });
      const setAtMs = Number(BigInt(String(account!.pwdLastSet)) / 10_000n - 11_644_473_600_000n);
      const ageMs = Date.now() - setAtMs + days * 86_400_000;
      await admin.modify(
        directory.baseDn,
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'maxPwdAge', values: [String(-BigInt(ageMs) * 10_000n)] }),
        }),
      );
    } finally {
      await admin.unbind();
    }
  }

  it('passes when every server answers over verified TLS and the service bind works (bin)', async () => {
    if (kind === 'ad') await servicePasswordExpiresIn(365);
    const result = await runBin(['doctor', '--json', '--env-file', site.envFile]);

    expect(directoryCheckOf(result.json)).toMatchObject({
      status: 'pass',
      message: '1 server(s) reachable, TLS verified, service bind accepted',
    });
  });

  it('fails while the only server is down, with the fix', async () => {
    await directory.stop();
    try {
      const result = await runCommand(Doctor, ['--json', '--env-file', site.envFile]);

      expect(result.exitCode).toBe(1);
      const check = directoryCheckOf(result.json);
      expect(check.status).toBe('fail');
      expect(check.message).toMatch(/no directory server works.*\n.*connect: ECONNREFUSED/);
      expect(check.suggestion).toContain('LDAP_URL');
    } finally {
      await directory.start();
    }
  }, 60_000);

  itOnlyOn(kind, 'ad')("warns 30 days before the service account's password expires (pwdLastSet + maxPwdAge)", async () => {
    await servicePasswordExpiresIn(10);
    try {
      const result = await runCommand(Doctor, ['--json', '--env-file', site.envFile]);

      const check = directoryCheckOf(result.json);
      expect(check.status).toBe('warn');
      expect(check.message).toMatch(/the password of LDAP_BIND_DN expires in (9|10) days/);
    } finally {
      await servicePasswordExpiresIn(365);
    }
  });

  itOnlyOn(kind, 'openldap')(
    'warns 30 days before the server certificate expires',
    async () => {
      const shortLived = await startOpenLdap({ serverCertDays: 10 });
      const shortSite = await createSite('sqlite', directoryEnv(shortLived, { rules: world.rules }));
      try {
        const result = await runCommand(Doctor, ['--json', '--env-file', shortSite.envFile]);

        const check = directoryCheckOf(result.json);
        expect(check.status).toBe('warn');
        expect(check.message).toMatch(/the server certificate expires in (9|10) days/);
      } finally {
        await shortSite.cleanup();
        await shortLived.cleanup();
      }
    },
    60_000,
  );
});

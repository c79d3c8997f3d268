// Directory suite (a real OpenLDAP and a real Samba AD DC; SQLite and MySQL): logging in through
// POST /api/auth/login with a directory account — roles from the first matching group rule, nested
// groups, refusals that say nothing a guesser could use, an outage that answers 503 in time while
// local accounts keep working, and TLS that must verify.

import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createApiSite, expectError, login, makeUser, type ApiSite } from '../../../test/support/api.js';
import { startSilentPort, type TestDirectory } from '../../../test/support/directories.js';
import {
  addDirectoryUser,
  buildWorld,
  describeEachDirectory,
  directoryEnv,
  itOnlyOn,
  startDirectory,
  type DirectoryWorld,
} from '../../../test/support/directory-login.js';
import { mysqlAvailable, type EngineName } from '../../../test/support/site.js';

const PASSWORD = 'Dir-Pass-4711';

/** Log lines an app writes, parsed. */
function captureLogs(): { stream: Writable; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { stream, lines };
}

describeEachDirectory('directory login through the API', (kind) => {
  let directory: TestDirectory;
  let world: DirectoryWorld;

  beforeAll(async () => {
    directory = await startDirectory(kind);
    world = await buildWorld(directory);
    await addDirectoryUser(directory, 'amelia', PASSWORD, [world.adminsGroup], { displayName: 'Amelia Earhart', mail: 'amelia@shop.test' });
    await addDirectoryUser(directory, 'wilbur', PASSWORD, [world.editorsGroup, world.viewersGroup]);
    await addDirectoryUser(directory, 'bessie', PASSWORD, [world.nestedGroup]);
    await addDirectoryUser(directory, 'charles', PASSWORD, [world.otherGroup]);
  }, 120_000);
  afterAll(async () => directory?.cleanup());

  const engines: EngineName[] = mysqlAvailable() ? ['sqlite', 'mysql'] : ['sqlite'];
  for (const engine of engines) {
    describe(`on ${engine}`, () => {
      let api: ApiSite;
      let app: FastifyInstance;
      const logs = captureLogs();

      beforeAll(async () => {
        api = await createApiSite(engine, directoryEnv(directory, world));
        app = await api.app({ logger: { level: 'info', stream: logs.stream } });
        await makeUser(api.db, 'admin', 'breakglass');
      }, 60_000);
      afterAll(async () => api?.cleanup());

      it('logs a user in with the role of the first group rule they match, creating the account from the entry', async () => {
        const response = await login(app, 'amelia', PASSWORD);

        expect(response.statusCode, response.body).toBe(200);
        expect(response.json().user).toMatchObject({
          username: 'amelia',
          role: 'admin',
          authSource: 'ldap',
          displayName: 'Amelia Earhart',
        });
        const row = await api.db('users').where('username', 'amelia').first();
        expect(row).toMatchObject({ auth_source: 'ldap', password_hash: null, email: 'amelia@shop.test' });
        expect(String(row.ldap_dn).toLowerCase()).toContain('amelia');
      });

      it('takes the first matching rule when a user is in several granting groups', async () => {
        const response = await login(app, 'wilbur', PASSWORD);

        expect(response.statusCode, response.body).toBe(200);
        expect(response.json().user.role).toBe('editor');
      });

      it(`finds a group nested in a mapped group (${kind === 'ad' ? 'AD in-chain rule' : 'OpenLDAP memberOf'})`, async () => {
        const response = await login(app, 'bessie', PASSWORD);

        expect(response.statusCode, response.body).toBe(200);
        expect(response.json().user.role).toBe('viewer');
      });

      it('refuses a user in no granting group, saying what to ask for', async () => {
        const response = await login(app, 'charles', PASSWORD);

        const error = expectError(response, 403, 'DIRECTORY_ACCESS_DENIED');
        expect(error.message).toContain('not in any group that grants access to shopdb');
        expect(await api.db('users').where('username', 'charles').first()).toBeUndefined();
      });

      it('answers a wrong directory password exactly as a wrong local password', async () => {
        const directoryWrong = await login(app, 'amelia', 'not-her-password');
        const localWrong = await login(app, 'breakglass', 'not-the-password');
        const nobody = await login(app, 'nobody-at-all', 'whatever-password');

        expectError(directoryWrong, 401, 'INVALID_CREDENTIALS');
        expect(directoryWrong.body).toBe(localWrong.body);
        expect(nobody.body).toBe(localWrong.body);
        expect(directoryWrong.statusCode).toBe(localWrong.statusCode);
      });

      it('escapes the login name: `*)(uid=*` matches nobody', async () => {
        for (const name of ['*)(uid=*', '*', 'amelia)(|(uid=*', '*)(sAMAccountName=*']) {
          const response = await login(app, name, PASSWORD);
          expectError(response, 401, 'INVALID_CREDENTIALS');
        }
        const refused = logs.lines.filter((line) => line.msg === 'directory login refused' && String(line.username).startsWith('*)('));
        expect(refused[0]?.reason).toMatch(/no entry matches .*\\2a\\29\\28/);
      });

      itOnlyOn(kind, 'ad')('refuses an account disabled in AD with the neutral answer, and the audit log says why', async () => {
        await addDirectoryUser(directory, `grounded-${engine}`, PASSWORD, [world.viewersGroup]);
        await directory.disableUser(`grounded-${engine}`);

        const response = await login(app, `grounded-${engine}`, PASSWORD);

        expect(response.body).toBe((await login(app, 'breakglass', 'not-the-password')).body);
        const audit = await api.db('audit_log').where('action', 'login_refused').orderBy('id', 'desc').first();
        expect(typeof audit.after === 'string' ? JSON.parse(audit.after) : audit.after).toMatchObject({
          username: `grounded-${engine}`,
          reason: expect.stringContaining('disabled'),
        });
      });

      it('logs in over StartTLS on the plain port too', async () => {
        const startTls = await createApiSite(engine, directoryEnv(directory, world, { LDAP_URL: directory.ldapUrl, LDAP_TLS: 'starttls' }));
        try {
          const response = await login(await startTls.app(), 'wilbur', PASSWORD);
          expect(response.statusCode, response.body).toBe(200);
        } finally {
          await startTls.cleanup();
        }
      });

      it('keeps working through the next server when the first does not answer (failover)', async () => {
        const silent = await startSilentPort();
        try {
          const failover = await createApiSite(
            engine,
            directoryEnv(directory, world, { LDAP_URL: `ldaps://127.0.0.1:${silent.port},${directory.ldapsUrl}` }),
          );
          try {
            const response = await login(await failover.app(), 'amelia', PASSWORD);
            expect(response.statusCode, response.body).toBe(200);
          } finally {
            await failover.cleanup();
          }
        } finally {
          await silent.close();
        }
      });

      it('refuses a server whose certificate the configured CA did not sign, and logs why', async () => {
        const wrongCa = await createApiSite(engine, directoryEnv(directory, world, { LDAP_CA_FILE: directory.wrongCaFile }));
        const wrongLogs = captureLogs();
        try {
          const response = await login(await wrongCa.app({ logger: { level: 'info', stream: wrongLogs.stream } }), 'amelia', PASSWORD);
          expectError(response, 503, 'DIRECTORY_UNAVAILABLE');
          const line = wrongLogs.lines.find((l) => l.msg === 'directory login failed: directory unavailable');
          expect(String(line?.reason)).toMatch(/TLS certificate not accepted: [A-Z_]+.*LDAP_CA_FILE/);
        } finally {
          await wrongCa.cleanup();
        }
      });

      it('answers 503 DIRECTORY_UNAVAILABLE within the timeout on a port that accepts and never answers; local admins still log in', async () => {
        const silent = await startSilentPort();
        try {
          const hung = await createApiSite(engine, directoryEnv(directory, world, { LDAP_URL: `ldaps://127.0.0.1:${silent.port}` }));
          try {
            const hungApp = await hung.app();
            await makeUser(hung.db, 'admin', 'breakglass');
            const started = Date.now();
            const response = await login(hungApp, 'amelia', PASSWORD);
            const elapsed = Date.now() - started;

            expectError(response, 503, 'DIRECTORY_UNAVAILABLE');
            expect(elapsed).toBeLessThan(3_000 + 1_000);
            expect((await login(hungApp, 'breakglass')).statusCode).toBe(200);
            expect((await hungApp.inject({ method: 'GET', url: '/api/ready' })).statusCode).toBe(200);
          } finally {
            await hung.cleanup();
          }
        } finally {
          await silent.close();
        }
      });

      it('answers 503 within the timeout while the directory is stopped; local admins still log in and /api/ready stays ready', async () => {
        await directory.stop();
        try {
          const started = Date.now();
          const response = await login(app, 'amelia', PASSWORD);
          const elapsed = Date.now() - started;

          expectError(response, 503, 'DIRECTORY_UNAVAILABLE');
          expect(elapsed).toBeLessThan(3_000 + 1_000);
          const local = await login(app, 'breakglass');
          expect(local.statusCode, local.body).toBe(200);
          expect((await app.inject({ method: 'GET', url: '/api/ready', headers: bearer(local.json().token) })).statusCode).toBe(200);
          // Retrying through the outage checks no password, so it locks nobody out afterwards.
          for (let attempt = 0; attempt < 6; attempt++) expectError(await login(app, 'amelia', PASSWORD), 503, 'DIRECTORY_UNAVAILABLE');
        } finally {
          await directory.start();
        }
        expect((await login(app, 'amelia', PASSWORD)).statusCode).toBe(200);
      }, 60_000);

      it('recomputes the role at every login', async () => {
        await addDirectoryUser(directory, `orville-${engine}`, PASSWORD, [world.viewersGroup]);
        expect((await login(app, `orville-${engine}`, PASSWORD)).json().user.role).toBe('viewer');

        const [userDn] = (await api.db('users').where('username', `orville-${engine}`).pluck('ldap_dn')) as string[];
        await directory.addMember(world.adminsGroup, userDn!);

        expect((await login(app, `orville-${engine}`, PASSWORD)).json().user.role).toBe('admin');
      });
    });
  }
});

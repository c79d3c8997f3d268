// Directory suite (a real OpenLDAP and a real Samba AD DC; MySQL when available, else SQLite):
// two `serve` replicas over one database re-check signed-in directory users on
// LDAP_RECHECK_INTERVAL. A user removed from the granting group loses an open session within the
// interval, one disabled in AD loses their API token too, one whose entry is gone is disabled but
// kept — and each change is made by one replica only.

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createApiSite, makeUser, waitUntil, type ApiSite } from '../../../test/support/api.js';
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
import { mysqlAvailable } from '../../../test/support/site.js';
import { cliActor } from '../../core/audit/log.js';
import { createApiToken } from '../../core/auth/api-tokens.js';

const PASSWORD = 'Dir-Pass-4711';
const INTERVAL_MS = 2_000;
/** The interval, the replicas' polling (a quarter of it) and a round's own time. */
const BOUND_MS = INTERVAL_MS + INTERVAL_MS / 4 + 3_000;

describeEachDirectory('directory re-check of signed-in users', (kind) => {
  let directory: TestDirectory;
  let world: DirectoryWorld;
  let api: ApiSite;
  let replicas: FastifyInstance[];

  beforeAll(async () => {
    directory = await startDirectory(kind);
    world = await buildWorld(directory);
    api = await createApiSite(
      mysqlAvailable() ? 'mysql' : 'sqlite',
      directoryEnv(directory, world, { LDAP_RECHECK_INTERVAL: `${INTERVAL_MS}ms` }),
    );
    replicas = [await api.app(), await api.app()];
    for (const replica of replicas) await replica.ready();
    await makeUser(api.db, 'admin', 'breakglass');
  }, 120_000);
  afterAll(async () => {
    await api?.cleanup();
    await directory?.cleanup();
  });

  const me = (token: string, replica = 0) => replicas[replica]!.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });

  async function disableEntries(username: string): Promise<Array<Record<string, unknown>>> {
    const [user] = (await api.db('users').where('username', username).pluck('id')) as number[];
    return api.db('audit_log').where({ object_type: 'user', object_id: String(user), action: 'disable' });
  }

  it('ends the session of a user removed from the granting group within the re-check bound', async () => {
    const dn = await addDirectoryUser(directory, 'sally', PASSWORD, [world.editorsGroup]);
    const login = await replicas[0]!.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'sally', password: PASSWORD } });
    expect(login.statusCode, login.body).toBe(200);
    const token = login.json<{ token: string }>().token;
    expect((await me(token, 1)).statusCode).toBe(200);

    await directory.removeMember(world.editorsGroup, dn);
    const removedAt = Date.now();
    await waitUntil(async () => (await me(token, 1)).statusCode === 401, BOUND_MS, 'the session to end');

    expect(Date.now() - removedAt).toBeLessThan(BOUND_MS);
    const row = await api.db('users').where('username', 'sally').first();
    expect(row).toMatchObject({ ldap_refusal: 'not in any group that grants access to shopdb' });
    expect(await disableEntries('sally')).toHaveLength(1);
  }, 30_000);

  itOnlyOn(kind, 'ad')(
    'revokes the API token of a user disabled in AD',
    async () => {
      await addDirectoryUser(directory, 'neil', PASSWORD, [world.viewersGroup]);
      const login = await replicas[1]!.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'neil', password: PASSWORD },
      });
      expect(login.statusCode, login.body).toBe(200);
      const { token } = await createApiToken(api.db, cliActor('test'), { userId: login.json().user.id, name: 'script', scope: 'read' });
      expect((await me(token)).statusCode).toBe(200);

      await directory.disableUser('neil');
      await waitUntil(async () => (await me(token)).statusCode === 401, BOUND_MS, 'the token to stop working');

      const tokenRow = await api.db('api_tokens').where('user_id', login.json().user.id).first();
      expect(tokenRow.revoked_at).not.toBeNull();
      expect((await api.db('users').where('username', 'neil').first()).ldap_refusal).toMatch(/disabled/);
    },
    30_000,
  );

  it('disables, never deletes, a user whose entry is gone', async () => {
    await addDirectoryUser(directory, 'yuri', PASSWORD, [world.viewersGroup]);
    const login = await replicas[0]!.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'yuri', password: PASSWORD } });
    expect(login.statusCode, login.body).toBe(200);

    await directory.deleteUser('yuri');
    await waitUntil(async () => (await me(login.json().token)).statusCode === 401, BOUND_MS, 'the session to end');

    const row = await api.db('users').where('username', 'yuri').first();
    expect(row).toMatchObject({ auth_source: 'ldap', ldap_refusal: 'the directory entry is gone' });
    expect(Boolean(row.disabled)).toBe(true);
  }, 30_000);
});

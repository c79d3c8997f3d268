// Database suite (SQLite and MySQL): username + password login through the provider list.

import { randomBytes, scryptSync } from 'node:crypto';
import type { Knex } from 'knex';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSite, describeEachEngine, type TestSite } from '../../../test/support/site.js';
import { cliActor } from '../audit/log.js';
import { migrateSite } from '../migrations/site.js';
import { createUser, getUser, setUserDisabled } from '../users/service.js';
import { authenticate, localAuthProvider } from './login.js';
import { passwordNeedsRehash, verifyPassword } from './passwords.js';
import type { AuthProvider } from './types.js';

const actor = cliActor('site-it');
const PASSWORD = 'night shift passphrase';

async function millis(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describeEachEngine('login', (engine) => {
  let site: TestSite;
  let db: Knex;

  beforeAll(async () => {
    site = await createSite(engine);
    await migrateSite({ config: site.config() });
    db = await site.open();
    await createUser(db, actor, { username: 'alice', displayName: 'Alice', role: 'editor', password: PASSWORD });
  });
  afterAll(async () => {
    await db?.destroy();
    await site?.cleanup();
  });

  it('returns the user for the right password, in any letter case of the username, and records the login', async () => {
    const user = await authenticate(db, 'Alice', PASSWORD);

    expect(user).toMatchObject({ username: 'alice', displayName: 'Alice', role: 'editor', authSource: 'local' });
    const lastLogin = (await getUser(db, 'alice'))!.lastLoginAt;
    expect(lastLogin).toBeInstanceOf(Date);
    expect(Math.abs(lastLogin!.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('returns null for a wrong password, an unknown user, an invalid username and an empty password', async () => {
    expect(await authenticate(db, 'alice', 'night shift passphrasE')).toBeNull();
    expect(await authenticate(db, 'mallory', PASSWORD)).toBeNull();
    expect(await authenticate(db, "alice' or '1'='1", PASSWORD)).toBeNull();
    expect(await authenticate(db, 'alice', '')).toBeNull();
  });

  it('returns null for a disabled user even with the right password, and not once enabled again', async () => {
    await setUserDisabled(db, actor, 'alice', true);
    const whileDisabled = await authenticate(db, 'alice', PASSWORD);
    await setUserDisabled(db, actor, 'alice', false);

    expect(whileDisabled).toBeNull();
    expect(await authenticate(db, 'alice', PASSWORD)).not.toBeNull();
  });

  it('returns null for a user without a password hash (a directory user) and for a corrupt hash', async () => {
    await db('users').insert([
      { username: 'ldap-user', username_key: 'ldap-user', role: 'viewer', auth_source: 'ldap', password_hash: null },
      { username: 'corrupt', username_key: 'corrupt', role: 'viewer', auth_source: 'local', password_hash: 'scrypt$garbage' },
    ]);

    expect(await authenticate(db, 'ldap-user', PASSWORD)).toBeNull();
    expect(await authenticate(db, 'corrupt', PASSWORD)).toBeNull();
  });

  it('takes about as long for a missing user as for an existing one (one scrypt either way)', async () => {
    const existing: number[] = [];
    const missing: number[] = [];
    for (let i = 0; i < 5; i++) {
      existing.push(await millis(() => authenticate(db, 'alice', 'a wrong password!')));
      missing.push(await millis(() => authenticate(db, `nobody-${i}`, 'a wrong password!')));
    }

    const ratio = median(missing) / median(existing);
    expect(ratio, `missing ${median(missing).toFixed(0)} ms vs existing ${median(existing).toFixed(0)} ms`).toBeGreaterThan(1 / 3);
    expect(ratio).toBeLessThan(3);
  });

  it('upgrades a hash made with older parameters at the next successful login', async () => {
    const salt = randomBytes(16);
    const legacy = `scrypt$16384$8$1$${salt.toString('base64')}$${scryptSync(PASSWORD, salt, 64, { N: 16384, r: 8, p: 1 }).toString('base64')}`;
    await createUser(db, actor, { username: 'old-timer', role: 'viewer', password: 'placeholder password' });
    await db('users').where('username', 'old-timer').update({ password_hash: legacy });

    expect(await authenticate(db, 'old-timer', PASSWORD)).not.toBeNull();

    const { password_hash: upgraded } = (await db('users').where('username', 'old-timer').first('password_hash')) as {
      password_hash: string;
    };
    expect(upgraded).not.toBe(legacy);
    expect(passwordNeedsRehash(upgraded)).toBe(false);
    expect(await verifyPassword(PASSWORD, upgraded)).toBe(true);
  });

  it('asks each provider in turn and takes the first user one accepts (the seam for LDAP)', async () => {
    const calls: string[] = [];
    const directory: AuthProvider = {
      name: 'ldap',
      async authenticate(_db, username, password) {
        calls.push(username);
        return username === 'dirk' && password === 'directory password'
          ? { id: 42, username: 'dirk', displayName: 'Dirk', role: 'viewer', authSource: 'ldap' }
          : null;
      },
    };

    const fromDirectory = await authenticate(db, 'dirk', 'directory password', [localAuthProvider, directory]);
    const fromLocal = await authenticate(db, 'alice', PASSWORD, [localAuthProvider, directory]);

    expect(fromDirectory).toMatchObject({ username: 'dirk', authSource: 'ldap' });
    expect(fromLocal).toMatchObject({ username: 'alice', authSource: 'local' });
    expect(calls).toEqual(['dirk']);
  });
});

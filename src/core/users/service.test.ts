// Database suite (SQLite and MySQL): local user accounts and their audit trail.

import type { Knex } from 'knex';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSite, describeEachEngine, type TestSite } from '../../../test/support/site.js';
import { cliActor, listAudit } from '../audit/log.js';
import { verifyPassword } from '../auth/passwords.js';
import { ConflictError, ExitCode, NotFoundError, ValidationError } from '../errors.js';
import { migrateSite } from '../migrations/site.js';
import {
  createUser,
  ensureRoles,
  getUser,
  LastEnabledAdminError,
  listUsers,
  resetPassword,
  setUserDisabled,
  updateUserProfile,
  UserExistsError,
} from './service.js';

const actor = cliActor('site-it');
const PASSWORD = 'first shift password';

async function storedHash(db: Knex, username: string): Promise<string> {
  const row = (await db('users').where('username', username).first('password_hash')) as { password_hash: string };
  return row.password_hash;
}

async function auditFor(db: Knex, objectType: string, objectId: number) {
  return (await listAudit(db, { objectType, objectId: String(objectId), limit: 50, offset: 0 })).results.reverse();
}

describeEachEngine('user service', (engine) => {
  let site: TestSite;
  let db: Knex;

  beforeAll(async () => {
    site = await createSite(engine);
    await migrateSite({ config: site.config() });
    db = await site.open();
  });
  afterAll(async () => {
    await db?.destroy();
    await site?.cleanup();
  });
  beforeEach(async () => {
    await db('audit_log').del();
    await db('api_tokens').del();
    await db('users').del();
    await db('roles').del();
  });

  it('creates a user on a migrated but unseeded site, adding the three built-in roles', async () => {
    const { user, created } = await createUser(db, actor, {
      username: 'alice',
      displayName: 'Alice Smith',
      email: 'alice@example.com',
      role: 'admin',
      password: PASSWORD,
    });

    expect(created).toBe(true);
    expect(user).toMatchObject({
      username: 'alice',
      displayName: 'Alice Smith',
      email: 'alice@example.com',
      role: 'admin',
      authSource: 'local',
      disabled: false,
      lastLoginAt: null,
    });
    expect(user.createdAt).toBeInstanceOf(Date);
    expect(Math.abs(user.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(user).not.toHaveProperty('passwordHash');
    expect(await verifyPassword(PASSWORD, await storedHash(db, 'alice'))).toBe(true);
    const roles = (await db('roles').select('name', 'rank').orderBy('rank')) as Array<{ name: string; rank: number }>;
    expect(roles.map((r) => [r.name, Number(r.rank)])).toEqual([
      ['viewer', 1],
      ['editor', 2],
      ['admin', 3],
    ]);
  });

  it('leaves existing roles alone, and ensureRoles can run any number of times', async () => {
    await db('roles').insert({ name: 'viewer', description: 'Site-specific wording', rank: 1 });

    await ensureRoles(db);
    await ensureRoles(db);

    expect(Number(((await db('roles').count({ n: '*' })) as Array<{ n: number }>)[0]!.n)).toBe(3);
    expect(((await db('roles').where('name', 'viewer').first()) as { description: string }).description).toBe('Site-specific wording');
  });

  it('refuses a role the site does not have', async () => {
    await db('roles').insert({ name: 'admin', description: 'Admins only', rank: 3 });

    await expect(createUser(db, actor, { username: 'bob', role: 'editor', password: PASSWORD })).rejects.toThrow(/no role "editor"/);
  });

  it('validates the username, role and email, all at once, as a usage error', async () => {
    const attempt = createUser(db, actor, { username: 'bad name!', role: 'boss' as 'admin', email: 'nope', password: PASSWORD });

    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    const error = (await attempt.catch((e: unknown) => e)) as ValidationError;
    expect(Object.keys(error.fields).sort()).toEqual(['email', 'role', 'username']);
    expect(error.exitCode).toBe(ExitCode.USAGE);
    await expect(createUser(db, actor, { username: 'x'.repeat(65), role: 'viewer', password: PASSWORD })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(createUser(db, actor, { username: 'a.b_c-9', role: 'viewer', password: PASSWORD })).resolves.toMatchObject({
      created: true,
    });
  });

  it('refuses a short password before writing anything', async () => {
    await expect(createUser(db, actor, { username: 'bob', role: 'viewer', password: 'too-short' })).rejects.toThrow(/at least 12/);

    expect(await listUsers(db)).toEqual([]);
  });

  it('refuses a common password or one built on the username before writing anything', async () => {
    await expect(createUser(db, actor, { username: 'bob', role: 'viewer', password: 'Password1234!' })).rejects.toThrow(
      /too easy to guess: it is a common password/,
    );
    await expect(createUser(db, actor, { username: 'bob', role: 'viewer', password: 'bob-bob-2026' })).rejects.toThrow(
      /contains the username/,
    );
    expect(await listUsers(db)).toEqual([]);

    await createUser(db, actor, { username: 'bob', role: 'viewer', password: PASSWORD });
    const hash = await storedHash(db, 'bob');
    const reset = resetPassword(db, actor, 'bob', 'qwertyuiop1234');
    await expect(reset).rejects.toBeInstanceOf(ValidationError);
    await expect(reset).rejects.toMatchObject({
      exitCode: ExitCode.USAGE,
      fields: { password: 'must not be a common password or a simple pattern' },
    });
    expect(await storedHash(db, 'bob')).toBe(hash);
  });

  describe('the last enabled admin', () => {
    const state = async () => (await listUsers(db)).map((u) => `${u.username}:${u.role}:${u.disabled ? 'off' : 'on'}`);

    it('cannot be disabled or demoted, by any path; nothing is written or audited', async () => {
      await createUser(db, actor, { username: 'root-admin', role: 'admin', password: PASSWORD });
      await createUser(db, actor, { username: 'old-admin', role: 'admin', password: PASSWORD });
      await setUserDisabled(db, actor, 'old-admin', true);
      const before = await state();
      const auditRows = (await db('audit_log').count({ n: '*' }))[0]!.n;

      const attempts = [
        setUserDisabled(db, actor, 'ROOT-ADMIN', true),
        updateUserProfile(db, actor, 'root-admin', { role: 'editor' }),
        createUser(db, actor, { username: 'root-admin', role: 'viewer', password: 'second shift password', update: true }),
      ];

      for (const attempt of attempts) {
        await expect(attempt).rejects.toBeInstanceOf(LastEnabledAdminError);
        await expect(attempt).rejects.toMatchObject({ code: 'LAST_ENABLED_ADMIN', exitCode: ExitCode.FAILED, httpStatus: 409 });
        await expect(attempt).rejects.toThrow(/"root-admin" is the last enabled admin/);
      }
      await expect(attempts[0]).rejects.toMatchObject({ suggestion: expect.stringContaining('--force') });
      expect(await state()).toEqual(before);
      expect((await db('audit_log').count({ n: '*' }))[0]!.n).toEqual(auditRows);
      expect(await verifyPassword(PASSWORD, await storedHash(db, 'root-admin'))).toBe(true);
    });

    it('can go when another admin is enabled; other changes to the last one stay allowed', async () => {
      await createUser(db, actor, { username: 'ann', role: 'admin', password: PASSWORD });
      await createUser(db, actor, { username: 'ben', role: 'admin', password: PASSWORD });

      const disabled = await setUserDisabled(db, actor, 'ann', true);
      const renamed = await updateUserProfile(db, actor, 'ben', { displayName: 'Ben B.', role: 'admin' });
      const reset = await createUser(db, actor, { username: 'ben', role: 'admin', password: 'second shift password', update: true });

      expect(disabled).toMatchObject({ changed: true, leavesNoEnabledAdmin: false });
      expect(renamed).toMatchObject({ role: 'admin', displayName: 'Ben B.' });
      expect(reset).toMatchObject({ created: false, leavesNoEnabledAdmin: false });
      await expect(updateUserProfile(db, actor, 'ann', { role: 'viewer' })).resolves.toMatchObject({ role: 'viewer', disabled: true });
      await expect(setUserDisabled(db, actor, 'ben', true)).rejects.toBeInstanceOf(LastEnabledAdminError);
    });

    it('goes with force, which says so and audits it', async () => {
      const { user } = await createUser(db, actor, { username: 'solo', role: 'admin', password: PASSWORD });

      const forced = await setUserDisabled(db, actor, 'solo', true, { force: true });
      await setUserDisabled(db, actor, 'solo', false);
      const demoted = await createUser(db, actor, {
        username: 'solo',
        role: 'editor',
        password: 'second shift password',
        update: true,
        force: true,
      });

      expect(forced).toMatchObject({ changed: true, leavesNoEnabledAdmin: true, user: { disabled: true } });
      expect(demoted).toMatchObject({ leavesNoEnabledAdmin: true, user: { role: 'editor' } });
      const entries = await auditFor(db, 'user', user.id);
      expect(entries.map((e) => [e.action, (e.after as Record<string, unknown>).leftNoEnabledAdmin])).toEqual([
        ['create', undefined],
        ['disable', true],
        ['enable', undefined],
        ['update', true],
      ]);
    });
  });

  it('refuses a duplicate, in any letter case, unless asked to update, which resets password and role', async () => {
    await createUser(db, actor, { username: 'Bob', displayName: 'Bob B.', role: 'viewer', password: PASSWORD });

    const duplicate = createUser(db, actor, { username: 'bob', role: 'editor', password: 'another password' });
    await expect(duplicate).rejects.toBeInstanceOf(UserExistsError);
    await expect(duplicate).rejects.toBeInstanceOf(ConflictError);
    const { user, created } = await createUser(db, actor, { username: 'bob', role: 'editor', password: 'another password', update: true });

    expect(created).toBe(false);
    expect(user).toMatchObject({ username: 'Bob', role: 'editor', displayName: 'Bob B.' });
    expect(await verifyPassword('another password', await storedHash(db, 'Bob'))).toBe(true);
    expect(await listUsers(db)).toHaveLength(1);
  });

  it('finds users by id or by username in any case, and lists them by name', async () => {
    const { user: zed } = await createUser(db, actor, { username: 'zed', role: 'viewer', password: PASSWORD });
    await createUser(db, actor, { username: 'amy', role: 'editor', password: PASSWORD });

    expect((await getUser(db, zed.id))?.username).toBe('zed');
    expect((await getUser(db, 'ZED'))?.id).toBe(zed.id);
    expect(await getUser(db, 'nobody')).toBeNull();
    expect((await listUsers(db)).map((u) => u.username)).toEqual(['amy', 'zed']);
  });

  it('disables and enables, reporting when nothing changed', async () => {
    await createUser(db, actor, { username: 'carl', role: 'viewer', password: PASSWORD });

    const disabled = await setUserDisabled(db, actor, 'carl', true);
    const again = await setUserDisabled(db, actor, 'carl', true);
    const enabled = await setUserDisabled(db, actor, 'carl', false);

    expect(disabled).toMatchObject({ changed: true, user: { disabled: true } });
    expect(again.changed).toBe(false);
    expect(enabled).toMatchObject({ changed: true, user: { disabled: false } });
    await expect(setUserDisabled(db, actor, 'nobody', true)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('resets a password: the new one works, the old one no longer does', async () => {
    await createUser(db, actor, { username: 'dana', role: 'viewer', password: PASSWORD });

    await resetPassword(db, actor, 'dana', 'second shift password');

    const hash = await storedHash(db, 'dana');
    expect(await verifyPassword('second shift password', hash)).toBe(true);
    expect(await verifyPassword(PASSWORD, hash)).toBe(false);
    await expect(resetPassword(db, actor, 'dana', 'short')).rejects.toBeInstanceOf(ValidationError);
    await expect(resetPassword(db, actor, 'nobody', 'long enough password')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses to set a password for a directory (LDAP) user', async () => {
    await ensureRoles(db);
    await db('users').insert({ username: 'erin', username_key: 'erin', role: 'viewer', auth_source: 'ldap', password_hash: null });

    await expect(resetPassword(db, actor, 'erin', 'long enough password')).rejects.toThrow(/directory/);
  });

  it('audits create, update, disable, enable and password reset — by the CLI actor, with no secret in them', async () => {
    const { user } = await createUser(db, actor, { username: 'fay', role: 'viewer', password: PASSWORD });
    await createUser(db, actor, { username: 'fay', role: 'editor', password: 'updated password', update: true });
    await setUserDisabled(db, actor, 'fay', true);
    await setUserDisabled(db, actor, 'fay', true);
    await setUserDisabled(db, actor, 'fay', false);
    await resetPassword(db, actor, 'fay', 'reset shift password');

    const entries = await auditFor(db, 'user', user.id);

    expect(entries.map((e) => e.action)).toEqual(['create', 'update', 'disable', 'enable', 'password_reset']);
    expect(entries.every((e) => e.username === 'cli:site-it' && e.userId === null)).toBe(true);
    expect(entries[0]!.after).toMatchObject({ username: 'fay', role: 'viewer' });
    expect(entries[1]!.before).toMatchObject({ role: 'viewer' });
    expect(entries[1]!.after).toMatchObject({ role: 'editor', passwordReset: true });
    const everything = JSON.stringify(entries) + JSON.stringify(await db('audit_log').select('*'));
    for (const secret of [PASSWORD, 'updated password', 'reset shift password', 'scrypt$', await storedHash(db, 'fay')]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('writes nothing when the audit entry cannot be written (one transaction)', async () => {
    await ensureRoles(db);
    await db.schema.renameTable('audit_log', 'audit_log_away');
    try {
      await expect(createUser(db, actor, { username: 'gus', role: 'viewer', password: PASSWORD })).rejects.toThrow();
    } finally {
      await db.schema.renameTable('audit_log_away', 'audit_log');
    }

    expect(await getUser(db, 'gus')).toBeNull();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, runCommand } from '../../../test/support/cli.js';
import type { Knex } from 'knex';
import { describeEachEngine, withSiteDb, type TestSite } from '../../../test/support/site.js';
import { createMigratedSite, expectNoSecrets } from '../../../test/support/users.js';
import { listAudit } from '../../core/audit/log.js';
import { authenticate } from '../../core/auth/login.js';
import UserCreate from './create.js';
import UserDisable from './disable.js';
import UserEnable from './enable.js';
import UserList from './list.js';
import UserResetPassword from './reset-password.js';

// One site per engine; each test uses its own usernames.
describeEachEngine('shopdb user', (engine) => {
  let site: TestSite;
  let env: string[];
  beforeAll(async () => {
    site = await createMigratedSite(engine);
    env = ['--env-file', site.envFile];
  });
  afterAll(async () => site?.cleanup());

  const withDb = <T>(work: (db: Knex) => Promise<T>) => withSiteDb(site, work);
  const login = (username: string, password: string) => withDb((db) => authenticate(db, username, password));

  it('creates a user with the given role, name and email (in-process, --generate)', async () => {
    const result = await runCommand(UserCreate, [
      'ed',
      '--role',
      'editor',
      '--display-name',
      'Ed Editor',
      '--email',
      'ed@example.com',
      '--generate',
      ...env,
      '--json',
    ]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json).toMatchObject({
      created: true,
      user: { username: 'ed', role: 'editor', displayName: 'Ed Editor', email: 'ed@example.com' },
    });
    expectNoSecrets(result.stdout);
    expect(await login('ed', result.json.generatedPassword)).toMatchObject({ role: 'editor' });
  });

  it('creates a user from a piped password (bin)', async () => {
    const result = await runBin(['user', 'create', 'vic', '--role', 'viewer', '--password-stdin', ...env], {
      input: 'viewer passphrase 1',
    });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('Created user vic, viewer.');
    expect(await login('vic', 'viewer passphrase 1')).toMatchObject({ role: 'viewer' });
  });

  it('needs --role, and refuses an unknown one, with exit 2', async () => {
    const missing = await runCommand(UserCreate, ['nora', '--generate', ...env]);
    const unknown = await runCommand(UserCreate, ['nora', '--role', 'boss', '--generate', ...env]);

    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('role');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('admin, editor, viewer');
  });

  it('refuses a duplicate with exit 1 and --update advice, refuses argv passwords and prompts without a terminal (bin)', async () => {
    await runCommand(UserCreate, ['dup', '--role', 'viewer', '--generate', ...env]);

    const duplicate = await runBin(['user', 'create', 'dup', '--role', 'viewer', '--generate', ...env]);
    const argv = await runBin(['user', 'create', 'argv-user', '--role', 'viewer', '--password=visible in ps aux', ...env]);
    const noTty = await runBin(['user', 'create', 'tty-user', '--role', 'viewer', ...env]);

    expect(duplicate.exitCode).toBe(1);
    expect(duplicate.stderr).toContain('already exists');
    expect(duplicate.stderr).toContain('--update');
    expect(argv.exitCode).toBe(2);
    expect(argv.stderr).toContain('--password-stdin');
    expect(argv.stderr).not.toContain('visible in ps aux');
    expect(noTty.exitCode).toBe(2);
    expect(noTty.stderr).toMatch(/no terminal/);
    expect(noTty.stderr).toContain('--password-stdin');
    expect(noTty.stderr).toContain('--generate');
  });

  it('lists users with role and state, never a hash (in-process --json, and bin as a table)', async () => {
    await runCommand(UserCreate, ['lister', '--role', 'viewer', '--generate', ...env]);

    const json = await runCommand(UserList, [...env, '--json']);
    const table = await runBin(['user', 'list', ...env]);

    expect(json.exitCode, json.stderr).toBe(0);
    const lister = json.json.users.find((u: { username: string }) => u.username === 'lister');
    expect(lister).toMatchObject({ role: 'viewer', disabled: false, authSource: 'local', lastLoginAt: null });
    expect(Object.keys(lister).sort()).toEqual([
      'authSource',
      'createdAt',
      'disabled',
      'displayName',
      'email',
      'id',
      'lastLoginAt',
      'role',
      'updatedAt',
      'username',
    ]);
    expectNoSecrets(json.stdout);
    expect(table.exitCode, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^USERNAME\s+ROLE\s+STATE/);
    expect(table.stdout).toMatch(/^lister\s+viewer\s+enabled\s+local\s+never/m);
    expectNoSecrets(table.stdout + table.stderr);
  });

  it('disables and enables a user: no login while disabled; repeating changes nothing (in-process and bin)', async () => {
    const created = await runCommand(UserCreate, ['dis', '--role', 'editor', '--generate', ...env, '--json']);
    const password = created.json.generatedPassword as string;

    const disabled = await runCommand(UserDisable, ['dis', ...env, '--json']);
    const again = await runBin(['user', 'disable', 'dis', ...env]);
    const whileDisabled = await login('dis', password);
    const enabled = await runBin(['user', 'enable', 'dis', ...env]);
    const enabledAgain = await runCommand(UserEnable, ['dis', ...env, '--json']);

    expect(disabled.exitCode, disabled.stderr).toBe(0);
    expect(disabled.json).toMatchObject({ changed: true, user: { username: 'dis', disabled: true } });
    expectNoSecrets(disabled.stdout);
    expect(again.stdout).toBe('dis was already disabled; nothing changed.');
    expect(whileDisabled).toBeNull();
    expect(enabled.exitCode, enabled.stderr).toBe(0);
    expect(enabled.stdout).toBe('Enabled user dis.');
    expect(enabledAgain.json.changed).toBe(false);
    expect(await login('dis', password)).not.toBeNull();
  });

  it('says which user does not exist, exit 1', async () => {
    const result = await runCommand(UserDisable, ['ghost', ...env, '--json']);

    expect(result.exitCode).toBe(1);
    expect(result.json.error).toMatchObject({ code: 'NOT_FOUND', message: 'No user named "ghost"' });
  });

  it('resets a password with --generate (in-process) and from stdin (bin); the old one stops working', async () => {
    const created = await runCommand(UserCreate, ['reset-me', '--role', 'viewer', '--generate', ...env, '--json']);

    const generated = await runCommand(UserResetPassword, ['reset-me', '--generate', ...env, '--json']);
    const piped = await runBin(['user', 'reset-password', 'reset-me', '--password-stdin', ...env], { input: 'piped new passphrase\n' });

    expect(generated.exitCode, generated.stderr).toBe(0);
    expect(generated.json.generatedPassword).toMatch(/^[A-Za-z2-9]{24}$/);
    expectNoSecrets(generated.stdout);
    expect(piped.exitCode, piped.stderr).toBe(0);
    expect(piped.stdout).toBe('Set a new password for reset-me.');
    expect(await login('reset-me', created.json.generatedPassword)).toBeNull();
    expect(await login('reset-me', generated.json.generatedPassword)).toBeNull();
    expect(await login('reset-me', 'piped new passphrase')).not.toBeNull();
  });

  it('refuses reset-password with an argv password, a short one, no terminal, or an unknown user', async () => {
    await runCommand(UserCreate, ['keep-me', '--role', 'viewer', '--generate', ...env]);

    const argv = await runCommand(UserResetPassword, ['keep-me', '--password', 'visible in ps aux', ...env]);
    const short = await runBin(['user', 'reset-password', 'keep-me', '--password-stdin', ...env], { input: 'eleven char' });
    const noTty = await runBin(['user', 'reset-password', 'keep-me', ...env]);
    const unknown = await runBin(['user', 'reset-password', 'ghost', '--generate', ...env]);

    expect(argv.exitCode).toBe(2);
    expect(argv.stderr).toContain('--password is refused');
    expect(short.exitCode).toBe(2);
    expect(short.stderr).toContain('at least 12 characters');
    expect(noTty.exitCode).toBe(2);
    expect(noTty.stderr).toContain('--password-stdin');
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('No user named "ghost"');
    expect(unknown.stdout).toBe('');
  });

  it('refuses weak passwords on create and reset-password with exit 2, changing nothing (bin)', async () => {
    const created = await runCommand(UserCreate, ['weak-reset', '--role', 'viewer', '--generate', ...env, '--json']);

    const create = await runBin(['user', 'create', 'weak-new', '--role', 'viewer', '--password-stdin', ...env], { input: 'iloveyou1234' });
    const ownName = await runBin(['user', 'create', 'weak-new', '--role', 'viewer', '--password-stdin', ...env], {
      input: 'weak-new-weak-new',
    });
    const reset = await runBin(['user', 'reset-password', 'weak-reset', '--password-stdin', ...env, '--json'], { input: 'P@ssw0rd2026' });

    expect(create.exitCode).toBe(2);
    expect(create.stderr).toContain('too easy to guess');
    expect(ownName.exitCode).toBe(2);
    expect(ownName.stderr).toContain('contains the username');
    expect(reset.exitCode).toBe(2);
    expect(reset.json.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'The password is too easy to guess: it is a common password with small changes',
    });
    expect(create.stderr + ownName.stderr + reset.stdout + reset.stderr).not.toMatch(/iloveyou1234|P@ssw0rd2026/);
    expect(await withDb((db) => db('users').where('username', 'weak-new').first())).toBeUndefined();
    expect(await login('weak-reset', created.json.generatedPassword)).not.toBeNull();
  });

  describe('the last enabled admin', () => {
    const enabledAdmins = () =>
      withDb(async (db) =>
        ((await db('users').where({ role: 'admin' }).select('username', 'disabled')) as Array<{ username: string; disabled: unknown }>)
          .filter((u) => !Number(u.disabled))
          .map((u) => u.username),
      );
    const auditCount = () =>
      withDb(async (db) => Number(((await db('audit_log').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n));

    it('is not disabled or demoted without --force: exit 1, the fix named, nothing changed (bin and in-process)', async () => {
      await runCommand(UserCreate, ['chief', '--role', 'admin', '--generate', ...env]);
      expect(await enabledAdmins()).toEqual(['chief']);
      const audited = await auditCount();

      const disable = await runBin(['user', 'disable', 'chief', ...env]);
      const disableJson = await runCommand(UserDisable, ['chief', ...env, '--json']);
      // No password flag and no terminal: the refusal must come before any password is asked for.
      const demote = await runBin(['user', 'create', 'chief', '--role', 'viewer', '--update', ...env]);
      const demoteJson = await runCommand(UserCreate, ['chief', '--role', 'editor', '--update', '--generate', ...env, '--json']);

      expect(disable.exitCode).toBe(1);
      expect(disable.stdout).toBe('');
      expect(disable.stderr).toContain(
        '"chief" is the last enabled admin: disabling them would leave this site with no admin; nothing was changed',
      );
      expect(disable.stderr).toContain('shopdb admin create');
      expect(disable.stderr).toContain('--force');
      expect(disableJson.exitCode).toBe(1);
      expect(disableJson.json.error).toMatchObject({ code: 'LAST_ENABLED_ADMIN', exitCode: 1 });
      expect(demote.exitCode).toBe(1);
      expect(demote.stderr).toContain('demoting them would leave this site with no admin');
      expect(demote.stderr).not.toContain('terminal');
      expect(demoteJson.exitCode).toBe(1);
      expect(demoteJson.json.error.code).toBe('LAST_ENABLED_ADMIN');
      expect(demoteJson.stdout).not.toContain('generatedPassword');
      expect(await enabledAdmins()).toEqual(['chief']);
      expect(await auditCount()).toBe(audited);
    });

    it('goes with --force, which says what it leaves; --force needs --update on create (bin and in-process)', async () => {
      await runCommand(UserCreate, ['boss-2', '--role', 'admin', '--generate', ...env]);
      for (const other of await enabledAdmins()) if (other !== 'boss-2') await runCommand(UserDisable, [other, '--force', ...env]);

      const forceWithoutUpdate = await runBin(['user', 'create', 'boss-2', '--role', 'viewer', '--force', '--generate', ...env]);
      const disabled = await runBin(['user', 'disable', 'boss-2', '--force', ...env]);
      await runCommand(UserEnable, ['boss-2', ...env]);
      const demoted = await runCommand(UserCreate, ['boss-2', '--role', 'viewer', '--update', '--force', '--generate', ...env, '--json']);

      expect(forceWithoutUpdate.exitCode).toBe(2);
      expect(forceWithoutUpdate.stderr).toContain('--update');
      expect(disabled.exitCode, disabled.stderr).toBe(0);
      expect(disabled.stdout).toBe('Disabled user boss-2.');
      expect(disabled.stderr).toContain('boss-2 was the last enabled admin: this site now has no enabled admin');
      expect(disabled.stderr).toContain('shopdb admin create');
      expect(demoted.exitCode, demoted.stderr).toBe(0);
      expect(demoted.json).toMatchObject({ created: false, leavesNoEnabledAdmin: true, user: { role: 'viewer' } });
      expect(demoted.stderr).toContain('no enabled admin');
      expect(await enabledAdmins()).toEqual([]);
    });
  });

  it('audits create, disable, enable and reset by the CLI user, with no password or hash', async () => {
    const created = await runCommand(UserCreate, ['audited', '--role', 'viewer', '--generate', ...env, '--json']);
    await runCommand(UserDisable, ['audited', ...env]);
    await runCommand(UserEnable, ['audited', ...env]);
    const reset = await runCommand(UserResetPassword, ['audited', '--generate', ...env, '--json']);

    const { results } = await withDb((db) =>
      listAudit(db, { objectType: 'user', objectId: String(created.json.user.id), limit: 10, offset: 0 }),
    );

    expect(results.map((e) => e.action).reverse()).toEqual(['create', 'disable', 'enable', 'password_reset']);
    expect(results.every((e) => e.username?.startsWith('cli:'))).toBe(true);
    const text = JSON.stringify(results);
    expect(text).not.toContain(created.json.generatedPassword);
    expect(text).not.toContain(reset.json.generatedPassword);
    expectNoSecrets(text);
  });
});

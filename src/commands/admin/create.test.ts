import { userInfo } from 'node:os';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runBin, runCommand } from '../../../test/support/cli.js';
import { createSite, describeEachEngine, type TestSite } from '../../../test/support/site.js';
import { createMigratedSite, expectNoSecrets } from '../../../test/support/users.js';
import { listAudit } from '../../core/audit/log.js';
import { authenticate } from '../../core/auth/login.js';
import { listUsers } from '../../core/users/service.js';
import AdminCreate from './create.js';

const PIPED = 'piped admin passphrase';

describeEachEngine('shopdb admin create', (engine) => {
  let site: TestSite;
  let env: string[];
  beforeEach(async () => {
    site = await createMigratedSite(engine);
    env = ['--env-file', site.envFile];
  });
  afterEach(async () => site?.cleanup());

  const login = async (username: string, password: string) => {
    const db = await site.open();
    try {
      return await authenticate(db, username, password);
    } finally {
      await db.destroy();
    }
  };
  const users = async () => {
    const db = await site.open();
    try {
      return await listUsers(db);
    } finally {
      await db.destroy();
    }
  };

  it('creates an admin on a migrated, unseeded site with --generate, returning the password once in JSON (in-process)', async () => {
    const result = await runCommand(AdminCreate, ['alice', '--generate', '--display-name', 'Alice A.', ...env, '--json']);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json).toMatchObject({
      created: true,
      user: { username: 'alice', role: 'admin', displayName: 'Alice A.', disabled: false },
    });
    expect(result.json.generatedPassword).toMatch(/^[A-Za-z2-9]{24}$/);
    expectNoSecrets(result.stdout + result.stderr);
    expect(result.stderr).not.toContain(result.json.generatedPassword);
    expect(await login('alice', result.json.generatedPassword)).toMatchObject({ username: 'alice', role: 'admin' });
  });

  it('prints a generated password once, on stdout, and it logs in (bin)', async () => {
    const result = await runBin(['admin', 'create', 'alice', '--generate', ...env]);

    expect(result.exitCode, result.stderr).toBe(0);
    const password = /Password for alice \(shown only this once\): (\S+)/.exec(result.stdout)?.[1];
    expect(password).toBeDefined();
    expect(result.stdout.split(password!)).toHaveLength(2);
    expect(result.stderr).not.toContain(password);
    expect(await login('alice', password!)).not.toBeNull();
  });

  it('reads the password from stdin with --password-stdin, dropping the newline echo adds (bin)', async () => {
    const result = await runBin(['admin', 'create', 'alice', '--password-stdin', ...env, '--json'], { input: `${PIPED}\n` });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.generatedPassword).toBeNull();
    expect(result.stdout + result.stderr).not.toContain(PIPED);
    expectNoSecrets(result.stdout);
    expect(await login('alice', PIPED)).not.toBeNull();
  });

  it('refuses a password in argv with exit 2, pointing at --password-stdin, and creates nothing (bin)', async () => {
    const result = await runBin(['admin', 'create', 'alice', '--password', 'visible in ps aux', ...env]);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--password is refused');
    expect(result.stderr).toContain('--password-stdin');
    expect(await users()).toEqual([]);
  });

  it('refuses to prompt without a terminal, exit 2, naming --password-stdin and --generate (bin)', async () => {
    const result = await runBin(['admin', 'create', 'alice', ...env, '--json']);

    expect(result.exitCode).toBe(2);
    expect(result.json.error.code).toBe('USAGE');
    expect(result.json.error.suggestion).toContain('--password-stdin');
    expect(result.json.error.suggestion).toContain('--generate');
    expect(await users()).toEqual([]);
  });

  it('refuses a too-short piped password with exit 2 naming the minimum (bin)', async () => {
    const result = await runBin(['admin', 'create', 'alice', '--password-stdin', ...env], { input: 'short\n' });

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('at least 12 characters');
    expect(await users()).toEqual([]);
  });

  it('refuses a common piped password, and one built on the username, with exit 2 naming the rule and the fix (bin)', async () => {
    const common = await runBin(['admin', 'create', 'alice', '--password-stdin', ...env], { input: 'Password1234!\n' });
    const ownName = await runBin(['admin', 'create', 'alice', '--password-stdin', ...env], { input: 'alice.admin.2026\n' });

    expect(common.exitCode).toBe(2);
    expect(common.stderr).toContain('The password is too easy to guess: it is a common password');
    expect(common.stderr).toContain('--generate');
    expect(common.stderr).not.toContain('Password1234!');
    expect(ownName.exitCode).toBe(2);
    expect(ownName.stderr).toContain('contains the username');
    expect(ownName.stderr).not.toContain('alice.admin.2026');
    expect(await users()).toEqual([]);
  });

  it('refuses a weak password in --json mode with the rule in the error (bin)', async () => {
    const result = await runBin(['admin', 'create', 'alice', '--password-stdin', ...env, '--json'], { input: 'qwertyuiop1234' });

    expect(result.exitCode).toBe(2);
    expect(result.json.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: ['password: must not be a common password or a simple pattern'],
    });
    expect(await users()).toEqual([]);
  });

  it('stops on an existing user with exit 1 suggesting --update; --update resets the password (in-process)', async () => {
    const first = await runCommand(AdminCreate, ['alice', '--generate', ...env, '--json']);

    const duplicate = await runCommand(AdminCreate, ['ALICE', '--generate', ...env]);
    const duplicateJson = await runCommand(AdminCreate, ['alice', '--generate', ...env, '--json']);
    const updated = await runCommand(AdminCreate, ['alice', '--generate', '--update', ...env, '--json']);

    expect(duplicate.exitCode).toBe(1);
    expect(duplicate.stderr).toContain('A user named "alice" already exists');
    expect(duplicate.stderr).toContain('--update');
    expect(duplicateJson.json.error).toMatchObject({ code: 'USER_EXISTS', exitCode: 1 });
    expect(updated.exitCode, updated.stderr).toBe(0);
    expect(updated.json.created).toBe(false);
    expect(await login('alice', first.json.generatedPassword)).toBeNull();
    expect(await login('alice', updated.json.generatedPassword)).not.toBeNull();
  });

  it('refuses an invalid username with exit 2 before asking for a password (in-process)', async () => {
    const result = await runCommand(AdminCreate, ['not ok!', ...env]);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('username: must be 1 to 64 characters');
  });

  it('records the creation in the audit log as the OS user at the terminal, without the password', async () => {
    const result = await runCommand(AdminCreate, ['alice', '--generate', ...env, '--json']);

    const db = await site.open();
    const { results } = await listAudit(db, { objectType: 'user', limit: 10, offset: 0 }).finally(() => db.destroy());
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ action: 'create', username: `cli:${userInfo().username}`, objectId: String(result.json.user.id) });
    expect(JSON.stringify(results)).not.toContain(result.json.generatedPassword);
    expectNoSecrets(JSON.stringify(results));
  });
});

describeEachEngine('shopdb admin create on a site without schema', (engine) => {
  let site: TestSite;
  afterEach(async () => site?.cleanup());

  it('says to run `shopdb migrate` first', async () => {
    site = await createSite(engine);
    const result = await runBin(['admin', 'create', 'alice', '--generate', '--env-file', site.envFile]);

    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('shopdb migrate');
  });
});

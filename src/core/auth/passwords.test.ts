import { describe, expect, it } from 'vitest';
import { ExitCode, ValidationError } from '../errors.js';
import {
  assertPasswordAcceptable,
  DUMMY_PASSWORD_HASH,
  generatePassword,
  hashPassword,
  MIN_PASSWORD_LENGTH,
  passwordNeedsRehash,
  verifyPassword,
} from './passwords.js';

const PASSWORD = 'correct horse battery staple';

describe('hashPassword / verifyPassword', () => {
  it('round-trips, in the self-describing scrypt format', async () => {
    const encoded = await hashPassword(PASSWORD);

    expect(encoded).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{86}==$/);
    expect(encoded).not.toContain(PASSWORD);
    expect(await verifyPassword(PASSWORD, encoded)).toBe(true);
  });

  it('rejects a wrong password, and one differing only in case or a trailing space', async () => {
    const encoded = await hashPassword(PASSWORD);

    expect(await verifyPassword('wrong horse battery staple', encoded)).toBe(false);
    expect(await verifyPassword(PASSWORD.toUpperCase(), encoded)).toBe(false);
    expect(await verifyPassword(`${PASSWORD} `, encoded)).toBe(false);
  });

  it('salts: two hashes of one password differ, and both verify', async () => {
    const [a, b] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);

    expect(a).not.toBe(b);
    expect(await verifyPassword(PASSWORD, a)).toBe(true);
    expect(await verifyPassword(PASSWORD, b)).toBe(true);
  });

  it('treats the composed and decomposed forms of "ü" as one password', async () => {
    const encoded = await hashPassword('Grüße vom Hallenboden');

    expect(await verifyPassword('Gru\u0308ße vom Hallenboden', encoded)).toBe(true);
  });

  it('answers false, without throwing, for anything that is not a hash it can check', async () => {
    const good = await hashPassword(PASSWORD);
    const [, , , , salt, key] = good.split('$');
    const malformed = [
      '',
      'not a hash',
      '$2b$10$abcdefghijklmnopqrstuuMdQ0pr1K6A1WmvbzOq3Q4wJ2C3ZqJ6a', // bcrypt
      good.replace('scrypt$', 'argon2$'),
      good.slice(0, -10),
      `scrypt$32768$8$1$${salt}`,
      `scrypt$30000$8$1$${salt}$${key}`, // N not a power of two
      `scrypt$1073741824$8$1$${salt}$${key}`, // would need 1 TiB: refused, not computed
      `scrypt$32768$8$1$${salt}$${key}$extra`,
      `scrypt$32768$8$1$!!!$${key}`,
      `scrypt$32768$0$1$${salt}$${key}`,
      null as unknown as string,
    ];

    for (const encoded of malformed) expect(await verifyPassword(PASSWORD, encoded), String(encoded)).toBe(false);
  });

  it('reads hashes made with other parameters, and says they need a rehash', async () => {
    const { randomBytes, scryptSync } = await import('node:crypto');
    const salt = randomBytes(16);
    const legacy = `scrypt$16384$8$1$${salt.toString('base64')}$${scryptSync(PASSWORD, salt, 64, { N: 16384, r: 8, p: 1 }).toString('base64')}`;

    expect(await verifyPassword(PASSWORD, legacy)).toBe(true);
    expect(passwordNeedsRehash(legacy)).toBe(true);
    expect(passwordNeedsRehash(await hashPassword(PASSWORD))).toBe(false);
  });

  it('keeps the dummy hash (used for unknown users) on the current parameters', () => {
    expect(passwordNeedsRehash(DUMMY_PASSWORD_HASH)).toBe(false);
  });
});

describe('generatePassword', () => {
  it('makes long, unambiguous, different passwords that pass the rules', async () => {
    const passwords = Array.from({ length: 50 }, () => generatePassword());

    for (const password of passwords) {
      expect(password.length).toBeGreaterThanOrEqual(20);
      expect(password).toMatch(/^[A-HJ-NP-Za-km-z2-9]+$/);
      await expect(assertPasswordAcceptable(password, { username: 'ed' })).resolves.toBeUndefined();
    }
    expect(new Set(passwords).size).toBe(passwords.length);
  });
});

/** The ValidationError a refused password gives (fails the test when it is accepted). */
async function refusal(password: string, username = 'alice'): Promise<ValidationError> {
  const error = await assertPasswordAcceptable(password, { username }).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error, `"${password}" for ${username} should be refused`).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe('assertPasswordAcceptable', () => {
  it(`refuses fewer than ${MIN_PASSWORD_LENGTH} characters with a usage error naming the minimum`, async () => {
    const error = await refusal('short-pw-11');

    expect(error.exitCode).toBe(ExitCode.USAGE);
    expect(error.message).toContain(String(MIN_PASSWORD_LENGTH));
    expect(error.fields.password).toContain(String(MIN_PASSWORD_LENGTH));
  });

  it('accepts exactly the minimum, counting characters rather than UTF-16 units', async () => {
    await expect(assertPasswordAcceptable('mill four ok', { username: 'alice' })).resolves.toBeUndefined();
    expect((await refusal('🔧'.repeat(MIN_PASSWORD_LENGTH - 1))).message).toContain('too short');
  });

  it('accepts passphrases and random passwords', async () => {
    for (const password of [
      'correct horse battery staple',
      'night shift passphrase',
      'Grüße vom Hallenboden',
      'Vx3-kP9q-Lm2w-Rt7z',
      'bobcat on the hangar roof',
    ]) {
      await expect(assertPasswordAcceptable(password, { username: 'bob' }), password).resolves.toBeUndefined();
    }
  });

  it('refuses common passwords, also with capitals, l33t or digits added, naming the rule and the fix', async () => {
    for (const password of [
      'password1234',
      'Password1234!',
      'P@ssw0rd2026',
      'qwertyuiop[]',
      '1q2w3e4r5t6y',
      'iloveyou1234',
      'pasword12345',
    ]) {
      const error = await refusal(password);
      expect(error.message, password).toMatch(
        /^The password is too easy to guess: it is (one of the most common passwords|a common password)/,
      );
      expect(error.fields.password).toBe('must not be a common password or a simple pattern');
      expect(error.exitCode).toBe(ExitCode.USAGE);
      expect(error.suggestion).toContain('--generate');
    }
  });

  it('refuses repeats, sequences and keyboard rows', async () => {
    expect((await refusal('x'.repeat(MIN_PASSWORD_LENGTH))).message).toContain('repeats');
    expect((await refusal('abcdefghijklm')).message).toContain('sequence');
    expect((await refusal('zxcvbnm,./;l')).message).toContain('keyboard');
  });

  it('refuses a password built on the username, in any case or reversed; the username counts for nothing', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['alice', 'alice-admin-2026', /without it only 11 characters are left/],
      ['alice', 'ALICEALICEALICE', /contains the username/],
      ['alice', 'ecila-shop-floor', /without it only 11 characters are left/],
      ['j.smith', 'JSmith2026!!', /without it only 6 characters are left/],
      ['hangar7', 'hangar7hangar7!', /contains the username/],
    ];
    for (const [username, password, reason] of cases) {
      const error = await refusal(password, username);
      expect(error.message, password).toMatch(reason);
      expect(error.fields.password).toBe('must not be built on the username');
    }
  });

  it('accepts a strong password that happens to contain the username, and ignores 1- and 2-letter usernames', async () => {
    await expect(assertPasswordAcceptable('bobcat on the hangar roof', { username: 'bob' })).resolves.toBeUndefined();
    await expect(assertPasswordAcceptable('typed at the terminal', { username: 'ed' })).resolves.toBeUndefined();
  });
});

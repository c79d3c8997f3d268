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
  it('makes long, unambiguous, different passwords that pass the rules', () => {
    const passwords = Array.from({ length: 50 }, () => generatePassword());

    for (const password of passwords) {
      expect(password.length).toBeGreaterThanOrEqual(20);
      expect(password).toMatch(/^[A-HJ-NP-Za-km-z2-9]+$/);
      expect(() => assertPasswordAcceptable(password)).not.toThrow();
    }
    expect(new Set(passwords).size).toBe(passwords.length);
  });
});

describe('assertPasswordAcceptable', () => {
  it(`refuses fewer than ${MIN_PASSWORD_LENGTH} characters with a usage error naming the minimum`, () => {
    let error: unknown;
    try {
      assertPasswordAcceptable('short-pw-11');
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).exitCode).toBe(ExitCode.USAGE);
    expect((error as ValidationError).message).toContain(String(MIN_PASSWORD_LENGTH));
    expect((error as ValidationError).fields.password).toContain(String(MIN_PASSWORD_LENGTH));
  });

  it('accepts exactly the minimum, counting characters rather than UTF-16 units', () => {
    expect(() => assertPasswordAcceptable('x'.repeat(MIN_PASSWORD_LENGTH))).not.toThrow();
    expect(() => assertPasswordAcceptable('🔧'.repeat(MIN_PASSWORD_LENGTH - 1))).toThrow(ValidationError);
  });
});

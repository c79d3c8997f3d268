// Local passwords: hashed with scrypt (memory-hard, in node:crypto, no native add-on) and stored
// self-describing as `scrypt$N$r$p$<salt b64>$<hash b64>`, so the cost can be raised later
// without breaking the hashes already stored; and the rules a new one must pass (ADR-018).

import { randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ValidationError } from '../errors.js';

export const MIN_PASSWORD_LENGTH = 12;
/** scrypt reads the whole password anyway; the cap only stops absurd input (a pasted file). */
export const MAX_PASSWORD_LENGTH = 1024;

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * N=2^15, r=8, p=1: 32 MiB of memory per hash, ~120–170 ms on one core of a 2026 server — slow
 * for an attacker with a GPU, fast enough for a login form. (OWASP's scrypt floor is N=2^17 with
 * r=8 at 128 MiB; we trade some of that for a tolerable login time on small site servers.)
 */
const CURRENT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 64;

/** Hashes with parameters beyond these are refused rather than computed (a tampered row must not eat the server's memory). */
const LIMITS = { maxN: 2 ** 20, maxR: 32, maxP: 16, minKey: 16, maxKey: 128, minSalt: 8, maxSalt: 64 };

/** Canonical, padded base64 only: a truncated or hand-edited value is corruption, not a shorter key. */
function decodeBase64(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64');
  return bytes.length > 0 && bytes.toString('base64') === text ? bytes : null;
}

/** The memory scrypt needs for these parameters (OpenSSL's own formula), plus headroom; Node's default cap (32 MiB) is too small for N=2^15, r=8. */
function maxmemFor({ N, r, p }: ScryptParams): number {
  return 128 * r * (N + p + 2) + 1024 * 1024;
}

function derive(password: string, salt: Buffer, keyLength: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: maxmemFor(params) };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, CURRENT);
  return ['scrypt', CURRENT.N, CURRENT.r, CURRENT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

interface ParsedHash extends ScryptParams {
  salt: Buffer;
  key: Buffer;
}

function parseHash(encoded: string): ParsedHash | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [, nText, rText, pText, saltText, keyText] = parts as [string, string, string, string, string, string];
  if (![nText, rText, pText].every((text) => /^[1-9]\d{0,7}$/.test(text))) return null;
  const salt = decodeBase64(saltText);
  const key = decodeBase64(keyText);
  if (salt === null || key === null) return null;
  const N = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > LIMITS.maxN || r > LIMITS.maxR || p > LIMITS.maxP) return null;
  if (key.length < LIMITS.minKey || key.length > LIMITS.maxKey || salt.length < LIMITS.minSalt || salt.length > LIMITS.maxSalt) return null;
  return { N, r, p, salt, key };
}

/** True when the password matches; false for a wrong password and for anything that is not a hash we can check. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = typeof encoded === 'string' ? parseHash(encoded) : null;
  if (parsed === null) return false;
  try {
    const key = await derive(password, parsed.salt, parsed.key.length, parsed);
    return timingSafeEqual(key, parsed.key);
  } catch {
    return false;
  }
}

/** A stored hash made with weaker (or unreadable) parameters: rehash it at the next successful login. */
export function passwordNeedsRehash(encoded: string): boolean {
  const parsed = parseHash(encoded);
  return parsed === null || parsed.N !== CURRENT.N || parsed.r !== CURRENT.r || parsed.p !== CURRENT.p || parsed.key.length !== KEY_BYTES;
}

/**
 * A hash of a random password nobody knows, with the current parameters. Login checks the given
 * password against it when the user does not exist, so that answering takes as long as for a
 * real user (a test checks it stays in step with CURRENT).
 */
export const DUMMY_PASSWORD_HASH =
  'scrypt$32768$8$1$tk+C00f9t5d8hh/rBY/kFA==$D0mi66qeeDyPg2qNYZIpP0+D46/B1mY9NccCvT1WbETSkbOTRVH0v+Yu7r/NOV9Im2Ximive67T2j1wEoPFQDA==';

/** No 0/O, 1/l/I: it may be read off a screen or a label. 56 symbols, 24 characters: ~139 bits. */
const GENERATED_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
const GENERATED_LENGTH = 24;

export function generatePassword(length = GENERATED_LENGTH): string {
  let password = '';
  // randomInt is unbiased (no modulo skew).
  for (let i = 0; i < length; i++) password += GENERATED_ALPHABET[randomInt(GENERATED_ALPHABET.length)];
  return password;
}

/** Length rules, counted in characters (not UTF-16 units), so "ü" or an emoji counts once. */
export function assertPasswordLength(password: string): void {
  const length = [...password.normalize('NFC')].length;
  if (length < MIN_PASSWORD_LENGTH) {
    throw new ValidationError(
      `The password is too short: at least ${MIN_PASSWORD_LENGTH} characters are required`,
      {
        password: `must be at least ${MIN_PASSWORD_LENGTH} characters (got ${length})`,
      },
      { suggestion: `Choose a password of ${MIN_PASSWORD_LENGTH} or more characters (a passphrase of a few words is easiest).` },
    );
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw new ValidationError(`The password is too long: at most ${MAX_PASSWORD_LENGTH} characters are accepted`, {
      password: `must be at most ${MAX_PASSWORD_LENGTH} characters`,
    });
  }
}

export interface NewPasswordContext {
  /** Whose password it is: a password built on the username is refused. */
  username: string;
}

/**
 * Every rule a new password must pass, as every path that sets one (CLI, API, seeds) checks it:
 * the length, then the username and the common-password list (ADR-018). A ValidationError
 * (exit 2, HTTP 400) says which rule failed; nothing has been written yet.
 */
export async function assertPasswordAcceptable(password: string, context: NewPasswordContext): Promise<void> {
  assertPasswordLength(password);
  // Loaded here, not at the top: the list is large and login never needs it.
  const { findPasswordWeakness } = await import('./password-strength.js');
  const weakness = findPasswordWeakness(password.normalize('NFC'), context.username, MIN_PASSWORD_LENGTH);
  if (weakness === null) return;
  throw new ValidationError(
    `The password is too easy to guess: ${weakness.reason}`,
    {
      password: weakness.kind === 'username' ? 'must not be built on the username' : 'must not be a common password or a simple pattern',
    },
    { suggestion: WEAK_PASSWORD_SUGGESTION },
  );
}

export const WEAK_PASSWORD_SUGGESTION =
  'Choose another: four or more unrelated words make a strong passphrase that is easy to type; or let shopdb make a random one (`--generate`).';

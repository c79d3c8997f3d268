// Whether a new password is one an attacker would try early (ADR-018): built on the username, or
// a common password — one of the ~49,000 of @zxcvbn-ts/language-common's list, with small changes
// (capitals, l33t, a year or digits added) — or a pattern (keyboard rows, repeats, sequences,
// dates), as zxcvbn-ts estimates it. Imported only where a password is set: the list costs
// ~150 ms and some MB to load, which login and `--help` must not pay.

import { ZxcvbnFactory, type ZxcvbnResult } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

/**
 * zxcvbn's score 3: at least 10^8 guesses. With our scrypt cost (~150 ms per guess per core) that
 * is years of one core, or days of a rack, for someone holding a stolen hash.
 */
export const MIN_STRENGTH_SCORE = 3;

/** Words every shopdb site shares: an attacker tries them as they try the username. */
const SITE_WORDS = ['shopdb'];

export interface PasswordWeakness {
  /** `username`: it leans on the username; `guessable`: common, or a pattern. */
  kind: 'username' | 'guessable';
  /** Why, to follow "The password is too easy to guess: ". */
  reason: string;
}

let factory: ZxcvbnFactory | undefined;

function estimator(): ZxcvbnFactory {
  // Levenshtein distance on the whole password catches "pasword1234"-like near misses of the list.
  factory ??= new ZxcvbnFactory({ dictionary: { ...dictionary }, graphs: adjacencyGraphs, useLevenshteinDistance: true });
  return factory;
}

/** zxcvbn's warning keys (its translation keys), said our way. */
const REASONS: Record<string, string> = {
  topTen: 'it is one of the most common passwords',
  topHundred: 'it is one of the most common passwords',
  common: 'it is a common password',
  similarToCommon: 'it is a common password with small changes',
  straightRow: 'it is a row of keys on the keyboard',
  keyPattern: 'it is a keyboard pattern',
  simpleRepeat: 'it repeats characters',
  extendedRepeat: 'it repeats a word or a group of characters',
  sequences: 'it is a sequence like "abcd" or "1234"',
  recentYears: 'it leans on a year',
  dates: 'it leans on a date',
  wordByItself: 'it is a single common word',
  namesByThemselves: 'it is made of names',
  commonNames: 'it is made of common names',
  userInputs: 'it is built on the username',
};

/** The username and its parts ("j.smith": "j.smith", "jsmith", "smith"), for zxcvbn's user-input dictionary. */
function userWords(username: string): string[] {
  const lower = username.toLowerCase();
  const parts = lower.split(/[._-]+/).filter((part) => part.length >= 3);
  return [...new Set([lower, lower.replace(/[._-]+/g, ''), ...parts, ...SITE_WORDS])];
}

function estimate(password: string, username: string): ZxcvbnResult {
  return estimator().check(password, userWords(username));
}

function reasonOf(result: ZxcvbnResult): PasswordWeakness {
  if (result.sequence.some((match) => match.pattern === 'dictionary' && match.dictionaryName === 'userInputs')) {
    return { kind: 'username', reason: REASONS.userInputs! };
  }
  const warning = result.feedback.warning;
  return {
    kind: 'guessable',
    reason: (warning !== null && REASONS[warning]) || 'it follows patterns that password-guessing tools try first',
  };
}

const characters = (text: string) => [...text].length;

/**
 * The password with every occurrence of the username taken out — as written or without its dots,
 * underscores and hyphens ("j.smith", "jsmith"), forwards or reversed, in any case — or null when
 * it holds none. Usernames under 3 characters are left to zxcvbn: taking every "ed" out of a
 * passphrase would refuse good ones.
 */
function withoutUsername(password: string, username: string): string | null {
  const forms = [...new Set([username.toLowerCase(), username.toLowerCase().replace(/[._-]+/g, '')])].filter((form) => form.length >= 3);
  const needles = forms.flatMap((form) => [form, [...form].reverse().join('')]);
  const lower = password.toLowerCase();
  if (!needles.some((needle) => lower.includes(needle))) return null;
  return needles.reduce((rest, needle) => rest.split(needle).join(''), lower);
}

/**
 * Null when the password is acceptable; else what is wrong with it. The username counts for
 * nothing (an attacker starts with it): what is left without it must be long and strong enough
 * on its own. `minLength` is the length rule the caller already checked on the whole password.
 */
export function findPasswordWeakness(password: string, username: string, minLength: number): PasswordWeakness | null {
  const rest = withoutUsername(password, username);
  if (rest !== null) {
    if (characters(rest) < minLength) {
      return {
        kind: 'username',
        reason: `it contains the username, and without it only ${characters(rest)} characters are left (at least ${minLength} are needed)`,
      };
    }
    if (estimate(rest, username).score < MIN_STRENGTH_SCORE)
      return { kind: 'username', reason: 'it contains the username, and what is left without it is easy to guess' };
  }
  const result = estimate(password, username);
  return result.score < MIN_STRENGTH_SCORE ? reasonOf(result) : null;
}

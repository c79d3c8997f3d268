// Judges whether a secret looks generated or looks typed by a person in a hurry: an obvious
// placeholder left in from a template, or a string whose characters are too predictable (one
// letter repeated, a word repeated, an alphabet run). docs/adr/ADR-017-secret-strength.md says
// why it is judged this way and where the threshold comes from.

/** Template leftovers, tested on the value lower-cased with runs of - _ . and spaces made one space. */
const PLACEHOLDER_PATTERNS: readonly RegExp[] = [
  /<[^<>]*>/, // <generate-with-openssl>, <your-secret>
  /\$\{[^}]*\}|\{\{[^}]*\}\}/, // ${JWT_SECRET}, {{ secret }}: a template that was never filled in
  /\b(change|replace|update|insert) ?(me|this)\b/,
  /\byour (own )?((jwt|api|signing|secret|random) )?(secret|key|password|token|value)\b/,
  /\b(secret|key|password|token|value) (goes )?here\b/,
  /\bplaceholder\b|\blorem ipsum\b|\bopenssl rand\b|\bnot ?a ?secret\b/,
  /x{4,}|…/, // xxxx and "…" mark something left out
];

/** Exact values people leave in from examples (after the same normalisation). */
const PLACEHOLDER_VALUES = new Set([
  'changeme',
  'secret',
  'password',
  'default',
  'example',
  'test',
  'todo',
  'xxx',
  'shopdb',
  'tbd',
  'none',
  'null',
]);

function normalise(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[-_. ]+/g, ' ')
    .trim();
}

export function looksLikePlaceholder(value: string): boolean {
  const text = normalise(value);
  return (
    PLACEHOLDER_VALUES.has(text) ||
    PLACEHOLDER_VALUES.has(text.replace(/ /g, '')) ||
    PLACEHOLDER_PATTERNS.some((pattern) => pattern.test(text))
  );
}

/** Only this many characters are judged; see estimatedSecretBits. */
const MAX_JUDGED_LENGTH = 256;

/** Shannon entropy, in bits per symbol, of the symbols' frequencies in `symbols`. */
function bitsPerSymbol(symbols: readonly (string | number)[]): number {
  if (symbols.length === 0) return 0;
  const counts = new Map<string | number, number>();
  for (const symbol of symbols) counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / symbols.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * How many symbols are left once repeats are taken out: a greedy LZ77-style walk where a run of
 * three or more characters already seen earlier (overlapping allowed, so "aaaa" is one repeat)
 * counts as one symbol, like a compressor's back-reference.
 */
function symbolsAfterRepeats(value: string): number {
  let symbols = 0;
  let i = 0;
  while (i < value.length) {
    let longest = 0;
    for (let start = 0; start < i; start++) {
      let length = 0;
      while (i + length < value.length && value[start + length] === value[i + length]) length++;
      if (length > longest) longest = length;
    }
    i += longest >= 3 ? longest : 1;
    symbols++;
  }
  return symbols;
}

/**
 * A rough estimate, in bits, of how hard `value` is to guess: the per-character entropy of the
 * characters or of the steps between neighbours (whichever is lower, so "abcdef…" and "135791…"
 * score as badly as "aaaa…"), times the length left once repeats are taken out. It is no proof
 * of randomness; it tells a generated secret (128 bits of randomness score 100 or more) from a
 * typed pattern (which scores well under 60).
 */
export function estimatedSecretBits(value: string): number {
  // The walk below is quadratic; a prefix this long already tells a pattern from a generated key.
  const chars = [...value].slice(0, MAX_JUDGED_LENGTH);
  const steps = chars.slice(1).map((char, index) => char.codePointAt(0)! - chars[index]!.codePointAt(0)!);
  const perSymbol = Math.min(bitsPerSymbol(chars), steps.length > 0 ? bitsPerSymbol(steps) : 0);
  return perSymbol * symbolsAfterRepeats(chars.join(''));
}

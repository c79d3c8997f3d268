// Reads the text of a site .env into NAME → value, keeping the line each name came from so a
// mistake can be pointed at. Node's own parseEnv glues a line without "=" to the next line's name
// and keeps the last of two equal names without a word; this parser says both, with line numbers.
//
// The syntax is the common ground of node's parseEnv and docker compose, which reads the same
// file: `NAME=value`, an optional `export ` before it, # comments, values in '…', "…" or `…`
// (which may span lines; inside "…" a \n is a line break), and for a bare value a # after a space
// starts a comment.

import type { ConfigProblem } from '../errors.js';

export interface EnvFileEntry {
  value: string;
  /** 1-based line of the NAME=. */
  line: number;
}

export interface ParsedEnvFile {
  entries: Map<string, EnvFileEntry>;
  /** Lines that are not NAME=value: the file cannot be trusted while they are there. */
  problems: ConfigProblem[];
  /** A name set more than once (the last one wins, as in docker compose). */
  warnings: ConfigProblem[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const QUOTES = new Set(["'", '"', '`']);

export function parseEnvFile(text: string, path: string): ParsedEnvFile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const entries = new Map<string, EnvFileEntry>();
  const seenOn = new Map<string, number[]>();
  const problems: ConfigProblem[] = [];
  const where = `in ${path}`;

  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const line = lines[index]!.trimStart();
    if (line.trim() === '' || line.startsWith('#')) continue;

    const assignment = line.replace(/^export\s+/, '');
    const equals = assignment.indexOf('=');
    if (equals === -1) {
      // Only echo the line when it looks like a name: a stray line may well be a pasted secret.
      const looksLikeName = NAME.test(assignment.trim());
      problems.push({
        variable: looksLikeName ? `${assignment.trim()} (line ${lineNumber})` : `line ${lineNumber}`,
        problem: `${looksLikeName ? 'has' : 'is not NAME=value: it has'} no "=" (${where})`,
        fix: looksLikeName
          ? `write ${assignment.trim()}=<value>, or start the line with # to make it a comment`
          : 'write NAME=value, or start the line with # to make it a comment',
      });
      continue;
    }
    const name = assignment.slice(0, equals).trim();
    if (!NAME.test(name)) {
      problems.push({
        variable: `line ${lineNumber}`,
        problem: `${name === '' ? 'has no name before "="' : 'does not start with a variable name'} (${where})`,
        fix: 'write NAME=value, with a name of letters, digits and _',
      });
      continue;
    }

    const read = readValue(assignment.slice(equals + 1).trimStart(), lines, index);
    if ('problem' in read) {
      problems.push({ variable: `${name} (line ${lineNumber})`, problem: `${read.problem} (${where})`, fix: read.fix });
      index = read.lastLine;
      continue;
    }
    index = read.lastLine;
    entries.set(name, { value: read.value, line: lineNumber });
    seenOn.set(name, [...(seenOn.get(name) ?? []), lineNumber]);
  }

  const warnings: ConfigProblem[] = [];
  for (const [name, on] of seenOn) {
    if (on.length < 2) continue;
    const last = on[on.length - 1]!;
    const earlier = on.slice(0, -1);
    warnings.push({
      variable: name,
      problem: `is set on line${earlier.length > 1 ? 's' : ''} ${listNumbers(earlier)} and again on line ${last} (${where}); line ${last} wins`,
      fix: `keep one ${name}= line and delete the other${on.length > 2 ? 's' : ''}`,
    });
  }
  return { entries, problems, warnings };
}

type ReadValue = { value: string; lastLine: number } | { problem: string; fix: string; lastLine: number };

/** The value that starts at `rest` (the text after "=") on line `index`; quoted values may go on. */
function readValue(rest: string, lines: readonly string[], index: number): ReadValue {
  const quote = rest[0];
  if (quote === undefined || !QUOTES.has(quote)) {
    const comment = rest.search(/\s#/);
    return { value: (comment === -1 ? rest : rest.slice(0, comment)).trim(), lastLine: index };
  }
  let text = rest.slice(1);
  let lastLine = index;
  let close = text.indexOf(quote);
  while (close === -1 && lastLine + 1 < lines.length) {
    lastLine++;
    text += '\n' + lines[lastLine]!;
    close = text.indexOf(quote);
  }
  if (close === -1) {
    // Stop at the opening line so the lines after it are still read and judged on their own.
    return { problem: `opens a ${quote} quote that is never closed`, fix: `end the value with ${quote} on the same line`, lastLine: index };
  }
  const after = text.slice(close + 1).trim();
  if (after !== '' && !after.startsWith('#')) {
    return {
      problem: `has text after its closing ${quote}`,
      fix: `put the whole value inside the quotes, or start the trailing text with # to make it a comment`,
      lastLine,
    };
  }
  const inner = text.slice(0, close);
  return { value: quote === '"' ? inner.replace(/\\n/g, '\n') : inner, lastLine };
}

function listNumbers(numbers: readonly number[]): string {
  return numbers.length === 1 ? String(numbers[0]) : `${numbers.slice(0, -1).join(', ')} and ${numbers[numbers.length - 1]}`;
}

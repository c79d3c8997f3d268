// What a MySQL dump may contain for shopdb to restore it. A backup archive is untrusted input
// (ADR-010): the dump is split into statements the way the mysql client splits it
// (sql-scanner.ts) and every statement must be one of the few kinds mysqldump / mariadb-dump
// write for one schema — tables, their rows, views, triggers, routines, events and session
// settings — naming objects without a schema. Anything else (USE, CREATE DATABASE, GRANT,
// `other_db`.`t`, LOAD DATA, SELECT … INTO OUTFILE, client commands) refuses the whole dump.

import { UserError } from '../errors.js';

export class DumpRejectedError extends UserError {
  override readonly code: string = 'BACKUP_DUMP_REJECTED';
}

type TokenType = 'word' | 'ident' | 'string' | 'var' | 'number' | 'punct';
interface Token {
  type: TokenType;
  /** Words upper-cased; identifiers and strings without their quotes. */
  value: string;
  /** A word as written. */
  raw?: string;
}

/** What a statement is, as far as restoring and counting rows need to know. */
export type StatementVerdict =
  | { kind: 'empty' | 'set' | 'lock' | 'unlock' | 'alter-keys' | 'routine' | 'trigger' | 'event' }
  | { kind: 'create-table'; table: string }
  | { kind: 'create-view'; view: string }
  | { kind: 'drop'; objectType: string; names: string[] }
  | { kind: 'insert'; table: string };

const WORD_START = /[A-Za-z_$\u0080-\uffff]/;
const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i++;
    } else if (c === '`') {
      let value = '';
      i++;
      while (i < text.length) {
        if (text[i] === '`') {
          if (text[i + 1] === '`') {
            value += '`';
            i += 2;
            continue;
          }
          break;
        }
        value += text[i++];
      }
      i++;
      tokens.push({ type: 'ident', value });
    } else if (c === "'" || c === '"') {
      let value = '';
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\' && i + 1 < text.length) value += text[i++];
        value += text[i++];
      }
      i++;
      tokens.push({ type: 'string', value });
    } else if (c === '@') {
      let value = '@';
      i++;
      if (text[i] === '@') value += text[i++];
      while (i < text.length && (WORD_CHAR.test(text[i]!) || text[i] === '.')) value += text[i++];
      tokens.push(value.length > 1 ? { type: 'var', value: value.toUpperCase() } : { type: 'punct', value: '@' });
    } else if (c >= '0' && c <= '9') {
      let value = '';
      while (i < text.length && (WORD_CHAR.test(text[i]!) || text[i] === '.')) value += text[i++];
      tokens.push({ type: 'number', value });
    } else if (WORD_START.test(c)) {
      let value = '';
      while (i < text.length && WORD_CHAR.test(text[i]!)) value += text[i++];
      tokens.push({ type: 'word', value: value.toUpperCase(), raw: value });
    } else {
      tokens.push({ type: 'punct', value: c });
      i++;
    }
  }
  return tokens;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 100 ? `${flat.slice(0, 100)}…` : flat;
}

function reject(text: string, why: string): never {
  throw new DumpRejectedError(`The dump contains a statement shopdb does not restore (${why}): ${snippet(text)}`, {
    suggestion:
      'Restore only archives written by `shopdb backup`. If this one is, it was changed after it was made: use another backup. docs/BACKUP.md says what a dump may contain.',
  });
}

class Cursor {
  index = 0;
  constructor(
    readonly tokens: Token[],
    readonly text: string,
  ) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.index + offset];
  }

  isWord(...words: string[]): boolean {
    const token = this.peek();
    return token?.type === 'word' && words.includes(token.value);
  }

  acceptWords(...sequence: string[]): boolean {
    for (let k = 0; k < sequence.length; k++) {
      const token = this.peek(k);
      if (token?.type !== 'word' || token.value !== sequence[k]) return false;
    }
    this.index += sequence.length;
    return true;
  }

  expectWord(...words: string[]): string {
    const token = this.peek();
    if (token?.type !== 'word' || !words.includes(token.value)) reject(this.text, `expected ${words.join(' or ')}`);
    this.index++;
    return token.value;
  }

  acceptPunct(value: string): boolean {
    if (this.peek()?.type === 'punct' && this.peek()!.value === value) {
      this.index++;
      return true;
    }
    return false;
  }

  /** An object name without a schema: `t` or t, never `db`.`t`. */
  name(): string {
    const token = this.peek();
    if (!token || (token.type !== 'ident' && token.type !== 'word')) reject(this.text, 'expected a name');
    this.index++;
    if (this.peek()?.type === 'punct' && this.peek()!.value === '.') reject(this.text, 'names an object in another schema');
    return token.raw ?? token.value;
  }

  done(): boolean {
    return this.index >= this.tokens.length;
  }
}

const CREATE_OBJECTS = ['TABLE', 'VIEW', 'TRIGGER', 'PROCEDURE', 'FUNCTION', 'EVENT'];
const DROP_OBJECTS = ['TABLE', 'TABLES', 'VIEW', 'TRIGGER', 'PROCEDURE', 'FUNCTION', 'EVENT'];
const TABLE_ENGINES = new Set(['INNODB', 'MYISAM', 'ARIA', 'MEMORY', 'HEAP']);
/**
 * In a SET statement: sql_mode NO_BACKSLASH_ESCAPES, or a client character set whose multi-byte
 * characters can end in a backslash or a quote, would make the server read the rest of the dump
 * differently from the way it was checked here.
 */
const DESYNCING_SETTINGS = /no_backslash_escapes|big5|cp932|gbk|gb18030|sjis/i;
const SET_FORBIDDEN_WORDS = new Set(['GLOBAL', 'PERSIST', 'PERSIST_ONLY', 'PASSWORD', 'ROLE', 'STATEMENT']);

function checkSet(cursor: Cursor): StatementVerdict {
  if (DESYNCING_SETTINGS.test(cursor.text)) reject(cursor.text, 'changes how the rest of the dump is read');
  for (const token of cursor.tokens) {
    if (token.type === 'word' && SET_FORBIDDEN_WORDS.has(token.value)) reject(cursor.text, `SET ${token.value} is not a session setting`);
    if (token.type === 'var' && /^@@(GLOBAL|PERSIST)/.test(token.value)) reject(cursor.text, 'sets a global variable');
    if (token.type === 'punct' && token.value === '(') reject(cursor.text, 'a SET in a dump assigns plain values only');
  }
  return { kind: 'set' };
}

function skipDefinerClauses(cursor: Cursor): void {
  for (;;) {
    if (cursor.acceptWords('OR', 'REPLACE') || cursor.acceptWords('AGGREGATE')) continue;
    if (cursor.isWord('ALGORITHM')) {
      cursor.index++;
      if (!cursor.acceptPunct('=')) reject(cursor.text, 'malformed ALGORITHM');
      cursor.expectWord('UNDEFINED', 'MERGE', 'TEMPTABLE');
      continue;
    }
    if (cursor.isWord('DEFINER')) {
      cursor.index++;
      if (!cursor.acceptPunct('=')) reject(cursor.text, 'malformed DEFINER');
      // user@host in any quoting; stop at the clause that follows.
      let guard = 0;
      while (!cursor.done() && !cursor.isWord('SQL', ...CREATE_OBJECTS, 'AGGREGATE')) {
        if (++guard > 8) reject(cursor.text, 'malformed DEFINER');
        cursor.index++;
      }
      continue;
    }
    if (cursor.isWord('SQL')) {
      cursor.index++;
      cursor.expectWord('SECURITY');
      cursor.expectWord('DEFINER', 'INVOKER');
      continue;
    }
    return;
  }
}

function checkCreateTable(cursor: Cursor): StatementVerdict {
  cursor.acceptWords('IF', 'NOT', 'EXISTS');
  const table = cursor.name();
  if (!cursor.acceptPunct('(')) reject(cursor.text, 'a table is created from its column list only');
  let depth = 1;
  while (!cursor.done()) {
    const token = cursor.peek()!;
    cursor.index++;
    if (token.type === 'punct' && token.value === '(') depth++;
    else if (token.type === 'punct' && token.value === ')') depth--;
    else if (token.type === 'word') {
      if (token.value === 'DIRECTORY' || token.value === 'CONNECTION') reject(cursor.text, `${token.value} points outside the database`);
      if (depth === 0 && (token.value === 'SELECT' || token.value === 'LIKE' || token.value === 'AS' || token.value === 'UNION')) {
        reject(cursor.text, 'copies from another table');
      }
      if (depth === 0 && token.value === 'ENGINE') {
        cursor.acceptPunct('=');
        const engine = cursor.peek();
        if (!engine || !TABLE_ENGINES.has(engine.value.toUpperCase())) reject(cursor.text, `storage engine ${engine?.value ?? '?'}`);
      }
    }
  }
  return { kind: 'create-table', table };
}

function checkCreate(cursor: Cursor): StatementVerdict {
  skipDefinerClauses(cursor);
  const object = cursor.expectWord(...CREATE_OBJECTS);
  switch (object) {
    case 'TABLE':
      return checkCreateTable(cursor);
    case 'VIEW':
      return { kind: 'create-view', view: cursor.name() };
    case 'TRIGGER': {
      cursor.name();
      cursor.expectWord('BEFORE', 'AFTER');
      cursor.expectWord('INSERT', 'UPDATE', 'DELETE');
      cursor.expectWord('ON');
      cursor.name();
      return { kind: 'trigger' };
    }
    case 'EVENT':
      cursor.acceptWords('IF', 'NOT', 'EXISTS');
      cursor.name();
      return { kind: 'event' };
    default:
      cursor.acceptWords('IF', 'NOT', 'EXISTS');
      cursor.name();
      return { kind: 'routine' };
  }
}

function checkDrop(cursor: Cursor): StatementVerdict {
  const objectType = cursor.expectWord(...DROP_OBJECTS);
  cursor.acceptWords('IF', 'EXISTS');
  const names = [cursor.name()];
  while (cursor.acceptPunct(',')) names.push(cursor.name());
  if (cursor.isWord('RESTRICT', 'CASCADE')) cursor.index++;
  if (!cursor.done()) reject(cursor.text, 'unexpected text after the names');
  return { kind: 'drop', objectType: objectType === 'TABLES' ? 'TABLE' : objectType, names };
}

/** `complete`: the whole statement is known. Otherwise only an INSERT head can be decided (null: not yet). */
function checkInsert(cursor: Cursor, complete: boolean): StatementVerdict | null {
  cursor.acceptWords('IGNORE');
  cursor.expectWord('INTO');
  const table = cursor.name();
  if (cursor.acceptPunct('(')) {
    do {
      if (cursor.done() && !complete) return null;
      cursor.name();
    } while (cursor.acceptPunct(','));
    if (cursor.done() && !complete) return null;
    if (!cursor.acceptPunct(')')) reject(cursor.text, 'malformed column list');
  }
  if (cursor.done() && !complete) return null;
  cursor.expectWord('VALUES', 'VALUE');
  if (!cursor.done()) reject(cursor.text, 'rows come as VALUES lists only');
  return { kind: 'insert', table };
}

function checkLock(cursor: Cursor): StatementVerdict {
  cursor.expectWord('TABLES', 'TABLE');
  do {
    cursor.name();
    if (cursor.acceptWords('AS')) cursor.name();
    else if (cursor.peek()?.type === 'ident') cursor.name();
    if (cursor.acceptWords('READ')) cursor.acceptWords('LOCAL');
    else {
      cursor.acceptWords('LOW_PRIORITY');
      cursor.expectWord('WRITE');
    }
  } while (cursor.acceptPunct(','));
  if (!cursor.done()) reject(cursor.text, 'unexpected text after the tables');
  return { kind: 'lock' };
}

/**
 * Decides whether `text` (a statement with its executable-comment markers and comments turned into
 * spaces) may be restored. `complete` is false while an INSERT head is still streaming: the result
 * is then null until the VALUES keyword has been seen.
 */
export function checkStatement(text: string, complete: boolean): StatementVerdict | null {
  const cursor = new Cursor(tokenize(text), text);
  if (cursor.done()) return complete ? { kind: 'empty' } : null;
  const first = cursor.peek()!;
  if (first.type !== 'word') reject(text, 'not a statement');
  cursor.index++;
  if (!complete && first.value !== 'INSERT') return null;
  switch (first.value) {
    case 'SET':
      return checkSet(cursor);
    case 'CREATE':
      return checkCreate(cursor);
    case 'DROP':
      return checkDrop(cursor);
    case 'INSERT':
      return checkInsert(cursor, complete);
    case 'LOCK':
      return checkLock(cursor);
    case 'UNLOCK':
      cursor.expectWord('TABLES', 'TABLE');
      if (!cursor.done()) reject(text, 'unexpected text after UNLOCK TABLES');
      return { kind: 'unlock' };
    case 'ALTER':
      cursor.expectWord('TABLE');
      cursor.name();
      cursor.expectWord('DISABLE', 'ENABLE');
      cursor.expectWord('KEYS');
      if (!cursor.done()) reject(text, 'only DISABLE KEYS / ENABLE KEYS');
      return { kind: 'alter-keys' };
    default:
      return reject(text, `${first.value} is not part of a shopdb dump`);
  }
}

/** The argument of a `DELIMITER` client command; anything unusual is refused. */
export function checkDelimiter(line: string): string {
  const match = /^\s*delimiter[ \t]+(\S+)\s*$/i.exec(line);
  if (!match || !/^[;$/|]{1,4}$/.test(match[1]!)) reject(line, 'unusual DELIMITER');
  return match[1]!;
}

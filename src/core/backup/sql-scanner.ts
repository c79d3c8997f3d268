// Splits a MySQL dump into statements exactly where the mysql / mariadb client does — on the
// current delimiter, outside strings, identifiers and comments, with `/*! … */` executable
// comments read as code and `DELIMITER` lines as client commands — so that what is checked here
// (dump-policy.ts) is what the server runs. Works on a stream: bytes of a statement are released
// only once the statement is allowed, so a refused statement never reaches the client.
// Counts the rows of every INSERT on the way, per table: the manifest's row counts come from the
// dump itself, consistent with its snapshot.

import { Transform, type TransformCallback } from 'node:stream';
import { checkDelimiter, checkStatement, DumpRejectedError, type StatementVerdict } from './dump-policy.js';

const enum State {
  Code,
  Single,
  SingleEscape,
  Double,
  DoubleEscape,
  Backtick,
  LineComment,
  BlockComment,
  BlockCommentStar,
}

const QUOTE = 0x27;
const DQUOTE = 0x22;
const BACKTICK = 0x60;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const STAR = 0x2a;
const DASH = 0x2d;
const HASH = 0x23;
const LPAREN = 0x28;
const RPAREN = 0x29;
const NEWLINE = 0x0a;
const SPACE = 0x20;

/** MariaDB's dump tool writes this first line; it turns the MariaDB client's sandbox mode on and MySQL's client refuses it. */
export const MARIADB_SANDBOX_LINE = '/*M!999999\\- enable the sandbox mode */';

/** Bytes that can change the state of code in a statement already checked (plus its delimiter). */
const SIGNIFICANT_IN_CODE = new Uint8Array(256);
for (const c of '\'"`()/*-#\\\n') SIGNIFICANT_IN_CODE[c.charCodeAt(0)] = 1;

/** Inside the rows of a checked INSERT, quotes and parentheses are handled inline; these need the general path. */
const SIGNIFICANT_IN_ROWS = new Uint8Array(256);
for (const c of '"`/*-#\\') SIGNIFICANT_IN_ROWS[c.charCodeAt(0)] = 1;

const isSpace = (c: number) => c === SPACE || c === NEWLINE || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

export interface SqlScanOptions {
  /** What to do with MariaDB's sandbox first line: keep it (for a MariaDB client) or leave it out. Default keep. */
  sandboxLine?: 'keep' | 'strip';
  /** A statement other than an INSERT is held in memory until checked; longer ones are refused. */
  maxHeldBytes?: number;
}

export interface SqlScanSummary {
  statements: number;
  /** Base tables the dump creates, with the number of rows it inserts into each. */
  tables: Record<string, number>;
  /** The dump started with MariaDB's sandbox line. */
  sandboxLine: boolean;
  bytes: number;
}

const DEFAULT_MAX_HELD = 16 * 1024 * 1024;

export class SqlDumpScanner {
  private readonly keepSandbox: boolean;
  private readonly maxHeld: number;
  private started = false;
  private carry: Buffer | null = null;
  private state = State.Code;
  private delimiter = Buffer.from(';');
  private inExecutableComment = false;
  private lineOnlySpace = true;
  /** Code (not only comments and spaces) seen since the statement began. */
  private hasContent = false;
  private decided: StatementVerdict | null = null;
  private head: number[] = [];
  private held: Buffer[] = [];
  private heldBytes = 0;
  private depth = 0;
  private rows = 0;
  private readonly tables = new Map<string, number>();
  private statements = 0;
  private sandboxSeen = false;
  private total = 0;

  constructor(options: SqlScanOptions = {}) {
    this.keepSandbox = (options.sandboxLine ?? 'keep') === 'keep';
    this.maxHeld = options.maxHeldBytes ?? DEFAULT_MAX_HELD;
  }

  /** Feeds the next bytes; returns the bytes cleared for the client (possibly none yet). */
  push(chunk: Buffer): Buffer[] {
    this.total += chunk.length;
    return this.process(chunk, false);
  }

  /** No more input: checks the last statement and returns what remains. Throws if the dump ends inside a string or comment. */
  end(): Buffer[] {
    const out = this.process(Buffer.alloc(0), true);
    if (this.state !== State.Code && this.state !== State.LineComment) {
      throw new DumpRejectedError('The dump ends inside a string or a comment: it is truncated or damaged', {
        suggestion: 'Use another backup; `shopdb backup verify` checks one without restoring it.',
      });
    }
    if (this.inExecutableComment) {
      throw new DumpRejectedError('The dump ends inside a /*! … */ comment: it is truncated or damaged', {
        suggestion: 'Use another backup.',
      });
    }
    return out;
  }

  summary(): SqlScanSummary {
    return { statements: this.statements, tables: Object.fromEntries(this.tables), sandboxLine: this.sandboxSeen, bytes: this.total };
  }

  private process(chunk: Buffer, final: boolean): Buffer[] {
    let buf = chunk;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    const out: Buffer[] = [];
    let i = 0;
    if (!this.started) {
      const newline = buf.indexOf(NEWLINE);
      if (newline < 0 && !final && buf.length < 256) {
        this.carry = Buffer.from(buf);
        return out;
      }
      this.started = true;
      const firstLine = buf
        .subarray(0, newline < 0 ? buf.length : newline)
        .toString('latin1')
        .trimEnd();
      if (firstLine === MARIADB_SANDBOX_LINE) {
        this.sandboxSeen = true;
        i = newline < 0 ? buf.length : newline + 1;
        if (this.keepSandbox) out.push(buf.subarray(0, i));
      }
    }
    let from = i;
    const n = buf.length;
    const emit = (to: number) => {
      if (to <= from) return;
      const piece = buf.subarray(from, to);
      if (this.decided) out.push(piece);
      else {
        this.held.push(piece);
        this.heldBytes += piece.length;
        if (this.heldBytes > this.maxHeld) this.tooLong();
      }
      from = to;
    };
    const release = () => {
      for (const piece of this.held) out.push(piece);
      this.held = [];
      this.heldBytes = 0;
    };
    // `i` is passed, never captured: a captured loop counter would live in the closure's context (slow).
    const decide = (complete: boolean, at: number) => {
      const verdict = checkStatement(Buffer.from(this.head).toString('utf8'), complete);
      if (verdict) {
        this.decided = verdict;
        this.head = [];
        release();
        emit(at);
      }
    };
    const endStatement = (end: number) => {
      if (!this.decided) {
        this.decided = checkStatement(Buffer.from(this.head).toString('utf8'), true)!;
        this.head = [];
        release();
      }
      emit(end);
      this.account(this.decided);
      this.decided = null;
      this.hasContent = false;
      this.depth = 0;
      this.rows = 0;
      this.head = [];
    };
    const headPush = (c: number) => {
      if (!this.decided) this.headByte(c);
    };

    while (i < n) {
      const c = buf[i]!;
      switch (this.state) {
        case State.Code: {
          const d0 = this.delimiter[0]!;
          if (this.decided?.kind === 'insert') {
            const next = this.scanRows(buf, i, n, d0);
            if (next !== i) {
              i = next;
              continue;
            }
          }
          if (this.decided !== null) {
            // Inside a checked statement (the rows of an INSERT): skip digits, commas, NULLs in bulk.
            let j = i;
            while (j < n) {
              const b = buf[j]!;
              if (SIGNIFICANT_IN_CODE[b] === 1 || b === d0) break;
              j++;
            }
            if (j > i) {
              this.lineOnlySpace = false;
              i = j;
              continue;
            }
          }
          if (c === d0) {
            const dl = this.delimiter.length;
            if (i + dl > n && !final) break;
            if (dl === 1 || buf.subarray(i, i + dl).equals(this.delimiter)) {
              i += dl;
              endStatement(i);
              continue;
            }
          }
          if (c === QUOTE) {
            this.state = State.Single;
          } else if (c === LPAREN) {
            if (this.depth === 0) {
              if (!this.decided && this.headStartsWithInsert()) decide(false, i);
              if (this.decided?.kind === 'insert') this.rows++;
            }
            this.depth++;
          } else if (c === RPAREN) {
            this.depth--;
          } else if (c === DQUOTE) {
            this.state = State.Double;
          } else if (c === BACKTICK) {
            this.state = State.Backtick;
          } else if (isSpace(c)) {
            if (c === NEWLINE) this.lineOnlySpace = true;
            headPush(c);
            i++;
            continue;
          } else if (c === SLASH) {
            if (i + 10 > n && !final) break;
            if (buf[i + 1] === STAR) {
              let marker = 0;
              if (buf[i + 2] === 0x21) marker = 3;
              else if (buf[i + 2] === 0x4d && buf[i + 3] === 0x21) marker = 4;
              if (marker > 0) {
                // `/*!50003 …` and MariaDB's `/*M!100101 …`: code for the server, and for the client.
                i += marker;
                while (i < n && isDigit(buf[i]!)) i++;
                this.inExecutableComment = true;
                this.hasContent = true;
                this.lineOnlySpace = false;
                headPush(SPACE);
                continue;
              }
              this.state = State.BlockComment;
              headPush(SPACE);
              i += 2;
              continue;
            }
          } else if (c === STAR && this.inExecutableComment) {
            if (i + 2 > n && !final) break;
            if (buf[i + 1] === SLASH) {
              this.inExecutableComment = false;
              headPush(SPACE);
              i += 2;
              continue;
            }
          } else if (c === DASH) {
            if (i + 3 > n && !final) break;
            if (buf[i + 1] === DASH && (i + 2 >= n || isSpace(buf[i + 2]!))) {
              this.state = State.LineComment;
              headPush(SPACE);
              i += 2;
              continue;
            }
          } else if (c === HASH) {
            this.state = State.LineComment;
            headPush(SPACE);
            i++;
            continue;
          } else if (c === BACKSLASH) {
            throw new DumpRejectedError('The dump contains a mysql client command (a backslash outside a string)', {
              suggestion: 'Restore only archives written by `shopdb backup`; client commands such as \\! or system are never run.',
            });
          } else if ((c | 0x20) === 0x64 && !this.hasContent && this.lineOnlySpace) {
            // `delimiter ;;` at the start of a statement is a client command.
            if (i + 10 > n && !final) break;
            const lineEnd = /^delimiter[ \t]/i.test(buf.subarray(i, i + 10).toString('latin1')) ? buf.indexOf(NEWLINE, i) : -2;
            if (lineEnd === -1 && !final) {
              if (n - i > 4096)
                throw new DumpRejectedError('The dump has an overlong DELIMITER line', { suggestion: 'Use another backup.' });
              break;
            }
            if (lineEnd !== -2) {
              const end = lineEnd < 0 ? n : lineEnd + 1;
              const line = buf.subarray(i, end).toString('latin1');
              this.delimiter = Buffer.from(checkDelimiter(line), 'latin1');
              this.decided = { kind: 'empty' };
              release();
              i = end;
              emit(end);
              this.decided = null;
              this.head = [];
              this.lineOnlySpace = true;
              continue;
            }
          }
          this.hasContent = true;
          this.lineOnlySpace = false;
          headPush(c);
          i++;
          continue;
        }
        case State.Single:
        case State.Double: {
          // Fast path through string contents: only the closing quote and backslashes matter.
          const quote = this.state === State.Single ? QUOTE : DQUOTE;
          let j = i;
          if (this.decided) {
            while (j < n) {
              const b = buf[j]!;
              if (b === quote) break;
              if (b === BACKSLASH) {
                if (j + 1 >= n) break;
                j += 2;
                continue;
              }
              j++;
            }
          } else {
            while (j < n) {
              const b = buf[j]!;
              if (b === quote || b === BACKSLASH) break;
              this.headByte(b);
              j++;
            }
          }
          i = j;
          if (i >= n) continue;
          if (buf[i] === BACKSLASH) this.state = this.state === State.Single ? State.SingleEscape : State.DoubleEscape;
          else this.state = State.Code;
          headPush(buf[i]!);
          i++;
          continue;
        }
        case State.SingleEscape:
        case State.DoubleEscape:
          this.state = this.state === State.SingleEscape ? State.Single : State.Double;
          headPush(c);
          i++;
          continue;
        case State.Backtick:
          if (c === BACKTICK) this.state = State.Code;
          headPush(c);
          i++;
          continue;
        case State.LineComment: {
          const lineEnd = buf.indexOf(NEWLINE, i);
          if (lineEnd < 0) {
            i = n;
            continue;
          }
          this.state = State.Code;
          this.lineOnlySpace = true;
          headPush(NEWLINE);
          i = lineEnd + 1;
          continue;
        }
        case State.BlockComment:
          if (c === STAR) this.state = State.BlockCommentStar;
          else if (c === NEWLINE) this.lineOnlySpace = true;
          else if (!isSpace(c)) this.lineOnlySpace = false;
          i++;
          continue;
        case State.BlockCommentStar:
          if (c === SLASH) this.state = State.Code;
          else if (c !== STAR) this.state = State.BlockComment;
          this.lineOnlySpace = false;
          i++;
          continue;
      }
      // A `break` out of the switch: the token at i needs bytes that have not arrived yet.
      break;
    }
    emit(i);
    if (i < n) this.carry = Buffer.from(buf.subarray(i));
    if (final && this.carry) {
      // Only reachable if a lookahead asked for bytes at the very end; treat them as plain code.
      throw new DumpRejectedError('The dump ends in the middle of a statement: it is truncated or damaged', {
        suggestion: 'Use another backup.',
      });
    }
    if (final && (this.hasContent || this.held.length > 0 || this.decided)) {
      // The client runs a last statement that lacks its delimiter, so it is checked like the others.
      endStatement(n);
    }
    return out;
  }

  /**
   * The bulk of a dump: the rows of an INSERT already checked. One tight loop over code and
   * single-quoted strings (escapes included) that counts rows; it stops at anything else (a
   * delimiter, a comment, another quote) for the general path, or at the end of the buffer.
   */
  private scanRows(buf: Buffer, start: number, n: number, d0: number): number {
    let i = start;
    let depth = this.depth;
    let rows = this.rows;
    while (i < n) {
      const c = buf[i]!;
      if (c === QUOTE) {
        let j = i + 1;
        for (;;) {
          if (j >= n) {
            this.state = State.Single;
            break;
          }
          const b = buf[j]!;
          if (b === QUOTE) break;
          if (b === BACKSLASH) {
            if (j + 1 >= n) {
              this.state = State.SingleEscape;
              j = n;
              break;
            }
            j += 2;
            continue;
          }
          j++;
        }
        if (this.state !== State.Code) {
          i = n;
          break;
        }
        i = j + 1;
        continue;
      }
      if (c === LPAREN) {
        if (depth === 0) rows++;
        depth++;
      } else if (c === RPAREN) {
        depth--;
      } else if (c === d0 || SIGNIFICANT_IN_ROWS[c] === 1) {
        break;
      }
      i++;
    }
    this.depth = depth;
    this.rows = rows;
    if (i > start) this.lineOnlySpace = false;
    return i;
  }

  /** Only an INSERT is decided before its end (at its first row), so other heads need no early look. */
  private headStartsWithInsert(): boolean {
    const head = this.head;
    let k = 0;
    while (k < head.length && isSpace(head[k]!)) k++;
    if (head.length - k < 6) return false;
    const word = String.fromCharCode(...head.slice(k, k + 6)).toLowerCase();
    return word === 'insert';
  }

  private headByte(b: number): void {
    if (this.head.length >= this.maxHeld) this.tooLong();
    this.head.push(b);
  }

  private tooLong(): never {
    throw new DumpRejectedError(
      `The dump holds a statement longer than ${Math.round(this.maxHeld / 1048576)} MiB that shopdb cannot check`,
      {
        suggestion: 'Restore only archives written by `shopdb backup`.',
      },
    );
  }

  private account(verdict: StatementVerdict): void {
    if (verdict.kind === 'empty') return;
    this.statements++;
    switch (verdict.kind) {
      case 'create-table':
        this.tables.set(verdict.table, this.tables.get(verdict.table) ?? 0);
        break;
      case 'create-view':
        this.tables.delete(verdict.view);
        break;
      case 'drop':
        if (verdict.objectType === 'TABLE' || verdict.objectType === 'VIEW') for (const name of verdict.names) this.tables.delete(name);
        break;
      case 'insert':
        this.tables.set(verdict.table, (this.tables.get(verdict.table) ?? 0) + this.rows);
        break;
      default:
        break;
    }
  }
}

/**
 * A stream stage that passes a dump through while checking it: refused input fails the stream
 * before any byte of the refused statement is passed on. `summary()` after the end.
 */
export class SqlDumpFilter extends Transform {
  readonly scanner: SqlDumpScanner;

  constructor(options: SqlScanOptions = {}) {
    super({ highWaterMark: 1 << 20 });
    this.scanner = new SqlDumpScanner(options);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      for (const piece of this.scanner.push(chunk)) this.push(piece);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      for (const piece of this.scanner.end()) this.push(piece);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  summary(): SqlScanSummary {
    return this.scanner.summary();
  }
}

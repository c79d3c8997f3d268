// Reading an import file as a stream of records, whatever its size: the bytes are checked as
// UTF-8 (or converted from `encoding`) with the line of the first bad byte, a byte-order mark is
// dropped, the CSV separator is taken from the header line unless given, and no line may be
// longer than MAX_LINE_BYTES (a 200 MB line is refused, not buffered). CSV goes through
// papaparse with typing off (serial "00123" stays "00123"); JSON Lines is one object a line.

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ImportProblemError, type ImportProblem } from './problems.js';

export const IMPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export const SEPARATORS = { ',': 'comma', ';': 'semicolon', '\t': 'tab' } as const;
export type Separator = keyof typeof SEPARATORS;

/** The longest line read: past it the file is refused at that line. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

export interface ReaderOptions {
  format: ImportFormat;
  /** A Node/iconv encoding name (e.g. windows-1252); default UTF-8, which is then validated. */
  encoding?: string;
  separator?: Separator;
  maxLineBytes?: number;
}

/** One record: its first line in the file, and its values by column (CSV: the header's names). */
export interface FileRecord {
  line: number;
  values: Record<string, unknown>;
}

export interface FileHeader {
  columns: string[];
  separator: Separator | null;
}

/** What `readRecords` learns as it reads; final once the iteration ends. */
export interface ReadState {
  header: FileHeader | null;
  sha256: string;
  bytes: number;
  lines: number;
}

/** The offset of the first byte that does not belong to a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return bytes.length;
}

function countNewlines(bytes: Uint8Array, end = bytes.length): number {
  let n = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) n++;
  return n;
}

/** The bytes as text, checked; the digest and size counted on the way. */
async function* decoded(input: AsyncIterable<Buffer | string>, options: ReaderOptions, state: ReadState): AsyncGenerator<string> {
  const hash = createHash('sha256');
  const maxLine = options.maxLineBytes ?? MAX_LINE_BYTES;
  const encoding = options.encoding?.toLowerCase();
  const utf8 = encoding === undefined || encoding === 'utf-8' || encoding === 'utf8';
  const decoder = utf8 ? new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }) : undefined;
  let iconvDecoder: { write(b: Buffer): string; end(): string | undefined } | undefined;
  if (!utf8) {
    const iconv = (await import('iconv-lite')).default;
    if (!iconv.encodingExists(encoding!)) {
      throw new ImportProblemError({
        line: 0,
        column: null,
        code: 'UNKNOWN_ENCODING',
        message: `"${options.encoding}" is not an encoding shopdb knows`,
        suggestion: 'Use --encoding windows-1252, latin1, utf-16le … or convert the file to UTF-8.',
      });
    }
    iconvDecoder = iconv.getDecoder(encoding!, { stripBOM: true }) as unknown as typeof iconvDecoder;
  }
  let line = 1;
  let sinceNewline = 0;
  let pendingTail: Buffer = Buffer.alloc(0);
  for await (const piece of input) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    hash.update(chunk);
    state.bytes += chunk.length;
    // The longest line, in bytes, before anything is decoded or kept.
    const last = chunk.lastIndexOf(0x0a);
    if (last < 0) sinceNewline += chunk.length;
    else {
      const first = chunk.indexOf(0x0a);
      if (sinceNewline + first > maxLine) throw tooLong(line);
      let start = first + 1;
      let lineNo = line + 1;
      while (start <= last) {
        const next = chunk.indexOf(0x0a, start);
        if (next - start > maxLine) throw tooLong(lineNo);
        start = next + 1;
        lineNo++;
      }
      sinceNewline = chunk.length - last - 1;
    }
    if (sinceNewline > maxLine) throw tooLong(line + countNewlines(chunk));
    if (decoder) {
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        const joined = Buffer.concat([pendingTail, chunk]);
        const at = firstInvalidUtf8(joined);
        throw notUtf8(line + countNewlines(joined, at) - countNewlines(pendingTail));
      }
      // Keep the last few bytes: a bad sequence may start in one chunk and end in the next.
      pendingTail = Buffer.alloc(0);
      for (let k = chunk.length - 1; k >= Math.max(0, chunk.length - 3); k--) {
        if (chunk[k]! >= 0xc0) {
          pendingTail = chunk.subarray(k);
          break;
        }
      }
      line += countNewlines(chunk);
      if (text) yield text;
    } else {
      line += countNewlines(chunk);
      const text = iconvDecoder!.write(chunk);
      if (text) yield text;
    }
  }
  if (decoder) {
    try {
      const rest = decoder.decode();
      if (rest) yield rest;
    } catch {
      throw notUtf8(line);
    }
  } else {
    const rest = iconvDecoder!.end();
    if (rest) yield rest;
  }
  state.sha256 = hash.digest('hex');
  state.lines = line;
}

function tooLong(line: number): ImportProblemError {
  return new ImportProblemError({
    line,
    column: null,
    code: 'LINE_TOO_LONG',
    message: `Line ${line} is longer than ${MAX_LINE_BYTES / 1024 / 1024} MB`,
    suggestion:
      'Check that the file is a CSV or JSON Lines export with one record a line (a binary file, or a field holding a whole document, is not importable).',
  });
}

function notUtf8(line: number): ImportProblemError {
  return new ImportProblemError({
    line,
    column: null,
    code: 'NOT_UTF8',
    message: `Line ${line} is not valid UTF-8`,
    suggestion: 'Save the file as "CSV UTF-8" in Excel, or name its encoding: --encoding windows-1252 (older Excel on Windows).',
  });
}

/** The separator of a header line: the most frequent of , ; and tab outside quotes. */
export function detectSeparator(headerLine: string): Separator {
  const counts: Record<Separator, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const c of headerLine) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && c in counts) counts[c as Separator]++;
  }
  return (
    Object.entries(counts).sort((a, b) => b[1] - a[1])[0]![1] > 0 ? Object.entries(counts).sort((a, b) => b[1] - a[1])[0]![0] : ','
  ) as Separator;
}

/**
 * The records of a file, in order. Problems of the file itself (not UTF-8, a line too long, a
 * quote left open, a row of the wrong width, a JSON line that is no object) are passed to
 * `problem`; the fatal ones (after which nothing can be read) end the iteration by throwing.
 */
export async function* readRecords(
  input: AsyncIterable<Buffer | string>,
  options: ReaderOptions,
  state: ReadState,
  problem: (p: ImportProblem) => void,
): AsyncGenerator<FileRecord> {
  const text = decoded(input, options, state);
  if (options.format === 'jsonl') yield* jsonLines(text, state, problem);
  else yield* csvRecords(text, options, state, problem);
}

async function* jsonLines(text: AsyncGenerator<string>, state: ReadState, problem: (p: ImportProblem) => void): AsyncGenerator<FileRecord> {
  let buffer = '';
  let line = 0;
  let first = true;
  const parse = (raw: string): FileRecord | undefined => {
    line++;
    if (first) {
      first = false;
      if (raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
    }
    const trimmed = raw.replace(/\r$/, '');
    if (trimmed.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      problem({
        line,
        column: null,
        code: 'BAD_JSON',
        message: `Line ${line} is not JSON: ${(error as Error).message}`,
        suggestion: 'Each line of a JSON Lines file is one JSON object, like {"asset_tag":"CNC-1","name":"Mill"}.',
      });
      return undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problem({
        line,
        column: null,
        code: 'BAD_JSON',
        message: `Line ${line} is not a JSON object`,
        suggestion: 'Each line of a JSON Lines file is one JSON object, like {"asset_tag":"CNC-1","name":"Mill"}.',
      });
      return undefined;
    }
    return { line, values: value as Record<string, unknown> };
  };
  for await (const piece of text) {
    buffer += piece;
    let at: number;
    while ((at = buffer.indexOf('\n')) >= 0) {
      const record = parse(buffer.slice(0, at));
      buffer = buffer.slice(at + 1);
      if (record) yield record;
    }
  }
  if (buffer !== '') {
    const record = parse(buffer);
    if (record) yield record;
  }
  state.header = { columns: [], separator: null };
}

async function* csvRecords(
  text: AsyncGenerator<string>,
  options: ReaderOptions,
  state: ReadState,
  problem: (p: ImportProblem) => void,
): AsyncGenerator<FileRecord> {
  // The header line decides the separator: read up to its end first.
  let head = '';
  let next = await text.next();
  while (!next.done) {
    head += next.value;
    if (head.includes('\n')) break;
    next = await text.next();
  }
  if (head.charCodeAt(0) === 0xfeff) head = head.slice(1);
  if (head.trim() === '' && next.done) {
    throw new ImportProblemError({
      line: 1,
      column: null,
      code: 'EMPTY_FILE',
      message: 'The file is empty',
      suggestion: 'Export the sheet again with a header line (asset_tag,name,type,status,…) and one line per asset.',
    });
  }
  const separator = options.separator ?? detectSeparator(head.split('\n')[0]!);
  async function* rest(): AsyncGenerator<string> {
    yield head;
    if (next.done) return;
    for (let piece = await text.next(); !piece.done; piece = await text.next()) yield piece.value;
  }
  const Papa = (await import('papaparse')).default;
  const rows = queueOf<{ cells: string[]; errors: Array<{ code: string; message: string }> }>();
  const source = Readable.from(rest(), { objectMode: true });
  let parserRef: { pause(): void; resume(): void; abort(): void } | undefined;
  // papaparse's resume() and abort() on a parser that is not paused (or is done) start work again
  // (a timer that never ends): only a parser this code paused is resumed, and only once.
  let paused = false;
  let finished = false;
  const resume = () => {
    if (!paused || finished) return;
    paused = false;
    source.resume();
    parserRef?.resume();
  };
  source.on('error', (error) => rows.fail(error));
  Papa.parse(
    source as unknown as NodeJS.ReadableStream,
    {
      delimiter: separator,
      header: false,
      dynamicTyping: false,
      skipEmptyLines: false,
      step: (
        result: { data: unknown; errors: Array<{ code: string; message: string }> },
        parser: { pause(): void; resume(): void; abort(): void },
      ) => {
        parserRef = parser;
        if (
          rows.push({
            cells: result.data as string[],
            errors: result.errors.map((e: { code: string; message: string }) => ({ code: e.code, message: e.message })),
          }) &&
          !paused
        ) {
          paused = true;
          // The parser's pause() stops parsing, not reading: papaparse keeps queueing the stream's
          // chunks meanwhile (the whole file, behind a slow database). Pause the stream as well.
          source.pause();
          parser.pause();
        }
      },
      complete: () => {
        finished = true;
        rows.end();
      },
      error: (error: Error) => {
        finished = true;
        rows.fail(error);
      },
    } as never,
  );
  let header: string[] | null = null;
  let line = 1;
  try {
    for (;;) {
      const item = await rows.shift(resume);
      if (item === undefined) break;
      const { cells, errors } = item;
      const at = line;
      let newlines = 0;
      for (const cell of cells) for (let i = cell.indexOf('\n'); i >= 0; i = cell.indexOf('\n', i + 1)) newlines++;
      line += 1 + newlines;
      for (const error of errors) {
        if (error.code === 'MissingQuotes')
          problem({
            line: at,
            column: null,
            code: 'OPEN_QUOTE',
            message: `Line ${at} opens a quote that is never closed`,
            suggestion: 'Close the quote, or double a quote that is part of the text ("" for ").',
          });
        else if (error.code === 'InvalidQuotes')
          problem({
            line: at,
            column: null,
            code: 'BAD_QUOTE',
            message: `Line ${at} has a quote in the middle of a quoted field`,
            suggestion: 'Double a quote that is part of the text ("" for ").',
          });
      }
      if (cells.length === 1 && cells[0] === '') continue;
      if (header === null) {
        header = cells.map((c) => c.trim());
        state.header = { columns: header, separator };
        continue;
      }
      if (errors.some((e) => e.code === 'MissingQuotes')) continue;
      if (cells.length !== header.length) {
        problem({
          line: at,
          column: null,
          code: cells.length > header.length ? 'TOO_MANY_CELLS' : 'TOO_FEW_CELLS',
          message: `Line ${at} has ${cells.length} cells, the header has ${header.length}`,
          suggestion: `Check the separator (${SEPARATORS[separator]}; --separator to choose) and quote cells that contain it.`,
        });
        continue;
      }
      const values: Record<string, unknown> = {};
      for (let i = 0; i < header.length; i++) values[header[i]!] = cells[i];
      yield { line: at, values };
    }
  } finally {
    if (!finished) {
      finished = true;
      parserRef?.abort();
    }
    source.destroy();
  }
  if (header === null) {
    throw new ImportProblemError({
      line: 1,
      column: null,
      code: 'EMPTY_FILE',
      message: 'The file is empty',
      suggestion: 'Export the sheet again with a header line (asset_tag,name,type,status,…) and one line per asset.',
    });
  }
}

/** A small bounded queue between papaparse's callbacks and an async iteration. */
function queueOf<T>() {
  const items: T[] = [];
  let done = false;
  let failure: unknown;
  let wake: (() => void) | null = null;
  const HIGH = 256;
  return {
    /** Adds one; true when the producer should pause. */
    push(item: T): boolean {
      items.push(item);
      wake?.();
      return items.length >= HIGH;
    },
    end() {
      done = true;
      wake?.();
    },
    fail(error: unknown) {
      failure = error;
      done = true;
      wake?.();
    },
    async shift(resume: () => void): Promise<T | undefined> {
      for (;;) {
        if (failure !== undefined) throw failure;
        if (items.length > 0) {
          const item = items.shift()!;
          if (items.length === 0 && !done) resume();
          return item;
        }
        if (done) return undefined;
        resume();
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    },
  };
}

// What an import finds wrong, one problem per cell or line: where (line, column), a stable code,
// the message and what to do. Every problem of a file is collected in one run; the file-level
// ones that stop the reading are thrown as ImportProblemError.

import { UserError, type ShopdbErrorOptions } from '../errors.js';

export interface ImportProblem {
  /** 1-based line of the file (0: not tied to a line, e.g. a flag). */
  line: number;
  /** The column's name, or null for the whole line. */
  column: string | null;
  code: string;
  message: string;
  suggestion: string | null;
}

/** Stops reading a file: nothing after this point can be read. */
export class ImportProblemError extends UserError {
  override readonly code: string = 'IMPORT_FILE_UNREADABLE';
  constructor(readonly problem: Omit<ImportProblem, 'suggestion'> & { suggestion?: string | null }) {
    super(problem.message, { suggestion: problem.suggestion ?? undefined });
  }
}

/** The most problems kept (and printed); past it they are only counted. */
export const MAX_PROBLEMS_KEPT = 1000;

export function formatProblem(p: ImportProblem): string {
  const where = p.line > 0 ? `line ${p.line}${p.column ? `, ${p.column}` : ''}` : (p.column ?? 'file');
  return `${where}: ${p.message} [${p.code}]${p.suggestion ? ` — ${p.suggestion}` : ''}`;
}

/** The file has problems: nothing was written. Carries every problem found (up to MAX_PROBLEMS_KEPT). */
export class ImportInvalidError extends UserError {
  override readonly code: string = 'IMPORT_INVALID';
  constructor(
    readonly problems: ImportProblem[],
    readonly problemCount: number,
    readonly importId: string,
    options: ShopdbErrorOptions = {},
  ) {
    super(`The file has ${problemCount} problem${problemCount === 1 ? '' : 's'}; nothing was written`, {
      details: problems
        .slice(0, 200)
        .map(formatProblem)
        .concat(problems.length > 200 ? [`… and ${problemCount - 200} more (--json lists up to ${MAX_PROBLEMS_KEPT})`] : []),
      suggestion: 'Fix these lines (all of them are listed) and run the same command again; `--dry-run` checks the file without writing.',
      ...options,
    });
  }

  override toJSON() {
    return { ...super.toJSON(), importId: this.importId, problemCount: this.problemCount, problems: this.problems };
  }
}

/** Levenshtein distance, for "did you mean". */
export function distance(a: string, b: string): number {
  if (a === b) return 0;
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return prev[b.length]!;
}

/** The `count` known values closest to `value` (ignoring case), nearest first. */
export function closest(value: string, known: Iterable<string>, count = 3): string[] {
  const lower = value.toLowerCase();
  return [...known]
    .map((candidate) => ({ candidate, d: distance(lower, candidate.toLowerCase()) }))
    .sort((x, y) => x.d - y.d || x.candidate.localeCompare(y.candidate))
    .slice(0, count)
    .map((x) => x.candidate);
}

/** "did you mean" for a name, only when one is near enough to be a likely typo. */
export function didYouMean(value: string, known: Iterable<string>): string | null {
  const [best] = closest(value, known, 1);
  if (best === undefined) return null;
  return distance(value.toLowerCase(), best.toLowerCase()) <= Math.max(2, Math.floor(best.length / 3)) ? best : null;
}

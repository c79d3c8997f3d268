// Recognises constraint violations from either engine, so services can turn them into
// ConflictError (409) instead of an unexpected 500.

function codes(error: unknown): { code?: string; errno?: number } {
  const e = error as { code?: unknown; errno?: unknown };
  return { code: typeof e?.code === 'string' ? e.code : undefined, errno: typeof e?.errno === 'number' ? e.errno : undefined };
}

/** A UNIQUE or PRIMARY KEY clash (MySQL ER_DUP_ENTRY, SQLite SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY). */
export function isUniqueViolation(error: unknown): boolean {
  const { code, errno } = codes(error);
  return errno === 1062 || code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** A row still referenced by another, or a reference to a missing row. */
export function isForeignKeyViolation(error: unknown): boolean {
  const { code, errno } = codes(error);
  if (
    errno === 1451 ||
    errno === 1452 ||
    code === 'ER_ROW_IS_REFERENCED_2' ||
    code === 'ER_NO_REFERENCED_ROW_2' ||
    code === 'SQLITE_CONSTRAINT_FOREIGNKEY'
  )
    return true;
  // SQLite reports an ON DELETE RESTRICT refusal with the extended code of a trigger.
  return code === 'SQLITE_CONSTRAINT_TRIGGER' && /FOREIGN KEY constraint failed/.test((error as Error).message);
}

// SQLite backups use SQLite's online backup API (better-sqlite3's `backup()`): a consistent copy
// of the database file taken while the API keeps running, switched to a self-contained rollback
// journal, and archived as is. Restoring runs the same API the other way, from the checked file
// into the live database, so a running `shopdb serve` sees the restored data at its next query.

import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type BetterSqlite3 from 'better-sqlite3';
import { DatabaseUnavailableError } from '../errors.js';
import { tempPathFor, ArchiveError } from './archive.js';
import type { BackupDriver, DriverContext, DumpFacts } from './drivers.js';
import { countRows, readInstalledPlugins, readMigrationHeads, type Query } from './site-state.js';
import type { SqlRow } from './site-state.js';

type SqliteTarget = { client: 'sqlite'; filename: string };

function sqliteTarget(context: DriverContext): SqliteTarget {
  if (context.target.client !== 'sqlite') throw new Error('sqlite driver used for a MySQL site');
  return context.target;
}

async function openSqlite(filename: string, options: BetterSqlite3.Options = {}): Promise<BetterSqlite3.Database> {
  const { default: Database } = await import('better-sqlite3');
  return new Database(filename, options);
}

/** An empty 0600 file (backup() would otherwise create it with the umask's mode). */
async function privateEmptyFile(path: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  await handle.close();
}

async function removeSqliteFiles(path: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm', '-journal']) await unlink(path + suffix).catch(() => {});
}

const queryOf =
  (db: BetterSqlite3.Database): Query =>
  (sql) =>
    (db.prepare(sql).all() as Array<Record<string, unknown>>).map(
      (row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? null : String(v)])) as SqlRow,
    );

function userTables(db: BetterSqlite3.Database): string[] {
  return (
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
      .all() as Array<{ name: string }>
  ).map((row) => row.name);
}

/** Opens a file that claims to be a SQLite database, and proves it: integrity check, then row counts. */
async function checkedCounts(path: string, foreignKeys: boolean): Promise<Record<string, number>> {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = await openSqlite(path, { fileMustExist: true });
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok')
      throw new ArchiveError(`The SQLite database in the backup is damaged (integrity check: ${String(integrity)})`, {
        suggestion: 'Use another backup.',
      });
    if (foreignKeys && (db.pragma('foreign_key_check') as unknown[]).length > 0) {
      throw new ArchiveError('The SQLite database in the backup has rows whose foreign keys point nowhere', {
        suggestion: 'Use another backup.',
      });
    }
    return await countRows(queryOf(db), userTables(db));
  } catch (error) {
    if (error instanceof ArchiveError) throw error;
    throw new ArchiveError(`The backup does not hold a readable SQLite database (${(error as Error).message})`, {
      suggestion: 'Use another backup.',
      cause: error,
    });
  } finally {
    db?.close();
  }
}

async function writeTemp(input: Readable, path: string): Promise<void> {
  await privateEmptyFile(path);
  await pipeline(input, createWriteStream(path, { flags: 'r+', highWaterMark: 1 << 20 }));
}

export const sqliteBackupDriver: BackupDriver = {
  engine: 'sqlite',
  dumpEntry: 'database.sqlite.gz',

  async startDump(context, tempDir) {
    const { filename } = sqliteTarget(context);
    if (!existsSync(filename)) {
      throw new DatabaseUnavailableError(`No SQLite database at ${filename}`, {
        suggestion: 'Check DB_SQLITE_PATH in the .env, or create it with `shopdb migrate`.',
      });
    }
    const snapshot = tempPathFor(join(tempDir, `${basename(filename)}.snapshot`));
    await privateEmptyFile(snapshot);
    let facts: DumpFacts;
    try {
      const source = await openSqlite(filename, { fileMustExist: true });
      try {
        source.pragma('busy_timeout = 5000');
        await source.backup(snapshot);
      } finally {
        source.close();
      }
      const copy = await openSqlite(snapshot, { fileMustExist: true });
      try {
        // A self-contained file: no -wal beside it to forget.
        copy.pragma('journal_mode = DELETE');
        const query = queryOf(copy);
        const tables = userTables(copy);
        const plugins = await readInstalledPlugins(query, tables);
        facts = {
          product: 'SQLite',
          version: String(copy.prepare('select sqlite_version() as v').pluck().get()),
          databaseName: basename(filename),
          tool: 'SQLite online backup (better-sqlite3)',
          events: false,
          migrations: await readMigrationHeads(query, tables, plugins),
          plugins,
          tables: await countRows(query, tables),
        };
      } finally {
        copy.close();
      }
    } catch (error) {
      await removeSqliteFiles(snapshot);
      throw error;
    }
    const stream = createReadStream(snapshot, { highWaterMark: 1 << 20 });
    return {
      stream,
      finish: async () => facts,
      abort: () => stream.destroy(),
      cleanup: () => removeSqliteFiles(snapshot),
    };
  },

  async scan(context, input, tempDir) {
    const temp = tempPathFor(join(tempDir, 'verify.sqlite'));
    try {
      await writeTemp(input, temp);
      return await checkedCounts(temp, false);
    } finally {
      await removeSqliteFiles(temp);
    }
  },

  async inspect(context) {
    const { filename } = sqliteTarget(context);
    if (!existsSync(filename)) return { exists: false, tables: 0, rows: 0 };
    const db = await openSqlite(filename, { fileMustExist: true });
    try {
      const counts = await countRows(queryOf(db), userTables(db));
      return { exists: true, tables: Object.keys(counts).length, rows: Object.values(counts).reduce((a, b) => a + b, 0) };
    } finally {
      db.close();
    }
  },

  async load(context, input, target) {
    const { filename } = sqliteTarget(context);
    const destination = target.kind === 'site' ? filename : target.name;
    // The restored file is written beside the database (same filesystem), checked, then copied in.
    await mkdir(dirname(filename), { recursive: true, mode: 0o700 });
    const temp = target.kind === 'site' ? tempPathFor(`${filename}.restore`) : destination;
    try {
      await writeTemp(input, temp);
      const counts = await checkedCounts(temp, target.kind === 'scratch');
      if (target.kind === 'site') {
        const created = !existsSync(filename);
        if (created) await privateEmptyFile(filename);
        const restored = await openSqlite(temp, { fileMustExist: true });
        try {
          await restored.backup(filename);
        } finally {
          restored.close();
        }
        if (created) await chmod(filename, 0o600);
      }
      return counts;
    } finally {
      if (target.kind === 'site') await removeSqliteFiles(temp);
    }
  },

  async clear(context) {
    const { filename } = sqliteTarget(context);
    if (!existsSync(filename)) return;
    const db = await openSqlite(filename, { fileMustExist: true });
    try {
      db.pragma('foreign_keys = OFF');
      for (const row of db.prepare("SELECT type, name FROM sqlite_master WHERE type IN ('view', 'trigger') ").all() as Array<{
        type: string;
        name: string;
      }>) {
        db.exec(`DROP ${row.type.toUpperCase()} IF EXISTS "${row.name.replace(/"/g, '""')}"`);
      }
      for (const table of userTables(db)) db.exec(`DROP TABLE IF EXISTS "${table.replace(/"/g, '""')}"`);
    } finally {
      db.close();
    }
  },

  async createScratch(_context, tempDir) {
    const path = tempPathFor(join(tempDir, 'verify-deep.sqlite'));
    return {
      target: { kind: 'scratch', name: path },
      description: `a temporary SQLite file in ${tempDir}`,
      drop: () => removeSqliteFiles(path),
    };
  },
};

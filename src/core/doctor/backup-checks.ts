// Doctor checks for what backups depend on besides the tools and BACKUP_DIR: the copy target
// (BACKUP_COPY_TO), and what interrupted runs left behind — MySQL option files holding the
// database password, and `verify --deep` scratch schemas holding a full copy of the site. A
// leftover whose run is provably gone is removed here, as the next backup would (ADR-016), and
// reported as a warning so that the crash itself gets noticed.

import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import {
  findStaleOptionFolders,
  sweepOptionFolders,
  sweepScratchSchemas,
  describeScratchSchema,
  findScratchSchemas,
} from '../backup/mysql/leftovers.js';
import type { SqlRow } from '../backup/site-state.js';
import { asShopdbError } from '../errors.js';
import { ensureUsableDirectory, withDeadline } from '../fs/guarded.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from './registry.js';

const GIB = 1024 ** 3;

function skipped(context: DoctorContext, mysqlOnly: boolean): CheckOutcome | undefined {
  if (!context.config) return { status: 'skip', message: 'skipped: the configuration did not load' };
  if (mysqlOnly && context.config.values.DB_CLIENT === 'sqlite') return { status: 'skip', message: 'SQLite: nothing of the kind is made' };
  return undefined;
}

export const backupCopyDirCheck: DoctorCheck = {
  id: 'backup-copy-dir',
  title: 'Backup copy target (BACKUP_COPY_TO)',
  tags: ['backup'],
  async run(context) {
    const skip = skipped(context, false);
    if (skip) return skip;
    const configured = context.config!.values.BACKUP_COPY_TO;
    if (!configured) return { status: 'skip', message: 'not set: backups are not copied anywhere' };
    const directory = resolve(context.config!.baseDir, configured);
    try {
      await ensureUsableDirectory(directory, { setting: 'BACKUP_COPY_TO' });
    } catch (error) {
      const failure = asShopdbError(error);
      return { status: 'fail', message: failure.message, suggestion: failure.suggestion, data: { directory } };
    }
    const stats = await withDeadline(statfs(directory), `Asking ${directory} for its free space`);
    const free = stats.bavail * stats.bsize;
    const data = { directory, freeBytes: free };
    const freeText = `${(free / GIB).toFixed(1)} GiB`;
    if (free < GIB)
      return {
        status: 'warn',
        message: `${directory}: only ${freeText} free`,
        suggestion: 'Copies may soon fail; free space there.',
        data,
      };
    return { status: 'pass', message: `${directory} (${freeText} free)`, data };
  },
};

export const optionFileLeftoversCheck: DoctorCheck = {
  id: 'backup-option-files',
  title: 'No MySQL password file left by an interrupted run',
  tags: ['backup'],
  async run(context) {
    const skip = skipped(context, true);
    if (skip) return skip;
    const tmp = tmpdir();
    const removed = await sweepOptionFolders(tmp);
    const remaining = (await findStaleOptionFolders(tmp)).map((folder) => folder.path);
    const data = { removed, remaining };
    if (remaining.length > 0) {
      return {
        status: 'fail',
        message: `option files with the database password are left in ${remaining.join(', ')} and could not be removed`,
        suggestion: `Remove them: rm -r ${remaining.join(' ')}`,
        data,
      };
    }
    if (removed.length > 0) {
      return {
        status: 'warn',
        message: `removed ${removed.length} option file folder(s) with the database password left by runs that died: ${removed.join(', ')}`,
        data,
      };
    }
    return { status: 'pass', message: `none in ${tmp}`, data };
  },
};

export const scratchSchemaLeftoversCheck: DoctorCheck = {
  id: 'backup-scratch-schemas',
  title: 'No scratch schema left by an interrupted `backup verify --deep`',
  tags: ['backup'],
  async run(context) {
    const skip = skipped(context, true);
    if (skip) return skip;
    const db = await context.database();
    const query = async (sql: string) => ((await db.raw(sql)) as [SqlRow[]])[0];
    const run = async (sql: string) => void (await db.raw(sql));
    const database = context.config!.values.DB_NAME;
    const sweep = await sweepScratchSchemas(query, run, database);
    const running = (await findScratchSchemas(query, database)).filter((schema) => schema.owner === 'running').map((schema) => schema.name);
    const data = {
      dropped: sweep.dropped,
      failed: sweep.failed.map((f) => f.name),
      otherHost: sweep.otherHost.map((s) => s.name),
      running,
    };
    if (sweep.failed.length > 0) {
      return {
        status: 'fail',
        message: `scratch schemas with a full copy of the site could not be dropped: ${sweep.failed.map((f) => `${f.name} (${f.reason})`).join('; ')}`,
        suggestion: `Drop them as root: ${sweep.failed.map((f) => `DROP DATABASE \`${f.name}\`;`).join(' ')}`,
        data,
      };
    }
    if (sweep.otherHost.length > 0) {
      return {
        status: 'warn',
        message: `scratch schemas made by \`backup verify --deep\` on another machine: ${sweep.otherHost.map(describeScratchSchema).join(', ')}`,
        suggestion: `If no verify --deep runs there, drop them: ${sweep.otherHost.map((s) => `DROP DATABASE \`${s.name}\`;`).join(' ')}`,
        data,
      };
    }
    if (sweep.dropped.length > 0) {
      return {
        status: 'warn',
        message: `dropped ${sweep.dropped.length} scratch schema(s) left by an interrupted verify --deep: ${sweep.dropped.join(', ')}`,
        data,
      };
    }
    return {
      status: 'pass',
      message: running.length > 0 ? `none left over (${running.length} in use by a running verify --deep)` : 'none',
      data,
    };
  },
};

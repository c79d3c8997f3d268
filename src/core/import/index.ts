// The import and export as the CLI runs them: a site's database and its enabled plugins around
// the services in service.ts and ../export/assets.ts, and stdin spooled to a private temp file
// (an --apply reads the file twice; a pipe can be read once).

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import type { Actor } from '../audit/log.js';
import type { DatabaseTarget, DatabaseLogger } from '../db/connect.js';
import { UsageError } from '../errors.js';
import { catalogOptionsFromConfig, loadPluginCatalog } from '../plugins/catalog.js';
import type { LoadedConfig } from '../config/index.js';
import { enabledImportPlugins } from './columns.js';
import { parseLegacyMap } from './legacy.js';
import {
  importAssets,
  listImports,
  type CreatableReference,
  type ImportHistoryEntry,
  type ImportReport,
  CREATABLE_REFERENCES,
} from './service.js';
import { IMPORT_FORMATS, type ImportFormat, type Separator } from './reader.js';
import { exportAssets, type ExportFilters, type ExportFormat } from '../export/assets.js';

export interface ImportFileRequest {
  /** A path, or '-' for stdin. */
  file: string;
  stdin: NodeJS.ReadableStream;
  format?: ImportFormat;
  encoding?: string;
  separator?: Separator;
  apply: boolean;
  planId?: string;
  emptyClears: boolean;
  createMissing: string[];
  source?: string;
  mapFile?: string;
  actor: Actor;
  batchSize?: number;
  progress?: (event: { phase: 'check' | 'apply'; rows: number }) => void;
}

export function formatOf(file: string, given: string | undefined): ImportFormat {
  if (given !== undefined) return given as ImportFormat;
  const ext = extname(file).toLowerCase().replace('.', '');
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  if (ext === 'csv' || ext === 'tsv' || ext === 'txt' || file === '-') return 'csv';
  throw new UsageError(`Cannot tell the format of ${file} from its extension`, {
    suggestion: `Pass --format ${IMPORT_FORMATS.join(' or ')}.`,
  });
}

async function withSite<T>(
  config: LoadedConfig,
  logger: DatabaseLogger,
  work: (db: Knex, plugins: Awaited<ReturnType<typeof enabledImportPlugins>>) => Promise<T>,
): Promise<T> {
  const { databaseTargetFromConfig, withDatabase } = await import('../db/connect.js');
  const catalog = await loadPluginCatalog(catalogOptionsFromConfig(config));
  const target: DatabaseTarget = databaseTargetFromConfig(config);
  return withDatabase(target, { logger }, async (db) => work(db, await enabledImportPlugins(db, catalog)));
}

export async function importFile(config: LoadedConfig, logger: DatabaseLogger, request: ImportFileRequest): Promise<ImportReport> {
  const format = formatOf(request.file, request.format);
  const unknown = request.createMissing.filter((r) => !(CREATABLE_REFERENCES as readonly string[]).includes(r));
  if (unknown.length > 0)
    throw new UsageError(`--create-missing does not know ${unknown.join(', ')}`, {
      suggestion: `Name some of ${CREATABLE_REFERENCES.join(', ')}, separated by commas.`,
    });
  if ((request.source === undefined) !== (request.mapFile === undefined))
    throw new UsageError('--source and --map go together', {
      suggestion: 'A legacy migration names its source and its map: --source NAME --map MAP.yaml.',
    });
  const legacy =
    request.mapFile === undefined
      ? undefined
      : { source: request.source!, map: await parseLegacyMap(await readFile(request.mapFile, 'utf8'), request.mapFile) };
  let path = request.file;
  let spool: string | undefined;
  if (request.file === '-') {
    spool = await mkdtemp(join(tmpdir(), 'shopdb-import-'));
    path = join(spool, 'stdin');
    await pipeline(request.stdin, createWriteStream(path, { mode: 0o600 }));
  }
  try {
    return await withSite(config, logger, (db, plugins) =>
      importAssets(db, {
        open: () => createReadStream(path, { highWaterMark: 256 * 1024 }),
        fileName: request.file === '-' ? 'stdin' : basename(request.file),
        format,
        encoding: request.encoding,
        separator: request.separator,
        apply: request.apply,
        planId: request.planId,
        emptyClears: request.emptyClears,
        createMissing: request.createMissing as CreatableReference[],
        legacy,
        actor: { ...request.actor },
        plugins,
        batchSize: request.batchSize,
        progress: request.progress,
      }),
    );
  } finally {
    if (spool) await rm(spool, { recursive: true, force: true });
  }
}

export async function importHistory(config: LoadedConfig, logger: DatabaseLogger, limit: number): Promise<ImportHistoryEntry[]> {
  return withSite(config, logger, (db) => listImports(db, limit));
}

/** Writes the export to `out` (a stream); the number of assets written. */
export async function exportFile(
  config: LoadedConfig,
  logger: DatabaseLogger,
  request: { format: ExportFormat; filters: ExportFilters; out: NodeJS.WritableStream; escapeFormulas: boolean },
): Promise<{ rows: number }> {
  const counted = { rows: 0 };
  await withSite(config, logger, async (db, plugins) => {
    const { Readable } = await import('node:stream');
    await pipeline(
      Readable.from(
        exportAssets(db, { format: request.format, filters: request.filters, plugins, escapeFormulas: request.escapeFormulas }, counted),
      ),
      request.out,
      { end: false },
    );
  });
  return counted;
}

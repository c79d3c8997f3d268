// The manifest of a backup (manifest.json inside the archive): what was saved, by which shopdb,
// from which server, at which migration heads, and how to check it. Read back from an untrusted
// file, so every field is checked before anything relies on it.

import { ArchiveError, DUMP_ENTRIES } from './archive.js';

export const MANIFEST_FORMAT = 'shopdb-backup';
export const MANIFEST_VERSION = 1;

export const BACKUP_KINDS = ['backup', 'pre-restore', 'pre-update', 'pre-uninstall', 'pre-rollback'] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];

export type BackupEngine = 'mysql' | 'sqlite';

/** The last applied migration of one history table (core, or one plugin). */
/** The cluster node a dump was taken from. */
export interface ClusterOrigin {
  kind: 'galera';
  /** wsrep_node_name. */
  node: string;
  /** Nodes in the cluster at the time. */
  size: number;
}

export interface MigrationHead {
  /** shopdb_migrations, shopdb_plugin_<name>_migrations */
  table: string;
  /** 'core', or 'plugin:<name>' as read from the table name. */
  source: string;
  head: string | null;
  applied: number;
}

export interface InstalledPluginRecord {
  name: string;
  version: string;
  enabled: boolean;
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  formatVersion: typeof MANIFEST_VERSION;
  site: string;
  kind: BackupKind;
  /** ISO 8601, UTC: when the dump started. */
  createdAt: string;
  durationMs: number;
  shopdb: { version: string };
  /** `cluster`: the node the dump was taken from, when the server is a Galera node (absent otherwise). */
  database: { engine: BackupEngine; product: string; version: string; name: string; cluster?: ClusterOrigin };
  dump: {
    entry: (typeof DUMP_ENTRIES)[number];
    /** The program that wrote it, e.g. "mariadb-dump 10.19 (MariaDB 10.11.19)" or "better-sqlite3 backup". */
    tool: string;
    compression: 'gzip';
    /** Size and sha256 (hex) of the dump entry as stored (compressed). */
    bytes: number;
    sha256: string;
    uncompressedBytes: number;
    /** MySQL: whether events are in the dump (they need the EVENT privilege). */
    events: boolean;
  };
  migrations: MigrationHead[];
  plugins: InstalledPluginRecord[];
  /** Rows per base table, as in the dump. */
  tables: Record<string, number>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isText = (value: unknown, max = 500): value is string => typeof value === 'string' && value.length <= max;

/** Parses and checks a manifest; every problem is listed in the error's details. */
export function parseManifest(text: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ArchiveError('The backup manifest is not readable JSON', {
      suggestion: 'The file is damaged: use another backup.',
      cause: error,
    });
  }
  const problems: string[] = [];
  const need = (ok: boolean, field: string, what: string) => {
    if (!ok) problems.push(`${field}: ${what}`);
  };
  if (!isObject(value))
    throw new ArchiveError('The backup manifest is not a JSON object', { suggestion: 'The file is damaged: use another backup.' });
  const m = value;
  need(m.format === MANIFEST_FORMAT, 'format', `must be "${MANIFEST_FORMAT}"`);
  if (m.format === MANIFEST_FORMAT && m.formatVersion !== MANIFEST_VERSION) {
    throw new ArchiveError(`The backup uses manifest version ${String(m.formatVersion)}; this shopdb reads version ${MANIFEST_VERSION}`, {
      suggestion: 'Restore it with the shopdb version that made it (its version is in the manifest), or a newer one.',
    });
  }
  need(isText(m.site, 63) && /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(m.site), 'site', 'a site name');
  need((BACKUP_KINDS as readonly unknown[]).includes(m.kind), 'kind', BACKUP_KINDS.join(' | '));
  need(isText(m.createdAt, 40) && !Number.isNaN(Date.parse(m.createdAt)), 'createdAt', 'an ISO date');
  need(isCount(m.durationMs), 'durationMs', 'a number of milliseconds');
  need(isObject(m.shopdb) && isText(m.shopdb.version, 64), 'shopdb.version', 'a version');
  const db = isObject(m.database) ? m.database : {};
  need(db.engine === 'mysql' || db.engine === 'sqlite', 'database.engine', 'mysql | sqlite');
  need(isText(db.product, 40) && isText(db.version, 80) && isText(db.name, 500), 'database', 'product, version and name');
  if (db.cluster !== undefined) {
    const cluster = isObject(db.cluster) ? db.cluster : {};
    need(
      cluster.kind === 'galera' && isText(cluster.node, 200) && isCount(cluster.size),
      'database.cluster',
      '{ kind: "galera", node, size }',
    );
  }
  const dump = isObject(m.dump) ? m.dump : {};
  need((DUMP_ENTRIES as readonly unknown[]).includes(dump.entry), 'dump.entry', DUMP_ENTRIES.join(' | '));
  need(isText(dump.tool), 'dump.tool', 'text');
  need(dump.compression === 'gzip', 'dump.compression', 'gzip');
  need(isCount(dump.bytes) && isCount(dump.uncompressedBytes), 'dump.bytes', 'sizes in bytes');
  need(typeof dump.sha256 === 'string' && /^[0-9a-f]{64}$/.test(dump.sha256), 'dump.sha256', '64 hex digits');
  need(typeof dump.events === 'boolean', 'dump.events', 'true or false');
  need(
    Array.isArray(m.migrations) &&
      m.migrations.every(
        (h) => isObject(h) && isText(h.table, 64) && isText(h.source, 80) && (h.head === null || isText(h.head, 255)) && isCount(h.applied),
      ),
    'migrations',
    'a list of {table, source, head, applied}',
  );
  need(
    Array.isArray(m.plugins) &&
      m.plugins.every((p) => isObject(p) && isText(p.name, 100) && isText(p.version, 64) && typeof p.enabled === 'boolean'),
    'plugins',
    'a list of {name, version, enabled}',
  );
  need(
    isObject(m.tables) && Object.entries(m.tables).every(([name, rows]) => name.length <= 64 && isCount(rows)),
    'tables',
    'row counts per table',
  );
  if (db.engine === 'sqlite' && dump.entry !== 'database.sqlite.gz') problems.push('dump.entry: a SQLite backup holds database.sqlite.gz');
  if (db.engine === 'mysql' && dump.entry !== 'dump.sql.gz') problems.push('dump.entry: a MySQL backup holds dump.sql.gz');
  if (problems.length > 0) {
    throw new ArchiveError('The backup manifest is incomplete or damaged', { details: problems, suggestion: 'Use another backup.' });
  }
  return m as unknown as BackupManifest;
}

export function totalRows(manifest: Pick<BackupManifest, 'tables'>): number {
  return Object.values(manifest.tables).reduce((sum, rows) => sum + rows, 0);
}

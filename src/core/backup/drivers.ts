// Backup drivers: one per database engine, registered by engine name, each implementing the same
// small interface — produce a dump as a stream with the facts for its manifest, check a dump
// without loading it, load one into the site database or into a scratch database, count rows.
// The archive, compression, checksums, locking and retention around them are engine-agnostic:
// archive.ts (the tar), create.ts (writing, compression, retention, copies), inspect.ts (list and
// verify), restore.ts and lock.ts. The drivers are sqlite-driver.ts and mysql/driver.ts.

import type { Readable } from 'node:stream';
import type { LoadedConfig } from '../config/index.js';
import type { DatabaseLogger, DatabaseTarget } from '../db/connect.js';
import type { DumpEntryName } from './archive.js';
import type { BackupEngine, ClusterOrigin, InstalledPluginRecord, MigrationHead } from './manifest.js';

export interface DriverContext {
  config: LoadedConfig;
  target: DatabaseTarget;
  /** The PATH to find client tools (and docker) on. */
  path: string;
  logger?: DatabaseLogger;
  /** Non-fatal remarks for the user (e.g. a dump tool of the other flavour). */
  warn(message: string): void;
  /** Aborted when shopdb is asked to stop (SIGINT/SIGTERM/SIGHUP): a load kills its client, child processes stop, cleanup runs. */
  signal?: AbortSignal;
}

/** What the manifest records about the database at the time of the dump. */
export interface DumpFacts {
  product: string;
  version: string;
  databaseName: string;
  /** The cluster node it was dumped from, when the server is one. */
  cluster?: ClusterOrigin;
  tool: string;
  events: boolean;
  migrations: MigrationHead[];
  plugins: InstalledPluginRecord[];
  tables: Record<string, number>;
}

export interface DumpSession {
  /** The dump, uncompressed. */
  stream: Readable;
  /** After the stream has been consumed: resolves with the facts when the dump succeeded. */
  finish(): Promise<DumpFacts>;
  /** Stops the producer (the consumer failed, e.g. a full disk). */
  abort(): void;
  /** Removes the driver's temporary files. Always called. */
  cleanup(): Promise<void>;
}

/** Where a dump is loaded: the site database, or a scratch database for `backup verify --deep`. */
export type LoadTarget = { kind: 'site' } | { kind: 'scratch'; name: string };

export interface ScratchDatabase {
  target: LoadTarget;
  /** Shown to the user, e.g. mysql schema shopdb_verify_1a2b3c or a temp file. */
  description: string;
  drop(): Promise<void>;
}

export interface SiteDatabaseState {
  exists: boolean;
  tables: number;
  /** Rows in all its tables (what a restore replaces). */
  rows: number;
}

export interface BackupDriver {
  readonly engine: BackupEngine;
  readonly dumpEntry: DumpEntryName;
  startDump(context: DriverContext, tempDir: string): Promise<DumpSession>;
  /** Reads a whole dump (uncompressed) without loading it: refuses what restore would refuse; returns row counts. */
  scan(context: DriverContext, input: Readable, tempDir: string): Promise<Record<string, number>>;
  inspect(context: DriverContext): Promise<SiteDatabaseState>;
  /** Replaces the target's contents with the dump; returns the row count of every table after. */
  load(context: DriverContext, input: Readable, target: LoadTarget, tempDir: string): Promise<Record<string, number>>;
  createScratch(context: DriverContext, tempDir: string): Promise<ScratchDatabase>;
  /** Removes every table (and view, routine, event) of the site database: a restore into an empty one failed. */
  clear(context: DriverContext): Promise<void>;
}

const drivers = new Map<BackupEngine, () => Promise<BackupDriver>>();

export function registerBackupDriver(engine: BackupEngine, load: () => Promise<BackupDriver>): void {
  drivers.set(engine, load);
}

registerBackupDriver('sqlite', async () => (await import('./sqlite-driver.js')).sqliteBackupDriver);
registerBackupDriver('mysql', async () => (await import('./mysql/driver.js')).mysqlBackupDriver);

export async function backupDriverFor(engine: BackupEngine): Promise<BackupDriver> {
  const load = drivers.get(engine);
  if (!load) throw new Error(`No backup driver for ${engine}`);
  return load();
}

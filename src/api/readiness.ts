// Is this instance ready for traffic? The database answers and its schema is the one this shopdb
// expects (no pending migrations, none it does not know). The migration check reads several
// tables, so its answer is kept for a few seconds; the database ping runs on every probe.

import type { Knex } from 'knex';
import { migrationStatus } from '../core/migrations/service.js';
import type { MigrationSourceRegistry } from '../core/migrations/sources.js';
import { readClusterNodeState } from '../core/db/cluster.js';
import { translateConnectionError, type DatabaseTarget } from '../core/db/connect.js';
import type { DatabaseConnection } from './plugins/database.js';

export type Readiness = { ready: true } | { ready: false; reason: string };

export const MIGRATION_CHECK_TTL_MS = 5_000;

export interface ReadinessOptions {
  /** How long the migration check's answer is kept (default MIGRATION_CHECK_TTL_MS). */
  ttlMs?: number;
  now?: () => number;
  /** The message of an interrupted restore beside this site's .env, if one stands (ADR-019). */
  interruptedRestore?: () => string | null;
}

export class ReadinessProbe {
  private cached: { at: number; result: Readiness } | null = null;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly database: DatabaseConnection,
    private readonly sources: MigrationSourceRegistry,
    private readonly target: DatabaseTarget,
    private readonly options: ReadinessOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? MIGRATION_CHECK_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  async check(): Promise<Readiness> {
    const restore = this.options.interruptedRestore?.();
    if (restore) return { ready: false, reason: restore };
    if (!this.database.connected) return { ready: false, reason: `database unavailable: ${this.database.reason}` };
    const db = this.database.get();
    try {
      // The ping: a cluster node that lost quorum still answers `select 1`, so ask it where it stands.
      const node = await readClusterNodeState(db);
      if (!node.ready) {
        this.cached = null;
        return { ready: false, reason: `database unavailable: ${node.reason}` };
      }
    } catch (error) {
      this.cached = null;
      return { ready: false, reason: `database unavailable: ${translateConnectionError(error, this.target).message}` };
    }
    if (this.cached && this.now() - this.cached.at < this.ttlMs) return this.cached.result;
    let result: Readiness;
    try {
      result = await this.schemaReadiness(db);
    } catch (error) {
      return { ready: false, reason: `cannot read the migration status: ${(error as Error).message}` };
    }
    this.cached = { at: this.now(), result };
    return result;
  }

  private async schemaReadiness(db: Knex): Promise<Readiness> {
    const status = await migrationStatus(db, this.sources.list());
    if (status.upToDate) return { ready: true };
    const problems: string[] = [];
    for (const source of status.sources) {
      if (source.pending.length > 0)
        problems.push(`${source.label}: ${source.pending.length} pending migration${source.pending.length === 1 ? '' : 's'}`);
      if (source.unknown.length > 0) problems.push(`${source.label}: ${source.unknown.length} migration(s) from a newer shopdb`);
    }
    const fix = status.sources.some((s) => s.unknown.length > 0) ? 'update shopdb' : 'run `shopdb migrate`';
    return { ready: false, reason: `database schema is not current (${problems.join('; ')}); ${fix}` };
  }
}

// The last good summary of each site, kept by a central instance in an SQLite file beside the
// fleet file, so `fleet status` can still show a site that does not answer — marked stale, with
// the time it was pulled. One row per site, replaced in one statement: SQLite's journal makes
// each replacement all or nothing, so a crash mid-pull (kill -9) leaves the previous row whole.
// A cache of what the sites said, not a site database: one table, made when missing, no migrations.

import type { Knex } from 'knex';
import type { SiteSummary } from '../summary/site-summary.js';

const TABLE = 'last_known_summaries';

export interface LastKnownSummary {
  site: string;
  summary: SiteSummary;
  fetchedAt: Date;
}

export class LastKnownStore {
  private constructor(private readonly db: Knex) {}

  static async open(file: string): Promise<LastKnownStore> {
    const { default: knex } = await import('knex');
    const db = knex({
      client: 'better-sqlite3',
      connection: { filename: file },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate: (connection: { pragma(sql: string): unknown }, done: (error: Error | null, connection: unknown) => void) => {
          // WAL: a reader never waits on a pull. NORMAL: no fsync per saved site (50 of them would
          // be most of a run); WAL survives any crash of the process whole, and a power cut loses
          // at most the last saves, never the file — it is a cache the next pull refills.
          connection.pragma('journal_mode = WAL');
          connection.pragma('synchronous = NORMAL');
          connection.pragma('busy_timeout = 5000');
          done(null, connection);
        },
      },
    });
    if (!(await db.schema.hasTable(TABLE))) {
      await db.schema.createTable(TABLE, (table) => {
        table.string('site', 63).primary();
        table.text('summary').notNullable();
        table.string('fetched_at', 32).notNullable();
      });
    }
    return new LastKnownStore(db);
  }

  async all(): Promise<Map<string, LastKnownSummary>> {
    const rows = (await this.db(TABLE).select('site', 'summary', 'fetched_at')) as Array<{
      site: string;
      summary: string;
      fetched_at: string;
    }>;
    const known = new Map<string, LastKnownSummary>();
    for (const row of rows) {
      try {
        known.set(row.site, { site: row.site, summary: JSON.parse(row.summary) as SiteSummary, fetchedAt: new Date(row.fetched_at) });
      } catch {
        // A row that does not parse is as good as none; the next good pull replaces it.
      }
    }
    return known;
  }

  async save(site: string, summary: SiteSummary, fetchedAt: Date): Promise<void> {
    await this.db(TABLE)
      .insert({ site, summary: JSON.stringify(summary), fetched_at: fetchedAt.toISOString() })
      .onConflict('site')
      .merge();
  }

  async forget(site: string): Promise<void> {
    await this.db(TABLE).where({ site }).delete();
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

// The rows of `npm run bench:backup`: a registry of table generators, each filling one table with
// its share of the total. Assets come from the API bench's shop-floor generator (api-list-data.ts);
// links and audit entries refer to them. A plugin's tables get a generator here when they should
// weigh in the bench: add an entry to TABLE_GENERATORS with its share.

import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { formatUtcDatetime } from '../src/core/db/values.js';
import { loadSite } from './api-list-data.js';

export interface GeneratorContext {
  db: Knex;
  /** Asset ids 1..assets exist once the assets generator has run (it runs first). */
  assets: number;
  batchSize: number;
  onProgress: (table: string, inserted: number, total: number) => void;
  cancelled: () => boolean;
}

export interface TableGenerator {
  table: string;
  /** Share of the total number of rows. */
  share: number;
  fill(context: GeneratorContext, rows: number): Promise<void>;
}

const LINK_TYPES = ['controls', 'connected-to', 'part-of', 'drives'];
const ACTIONS = ['create', 'update', 'update', 'update', 'delete'];

async function insertInBatches(
  context: GeneratorContext,
  table: string,
  rows: number,
  row: (n: number) => Record<string, unknown>,
): Promise<void> {
  for (let start = 0; start < rows; start += context.batchSize) {
    if (context.cancelled()) throw new Error('cancelled');
    const batch: Array<Record<string, unknown>> = [];
    for (let n = start; n < Math.min(start + context.batchSize, rows); n++) batch.push(row(n));
    await context.db(table).insert(batch);
    context.onProgress(table, Math.min(start + context.batchSize, rows), rows);
  }
}

const baseTime = Date.UTC(2024, 0, 1);

export const TABLE_GENERATORS: TableGenerator[] = [
  {
    table: 'assets',
    share: 0.5,
    async fill(context, rows) {
      await loadSite(context.db, {
        rows,
        batchSize: context.batchSize,
        cancelled: context.cancelled,
        onProgress: (n) => context.onProgress('assets', n, rows),
      });
      context.assets = rows;
    },
  },
  {
    table: 'asset_links',
    share: 0.3,
    async fill(context, rows) {
      const n = context.assets;
      await insertInBatches(context, 'asset_links', rows, (r) => {
        // Pair r links asset s to the asset `offset` places further: unique (source, target, type) while offset < n.
        const s = r % n;
        const offset = 1 + Math.floor(r / n);
        const at = formatUtcDatetime(new Date(baseTime + r * 1000));
        return {
          source_asset_id: s + 1,
          target_asset_id: ((s + offset) % n) + 1,
          link_type: LINK_TYPES[offset % LINK_TYPES.length],
          note: r % 7 === 0 ? `Cable run ${r % 97}, patch panel ${r % 13}` : null,
          created_at: at,
          updated_at: at,
        };
      });
    },
  },
  {
    table: 'audit_log',
    share: 0.2,
    async fill(context, rows) {
      await insertInBatches(context, 'audit_log', rows, (r) => {
        const action = ACTIONS[r % ACTIONS.length]!;
        const id = (r % context.assets) + 1;
        return {
          at: formatUtcDatetime(new Date(baseTime + r * 2500)),
          user_id: null,
          username: r % 3 === 0 ? 'cli:root' : `editor${r % 12}`,
          action,
          object_type: 'asset',
          object_id: String(id),
          before: action === 'create' ? null : JSON.stringify({ status_id: 1 + (r % 5), location_id: 1 + (r % 120) }),
          after:
            action === 'delete'
              ? null
              : JSON.stringify({
                  status_id: 1 + ((r + 1) % 5),
                  location_id: 1 + ((r + 3) % 120),
                  notes: r % 4 === 0 ? 'moved during relayout' : null,
                }),
          request_id: randomBytes(8).toString('hex'),
        };
      });
    },
  },
];

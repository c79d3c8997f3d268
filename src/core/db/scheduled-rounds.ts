// Work that one `serve` replica at a time does on a schedule (the directory re-check first). The
// state is a `scheduled_rounds` row, not a timer in one process: a replica takes a round by moving
// `next_run_at` forward with one UPDATE … WHERE next_run_at <= now, and only the replica whose
// update changed the row does the round. A conflicting write on another cluster node (certified
// first there) simply means that node took it.

import type { Knex } from 'knex';
import { isRetryableConflict } from './transaction.js';
import { encodeValue, formatUtcDatetime } from './values.js';

const TABLE = 'scheduled_rounds';

/** True when this caller has the round due now; the next one is due `intervalMs` later. */
export async function claimScheduledRound(db: Knex, name: string, intervalMs: number, holder: string, now = new Date()): Promise<boolean> {
  const at = formatUtcDatetime(now);
  try {
    await db(TABLE).insert({ name, next_run_at: at }).onConflict('name').ignore();
    const claimed = await db(TABLE)
      .where('name', name)
      .where('next_run_at', '<=', at)
      .update({
        next_run_at: formatUtcDatetime(new Date(now.getTime() + intervalMs)),
        claimed_by: holder.slice(0, 191),
        last_started_at: at,
      });
    return claimed === 1;
  } catch (error) {
    if (isRetryableConflict(error)) return false;
    throw error;
  }
}

export async function finishScheduledRound(db: Knex, name: string, outcome: string, now = new Date()): Promise<void> {
  await db(TABLE)
    .where('name', name)
    .update({ last_finished_at: encodeValue('date', now), last_outcome: outcome.slice(0, 191) });
}

/** Makes the next round due at once (an on-demand re-check, tests). */
export async function makeScheduledRoundDue(db: Knex, name: string, now = new Date()): Promise<void> {
  await db(TABLE)
    .where('name', name)
    .update({ next_run_at: formatUtcDatetime(now) });
}

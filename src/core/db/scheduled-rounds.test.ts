// Database suite (SQLite and MySQL): a scheduled round is taken by one caller only, however many
// replicas ask at once, and comes due again after its interval.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSite, describeEachEngine, type TestSite } from '../../../test/support/site.js';
import type { Knex } from 'knex';
import { migrateSite } from '../migrations/site.js';
import { claimScheduledRound, finishScheduledRound, makeScheduledRoundDue } from './scheduled-rounds.js';

describeEachEngine('scheduled rounds', (engine) => {
  let site: TestSite;
  let replicas: Knex[];

  beforeAll(async () => {
    site = await createSite(engine);
    await migrateSite({ config: site.config() });
    replicas = [await site.open(), await site.open(), await site.open()];
  });
  afterAll(async () => {
    for (const db of replicas ?? []) await db.destroy();
    await site?.cleanup();
  });

  it('lets exactly one of several replicas asking at the same moment take the round', async () => {
    const now = new Date();
    const claims = await Promise.all(replicas.map((db, i) => claimScheduledRound(db, 'test-round', 60_000, `replica-${i}`, now)));

    expect(claims.filter(Boolean)).toHaveLength(1);
    const row = await replicas[0]!('scheduled_rounds').where('name', 'test-round').first();
    expect(row.claimed_by).toBe(`replica-${claims.indexOf(true)}`);
  });

  it('is not due again before the interval has passed, and is after it', async () => {
    const start = new Date(Date.now() + 3_600_000);
    await makeScheduledRoundDue(replicas[0]!, 'test-round', start);
    expect(await claimScheduledRound(replicas[0]!, 'test-round', 60_000, 'a', start)).toBe(true);
    expect(await claimScheduledRound(replicas[1]!, 'test-round', 60_000, 'b', new Date(start.getTime() + 59_000))).toBe(false);
    expect(await claimScheduledRound(replicas[1]!, 'test-round', 60_000, 'b', new Date(start.getTime() + 60_000))).toBe(true);

    await finishScheduledRound(replicas[1]!, 'test-round', 'checked 0');
    expect((await replicas[0]!('scheduled_rounds').where('name', 'test-round').first()).last_outcome).toBe('checked 0');
  });
});

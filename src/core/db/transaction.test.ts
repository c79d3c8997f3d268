// Database suite (SQLite and MySQL): inTransaction retries a whole transaction that a concurrent
// writer got in the way of (a real InnoDB deadlock), gives up with DatabaseBusyError after its
// attempts, and serialises writers that name a common key (ADR-012).

import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSite, describeEachEngine, type TestSite } from '../../../test/support/site.js';
import { DatabaseBusyError } from '../errors.js';
import { migrateSite } from '../migrations/site.js';
import { createTable } from './schema.js';
import { inTransaction, isRetryableConflict, writeUnlessContended } from './transaction.js';
import { gate } from '../../../test/support/gate.js';

describe('isRetryableConflict', () => {
  it('knows deadlocks, lock waits, MariaDB snapshot conflicts and SQLite busy, also wrapped; nothing else', () => {
    expect(isRetryableConflict({ errno: 1213, code: 'ER_LOCK_DEADLOCK' })).toBe(true);
    expect(isRetryableConflict({ errno: 1205 })).toBe(true);
    expect(isRetryableConflict({ errno: 1020 })).toBe(true);
    expect(isRetryableConflict({ code: 'SQLITE_BUSY' })).toBe(true);
    expect(isRetryableConflict(new Error('wrapped', { cause: { errno: 1213 } }))).toBe(true);
    expect(isRetryableConflict({ errno: 1062, code: 'ER_DUP_ENTRY' })).toBe(false);
    expect(isRetryableConflict(new Error('plain'))).toBe(false);
  });
});

describeEachEngine('inTransaction', (engine) => {
  let site: TestSite;
  let db: Knex;
  let other: Knex;

  beforeAll(async () => {
    site = await createSite(engine);
    await migrateSite({ config: site.config() });
    db = await site.open();
    other = await site.open();
    await createTable(db, 'counters', (table) => {
      table.string('name', 32).primary();
      table.integer('value').notNullable();
    });
    await db('counters').insert([
      { name: 'a', value: 0 },
      { name: 'b', value: 0 },
    ]);
  });
  afterAll(async () => {
    await other.destroy();
    await db.destroy();
    await site.cleanup();
  });

  // InnoDB deadlocks need two connections holding row locks; SQLite has one writer at a time.
  if (engine === 'mysql')
    it('runs a deadlocked transaction again from the start, so both writers land', async () => {
      const bothHoldOne = [gate(), gate()];
      let attempts = 0;
      // Each takes one row, waits until the other has taken its row, then wants the other's.
      const writer = (pool: Knex, first: string, second: string, mine: number) =>
        inTransaction(pool, async (trx) => {
          attempts += 1;
          await trx('counters').where({ name: first }).increment('value', 1);
          bothHoldOne[mine]!.open();
          await bothHoldOne[1 - mine]!.opened;
          await trx('counters').where({ name: second }).increment('value', 1);
        });

      await Promise.all([writer(db, 'a', 'b', 0), writer(other, 'b', 'a', 1)]);

      expect(attempts).toBe(3);
      expect(await db('counters').orderBy('name').pluck('value')).toEqual([2, 2]);
    });

  if (engine === 'mysql')
    it('gives up with DatabaseBusyError (503, nothing written) once its attempts are spent', async () => {
      const bothHoldOne = [gate(), gate()];
      const writer = (pool: Knex, first: string, second: string, mine: number) =>
        inTransaction(
          pool,
          async (trx) => {
            await trx('counters').where({ name: first }).increment('value', 10);
            bothHoldOne[mine]!.open();
            await bothHoldOne[1 - mine]!.opened;
            await trx('counters').where({ name: second }).increment('value', 10);
          },
          { attempts: 1 },
        );
      const before = await db('counters').orderBy('name').pluck('value');

      const results = await Promise.allSettled([writer(db, 'a', 'b', 0), writer(other, 'b', 'a', 1)]);

      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.reason).toBeInstanceOf(DatabaseBusyError);
      expect(failed[0]!.reason).toMatchObject({ httpStatus: 503, cause: expect.objectContaining({ errno: 1213 }) });
      // The winner's two increments, nothing of the loser's.
      expect(await db('counters').orderBy('name').pluck('value')).toEqual(before.map((v: number) => v + 10));
    });

  if (engine === 'mysql')
    it('lets a bookkeeping write that lost to a concurrent writer go (writeUnlessContended), and throws anything else', async () => {
      const holding = gate();
      const release = gate();
      // Another replica holds the row: its transaction has written it and not committed yet.
      const holder = other.transaction(async (trx) => {
        await trx('counters').where({ name: 'a' }).update({ value: 555 });
        holding.open();
        await release.opened;
      });
      await holding.opened;
      try {
        await db.transaction(async (trx) => {
          await trx.raw('SET SESSION innodb_lock_wait_timeout = 1');
          // Lock wait timeout (1205) after a second: let go, no throw.
          await writeUnlessContended(() => trx('counters').where({ name: 'a' }).update({ value: 99 }));
          await expect(writeUnlessContended(() => trx('counters').where({ name: 'a' }).update({ no_such_column: 1 }))).rejects.toThrow(
            /no_such_column/,
          );
          await trx.raw('SET SESSION innodb_lock_wait_timeout = DEFAULT');
        });
      } finally {
        release.open();
        await holder;
      }
      expect(((await db('counters').where({ name: 'a' }).first('value')) as { value: number }).value).toBe(555);
    });

  it('runs writers of the same key one after the other: the second reads what the first committed', async () => {
    const firstInside = gate();
    const letFirstFinish = gate();
    const order: string[] = [];
    const first = inTransaction(
      db,
      async (trx) => {
        order.push('first in');
        firstInside.open();
        await letFirstFinish.opened;
        await trx('counters').where({ name: 'a' }).update({ value: 100 });
        order.push('first out');
      },
      { serializeOn: ['test:key'] },
    );
    await firstInside.opened;
    // SQLite: one pool, as in a real process (better-sqlite3 waits for a lock synchronously, so two
    // pools in one process would stall each other); MySQL: another connection, as another replica.
    const second = inTransaction(
      engine === 'sqlite' ? db : other,
      async (trx) => {
        order.push('second in');
        return ((await trx('counters').where({ name: 'a' }).first('value')) as { value: number }).value;
      },
      { serializeOn: ['test:key'] },
    );
    // The second has had every chance to start while the first holds the key.
    await new Promise((resolve) => setTimeout(resolve, 200));
    letFirstFinish.open();

    const [, seen] = await Promise.all([first, second]);

    expect(order).toEqual(['first in', 'first out', 'second in']);
    expect(Number(seen)).toBe(100);
  });

  it("takes the keys inside the caller's transaction when nested, and leaves retrying to the outermost call", async () => {
    await inTransaction(db, async (outer) => {
      await inTransaction(
        outer,
        async (inner) => {
          await inner('counters').where({ name: 'b' }).update({ value: 7 });
        },
        { serializeOn: ['test:nested'] },
      );
      const key = (await outer('write_locks').where({ lock_key: 'test:nested' }).first('version')) as { version: number } | undefined;
      expect(key).toBeDefined();
    });
    expect(((await db('counters').where({ name: 'b' }).first('value')) as { value: number }).value).toBe(7);
  });
});

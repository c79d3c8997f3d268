// Database suite (SQLite and MySQL): the site's schema lock — one schema-changing run at a time,
// a clear refusal naming the holder, waiting when asked to, and a crashed holder's lock taken
// over on its own host or released by `migrate unlock`.

import { hostname } from 'node:os';
import { execa } from 'execa';
import type { Knex } from 'knex';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runBin } from '../../../test/support/cli.js';
import { describeEachEngine, type TestSite } from '../../../test/support/site.js';
import { createMigratedSite } from '../../../test/support/users.js';
import { ExitCode, LockedError } from '../errors.js';
import { readSchemaLock, releaseSchemaLock, withSchemaLock } from './schema-lock.js';
import { gate } from '../../../test/support/gate.js';

describeEachEngine('the site schema lock', (engine) => {
  let site: TestSite;
  let db: Knex;
  let other: Knex;
  beforeAll(async () => {
    site = await createMigratedSite(engine);
    db = await site.open();
    // Another pool, as another host would have. (No run holds a transaction while it holds the
    // lock, so two SQLite pools in one process do not stall each other here.)
    other = await site.open();
  });
  afterAll(async () => {
    await other.destroy();
    await db.destroy();
    await site.cleanup();
  });

  it('refuses a second run at once with exit 5, naming the holder; runs it after the first when it may wait', async () => {
    const inside = gate();
    const finish = gate();
    const first = withSchemaLock(db, 'plugin install --all', {}, async () => {
      inside.open();
      await finish.opened;
      return 'first';
    });
    await inside.opened;

    const refused = await withSchemaLock(other, 'migrate', {}, async () => 'second').catch((error: unknown) => error);
    const waiting = withSchemaLock(other, 'migrate', { waitSeconds: 120 }, async () => 'waited');
    expect(refused).toBeInstanceOf(LockedError);
    expect((refused as LockedError).exitCode).toBe(ExitCode.LOCKED);
    expect((refused as LockedError).message).toContain(`${hostname()} pid ${process.pid}: plugin install --all`);
    expect((refused as LockedError).suggestion).toContain('shopdb migrate unlock');
    expect((await readSchemaLock(db))?.holder).toContain('plugin install --all');

    finish.open();

    expect(await first).toBe('first');
    expect(await waiting).toBe('waited');
    expect(await readSchemaLock(db)).toBeNull();
  });

  it('takes over a lock whose holder on this host has died (kill -9), and `migrate unlock` releases one from elsewhere', async () => {
    const dead = execa(process.execPath, ['-e', '']);
    await dead;
    await db('schema_lock').insert({
      id: 1,
      holder: `${hostname()} pid ${dead.pid}: plugin upgrade`,
      acquired_at: '2026-12-01 02:00:00.000',
    });

    expect(await withSchemaLock(db, 'migrate', {}, async () => 'ran')).toBe('ran');

    await db('schema_lock').insert({ id: 1, holder: 'other-host pid 4242: plugin install gauges', acquired_at: '2026-12-01 02:00:00.000' });
    const refused = await withSchemaLock(other, 'plugin install computers', {}, async () => 'ran').catch((error: unknown) => error);
    expect((refused as LockedError).message).toContain('other-host pid 4242: plugin install gauges since 2026-12-01T02:00:00.000Z');
    const unlock = await runBin(['migrate', 'unlock', '--env-file', site.envFile, '--json']);
    expect(unlock.exitCode, unlock.stderr).toBe(0);
    expect(unlock.json).toMatchObject({ wasLocked: true, schemaLockHolder: 'other-host pid 4242: plugin install gauges' });
    expect(await releaseSchemaLock(db)).toBeNull();
  });
});

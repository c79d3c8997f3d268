// `shopdb migrate rollback` on a real terminal (tmux): it shows what it will undo and drop and
// asks; "no" changes nothing (exit 130), "yes" takes the safety backup and rolls back.

import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { exportTables } from '../../../test/support/backup.js';
import { binPath } from '../../../test/support/cli.js';
import { createSite, type TestSite } from '../../../test/support/site.js';
import { TerminalSession, tmuxAvailable } from '../../../test/support/tty.js';
import { migrateSite } from '../../core/migrations/site.js';

const tmux = tmuxAvailable();
const suite = tmux ? describe : describe.skip;

suite(`shopdb migrate rollback on a terminal${tmux ? '' : ' — skipped: tmux is not installed'}`, () => {
  let session: TerminalSession | undefined;
  let site: TestSite | undefined;
  afterEach(async () => {
    session?.close();
    await site?.cleanup();
  });

  it('lists the migrations and tables and asks; "no" changes nothing (exit 130), "yes" backs up and rolls back', async () => {
    site = await createSite('sqlite');
    await migrateSite({ config: site.config() });
    const before = await exportTables(site);
    const command = `node -- ${binPath} migrate rollback --step 3 --env-file ${site.envFile}`;

    session = new TerminalSession(command, site.dir);
    await session.waitFor('Roll back 3 migrations of shopdb core?');
    const asked = session.screen();
    session.send('n', 'Enter');
    const refused = await session.waitFor('EXIT=');
    session.close();

    expect(asked).toMatch(/Rolling back shopdb core on sqlite:.*, newest first:/);
    expect(asked).toContain('  - 20261204D-audit-asset-id');
    expect(asked).toContain('  - 20261204B-create-imports');
    expect(asked).toContain('  - 20261204A-create-monitoring');
    expect(asked).toContain(
      'Tables dropped: import_legacy_ids (0 rows), imports (0 rows), monitoring_cache (0 rows), monitoring_pins (0 rows)',
    );
    expect(asked).toContain('A safety backup is taken first.');
    expect(refused).toContain('Rollback cancelled; nothing was changed');
    expect(refused).toContain('EXIT=130');
    expect(await exportTables(site)).toEqual(before);

    session = new TerminalSession(command, site.dir);
    await session.waitFor('Roll back 3 migrations of shopdb core?');
    session.send('y', 'Enter');
    const done = await session.waitFor('EXIT=', 30_000);
    expect(done).toContain('EXIT=0');
    expect(done).toContain('shopdb core: rolled back 3');
    const backup = /Safety backup written: (\S+-pre-rollback\.shopdb\.tar)/.exec(done)?.[1];
    expect(backup && existsSync(backup)).toBe(true);
    const tables = Object.keys(await exportTables(site));
    expect(tables).not.toContain('imports');
    expect(tables).not.toContain('monitoring_pins');
    expect(tables).toContain('scheduled_rounds');
  });
});

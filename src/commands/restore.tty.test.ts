import { afterEach, describe, expect, it } from 'vitest';
import { createDemoSite, exportTables } from '../../test/support/backup.js';
import { binPath, runCommand } from '../../test/support/cli.js';
import type { TestSite } from '../../test/support/site.js';
import { TerminalSession, tmuxAvailable } from '../../test/support/tty.js';
import Backup from './backup/index.js';

const tmux = tmuxAvailable();
const suite = tmux ? describe : describe.skip;

suite(`shopdb restore on a terminal${tmux ? '' : ' — skipped: tmux is not installed'}`, () => {
  let session: TerminalSession | undefined;
  let site: TestSite | undefined;
  afterEach(async () => {
    session?.close();
    await site?.cleanup();
  });

  it('shows the backup and asks; "no" changes nothing (exit 130), "yes" restores with a safety backup', async () => {
    site = await createDemoSite('sqlite');
    const backup = await runCommand(Backup, ['--env-file', site.envFile, '--json']);
    const before = await exportTables(site);
    const command = `node -- ${binPath} restore ${backup.json.file} --env-file ${site.envFile}`;

    session = new TerminalSession(command, site.dir);
    await session.waitFor('Replace the');
    const asked = session.screen();
    session.send('n', 'Enter');
    const refused = await session.waitFor('EXIT=');
    session.close();

    expect(asked).toContain(`Backup: ${backup.json.name} (site test-site, backup,`);
    expect(asked).toMatch(/Replace the \d+ tables and \d+ rows of sqlite:.* with this backup\? A safety backup is taken first\./);
    expect(refused).toContain('Restore cancelled; nothing was changed');
    expect(refused).toContain('EXIT=130');
    expect(await exportTables(site)).toEqual(before);

    session = new TerminalSession(command, site.dir);
    await session.waitFor('Replace the');
    session.send('y', 'Enter');
    const done = await session.waitFor('EXIT=', 30_000);
    expect(done).toContain('EXIT=0');
    expect(done).toMatch(/Restored .* into sqlite:/);
    expect(done).toMatch(/Safety backup of the previous contents: .*-pre-restore\.shopdb\.tar/);
    expect(await exportTables(site)).toEqual(before);
  });
});

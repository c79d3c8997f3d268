import { afterEach, describe, expect, it } from 'vitest';
import { binPath } from '../../../test/support/cli.js';
import type { TestSite } from '../../../test/support/site.js';
import { TerminalSession, tmuxAvailable } from '../../../test/support/tty.js';
import { createMigratedSite } from '../../../test/support/users.js';
import { authenticate } from '../../core/auth/login.js';

const tmux = tmuxAvailable();
const suite = tmux ? describe : describe.skip;
const PASSWORD = 'typed at the terminal';

suite(`shopdb user create on a terminal${tmux ? '' : ' — skipped: tmux is not installed'}`, () => {
  let session: TerminalSession | undefined;
  let site: TestSite | undefined;
  afterEach(async () => {
    session?.close();
    await site?.cleanup();
  });

  it('asks for the password hidden, twice; asks again after a short or mismatched one; never shows it', async () => {
    site = await createMigratedSite('sqlite');
    session = new TerminalSession(`node -- ${binPath} user create tina --role viewer --env-file ${site.envFile}`, site.dir);

    await session.waitFor('Password for tina (at least 12 characters)');
    session.send('short', 'Enter');
    await session.waitFor('too short');
    await session.waitFor(/Password for tina[^\n]*\n[\s\S]*Password for tina/);
    session.send(PASSWORD, 'Enter');
    await session.waitFor('Repeat the password');
    session.send('something else entirely', 'Enter');
    await session.waitFor('The two passwords differ');
    session.send(PASSWORD, 'Enter');
    await session.waitFor(/Repeat the password[\s\S]*Repeat the password/);
    session.send(PASSWORD, 'Enter');
    const screen = await session.waitFor('EXIT=');

    expect(screen).toContain('EXIT=0');
    expect(screen).toContain('Created user tina, viewer.');
    expect(screen).not.toContain(PASSWORD);
    expect(screen).not.toContain('something else');
    const db = await site.open();
    try {
      expect(await authenticate(db, 'tina', PASSWORD)).toMatchObject({ username: 'tina', role: 'viewer' });
    } finally {
      await db.destroy();
    }
  });
});

import { readFileSync, statSync } from 'node:fs';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { binPath } from '../../test/support/cli.js';
import { tempDir } from '../../test/support/site.js';
import { TerminalSession, tmuxAvailable } from '../../test/support/tty.js';

const tmux = tmuxAvailable();
const suite = tmux ? describe : describe.skip;

suite(`shopdb init on a terminal${tmux ? '' : ' — skipped: tmux is not installed'}`, () => {
  let session: TerminalSession | undefined;
  let dir: string | undefined;
  afterEach(() => {
    session?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('asks each question with its default and writes what was answered', async () => {
    dir = tempDir();
    session = new TerminalSession(`node ${binPath} init`, dir);
    await session.waitFor('Run mode');
    session.send('Down', 'Enter');
    await session.waitFor('Site name');
    session.send('plant-7', 'Enter');
    await session.waitFor('Database engine');
    session.send('Enter');
    for (const question of ['SQLite database file', 'HTTP port', 'Browser origins', 'Backup directory']) {
      await session.waitFor(question);
      session.send('Enter');
    }
    const screen = await session.waitFor('EXIT=');
    expect(screen).toContain('EXIT=0');
    const env = readFileSync(join(dir, '.env'), 'utf8');
    expect(env).toMatch(/^SHOPDB_ENV=development$/m);
    expect(env).toMatch(/^SHOPDB_SITE_NAME=plant-7$/m);
    expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600);
  });

  it('rejects an invalid answer at the prompt and asks again', async () => {
    dir = tempDir();
    session = new TerminalSession(`node ${binPath} init --mode development --site-name x --db sqlite --sqlite-path ./db.sqlite --cors-origins '' --backup-dir ./b`, dir);
    await session.waitFor('HTTP port');
    session.send('C-u', '99999', 'Enter');
    await session.waitFor('out of range');
    session.send('C-u', '8088', 'Enter');
    await session.waitFor('EXIT=0');
    expect(readFileSync(join(dir, '.env'), 'utf8')).toMatch(/^HTTP_PORT=8088$/m);
  });

  it('refuses answers production would refuse before asking for any password', async () => {
    dir = tempDir();
    session = new TerminalSession(`node ${binPath} init --yes --db mysql --cors-origins '*'`, dir);

    const screen = await session.waitFor('EXIT=');

    expect(screen).toContain('EXIT=2');
    expect(screen).toContain('CORS_ORIGINS: allows every origin');
    expect(screen).not.toContain('Password of MySQL user');
  });

  it('hides a MySQL password typed at the prompt and cancels cleanly on Ctrl-C', async () => {
    dir = tempDir();
    session = new TerminalSession(`node ${binPath} init --yes --db mysql`, dir);
    await session.waitFor('Password of MySQL user');
    session.send('hunter2-very-secret');
    const typing = session.screen();
    expect(typing).not.toContain('hunter2-very-secret');
    session.send('C-c');
    const screen = await session.waitFor('EXIT=');
    expect(screen).toContain('EXIT=130');
    expect(screen).toContain('nothing was changed');
  });
});

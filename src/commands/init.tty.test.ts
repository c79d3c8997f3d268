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
    await session.waitFor('Let users log in with their directory account');
    session.send('Enter');
    const screen = await session.waitFor('EXIT=');
    expect(screen).toContain('EXIT=0');
    const env = readFileSync(join(dir, '.env'), 'utf8');
    expect(env).toMatch(/^SHOPDB_ENV=development$/m);
    expect(env).toMatch(/^SHOPDB_SITE_NAME=plant-7$/m);
    expect(env).toMatch(/^LDAP_ENABLED=false$/m);
    expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600);
  });

  it('asks for the directory settings once directory login is chosen, and the service password hidden', async () => {
    dir = tempDir();
    session = new TerminalSession(
      `node ${binPath} init --mode development --site-name x --db sqlite --sqlite-path ./db.sqlite --http-port 8080 --cors-origins '' --backup-dir ./b`,
      dir,
    );
    await session.waitFor('Let users log in with their directory account');
    session.send('Down', 'Enter');
    const answers: Array<[string, string | null]> = [
      ['Directory server URL', 'ldaps://dc01.plant.example:636'],
      ['Directory encryption', null],
      ['CA file', null],
      ['Service account DN', 'CN=svc-shopdb,OU=Service Accounts,DC=plant,DC=example'],
      ['Where user searches start', 'OU=Staff,DC=plant,DC=example'],
      ['User search filter', null],
      ['Attribute holding the login name', null],
      ['Group DN → role rules', '{"CN=ShopDB Admins,OU=Groups,DC=plant,DC=example":"admin"}'],
      ['How nested groups are found', null],
    ];
    for (const [question, answer] of answers) {
      await session.waitFor(question);
      if (answer !== null) {
        session.send('C-u');
        session.send('-l', answer);
      }
      session.send('Enter');
    }
    await session.waitFor('Password of CN=svc-shopdb');
    session.send('-l', 'bind-pa55word-typed');
    expect(session.screen()).not.toContain('bind-pa55word-typed');
    session.send('Enter');
    const screen = await session.waitFor('EXIT=');
    expect(screen).toContain('EXIT=0');
    expect(screen).toContain('shopdb ldap test');
    const env = readFileSync(join(dir, '.env'), 'utf8');
    expect(env).toMatch(/^LDAP_ENABLED=true$/m);
    expect(env).toMatch(/^LDAP_URL=ldaps:\/\/dc01\.plant\.example:636$/m);
    expect(env).toMatch(/^LDAP_BIND_PASSWORD=bind-pa55word-typed$/m);
    expect(env).toContain('CN=ShopDB Admins,OU=Groups,DC=plant,DC=example');
  });

  it('rejects an invalid answer at the prompt and asks again', async () => {
    dir = tempDir();
    session = new TerminalSession(
      `node ${binPath} init --mode development --site-name x --db sqlite --sqlite-path ./db.sqlite --cors-origins '' --backup-dir ./b --ldap false`,
      dir,
    );
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

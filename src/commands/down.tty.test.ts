// `shopdb down --volumes` on a real terminal (tmux): it asks before deleting the database and
// backups volumes, and a "no" stops nothing.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { binPath } from '../../test/support/cli.js';
import { createStackSite, StandInDocker } from '../../test/support/docker.js';
import { TerminalSession, tmuxAvailable } from '../../test/support/tty.js';

const tmux = tmuxAvailable();
const suite = tmux ? describe : describe.skip;

suite(`shopdb down --volumes on a terminal${tmux ? '' : ' — skipped: tmux is not installed'}`, () => {
  let session: TerminalSession | undefined;
  let docker: StandInDocker;
  let site: ReturnType<typeof createStackSite>;
  beforeEach(() => {
    docker = StandInDocker.create();
    site = createStackSite();
  });
  afterEach(() => {
    session?.close();
    docker.cleanup();
    site.cleanup();
  });

  const start = () => new TerminalSession(`PATH=${docker.path} ${binPath} down --volumes --env-file ${site.envFile}`, site.dir);

  it('deletes the volumes once the user says yes', async () => {
    session = start();
    await session.waitFor("Delete the stack's volumes");
    session.send('y', 'Enter');

    const screen = await session.waitFor('EXIT=');

    expect(screen).toContain('EXIT=0');
    expect(docker.commandLines().at(-1)).toBe('compose down --volumes');
  });

  it('stops nothing when the user says no (exit 130)', async () => {
    session = start();
    await session.waitFor("Delete the stack's volumes");
    session.send('n', 'Enter');

    const screen = await session.waitFor('EXIT=');

    expect(screen).toContain('EXIT=130');
    expect(docker.commandLines().filter((line) => line.startsWith('compose down'))).toEqual([]);
  });
});

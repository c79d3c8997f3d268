// `shopdb status`: what `docker compose ps` says, plus the migration state and the newest backup
// as shopdb inside the api container reports them — or "unknown" with the reason.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBin, runCommand } from '../../test/support/cli.js';
import { createStackSite, healthyStack, stackWith, StandInDocker } from '../../test/support/docker.js';
import Status from './status.js';

const upToDate = {
  exitCode: 0,
  stdout: JSON.stringify({ database: 'x', databaseExists: true, upToDate: true, sources: [{ id: 'core', pending: [] }] }),
};

describe('shopdb status', () => {
  let docker: StandInDocker;
  let site: ReturnType<typeof createStackSite>;
  beforeEach(() => {
    docker = StandInDocker.create();
    site = createStackSite();
  });
  afterEach(() => {
    docker.cleanup();
    site.cleanup();
  });
  const status = (args: string[] = []) => runCommand(Status, ['--env-file', site.envFile, ...args], { env: { PATH: docker.path } });

  it('shows services, images, migrations, and an unknown backup age while `backup list` does not exist', async () => {
    docker.setScenario({ ps: [healthyStack], answers: { 'migrate status': upToDate } });

    const result = await status(['--json']);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json).toMatchObject({
      healthy: true,
      compose: '2.39.1',
      engine: '28.3.3',
      migrations: { state: 'current', pending: 0, reason: null },
      lastBackup: { state: 'unknown', reason: 'this image has no `shopdb backup list` (older shopdb)' },
    });
    expect(result.json.services.map((s: { service: string; image: string }) => `${s.service} ${s.image}`)).toEqual([
      'api shopdb:latest',
      'db mysql:8.4',
    ]);
    expect(docker.commandLines()).toContain('compose exec -T api shopdb migrate status --json');
    expect(docker.commandLines()).toContain('compose exec -T api shopdb backup list --json');
  });

  it('reports the newest backup and its age, pending migrations, and an unhealthy service', async () => {
    const now = Date.now();
    docker.setScenario({
      ps: [stackWith({ Health: 'unhealthy' })],
      psAsArray: true,
      answers: {
        'migrate status': { exitCode: 0, stdout: JSON.stringify({ upToDate: false, sources: [{ id: 'core', pending: ['a', 'b'] }] }) },
        'backup list': {
          exitCode: 0,
          stdout: JSON.stringify({
            backups: [
              { file: 'site-old.tar.gz', createdAt: new Date(now - 50 * 3600_000).toISOString() },
              { file: 'site-new.tar.gz', createdAt: new Date(now - 2 * 3600_000).toISOString() },
            ],
          }),
        },
      },
    });

    const result = await runBin(['status', '--env-file', site.envFile], { env: { PATH: docker.path } });
    const json = await status(['--json']);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Migrations: 2 pending');
    expect(result.stdout).toContain('Last backup: site-new.tar.gz, 2 h ago');
    expect(result.stdout).toContain('Not every service is healthy.');
    expect(json.json.lastBackup).toMatchObject({ state: 'found', file: 'site-new.tar.gz' });
    expect(json.json.lastBackup.ageSeconds).toBeGreaterThanOrEqual(7199);
    expect(json.json.healthy).toBe(false);
  });

  it('says what cannot be known when the stack is down', async () => {
    docker.setScenario({ ps: [[]] });

    const result = await status(['--json']);

    expect(result.exitCode).toBe(0);
    expect(result.json).toMatchObject({
      services: [],
      healthy: false,
      migrations: { state: 'unknown', reason: 'the stack is not started (`shopdb up`)' },
      lastBackup: { state: 'unknown', reason: 'the stack is not started (`shopdb up`)' },
    });
    expect(docker.commandLines().filter((line) => line.includes('exec'))).toEqual([]);
  });

  it('fails like every stack command when the daemon is down (exit 1)', async () => {
    docker.setScenario({ daemon: 'down' });

    const result = await status(['--json']);

    expect(result.exitCode).toBe(1);
    expect(result.json.error.code).toBe('DOCKER_DAEMON_UNREACHABLE');
  });
});

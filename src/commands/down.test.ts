// `shopdb down` keeps the data unless told otherwise, and never deletes volumes unasked.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBin, runCommand } from '../../test/support/cli.js';
import { createStackSite, StandInDocker } from '../../test/support/docker.js';
import Down from './down.js';

describe('shopdb down', () => {
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

  it('stops the stack and keeps its volumes', async () => {
    const result = await runCommand(Down, ['--env-file', site.envFile, '--json'], { env: { PATH: docker.path } });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json).toEqual({ stopped: true, volumesRemoved: false });
    expect(docker.commandLines().at(-1)).toBe('compose down');
  });

  it('refuses --volumes without --yes when nobody can confirm (exit 2, naming --yes), and stops nothing', async () => {
    const human = await runBin(['down', '--volumes', '--env-file', site.envFile], { env: { PATH: docker.path } });
    const json = await runCommand(Down, ['--volumes', '--env-file', site.envFile, '--json'], { env: { PATH: docker.path } });

    expect(human.exitCode).toBe(2);
    expect(human.stderr).toContain('Fix: Pass --yes to delete them');
    expect(json.exitCode).toBe(2);
    expect(json.json.error.code).toBe('USAGE');
    expect(docker.commandLines().filter((line) => line.startsWith('compose down'))).toEqual([]);
  });

  it('deletes the volumes with --volumes --yes', async () => {
    const result = await runBin(['down', '--volumes', '--yes', '--env-file', site.envFile], { env: { PATH: docker.path } });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('its volumes are deleted');
    expect(docker.commandLines().at(-1)).toBe('compose down --volumes');
  });

  it('reports a failing `docker compose down` as an external error (exit 1)', async () => {
    docker.setScenario({
      answers: { down: { exitCode: 1, stderr: 'Error response from daemon: removal of container site-db-1 is already in progress\n' } },
    });

    const result = await runCommand(Down, ['--env-file', site.envFile, '--json'], { env: { PATH: docker.path } });

    expect(result.exitCode).toBe(1);
    expect(result.json.error.code).toBe('EXTERNAL_COMMAND_FAILED');
    expect(result.json.error.message).toBe('docker compose down failed (exit code 1)');
  });
});

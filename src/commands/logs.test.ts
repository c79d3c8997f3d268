// `shopdb logs` passes `docker compose logs` through, or returns the lines with --json.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBin, runCommand } from '../../test/support/cli.js';
import { createStackSite, StandInDocker } from '../../test/support/docker.js';
import Logs from './logs.js';

describe('shopdb logs', () => {
  let docker: StandInDocker;
  let site: ReturnType<typeof createStackSite>;
  beforeEach(() => {
    docker = StandInDocker.create({
      answers: { logs: { stdout: 'api-1  | {"level":30,"msg":"listening"}\napi-1  | {"level":30,"msg":"ready"}\n' } },
    });
    site = createStackSite();
  });
  afterEach(() => {
    docker.cleanup();
    site.cleanup();
  });

  it("passes docker's output straight through, with the service and --since", async () => {
    const result = await runBin(['logs', 'api', '--since', '1h', '--env-file', site.envFile], { env: { PATH: docker.path } });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('api-1  | {"level":30,"msg":"ready"}');
    expect(docker.commandLines().at(-1)).toBe('compose logs --no-color --since 1h api');
  });

  it('returns the lines with --json, and follows with -f', async () => {
    const json = await runCommand(Logs, ['db', '--tail', '5', '--env-file', site.envFile, '--json'], { env: { PATH: docker.path } });
    const follow = await runBin(['logs', '-f', '--env-file', site.envFile], { env: { PATH: docker.path } });

    expect(json.exitCode, json.stderr).toBe(0);
    expect(json.json).toEqual({ service: 'db', lines: ['api-1  | {"level":30,"msg":"listening"}', 'api-1  | {"level":30,"msg":"ready"}'] });
    expect(follow.exitCode).toBe(0);
    expect(docker.commandLines()).toContain('compose logs --no-color --tail 5 db');
    expect(docker.commandLines().at(-1)).toBe('compose logs --no-color --follow');
  });

  it('refuses --follow with --json (exit 2) before calling docker', async () => {
    const result = await runCommand(Logs, ['-f', '--json', '--env-file', site.envFile], { env: { PATH: docker.path } });

    expect(result.exitCode).toBe(2);
    expect(result.json.error.message).toContain('--follow');
    expect(docker.calls()).toEqual([]);
  });

  it('names the services when asked for one that does not exist (exit 2)', async () => {
    docker.setScenario({ answers: { logs: { exitCode: 1, stderr: 'no such service: web\n' } } });

    const result = await runCommand(Logs, ['web', '--json', '--env-file', site.envFile], { env: { PATH: docker.path } });

    expect(result.exitCode).toBe(2);
    expect(result.json.error).toMatchObject({ message: 'no such service: web', suggestion: 'The services of the stack are db and api.' });
  });
});

// How the stack commands tell "no compose plugin" from other failures, against the real docker
// binary where this machine has one (docker 28 without the plugin answers `compose version
// --short` with "unknown flag: --short", exit 125) and against small stand-ins for other versions.

import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, runCommand } from '../../../test/support/cli.js';
import { createStackSite } from '../../../test/support/docker.js';
import { tempDir } from '../../../test/support/site.js';
import Status from '../../commands/status.js';
import { DockerUnavailableError } from '../errors.js';
import { ComposeRunner } from './compose.js';

/** An empty DOCKER_CONFIG: docker finds no plugin of this user's, only the system's (none here). */
const noPluginConfig = tempDir('shopdb-docker-config-');

async function realDockerWithoutCompose(): Promise<string | null> {
  const probe = await execa('docker', ['compose', 'version'], { env: { DOCKER_CONFIG: noPluginConfig }, reject: false });
  if ((probe as { code?: string }).code === 'ENOENT') return 'docker is not installed here';
  return probe.exitCode === 0 ? 'this docker has a system-wide compose plugin' : null;
}
const skipReason = await realDockerWithoutCompose();

let site: ReturnType<typeof createStackSite>;
beforeAll(() => {
  site = createStackSite();
});
afterAll(() => {
  site.cleanup();
  rmSync(noPluginConfig, { recursive: true, force: true });
});

describe.skipIf(skipReason !== null)(
  `the real docker binary without the compose plugin${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it('is what the detection is written for: docker stops at --short before it mentions compose', async () => {
      const answer = await execa('docker', ['compose', 'version', '--short'], { env: { DOCKER_CONFIG: noPluginConfig }, reject: false });

      expect(answer.exitCode).not.toBe(0);
      expect(answer.stderr).toMatch(/unknown flag: --short|unknown command|not a docker command/);
    });

    it('is reported as COMPOSE_MISSING with the install advice by the runner', async () => {
      const runner = new ComposeRunner({
        directory: site.dir,
        envFile: site.envFile,
        env: { PATH: process.env.PATH, DOCKER_CONFIG: noPluginConfig },
      });

      const error = await runner.preflight().then(
        () => null,
        (thrown: unknown) => thrown,
      );

      expect(error).toBeInstanceOf(DockerUnavailableError);
      expect((error as DockerUnavailableError).code).toBe('COMPOSE_MISSING');
      expect((error as DockerUnavailableError).suggestion).toContain('docker-compose-plugin');
    });

    it('stops `shopdb status` in-process with COMPOSE_MISSING (exit 1)', async () => {
      const result = await runCommand(Status, ['--env-file', site.envFile, '--json'], { env: { DOCKER_CONFIG: noPluginConfig } });

      expect(result.exitCode).toBe(1);
      expect(result.json.error).toMatchObject({ code: 'COMPOSE_MISSING', exitCode: 1 });
    });

    it.each([['up'], ['status'], ['logs'], ['down']])(
      'stops `shopdb %s` through the binary with the install-the-plugin message (exit 1)',
      async (command) => {
        const result = await runBin([command, '--env-file', site.envFile], { env: { DOCKER_CONFIG: noPluginConfig } });

        expect(result.exitCode).toBe(1);
        expect(result.stderr).toContain('The docker compose plugin is not installed');
        expect(result.stderr).toContain('docker-compose-plugin');
        expect(result.stderr).not.toContain('docker compose version` failed');
      },
    );
  },
);

describe('compose detection against stand-ins for other docker versions', () => {
  let bin: string;
  beforeAll(() => {
    bin = tempDir('shopdb-fake-docker-');
    mkdirSync(bin, { recursive: true });
  });
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  /** A docker that answers `compose version --short`, `compose version` and `info` as given. */
  function fakeDocker(name: string, short: string, plain: string): string {
    const path = join(bin, name);
    const reply = (text: string) => text.replace(/'/g, "'\\''");
    writeFileSync(
      path,
      [
        '#!/bin/sh',
        `if [ "$1 $2 $3" = "compose version --short" ]; then ${reply(short)}; fi`,
        `if [ "$1 $2" = "compose version" ]; then ${reply(plain)}; fi`,
        'if [ "$1" = "info" ]; then echo 28.2.2; exit 0; fi',
        'exit 99',
      ].join('\n') + '\n',
    );
    chmodSync(path, 0o755);
    return path;
  }
  const preflight = (docker: string) =>
    new ComposeRunner({ directory: site.dir, envFile: site.envFile, env: { PATH: process.env.PATH } }, docker).preflight();

  it('says the plugin is missing for docker 20–27 ("\'compose\' is not a docker command")', async () => {
    const docker = fakeDocker(
      'docker-27',
      'echo "docker: \'compose\' is not a docker command." >&2; exit 1',
      'echo "docker: \'compose\' is not a docker command." >&2; exit 1',
    );

    await expect(preflight(docker)).rejects.toMatchObject({ code: 'COMPOSE_MISSING' });
  });

  it('reads the version of a plugin that does not know --short from `compose version`', async () => {
    const docker = fakeDocker(
      'docker-old-plugin',
      'echo "unknown flag: --short" >&2; exit 1',
      'echo "Docker Compose version v2.0.1"; exit 0',
    );

    await expect(preflight(docker)).resolves.toEqual({ compose: '2.0.1', server: '28.2.2' });
  });

  it('keeps any other failure of the plugin an external error, not "install the plugin"', async () => {
    const docker = fakeDocker('docker-broken-plugin', 'echo "compose: permission denied reading config" >&2; exit 1', 'exit 1');

    await expect(preflight(docker)).rejects.toMatchObject({ code: 'EXTERNAL_COMMAND_FAILED' });
  });
});

// `shopdb up` against a stand-in docker (no engine here): the calls it makes in order, the wait
// for health, migrations inside the api container, and each failure a site meets.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBin, runCommand } from '../../test/support/cli.js';
import { createStackSite, stackWith, StandInDocker, healthyStack } from '../../test/support/docker.js';
import Up from './up.js';

const migrated = {
  exitCode: 0,
  stdout: JSON.stringify({ database: 'mysql shopdb@db:3306', sources: [{ id: 'core', applied: ['20261127A-core'] }], appliedCount: 1 }),
};

describe('shopdb up', () => {
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
  const up = (args: string[] = []) => runCommand(Up, ['--env-file', site.envFile, ...args], { env: { PATH: docker.path } });

  it('starts the stack, waits for the database, migrates in the api container, then waits for every service', async () => {
    docker.setScenario({
      ps: [stackWith({ Health: 'starting' }, { Health: 'starting' }), stackWith({ Health: 'unhealthy' }), healthyStack],
      answers: { migrate: migrated },
    });

    const result = await up(['--json']);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(docker.commandLines()).toEqual([
      'compose version --short',
      'info --format {{.ServerVersion}}',
      'compose up --detach',
      'compose ps --all --format json',
      'compose ps --all --format json',
      'compose exec -T api shopdb migrate --json',
      'compose ps --all --format json',
    ]);
    const calls = docker.calls();
    expect(calls[2]!.argv.slice(0, 3)).toEqual(['compose', '--env-file', site.envFile]);
    expect(calls.every((call) => call.cwd === site.dir)).toBe(true);
    expect(calls[2]!.SHOPDB_ENV_FILE).toBe(site.envFile);
    expect(result.json).toMatchObject({ url: 'http://127.0.0.1:8080', migrate: { appliedCount: 1 } });
    expect(result.json.services.map((s: { service: string; health: string }) => `${s.service}:${s.health}`)).toEqual([
      'api:healthy',
      'db:healthy',
    ]);
  });

  it('runs through bin/run.js with a task list on stderr and the summary on stdout', async () => {
    docker.setScenario({ ps: [healthyStack], answers: { migrate: migrated } });

    const result = await runBin(['up', '--env-file', site.envFile, '--build'], { env: { PATH: docker.path } });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('Apply migrations in the api container');
    expect(result.stdout).toContain('The stack is up: the API answers on http://127.0.0.1:8080');
    expect(docker.commandLines()).toContain('compose up --detach --build');
  });

  it('with --no-migrate, never execs shopdb, and accepts an api that is running but not ready (pending migrations)', async () => {
    docker.setScenario({ ps: [stackWith({ Health: 'unhealthy' })] });

    const result = await up(['--no-migrate', '--json']);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(docker.commandLines().filter((line) => line.includes('exec'))).toEqual([]);
    expect(result.json.migrate).toBeNull();
  });

  it('says docker is not installed, and what to install, when there is no docker on PATH (exit 1)', async () => {
    const result = await runCommand(Up, ['--env-file', site.envFile, '--json'], { env: { PATH: docker.nodeOnlyDir } });

    expect(result.exitCode).toBe(1);
    expect(result.json.error).toMatchObject({ code: 'DOCKER_MISSING' });
    expect(result.json.error.suggestion).toMatch(/docker-ce and docker-compose-plugin/);
  });

  it('says the compose plugin is missing, and notices an old docker-compose 1.x (exit 1)', async () => {
    docker.setScenario({ compose: 'missing', legacyCompose: true });

    const result = await up(['--json']);

    expect(result.exitCode).toBe(1);
    expect(result.json.error.code).toBe('COMPOSE_MISSING');
    expect(result.json.error.suggestion).toMatch(/docker-compose 1\.x was found.*docker-compose-plugin/);
    expect(docker.commandLines()).toEqual(['compose version --short', 'compose version']);
  });

  it('says the daemon is not reachable and how to start it (exit 1)', async () => {
    docker.setScenario({ daemon: 'down' });

    const result = await runBin(['up', '--env-file', site.envFile], { env: { PATH: docker.path } });

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Error: The Docker daemon is not reachable');
    expect(result.stderr).toContain('systemctl start docker');
    expect(docker.commandLines()).not.toContain('compose up --detach');
  });

  it('tells a user without access to the daemon socket to join the docker group', async () => {
    docker.setScenario({ daemon: 'denied' });

    const result = await up(['--json']);

    expect(result.json.error).toMatchObject({ code: 'DOCKER_DAEMON_UNREACHABLE' });
    expect(result.json.error.suggestion).toContain('usermod -aG docker');
  });

  it('stops at --timeout when a service stays unhealthy, quoting its health check (exit 1)', async () => {
    docker.setScenario({
      ps: [stackWith({ Health: 'starting' }, { Health: 'unhealthy', Status: 'Up 3 minutes (unhealthy)' })],
      inspectHealth: JSON.stringify({
        Status: 'unhealthy',
        Log: [{ ExitCode: 1, Output: 'mysqladmin: connect to server at 127.0.0.1 failed\n' }],
      }),
    });

    const started = Date.now();
    const result = await up(['--timeout', '1', '--json']);

    expect(result.exitCode).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.json.error.code).toBe('SERVICE_UNHEALTHY');
    expect(result.json.error.message).toBe('db did not become healthy within 1 s');
    expect(result.json.error.details).toContain('db health check said: mysqladmin: connect to server at 127.0.0.1 failed');
    expect(docker.commandLines().filter((line) => line.includes('exec'))).toEqual([]);
  });

  it('stops at once when a container exits, pointing at its logs', async () => {
    docker.setScenario({ ps: [stackWith({ State: 'exited', Health: '', ExitCode: 2, Status: 'Exited (2) 3 seconds ago' })] });

    const result = await up(['--json']);

    expect(result.exitCode).toBe(1);
    expect(result.json.error).toMatchObject({ code: 'SERVICE_UNHEALTHY', message: 'api stopped with exit code 2' });
    expect(result.json.error.suggestion).toContain('shopdb logs api');
  });

  it("turns compose's missing-variable refusal into a configuration error naming it (exit 2)", async () => {
    docker.setScenario({
      answers: {
        up: {
          exitCode: 15,
          stderr:
            'error while interpolating services.api.environment.JWT_SECRET: required variable JWT_SECRET is missing a value: set JWT_SECRET in .env - at least 32 random characters\n',
        },
      },
    });

    const result = await up(['--json']);

    expect(result.exitCode).toBe(2);
    expect(result.json.error.code).toBe('CONFIG_INVALID');
    expect(result.json.error.details[0]).toMatch(/^JWT_SECRET: is required by docker-compose.yml — set JWT_SECRET in \.env/);
  });

  it('reports a port in use with the variables that move it', async () => {
    docker.setScenario({
      answers: {
        up: {
          exitCode: 1,
          stderr:
            'Error response from daemon: driver failed programming external connectivity: Bind for 127.0.0.1:8080 failed: port is already allocated\n',
        },
      },
    });

    const result = await up(['--json']);

    expect(result.exitCode).toBe(1);
    expect(result.json.error.message).toBe('The API port is already in use on this host');
    expect(result.json.error.suggestion).toContain('HTTP_PORT');
  });

  it('keeps the exit code of a migration that finds the lock held (5)', async () => {
    docker.setScenario({
      ps: [healthyStack],
      answers: {
        migrate: {
          exitCode: 5,
          stdout: JSON.stringify({
            error: {
              code: 'LOCKED',
              message: 'Another run holds the migration lock (shopdb_migrations_lock)',
              suggestion: 'Wait, or `shopdb migrate unlock` once none runs.',
              details: [],
              exitCode: 5,
            },
          }),
        },
      },
    });

    const result = await up(['--json']);

    expect(result.exitCode).toBe(5);
    expect(result.json.error).toMatchObject({
      code: 'LOCKED',
      message: 'shopdb migrate failed in the api container: Another run holds the migration lock (shopdb_migrations_lock)',
    });
  });

  it('refuses a folder without docker-compose.yml before calling docker (exit 2)', async () => {
    const { rmSync } = await import('node:fs');
    rmSync(`${site.dir}/docker-compose.yml`);

    const result = await up(['--json']);

    expect(result.exitCode).toBe(2);
    expect(result.json.error.message).toContain('There is no docker-compose.yml in');
    expect(docker.calls()).toEqual([]);
  });

  it('passes COMPOSE_FILE from the .env to docker compose (the secrets variant)', async () => {
    const { copyFileSync } = await import('node:fs');
    const { packageRoot } = await import('../core/paths.js');
    copyFileSync(`${packageRoot}/docker-compose.secrets.yml`, `${site.dir}/docker-compose.secrets.yml`);
    const { appendFileSync } = await import('node:fs');
    appendFileSync(site.envFile, 'COMPOSE_FILE=docker-compose.secrets.yml\n');
    docker.setScenario({ ps: [healthyStack], answers: { migrate: migrated } });

    const result = await up(['--json']);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(docker.calls().every((call) => call.COMPOSE_FILE === 'docker-compose.secrets.yml')).toBe(true);
  });
});

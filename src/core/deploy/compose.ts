// Drives a site's Docker stack through `docker compose` (the v2 plugin) with execa. Before any
// work it checks that the docker CLI is there, that it has the compose plugin and that the daemon
// answers, and names what to install or start when one is missing. Compose's own failures that
// a site can fix (a missing variable, a port in use) become typed errors with a suggestion.

import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { ConfigError, DockerUnavailableError, ExternalError, ServiceUnhealthyError, UsageError, UserError } from '../errors.js';

export interface ComposeProject {
  /** The folder that holds docker-compose.yml and the site .env; compose runs there. */
  directory: string;
  /** The site .env, absolute: compose's variables (`--env-file`) and the api container's env_file. */
  envFile: string;
  /** The process environment the docker CLI gets (PATH, DOCKER_HOST, COMPOSE_FILE …). */
  env: Readonly<Record<string, string | undefined>>;
}

export interface ComposeRunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface ComposeRunOptions {
  /** Pass the child's output straight through (logs --follow) instead of capturing it. */
  inherit?: boolean;
  timeoutMs?: number;
}

export interface DockerVersions {
  compose: string;
  server: string;
}

/** The compose files compose itself would pick in `directory` when COMPOSE_FILE is not set. */
const DEFAULT_COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];

const INSTALL_DOCKER =
  "Install Docker Engine with its compose plugin (Docker's packages docker-ce and docker-compose-plugin, or your distribution's docker.io and docker-compose-v2), then run the command again.";

export class ComposeRunner {
  private versions: DockerVersions | undefined;

  constructor(
    readonly project: ComposeProject,
    private readonly docker = 'docker',
  ) {}

  /** Checks docker, the compose plugin and the daemon, once per runner. */
  async preflight(): Promise<DockerVersions> {
    if (this.versions) return this.versions;
    this.assertComposeFile();
    const compose = await this.composeVersion();
    const server = await this.raw(['info', '--format', '{{.ServerVersion}}']);
    if (server.exitCode !== 0 || !server.stdout.trim()) throw daemonProblem(server);
    this.versions = { compose, server: server.stdout.trim() };
    return this.versions;
  }

  /**
   * The compose plugin's version. Without the plugin, docker parses `compose version --short`
   * itself and stops at the flag it does not know (docker 28: "unknown flag: --short", exit 125)
   * before it ever says compose is missing; so that answer is asked again without the flag.
   */
  private async composeVersion(): Promise<string> {
    const short = await this.raw(['compose', 'version', '--short']);
    if (short.exitCode === 0) return short.stdout.trim().replace(/^v/, '');
    if (!composeNotACommand(short) && !/unknown flag/i.test(`${short.stderr}\n${short.stdout}`))
      throw this.composeMissing(short, 'docker compose version --short');
    const plain = await this.raw(['compose', 'version']);
    const version = /v?(\d+\.\d+\.\d+\S*)/.exec(plain.stdout);
    if (plain.exitCode === 0 && version) return version[1]!;
    throw this.composeMissing(plain, 'docker compose version');
  }

  /** `docker compose <args>` in the project folder; a failure becomes a typed error. */
  async compose(args: string[], options: ComposeRunOptions = {}): Promise<ComposeRunResult> {
    await this.preflight();
    const argv = ['compose', '--env-file', this.project.envFile, ...args];
    const result = await this.raw(argv, options);
    if (result.exitCode !== 0) throw composeFailure(`docker ${argv.join(' ')}`, result);
    return result;
  }

  /** Like `compose`, but returns a failed run instead of throwing (exec of a shopdb command). */
  async composeAllowFailure(args: string[], options: ComposeRunOptions = {}): Promise<ComposeRunResult> {
    await this.preflight();
    return this.raw(['compose', '--env-file', this.project.envFile, ...args], options);
  }

  /** `docker <args>` outside compose (inspect); failures are returned, not thrown. */
  async dockerCommand(args: string[]): Promise<ComposeRunResult> {
    await this.preflight();
    return this.raw(args);
  }

  private async raw(args: string[], options: ComposeRunOptions = {}): Promise<ComposeRunResult> {
    const env: Record<string, string | undefined> = { ...this.project.env, SHOPDB_ENV_FILE: this.project.envFile };
    try {
      const result = await execa(this.docker, args, {
        cwd: this.project.directory,
        env,
        extendEnv: false,
        reject: false,
        stdin: 'ignore',
        stdout: options.inherit ? 'inherit' : 'pipe',
        stderr: options.inherit ? 'inherit' : 'pipe',
        timeout: options.timeoutMs,
        stripFinalNewline: true,
      });
      if (result.failed && result.exitCode === undefined) {
        if ((result as { code?: string }).code === 'ENOENT' || /ENOENT/.test(result.message ?? '')) throw this.dockerMissing();
        throw new ExternalError(
          `docker could not be run: ${result.shortMessage}`,
          `docker ${args.join(' ')}`,
          undefined,
          String(result.stderr ?? ''),
          {
            suggestion: result.timedOut
              ? 'The docker command did not finish in time; check `docker info` and try again.'
              : 'Check that `docker` works for this user.',
          },
        );
      }
      return { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode: result.exitCode ?? 1 };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw this.dockerMissing();
      throw error;
    }
  }

  private assertComposeFile(): void {
    const named = this.project.env.COMPOSE_FILE;
    const files = named ? named.split(this.project.env.COMPOSE_PATH_SEPARATOR ?? delimiter).filter(Boolean) : [];
    if (files.length > 0) {
      const missing = files.filter((file) => !existsSync(join(this.project.directory, file)) && !existsSync(file));
      if (missing.length > 0) {
        throw new UsageError(`COMPOSE_FILE names ${missing.join(', ')}, which is not in ${this.project.directory}`, {
          suggestion: 'Set COMPOSE_FILE to docker-compose.yml or docker-compose.secrets.yml (or unset it).',
        });
      }
      return;
    }
    if (!DEFAULT_COMPOSE_FILES.some((file) => existsSync(join(this.project.directory, file)))) {
      throw new UsageError(`There is no docker-compose.yml in ${this.project.directory}, the folder of the site .env`, {
        suggestion:
          'Keep the site .env in the shopdb checkout next to docker-compose.yml (docs/DEPLOY.md), and run shopdb there or pass --env-file pointing at it.',
      });
    }
  }

  private dockerMissing(): DockerUnavailableError {
    return new DockerUnavailableError(
      'DOCKER_MISSING',
      `\`${this.docker}\` was not found on the PATH: Docker is not installed (or not for this user)`,
      {
        suggestion: INSTALL_DOCKER,
      },
    );
  }

  private composeMissing(result: ComposeRunResult, command: string): ShopdbErrorLike {
    const text = `${result.stderr}\n${result.stdout}`;
    if (composeNotACommand(result)) {
      const legacy = this.legacyComposeOnPath();
      return new DockerUnavailableError(
        'COMPOSE_MISSING',
        'The docker compose plugin is not installed (`docker compose` is not a docker command here)',
        {
          suggestion: legacy
            ? `Only the old docker-compose 1.x was found (${legacy}); shopdb needs compose v2. Install the plugin (package docker-compose-plugin, or docker-compose-v2 on Debian/Ubuntu), then run the command again.`
            : 'Install the compose plugin (package docker-compose-plugin, or docker-compose-v2 on Debian/Ubuntu), then run the command again.',
          details: firstLines(text),
        },
      );
    }
    return new ExternalError('`docker compose version` failed', command, result.exitCode, result.stderr, {
      suggestion: 'Run `docker compose version` to see why, fix it, and run the command again.',
    });
  }

  private legacyComposeOnPath(): string | undefined {
    for (const dir of (this.project.env.PATH ?? '').split(delimiter)) {
      if (dir && existsSync(join(dir, 'docker-compose'))) return join(dir, 'docker-compose');
    }
    return undefined;
  }
}

type ShopdbErrorLike = DockerUnavailableError | ExternalError;

/** docker 28: "unknown command: docker compose"; docker 20–27: "'compose' is not a docker command". */
function composeNotACommand(result: ComposeRunResult): boolean {
  return /not a docker command|unknown command|no such command/i.test(`${result.stderr}\n${result.stdout}`);
}

function firstLines(text: string, count = 3): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(0, count);
}

function daemonProblem(result: ComposeRunResult): DockerUnavailableError | ExternalError {
  const text = `${result.stderr}\n${result.stdout}`;
  if (/permission denied/i.test(text)) {
    return new DockerUnavailableError(
      'DOCKER_DAEMON_UNREACHABLE',
      'This user may not talk to the Docker daemon (permission denied on its socket)',
      {
        suggestion: 'Run as root, or add the user to the docker group (`sudo usermod -aG docker $USER`, then log in again).',
        details: firstLines(text),
      },
    );
  }
  if (
    /cannot connect|is the docker daemon running|connection refused|no such file or directory|error during connect/i.test(text) ||
    result.exitCode !== 0
  ) {
    return new DockerUnavailableError('DOCKER_DAEMON_UNREACHABLE', 'The Docker daemon is not reachable', {
      suggestion:
        'Start it (`sudo systemctl start docker`, and `sudo systemctl enable docker` so it starts at boot), or check DOCKER_HOST / the docker context, then run the command again.',
      details: firstLines(text),
    });
  }
  return new ExternalError('`docker info` gave no server version', 'docker info', result.exitCode, result.stderr, {
    suggestion: 'Run `docker info` to see what the daemon answers.',
  });
}

/** Turns compose's failures into errors a site can act on; anything else is an ExternalError. */
export function composeFailure(command: string, result: ComposeRunResult): UserError | ExternalError {
  const text = `${result.stderr}\n${result.stdout}`;
  // v2: `required variable DB_PASSWORD is missing a value: set DB_PASSWORD …`; 1.29: `Missing mandatory value for …: set …`.
  const missing =
    /required variable (\w+) is missing a value:?\s*(.*)/i.exec(text) ?? /Missing mandatory value for .*?: (set (\w+) .*)/i.exec(text);
  if (missing) {
    const variable = missing[0].startsWith('required') ? missing[1]! : missing[2]!;
    const explanation = (missing[0].startsWith('required') ? missing[2] : missing[1])?.trim() || `set ${variable}`;
    return new ConfigError(
      `docker compose refused to start: ${variable} is not set`,
      [{ variable, problem: 'is required by docker-compose.yml', fix: explanation }],
      {
        suggestion: 'Add it to the site .env (`shopdb config check` lists every problem), then run the command again.',
      },
    );
  }
  if (/port is already allocated|address already in use|bind: address/i.test(text)) {
    return new UserError('The API port is already in use on this host', {
      suggestion:
        'Stop what listens there (`ss -ltnp` shows it), or set HTTP_PORT / SHOPDB_BIND_ADDRESS in .env, then run the command again.',
      details: firstLines(text),
    });
  }
  if (/no such service/i.test(text)) {
    return new UsageError(firstLines(text)[0] ?? 'No such service', { suggestion: 'The services of the stack are db and api.' });
  }
  if (/dependency failed to start|is unhealthy/i.test(text)) {
    return new ServiceUnhealthyError('A service of the stack did not become healthy', {
      suggestion: 'See why with `shopdb logs db` (or `shopdb logs api`) and `shopdb status`.',
      details: firstLines(text),
    });
  }
  return new ExternalError(
    `${command.replace(/ --env-file \S+/, '')} failed (exit code ${result.exitCode})`,
    command,
    result.exitCode,
    result.stderr,
    {
      suggestion: 'Run again with --verbose to see what docker printed.',
      details: firstLines(result.stderr, 2),
    },
  );
}

// `shopdb serve` replicas as a site runs them: real processes through bin/run.js, each on its own
// port, and a small HTTP client that can speak as a client behind the proxy (X-Forwarded-For).

import { execa, type ResultPromise } from 'execa';
import { freePort, waitUntil } from './api.js';
import { binPath } from './cli.js';

export interface ServeReplica {
  name: string;
  url: string;
  port: number;
  child: ResultPromise;
  stderr(): string;
}

export interface ReplicaAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/** Starts `shopdb serve` on the site's .env (plus `env`, e.g. another DB_PORT) and waits until /api/ready answers 200. */
export async function startServeReplica(
  name: string,
  envFile: string,
  options: { env?: Record<string, string>; port?: number } = {},
): Promise<ServeReplica> {
  const port = options.port ?? (await freePort());
  const child = execa(binPath, ['serve', '--env-file', envFile], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', HTTP_PORT: String(port), ...options.env },
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const replica: ServeReplica = { name, url: `http://127.0.0.1:${port}`, port, child, stderr: () => stderr };
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`replica ${name} exited (${child.exitCode}): ${stderr}`);
      try {
        return (await fetch(`${replica.url}/api/ready`)).ok;
      } catch {
        return false;
      }
    },
    90_000,
    `replica ${name} to be ready`,
  );
  return replica;
}

/** SIGTERM, as an orchestrator stops it, and wait for the exit. */
export async function stopServeReplica(replica: ServeReplica): Promise<void> {
  if (replica.child.exitCode === null) replica.child.kill('SIGTERM');
  await replica.child;
}

export async function callReplica(
  replica: ServeReplica,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; from?: string } = {},
): Promise<ReplicaAnswer> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.from) headers['x-forwarded-for'] = options.from;
  const response = await fetch(`${replica.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

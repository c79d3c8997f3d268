// The listener around the app: binds HTTP_HOST:HTTP_PORT, sets the socket timeouts, and shuts
// down gracefully on SIGTERM/SIGINT — stop accepting, let in-flight requests finish, then close
// the database pool (the database plugin's onClose). A second signal, or a shutdown that
// outlasts its grace period, cuts the remaining connections.

import type { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import type { LoadedConfig } from '../core/config/index.js';
import { UserError } from '../core/errors.js';
import { buildApp, type BuildAppOptions } from './app.js';

export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export interface ServerTimeouts {
  /** Whole request, headers and body (slow-loris bodies); HTTP_REQUEST_TIMEOUT. */
  requestMs: number;
  headersMs: number;
  /** Above a typical load balancer's 60 s idle timeout, so the balancer closes first. */
  keepAliveMs: number;
  /** How long in-flight requests get after a shutdown signal before their connections are cut. */
  shutdownGraceMs: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = { requestMs: 30_000, headersMs: 15_000, keepAliveMs: 72_000, shutdownGraceMs: 10_000 };

export interface StartServerOptions extends Omit<BuildAppOptions, 'config'> {
  config: LoadedConfig;
  timeouts?: Partial<ServerTimeouts>;
  /** Where shutdown signals come from; the process by default. */
  signals?: EventEmitter;
}

export interface ServerStopped {
  url: string;
  /** The signal that stopped it, or 'stop' when stopped from code. */
  stoppedBy: string;
  /** True when the grace period ran out (or a second signal came) and connections were cut. */
  forced: boolean;
  uptimeSeconds: number;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  /** Resolves once the server has shut down (after a signal or `stop`). */
  stopped: Promise<ServerStopped>;
  stop(reason?: string): Promise<ServerStopped>;
}

function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new UserError(`Port ${port} on ${host} is already in use`, {
      suggestion: 'Stop whatever listens there, or set HTTP_PORT to a free port.',
      cause: error,
    });
  }
  if (code === 'EACCES') {
    return new UserError(`Not allowed to listen on ${host}:${port}`, {
      suggestion: 'Ports below 1024 need privileges: use a higher HTTP_PORT behind a reverse proxy.',
      cause: error,
    });
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new UserError(`Cannot listen on ${host}: no such local address`, {
      suggestion: 'Set HTTP_HOST to an address of this machine (0.0.0.0 for all).',
      cause: error,
    });
  }
  return error;
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config, signals = process } = options;
  const timeouts = { ...DEFAULT_TIMEOUTS, requestMs: config.values.HTTP_REQUEST_TIMEOUT * 1000, ...options.timeouts };
  const app = await buildApp({ ...options, logger: options.logger ?? true });
  app.server.requestTimeout = timeouts.requestMs;
  app.server.headersTimeout = Math.min(timeouts.headersMs, timeouts.requestMs);
  app.server.keepAliveTimeout = timeouts.keepAliveMs;

  const host = config.values.HTTP_HOST;
  const port = config.values.HTTP_PORT;
  let url: string;
  try {
    url = await app.listen({ host, port });
  } catch (error) {
    await app.close();
    throw listenError(error, host, port);
  }
  const startedAt = Date.now();

  let forced = false;
  let stopping: Promise<ServerStopped> | null = null;
  let settle!: { resolve: (result: ServerStopped) => void; reject: (error: unknown) => void };
  const stopped = new Promise<ServerStopped>((resolve, reject) => (settle = { resolve, reject }));

  const cutConnections = (why: string) => {
    if (forced) return;
    forced = true;
    app.log.warn(`${why}: closing the remaining connections`);
    app.server.closeAllConnections();
  };

  const stop = (reason = 'stop'): Promise<ServerStopped> => {
    if (stopping) {
      // A second signal: the operator does not want to wait.
      cutConnections(`${reason} received again`);
      return stopping;
    }
    app.log.info({ signal: reason }, 'shutting down: no new connections; waiting for requests in flight');
    const grace = setTimeout(() => cutConnections(`requests still running after ${timeouts.shutdownGraceMs} ms`), timeouts.shutdownGraceMs);
    grace.unref();
    const done = () => {
      clearTimeout(grace);
      for (const [signal, handler] of handlers) signals.off(signal, handler);
    };
    stopping = app.close().then(
      () => {
        done();
        const result: ServerStopped = { url, stoppedBy: reason, forced, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) };
        app.log.info(result, 'stopped');
        settle.resolve(result);
        return result;
      },
      (error: unknown) => {
        done();
        settle.reject(error);
        throw error;
      },
    );
    return stopping;
  };

  // A failure to close is reported through `stopped`.
  const handlers = SHUTDOWN_SIGNALS.map((signal) => [signal, () => void stop(signal).catch(() => {})] as const);
  for (const [signal, handler] of handlers) signals.on(signal, handler);

  return { app, url, stopped, stop };
}

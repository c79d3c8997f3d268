// The database as a Fastify plugin: one knex pool for the whole app, destroyed when the app
// closes. When the database cannot be reached at start the server still comes up and keeps
// retrying with backoff; meanwhile requests that need it get 503 and /api/ready says why.

import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Knex } from 'knex';
import type { LoadedConfig } from '../../core/config/index.js';
import { databaseTargetFromConfig, openDatabase, translateConnectionError, type DatabaseTarget } from '../../core/db/connect.js';
import { DatabaseUnavailableError } from '../../core/errors.js';

export interface RetryPolicy {
  /** Wait before the second attempt; doubles after each failure. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 1_000, maxDelayMs: 30_000 };

/** How long start-up waits for the first connection attempt before going on without it. */
const FIRST_ATTEMPT_WAIT_MS = 2_000;

export interface DatabasePluginOptions {
  config: LoadedConfig;
  /** A pool the caller owns (tests): used as is and not destroyed on close. */
  db?: Knex;
  retry?: RetryPolicy;
}

/** The app's handle on its database: the pool once connected, or why it is not (yet). */
export class DatabaseConnection {
  private knex: Knex | null = null;
  private problem: DatabaseUnavailableError | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private attempts = 0;

  constructor(
    private readonly target: DatabaseTarget,
    private readonly log: FastifyBaseLogger,
    private readonly retry: RetryPolicy,
    private readonly owned: boolean,
    given?: Knex,
  ) {
    if (given) this.knex = given;
  }

  get connected(): boolean {
    return this.knex !== null;
  }

  /** The engine, for readiness reports. */
  get client(): DatabaseTarget['client'] {
    return this.target.client;
  }

  /** Why the database is unavailable, or null when it is connected. */
  get reason(): string | null {
    if (this.knex) return null;
    return this.problem?.message ?? 'connecting to the database';
  }

  /** The pool, or a DatabaseUnavailableError (→ 503) while there is none. */
  get(): Knex {
    if (this.knex) return this.knex;
    throw this.problem ?? new DatabaseUnavailableError('Connecting to the database');
  }

  /** First attempt; on failure the retries go on in the background and this returns anyway. */
  async connect(): Promise<void> {
    if (this.knex || this.closed) return;
    this.attempts += 1;
    try {
      // Never create a missing SQLite file here: an empty database is not a site (`shopdb migrate` makes one).
      const knex = await openDatabase(this.target, {
        create: false,
        verify: true,
        logger: { warn: (message) => this.log.warn(message), debug: (message) => this.log.debug(message) },
      });
      if (this.closed) {
        await knex.destroy();
        return;
      }
      this.knex = knex;
      this.problem = null;
      if (this.attempts > 1) this.log.info({ attempts: this.attempts }, 'database connected');
    } catch (error) {
      this.problem = error instanceof DatabaseUnavailableError ? error : translateConnectionError(error, this.target);
      const delay = Math.min(this.retry.initialDelayMs * 2 ** (this.attempts - 1), this.retry.maxDelayMs);
      this.log.warn({ attempt: this.attempts, retryInMs: delay, reason: this.problem.message }, 'database unavailable; retrying');
      this.timer = setTimeout(() => void this.connect(), delay);
      // The HTTP server keeps the process alive; a pending retry alone must not.
      this.timer.unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const knex = this.knex;
    this.knex = null;
    this.problem = new DatabaseUnavailableError('The server is shutting down');
    if (knex && this.owned) await knex.destroy();
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    database: DatabaseConnection;
  }
  interface FastifyRequest {
    /** The knex pool; throws DatabaseUnavailableError (→ 503) while the database is away. */
    readonly db: Knex;
  }
}

async function databasePlugin(app: FastifyInstance, options: DatabasePluginOptions): Promise<void> {
  const target = databaseTargetFromConfig(options.config);
  const connection = new DatabaseConnection(target, app.log, options.retry ?? DEFAULT_RETRY, options.db === undefined, options.db);
  app.decorate('database', connection);
  app.decorateRequest('db', {
    getter(this: { server: FastifyInstance }) {
      return this.server.database.get();
    },
  });
  // Runs after the server has stopped accepting and in-flight requests have finished.
  app.addHook('onClose', async () => connection.close());
  // A healthy database is usually there at once, and then the first request finds it. A slow one
  // (a MySQL host that does not answer) must not hold the listener back: the attempt goes on.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([connection.connect(), new Promise<void>((resolve) => (timer = setTimeout(resolve, FIRST_ATTEMPT_WAIT_MS)))]);
  clearTimeout(timer);
}

export default fp(databasePlugin, { name: 'shopdb-database' });

// The whole HTTP API as one Fastify app, built from plugins: errors, request ids, security
// headers and CORS, the database, auth, OpenAPI, then the route modules. Tests
// call `buildApp` and `inject`; `server.ts` adds the listener, timeouts and graceful shutdown.

import type { Server } from 'node:http';
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyHttpOptions,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyPluginAsync,
  type FastifyServerOptions,
} from 'fastify';
import type { Knex } from 'knex';
import { directorySettingsFromConfig } from '../core/auth/directory/settings.js';
import type { LoadedConfig } from '../core/config/index.js';
import { siteMigrationSources, type MigrationSourceRegistry } from '../core/migrations/sources.js';
import { catalogOptionsFromConfig, loadPluginCatalog, type PluginCatalog } from '../core/plugins/catalog.js';
import { PluginRuntime } from '../core/plugins/runtime.js';
import { shopdbVersion } from '../core/paths.js';
import { Monitoring } from '../core/monitoring/service.js';
import type { ZabbixClientOptions } from '../core/monitoring/zabbix/client.js';
import { zabbixSettingsFromConfig } from '../core/monitoring/zabbix/settings.js';
import authPlugin, { authSettingsFromConfig } from './auth/plugin.js';
import authRoutes from './auth/routes.js';
import { HttpError, toErrorReply } from './errors.js';
import databasePlugin, { type RetryPolicy } from './plugins/database.js';
import directoryRecheckPlugin from './plugins/directory-recheck.js';
import drainPlugin from './plugins/drain.js';
import errorsPlugin from './plugins/errors.js';
import openApiPlugin from './plugins/openapi.js';
import requestIdPlugin, { REQUEST_ID_HEADER, requestIdFor } from './plugins/request-id.js';
import securityPlugin from './plugins/security.js';
import { createValidatorCompiler } from './plugins/validation.js';
import auditRoutes from './routes/audit.js';
import healthRoutes from './routes/health.js';
import assetRoutes from './routes/inventory/assets.js';
import assetHistoryRoutes from './routes/inventory/history.js';
import locationRoutes from './routes/inventory/locations.js';
import referenceRoutes from './routes/inventory/reference.js';
import { mountPluginRoutes } from './plugin-host.js';
import pluginRoutes from './routes/plugins.js';
import sessionRoutes from './routes/sessions.js';
import monitoringRoutes from './routes/monitoring.js';
import summaryRoutes from './routes/summary.js';
import tokenRoutes from './routes/tokens.js';
import userRoutes from './routes/users.js';

// ── Route modules ────────────────────────────────────────────────────────────────────────────
// THE place routes are registered: each module is a Fastify plugin mounted under /api, so a
// module's `/users` is `/api/users`. Inventory routes (src/api/routes/inventory/*.ts) go here.
// A module guards its routes with `onRequest: requireRole(…)` (src/api/auth/guards.ts), builds
// list querystrings with `listQuerySchema` and answers lists with `page` (src/api/pagination.ts).
export const ROUTE_MODULES: readonly FastifyPluginAsync[] = [
  healthRoutes,
  authRoutes,
  userRoutes,
  tokenRoutes,
  sessionRoutes,
  auditRoutes,
  assetRoutes,
  assetHistoryRoutes,
  locationRoutes,
  referenceRoutes,
  pluginRoutes,
  summaryRoutes,
  monitoringRoutes,
];

export interface BuildAppOptions {
  config: LoadedConfig;
  /** A knex pool the caller owns (tests). Without it the app opens its own and closes it on close. */
  db?: Knex;
  /** false: silent; true: JSON logs at LOG_LEVEL on stderr; an object: pino options over those (tests pass a `stream`). */
  logger?: boolean | Record<string, unknown>;
  /** Defaults to the site's sources (core, then plugins); tests pass fixtures. */
  migrationSources?: MigrationSourceRegistry;
  databaseRetry?: RetryPolicy;
  /** Defaults to shopdb's package version. */
  version?: string;
  /** The plugins this server can mount; defaults to the bundled ones and the site's plugin packages. */
  pluginCatalog?: PluginCatalog;
  /** Zabbix client options (tests count the calls); the settings come from the config. */
  monitoringOptions?: ZabbixClientOptions;
}

/** What every route module may read: the site's configuration and identity. */
export interface SiteContext {
  config: LoadedConfig;
  version: string;
  migrationSources: MigrationSourceRegistry;
}

declare module 'fastify' {
  interface FastifyInstance {
    site: SiteContext;
    plugins: PluginRuntime;
    /** Zabbix monitoring of this process (its breaker and session); null without ZABBIX_URL. */
    monitoring: Monitoring | null;
  }
}

/**
 * TRUST_PROXY as Fastify takes it. A hop count (trust the n nearest proxies, as Express does) is
 * not something Fastify 5 accepts any more, so it becomes the equivalent trust function.
 */
export function trustProxyOption(value: boolean | number | string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof value !== 'number') return value;
  return (_address, hop) => hop < value;
}

/**
 * pino settings: JSON lines on stderr (stdout is for command results), the request id on every
 * request line, and nothing from headers or bodies — so no Authorization, Cookie or password.
 */
export function loggerOptions(config: LoadedConfig, logger: BuildAppOptions['logger']): FastifyServerOptions['logger'] {
  if (logger === false || logger === undefined) return false;
  return {
    level: config.values.LOG_LEVEL,
    stream: process.stderr,
    serializers: {
      req: (request: { method: string; url: string; ip?: string; headers?: Record<string, unknown> }) => ({
        method: request.method,
        url: request.url,
        remoteAddress: request.ip,
        userAgent: request.headers?.['user-agent'],
      }),
      res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
    },
    // Belt and braces, should anyone ever log a raw request or a body.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'headers.cookie',
        'password',
        '*.password',
        'token',
        '*.token',
      ],
      censor: '[redacted]',
    },
    ...(typeof logger === 'object' ? logger : {}),
  };
}

/** Fastify's `frameworkErrors`: a URL the router cannot even decode never reaches the hooks or the error handler. */
function badUrl(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const result = toErrorReply(new HttpError(400, 'BAD_URL', 'The URL is not valid (check its percent-encoding)'), request.id);
  request.log.info({ code: error.code }, result.body.error.message);
  void reply.code(result.statusCode).header(REQUEST_ID_HEADER, request.id).send(result.body);
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const v = config.values;
  const serverOptions: FastifyHttpOptions<Server> = {
    logger: loggerOptions(config, options.logger),
    genReqId: requestIdFor,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: v.HTTP_BODY_LIMIT,
    trustProxy: trustProxyOption(v.TRUST_PROXY),
    // During shutdown, requests on kept-alive connections are still answered (with Connection:
    // close) in our own error shape, instead of Fastify's fixed 503 body.
    return503OnClosing: false,
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: badUrl,
  };
  const app = Fastify(serverOptions);
  if (typeof v.TRUST_PROXY === 'number') {
    app.log.warn(
      'TRUST_PROXY is a hop count, which lets a client that reaches the server directly forge its address; prefer the proxy IPs/CIDRs',
    );
  }

  app.decorate('site', {
    config,
    version: options.version ?? shopdbVersion(),
    migrationSources: options.migrationSources ?? siteMigrationSources(),
  });
  const catalog = options.pluginCatalog ?? (await loadPluginCatalog(catalogOptionsFromConfig(config)));
  // A plugin that cannot be used is reported and left out; it never stops the server.
  for (const invalid of catalog.invalid) app.log.warn({ plugin: invalid.name }, invalid.error.message);
  for (const plugin of catalog.plugins.filter((p) => p.problems.length > 0))
    app.log.warn({ plugin: plugin.manifest.name }, `plugin ${plugin.manifest.name} is left out: ${plugin.problems.join('; ')}`);
  app.decorate('plugins', new PluginRuntime(catalog));
  const zabbix = zabbixSettingsFromConfig(config);
  app.decorate(
    'monitoring',
    zabbix === null ? null : new Monitoring(zabbix, { warn: (message) => app.log.warn(message), ...options.monitoringOptions }),
  );
  app.setValidatorCompiler(createValidatorCompiler());
  // JSON only: a text/plain body is how a cross-site HTML form would post without a preflight.
  app.removeContentTypeParser('text/plain');

  await app.register(errorsPlugin);
  await app.register(drainPlugin);
  await app.register(requestIdPlugin);
  await app.register(securityPlugin, { corsOrigins: v.CORS_ORIGINS });
  await app.register(databasePlugin, { config, db: options.db, retry: options.databaseRetry });
  await app.register(authPlugin, { settings: authSettingsFromConfig(config, app.log) });
  await app.register(directoryRecheckPlugin, { settings: directorySettingsFromConfig(config) });
  await app.register(openApiPlugin, { version: app.site.version, cookieName: v.COOKIE_NAME });

  for (const routes of ROUTE_MODULES) await app.register(routes, { prefix: '/api' });
  await mountPluginRoutes(app);
  return app;
}

// How plugin routes are mounted: each usable plugin under /api/plugins/<name>, behind a gate
// that answers 404 unless the plugin is installed and enabled on the site at that moment, and a
// default guard (viewer to read, editor to write) before the plugin's own. Routes get what core
// routes use through `host`, so a plugin package needs nothing from shopdb at import time.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recordAudit } from '../core/audit/log.js';
import { textKey } from '../core/db/text-keys.js';
import { inTransaction, type Db } from '../core/db/transaction.js';
import { ConflictError, ForbiddenError, NotFoundError, UserError, ValidationError } from '../core/errors.js';
import type { AvailablePlugin } from '../core/plugins/catalog.js';
import type { PluginManifest } from '../core/plugins/manifest.js';
import type { PluginRuntime } from '../core/plugins/runtime.js';
import { PLUGIN_ROUTE_PREFIX } from '../core/plugins/listing.js';
import type { RoleName } from '../core/auth/types.js';
import { actorOf, requireRole } from './auth/guards.js';
import { SAFE_METHODS } from './auth/plugin.js';
import { errorResponses, HttpError } from './errors.js';
import { listQuerySchema, page, pageOf, pageSchema } from './pagination.js';
import { createValidatorCompiler } from './plugins/validation.js';

/** What a plugin's `routes` receives besides the Fastify scope. */
export interface PluginRouteHost {
  plugin: { name: string; version: string };
  requireRole: typeof requireRole;
  actorOf: typeof actorOf;
  recordAudit: typeof recordAudit;
  /** A write in one transaction, serialised on keys and retried on deadlocks (ADR-012). */
  inTransaction: typeof inTransaction;
  /** The comparison key of a unique text value (ADR-013). */
  textKey: typeof textKey;
  listQuerySchema: typeof listQuerySchema;
  page: typeof page;
  pageOf: typeof pageOf;
  pageSchema: typeof pageSchema;
  errorResponses: typeof errorResponses;
  /**
   * Which of these VLAN ids the site's enabled VLAN-keeping plugins know (their `knownVlans`
   * hook); null when none is enabled. Pass the write's transaction.
   */
  knownVlans: (db: Db, vlanIds: readonly number[]) => Promise<ReadonlySet<number> | null>;
  errors: {
    NotFoundError: typeof NotFoundError;
    ValidationError: typeof ValidationError;
    ConflictError: typeof ConflictError;
    ForbiddenError: typeof ForbiddenError;
    UserError: typeof UserError;
  };
}

export type PluginRoutes = (app: FastifyInstance, host: PluginRouteHost) => Promise<void>;

/** A plugin manifest with its routes typed for Fastify: what bundled plugins export. */
export interface ShopdbPlugin extends Omit<PluginManifest, 'routes'> {
  routes?: PluginRoutes;
}

export function pluginRouteHost(plugin: AvailablePlugin, runtime: PluginRuntime): PluginRouteHost {
  return {
    plugin: { name: plugin.manifest.name, version: plugin.manifest.version },
    requireRole,
    actorOf,
    recordAudit,
    inTransaction,
    textKey,
    listQuerySchema,
    page,
    pageOf,
    pageSchema,
    errorResponses,
    knownVlans: (db, vlanIds) => runtime.knownVlans(db, vlanIds),
    errors: { NotFoundError, ValidationError, ConflictError, ForbiddenError, UserError },
  };
}

const guards = { viewer: requireRole('viewer'), editor: requireRole('editor'), admin: requireRole('admin') } as const;

/**
 * The least role a plugin route needs: viewer to read, editor to write, unless the route says
 * otherwise in its config (`config: { role: 'viewer' }` lets any logged-in user POST, e.g. to
 * dismiss a notice for themselves; read-only API tokens still cannot write).
 */
export interface PluginRouteConfig {
  role?: RoleName;
}

declare module 'fastify' {
  // Declaration merging: Fastify's route config gains shopdb's keys (an empty body is the point).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface FastifyContextConfig extends PluginRouteConfig {}
}

function leastRole(request: FastifyRequest): RoleName {
  const declared = (request.routeOptions.config as PluginRouteConfig | undefined)?.role;
  return declared ?? (SAFE_METHODS.has(request.method) ? 'viewer' : 'editor');
}

/**
 * Registers a plugin's routes in a throwaway Fastify instance and compiles their schemas there:
 * a bad schema or a throwing `routes` is found before anything of the plugin reaches the real
 * app, where it would stop the whole server from starting (schemas compile at `ready`).
 */
async function routesProblem(plugin: AvailablePlugin, routes: PluginRoutes, runtime: PluginRuntime): Promise<Error | undefined> {
  const { default: Fastify } = await import('fastify');
  const probe = Fastify({ logger: false });
  probe.setValidatorCompiler(createValidatorCompiler());
  try {
    await probe.register(async (scope) => routes(scope, pluginRouteHost(plugin, runtime)), {
      prefix: `${PLUGIN_ROUTE_PREFIX}/${plugin.manifest.name}`,
    });
    await probe.ready();
    return undefined;
  } catch (error) {
    return error as Error;
  } finally {
    await probe.close();
  }
}

/** Mounts the routes of every usable plugin that has some; a failing plugin is logged and left out. */
export async function mountPluginRoutes(app: FastifyInstance): Promise<void> {
  for (const plugin of app.plugins.ordered) {
    const routes = plugin.manifest.routes as PluginRoutes | undefined;
    if (!routes) continue;
    const { name } = plugin.manifest;
    const problem = await routesProblem(plugin, routes, app.plugins);
    if (problem) {
      app.log.error({ plugin: name, err: problem }, `plugin ${name}: its routes cannot be mounted (${problem.message}); they are left out`);
      continue;
    }
    await app.register(
      async (scope) => {
        scope.addHook('onRequest', async (request: FastifyRequest) => {
          const state = await app.plugins.state(request.db);
          // Exactly what an unknown route answers: a disabled plugin's routes are not there.
          if (!state.enabled.has(name))
            throw new HttpError(404, 'NOT_FOUND', `There is no ${request.method} ${(request.url.split('?')[0] ?? '/').slice(0, 200)}`);
        });
        // No anonymous plugin routes: at least viewer to read and editor to write (or the route's declared role).
        scope.addHook('onRequest', async (request, reply) => guards[leastRole(request)](request, reply));
        await routes(scope, pluginRouteHost(plugin, app.plugins));
      },
      { prefix: `${PLUGIN_ROUTE_PREFIX}/${name}` },
    );
  }
}

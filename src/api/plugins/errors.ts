// Every response that is not a success leaves through here: the error handler (one shape, real
// statuses, 5xx details in the log only) and the not-found handler, which answers 405 with an
// Allow header when the path exists for other methods.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError, toErrorReply } from '../errors.js';

interface KnownPath {
  pattern: RegExp;
  methods: Set<string>;
}

/** `/api/users/:id/disable` → a regex matching concrete paths of that route. */
function routePattern(url: string): RegExp {
  const escaped = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${escaped}$`);
}

async function errorsPlugin(app: FastifyInstance): Promise<void> {
  const paths = new Map<string, KnownPath>();

  app.addHook('onRoute', (route) => {
    // The CORS preflight route is `OPTIONS *`: it would make every path "exist".
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((method) => method !== 'OPTIONS');
    if (methods.length === 0 || route.url === '*' || route.url === '/*') return;
    const known = paths.get(route.url) ?? { pattern: routePattern(route.url), methods: new Set<string>() };
    for (const method of methods) known.methods.add(method);
    paths.set(route.url, known);
  });

  app.setNotFoundHandler(async (request: FastifyRequest) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = new Set<string>();
    for (const known of paths.values()) if (known.pattern.test(path)) for (const method of known.methods) allowed.add(method);
    if (allowed.size > 0) {
      const allow = [...allowed].sort().join(', ');
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}; use ${allow}`, {}, { allow });
    }
    throw new HttpError(404, 'NOT_FOUND', `There is no ${request.method} ${path.slice(0, 200)}`);
  });

  app.setErrorHandler(async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const result = toErrorReply(error, request.id);
    if (result.logAsError) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: result.body.error.code, statusCode: result.statusCode }, result.body.error.message);
    reply.code(result.statusCode).headers(result.headers);
    return result.body;
  });
}

export default fp(errorsPlugin, { name: 'shopdb-errors' });

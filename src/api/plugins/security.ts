// Browser-facing safety: helmet's security headers on every response, and CORS only for the
// origins in CORS_ORIGINS (credentials allowed, so the session cookie works from the web UI).
// A request from any other origin gets no CORS headers at all, which is how a browser is told no.

import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { REQUEST_ID_HEADER } from './request-id.js';

export interface SecurityPluginOptions {
  corsOrigins: readonly string[];
}

async function securityPlugin(app: FastifyInstance, options: SecurityPluginOptions): Promise<void> {
  const allowed = new Set(options.corsOrigins);
  await app.register(helmet, { global: true });
  await app.register(cors, {
    // Never '*' with credentials: only an exact, configured origin is echoed back.
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-Request-Id'],
    exposedHeaders: [REQUEST_ID_HEADER, 'Retry-After'],
    maxAge: 600,
  });
}

export default fp(securityPlugin, { name: 'shopdb-security' });

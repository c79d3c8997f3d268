// Login, logout and "who am I". Login is rate limited twice: per client IP (every attempt) and
// per username (failed attempts only, so a user who types the password right is never locked
// out by their own successes). A failed login says the same thing whatever went wrong.

import type { FastifyInstance } from 'fastify';
import { authenticate } from '../../core/auth/login.js';
import { errorResponses, HttpError, rateLimited } from '../errors.js';
import { principalOf, requireRole } from './guards.js';
import { signSession } from './jwt.js';

export const LOGIN_LIMITS = {
  perIp: { max: 10, timeWindow: 60_000 },
  perUsername: { max: 5, timeWindow: 15 * 60_000 },
} as const;

/** A user as login and /me show it (never a password hash). */
export const authenticatedUserSchema = {
  type: 'object',
  required: ['id', 'username', 'displayName', 'role', 'authSource'],
  properties: {
    id: { type: 'integer' },
    username: { type: 'string' },
    displayName: { type: ['string', 'null'] },
    role: { type: 'string', enum: ['admin', 'editor', 'viewer'] },
    authSource: { type: 'string', enum: ['local', 'ldap'] },
  },
} as const;

interface LoginBody {
  username: string;
  password: string;
}

const loginSchema = {
  summary: 'Log in with a username and password; sets the session cookie and returns the token too (for scripts).',
  tags: ['auth'],
  security: [],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['username', 'password'],
    properties: {
      username: { type: 'string', minLength: 1, maxLength: 255 },
      password: { type: 'string', minLength: 1, maxLength: 1024 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['user', 'token', 'expiresAt'],
      properties: {
        user: authenticatedUserSchema,
        token: { type: 'string', description: 'The session JWT; send it as "Authorization: Bearer <token>".' },
        expiresAt: { type: 'string', format: 'date-time' },
      },
    },
    ...errorResponses,
  },
} as const;

const logoutSchema = {
  summary: 'Log out: clears the session cookie.',
  tags: ['auth'],
  security: [],
  response: { 204: { type: 'null' }, ...errorResponses },
} as const;

const meSchema = {
  summary: 'The caller: the user, and whether they came with a session or an API token.',
  tags: ['auth'],
  response: {
    200: {
      type: 'object',
      required: ['user', 'via', 'tokenScope'],
      properties: {
        user: authenticatedUserSchema,
        via: { type: 'string', enum: ['session', 'token'] },
        tokenScope: { type: ['string', 'null'], enum: ['read', 'write', null] },
      },
    },
    ...errorResponses,
  },
} as const;

const FAILED_LOGIN = 'Wrong username or password';

export default async function authRoutes(app: FastifyInstance): Promise<void> {
  const { signer, cookieName, cookie } = app.auth.settings;
  const failedLogins = app.createRateLimit({
    ...LOGIN_LIMITS.perUsername,
    keyGenerator: (request) => `login-user:${(request.body as LoginBody).username.toLowerCase()}`,
  });

  app.post<{ Body: LoginBody }>(
    '/auth/login',
    { schema: loginSchema, config: { rateLimit: LOGIN_LIMITS.perIp } },
    async (request, reply) => {
      const { username, password } = request.body;
      const failures = await failedLogins(request, { increment: false });
      if (!failures.isAllowed && failures.remaining === 0) throw rateLimited(Math.max(1, failures.ttlInSeconds));

      const user = await authenticate(request.db, username, password);
      if (user === null) {
        await failedLogins(request);
        request.log.info({ username: username.slice(0, 64) }, 'login failed');
        throw new HttpError(401, 'INVALID_CREDENTIALS', FAILED_LOGIN);
      }
      const session = signSession(user, signer);
      reply.setCookie(cookieName, session.token, { ...cookie, maxAge: signer.expiresInSeconds }).header('cache-control', 'no-store');
      request.log.info({ userId: user.id }, 'login');
      return { user, token: session.token, expiresAt: session.expiresAt };
    },
  );

  app.post('/auth/logout', { schema: logoutSchema }, async (_request, reply) => {
    reply.clearCookie(cookieName, cookie);
    return reply.code(204).send();
  });

  app.get('/auth/me', { schema: meSchema, onRequest: requireRole('viewer') }, async (request) => {
    const principal = principalOf(request);
    return { user: principal.user, via: principal.via, tokenScope: principal.tokenScope ?? null };
  });
}

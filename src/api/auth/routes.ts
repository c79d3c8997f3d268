// Login, logout and "who am I". Login is limited in the database, so every replica counts the
// same attempts (src/core/auth/login-throttle.ts): per client address, per username and address,
// and per username from addresses it never logged in from. A failed login says the same thing
// whatever went wrong. A login opens a session row; logout ends it on every replica.

import type { FastifyInstance } from 'fastify';
import { authenticate, loginProviders } from '../../core/auth/login.js';
import { beginLoginAttempt, LOGIN_LIMITS, recordLoginOutcome, withdrawLoginAttempt } from '../../core/auth/login-throttle.js';
import { DirectoryUnavailableError } from '../../core/auth/directory/errors.js';
import { createSession, endSessionBySid } from '../../core/auth/sessions.js';
import { errorResponses, HttpError, rateLimited } from '../errors.js';
import { ForbiddenError } from '../../core/errors.js';
import { changeOwnPassword, PasswordAttemptsExceededError } from '../../core/users/own-password.js';
import { actorOf, principalOf, requireRole } from './guards.js';
import { signSession } from './jwt.js';

export { LOGIN_LIMITS };

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
  summary: 'Log out: ends the session (on every server) and clears the session cookie.',
  tags: ['auth'],
  security: [],
  response: { 204: { type: 'null' }, ...errorResponses },
} as const;

const passwordSchema = {
  summary: 'Change your own password (local accounts): the current one is required; your other sessions end, this one goes on.',
  tags: ['auth'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['currentPassword', 'newPassword'],
    properties: {
      currentPassword: { type: 'string', minLength: 1, maxLength: 1024 },
      newPassword: { type: 'string', minLength: 1, maxLength: 1024 },
    },
  },
  response: { 204: { type: 'null' }, ...errorResponses },
} as const;

interface PasswordBody {
  currentPassword: string;
  newPassword: string;
}

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
        tokenScope: { type: ['string', 'null'], enum: ['read', 'write', 'summary:read', null] },
      },
    },
    ...errorResponses,
  },
} as const;

const FAILED_LOGIN = 'Wrong username or password';

export default async function authRoutes(app: FastifyInstance): Promise<void> {
  const { signer, cookieName, cookie } = app.auth.settings;
  const providers = loginProviders(app.site.config);

  app.post<{ Body: LoginBody }>('/auth/login', { schema: loginSchema }, async (request, reply) => {
    const { username, password } = request.body;
    const gate = await beginLoginAttempt(request.db, username, request.ip);
    if (!gate.allowed) {
      request.log.info({ username: username.slice(0, 64), limit: gate.limit }, 'login refused: too many attempts');
      throw rateLimited(gate.retryAfterSeconds);
    }
    let user: Awaited<ReturnType<typeof authenticate>>;
    try {
      user = await authenticate(request.db, username, password, providers, { log: request.log, requestId: request.id });
    } catch (error) {
      // A directory that did not answer checked no password: the attempt is given back. One that
      // refused the user with a reason (no granting group) did check it: that attempt counts.
      if (error instanceof DirectoryUnavailableError) await withdrawLoginAttempt(request.db, username, request.ip, gate);
      else await recordLoginOutcome(request.db, username, request.ip, gate, false);
      throw error;
    }
    await recordLoginOutcome(request.db, username, request.ip, gate, user !== null);
    if (user === null) {
      request.log.info({ username: username.slice(0, 64) }, 'login failed');
      throw new HttpError(401, 'INVALID_CREDENTIALS', FAILED_LOGIN);
    }
    const session = await createSession(request.db, user.id, signer.expiresInSeconds, {
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
    });
    const signed = signSession(user, session.sid, signer, session.expiresAt);
    reply.setCookie(cookieName, signed.token, { ...cookie, maxAge: signer.expiresInSeconds }).header('cache-control', 'no-store');
    request.log.info({ userId: user.id, sessionId: session.id }, 'login');
    return { user, token: signed.token, expiresAt: signed.expiresAt };
  });

  app.post('/auth/logout', { schema: logoutSchema }, async (request, reply) => {
    const sid = app.auth.sessionIdOf(request);
    if (sid !== null && (await endSessionBySid(request.db, sid))) request.log.info('logout');
    reply.clearCookie(cookieName, cookie);
    return reply.code(204).send();
  });

  app.post<{ Body: PasswordBody }>(
    '/auth/password',
    { schema: passwordSchema, onRequest: requireRole('viewer') },
    async (request, reply) => {
      const principal = principalOf(request);
      if (principal.via !== 'session') {
        throw new ForbiddenError('An API token cannot change a password', {
          suggestion: 'Sign in with your password and change it with that session.',
        });
      }
      try {
        await changeOwnPassword(request.db, actorOf(request), {
          userId: principal.user.id,
          currentPassword: request.body.currentPassword,
          newPassword: request.body.newPassword,
          keepSessionId: principal.sessionId,
          ip: request.ip,
        });
      } catch (error) {
        if (error instanceof PasswordAttemptsExceededError) throw rateLimited(error.retryAfterSeconds);
        throw error;
      }
      request.log.info({ userId: principal.user.id }, 'password changed');
      return reply.code(204).send();
    },
  );

  app.get('/auth/me', { schema: meSchema, onRequest: requireRole('viewer') }, async (request) => {
    const principal = principalOf(request);
    return { user: principal.user, via: principal.via, tokenScope: principal.tokenScope ?? null };
  });
}

// Who is calling: a session JWT (the HttpOnly cookie, or `Authorization: Bearer <jwt>` for
// scripts) or an API token (`Authorization: Bearer shopdb_…`). Every request re-reads the session
// row and its user in one query (src/core/auth/sessions.ts), so a logout, a password reset, a
// disabled account or a role change takes effect on every replica at once, not when the JWT expires.

import { randomBytes } from 'node:crypto';
import cookie, { type CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { resolveApiToken, SUMMARY_SCOPE, TOKEN_PREFIX } from '../../core/auth/api-tokens.js';
import type { AuthenticatedUser, Principal } from '../../core/auth/types.js';
import type { LoadedConfig } from '../../core/config/index.js';
import { resolveSession } from '../../core/auth/sessions.js';
import { forbidden, HttpError, unauthorized } from '../errors.js';
import { verifySession, type SessionSigner } from './jwt.js';

/** Methods that change nothing: read tokens and cross-site cookie requests may use only these. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuthSettings {
  signer: SessionSigner;
  cookieName: string;
  cookie: CookieSerializeOptions;
  /** Origins besides the API's own host that may send cookie-authenticated writes. */
  trustedOrigins: ReadonlySet<string>;
}

export function authSettingsFromConfig(config: LoadedConfig, log: { warn(message: string): void }): AuthSettings {
  const v = config.values;
  let secret = v.JWT_SECRET;
  if (!secret) {
    // Production refuses to start without one (assertConfigUsable); a development server gets
    // a throwaway key, so sessions simply do not survive a restart.
    secret = randomBytes(48).toString('base64url');
    log.warn('JWT_SECRET is not set: using a random key for this run; sessions end when the server restarts');
  }
  return {
    signer: { secret, expiresInSeconds: v.JWT_EXPIRES_IN },
    cookieName: v.COOKIE_NAME,
    cookie: {
      httpOnly: true,
      secure: v.COOKIE_SECURE,
      sameSite: v.COOKIE_SAMESITE,
      domain: v.COOKIE_DOMAIN || undefined,
      path: '/',
    },
    trustedOrigins: new Set(v.CORS_ORIGINS),
  };
}

interface Credential {
  value: string;
  from: 'header' | 'cookie';
}

export class Authenticator {
  constructor(readonly settings: AuthSettings) {}

  private credentialOf(request: FastifyRequest): Credential | null {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer +([^\s]+)$/i.exec(header);
      if (!match) throw unauthorized('The Authorization header must be "Bearer <token>"');
      return { value: match[1]!, from: 'header' };
    }
    const fromCookie = request.cookies[this.settings.cookieName];
    return fromCookie ? { value: fromCookie, from: 'cookie' } : null;
  }

  private async session(request: FastifyRequest, token: string): Promise<{ user: AuthenticatedUser; sessionId: number } | null> {
    const claims = verifySession(token, this.settings.signer.secret);
    if (claims === null) return null;
    const resolved = await resolveSession(request.db, claims.sid);
    // The JWT and its row must agree on whose session it is.
    if (resolved === null || resolved.user.id !== claims.userId) return null;
    return resolved;
  }

  /** The session id a request's session JWT carries when its signature is good (for logout); null otherwise. */
  sessionIdOf(request: FastifyRequest): string | null {
    let credential: Credential | null;
    try {
      credential = this.credentialOf(request);
    } catch {
      return null;
    }
    if (credential === null || credential.value.startsWith(TOKEN_PREFIX)) return null;
    return verifySession(credential.value, this.settings.signer.secret)?.sid ?? null;
  }

  /** A cookie rides along on cross-site requests; a write must come from our own pages or a trusted origin. */
  private assertSameSite(request: FastifyRequest): void {
    const origin = request.headers.origin;
    if (SAFE_METHODS.has(request.method) || origin === undefined || this.settings.trustedOrigins.has(origin)) return;
    let sameHost: boolean;
    try {
      const from = new URL(origin);
      // Normalised through the origin's scheme, so "host:80" and "host" compare equal for http.
      sameHost = from.host === new URL(`${from.protocol}//${request.host}`).host;
    } catch {
      sameHost = false;
    }
    if (!sameHost) throw forbidden(`Cross-site request from ${origin.slice(0, 200)} refused`, 'CROSS_SITE_REQUEST');
  }

  /** The caller, set on `request.principal`; a 401 when there is no valid credential. */
  async authenticate(request: FastifyRequest): Promise<Principal> {
    if (request.principal) return request.principal;
    const credential = this.credentialOf(request);
    if (credential === null) throw unauthorized('Log in first (POST /api/auth/login), or send "Authorization: Bearer <token>"');

    let principal: Principal | null = null;
    if (credential.from === 'header' && credential.value.startsWith(TOKEN_PREFIX)) {
      const resolved = await resolveApiToken(request.db, credential.value);
      if (resolved) principal = { user: resolved.user, via: 'token', tokenScope: resolved.scope, tokenId: resolved.tokenId };
    } else {
      const session = await this.session(request, credential.value);
      if (session) principal = { user: session.user, via: 'session', sessionId: session.sessionId };
    }
    if (principal === null)
      throw unauthorized('The session or token is not valid (expired, ended, revoked, or the user is disabled); log in again');
    if (principal.tokenScope === SUMMARY_SCOPE && !opensToSummaryTokens(request)) throw summaryOnly();
    if (credential.from === 'cookie') this.assertSameSite(request);
    request.principal = principal;
    return principal;
  }
}

const SUMMARY_ONLY_CODE = 'SUMMARY_ONLY_TOKEN';

function summaryOnly(): HttpError {
  return forbidden('This API token may read GET /api/summary only', SUMMARY_ONLY_CODE);
}

/** Routes declare `config: { summaryToken: true }` to let a summary:read token in (only /api/summary does). */
function opensToSummaryTokens(request: FastifyRequest): boolean {
  return request.routeOptions.config?.summaryToken === true;
}

/**
 * Routes that need no login never authenticate, so a summary:read token would pass through them
 * unchallenged; this hook refuses it on every route but the summary. Any other token problem is
 * left to the route (a public route ignores credentials, a guarded one answers 401 itself).
 */
async function refuseSummaryTokensElsewhere(request: FastifyRequest): Promise<void> {
  const header = request.headers.authorization;
  if (header === undefined || !/^Bearer +shopdb_/i.test(header) || opensToSummaryTokens(request)) return;
  try {
    await request.server.auth.authenticate(request);
  } catch (error) {
    if (error instanceof HttpError && error.code === SUMMARY_ONLY_CODE) throw error;
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** true: a summary:read token may call this route; only /api/summary sets it. */
    summaryToken?: boolean;
  }
  interface FastifyInstance {
    auth: Authenticator;
  }
  interface FastifyRequest {
    /** Set by the auth guards (requireRole); null on routes that need no login. */
    principal: Principal | null;
  }
}

async function authPlugin(app: FastifyInstance, options: { settings: AuthSettings }): Promise<void> {
  await app.register(cookie);
  app.decorate('auth', new Authenticator(options.settings));
  app.decorateRequest('principal', null);
  app.addHook('onRequest', refuseSummaryTokensElsewhere);
}

export default fp(authPlugin, { name: 'shopdb-auth', dependencies: ['shopdb-database'] });

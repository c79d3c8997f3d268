// Who is calling: a session JWT (the HttpOnly cookie, or `Authorization: Bearer <jwt>` for
// scripts) or an API token (`Authorization: Bearer shopdb_…`). Every request re-reads the user,
// so disabling someone or changing their role takes effect at once, not when the JWT expires.

import { randomBytes } from 'node:crypto';
import cookie, { type CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { resolveApiToken, TOKEN_PREFIX } from '../../core/auth/api-tokens.js';
import type { AuthenticatedUser, Principal } from '../../core/auth/types.js';
import type { LoadedConfig } from '../../core/config/index.js';
import { getUser } from '../../core/users/service.js';
import { forbidden, unauthorized } from '../errors.js';
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

  private async sessionUser(request: FastifyRequest, token: string): Promise<AuthenticatedUser | null> {
    const claims = verifySession(token, this.settings.signer.secret);
    if (claims === null) return null;
    const user = await getUser(request.db, claims.userId);
    if (user === null || user.disabled) return null;
    return { id: user.id, username: user.username, displayName: user.displayName, role: user.role, authSource: user.authSource };
  }

  /** A cookie rides along on cross-site requests; a write must come from our own pages or a trusted origin. */
  private assertSameSite(request: FastifyRequest): void {
    const origin = request.headers.origin;
    if (SAFE_METHODS.has(request.method) || origin === undefined || this.settings.trustedOrigins.has(origin)) return;
    let sameHost = false;
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
      const user = await this.sessionUser(request, credential.value);
      if (user) principal = { user, via: 'session' };
    }
    if (principal === null) throw unauthorized('The session or token is not valid (expired, revoked, or the user is disabled); log in again');
    if (credential.from === 'cookie') this.assertSameSite(request);
    request.principal = principal;
    return principal;
  }
}

declare module 'fastify' {
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
}

export default fp(authPlugin, { name: 'shopdb-auth', dependencies: ['shopdb-database'] });

// Session tokens: HS256 JWTs signed with JWT_SECRET, carrying the user id (sub), the session id
// (jti: a row of `sessions`, see src/core/auth/sessions.ts), role and username. Verification pins
// the algorithm, so `alg: none` and RS256/HS256 key confusion fail, and checks the expiry; the
// role in the token is informational — every request re-reads the session and its user.

import jwt from 'jsonwebtoken';
import type { AuthenticatedUser, RoleName } from '../../core/auth/types.js';

const ALGORITHM = 'HS256';

export interface SessionSigner {
  secret: string;
  /** Lifetime of a token, in seconds (JWT_EXPIRES_IN). */
  expiresInSeconds: number;
}

export interface SignedSession {
  token: string;
  expiresAt: Date;
}

export interface SessionClaims {
  userId: number;
  /** The session id (a `sessions` row, by hash). */
  sid: string;
  role: RoleName;
  username: string;
}

/** A JWT for the session `sid`, valid until `expiresAt` (the session row's own expiry). */
export function signSession(user: AuthenticatedUser, sid: string, signer: SessionSigner, expiresAt: Date): SignedSession {
  const token = jwt.sign({ role: user.role, username: user.username, exp: Math.floor(expiresAt.getTime() / 1000) }, signer.secret, {
    algorithm: ALGORITHM,
    subject: String(user.id),
    jwtid: sid,
  });
  return { token, expiresAt };
}

/** The claims of a valid, unexpired token signed with `secret`; null for anything else. */
export function verifySession(token: string, secret: string): SessionClaims | null {
  let payload: unknown;
  try {
    payload = jwt.verify(token, secret, { algorithms: [ALGORITHM] });
  } catch {
    return null;
  }
  if (payload === null || typeof payload !== 'object') return null;
  const { sub, jti, role, username } = payload as { sub?: unknown; jti?: unknown; role?: unknown; username?: unknown };
  if (typeof sub !== 'string' || !/^[1-9]\d{0,9}$/.test(sub)) return null;
  // A token without a session id predates server-side sessions: it cannot be ended, so it is refused.
  if (typeof jti !== 'string' || !/^[A-Za-z0-9_-]{16,64}$/.test(jti)) return null;
  return { userId: Number(sub), sid: jti, role: role as RoleName, username: typeof username === 'string' ? username : '' };
}

// Session tokens: HS256 JWTs signed with JWT_SECRET, carrying the user id (sub), role and
// username. Verification pins the algorithm, so `alg: none` and RS256/HS256 key confusion fail,
// and checks the expiry; the role in the token is informational — every request re-reads the user.

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
  role: RoleName;
  username: string;
}

export function signSession(user: AuthenticatedUser, signer: SessionSigner, now = new Date()): SignedSession {
  const expiresInSeconds = Math.max(1, Math.floor(signer.expiresInSeconds));
  const token = jwt.sign({ role: user.role, username: user.username }, signer.secret, {
    algorithm: ALGORITHM,
    subject: String(user.id),
    expiresIn: expiresInSeconds,
  });
  return { token, expiresAt: new Date(now.getTime() + expiresInSeconds * 1000) };
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
  const { sub, role, username } = payload as { sub?: unknown; role?: unknown; username?: unknown };
  if (typeof sub !== 'string' || !/^[1-9]\d{0,9}$/.test(sub)) return null;
  return { userId: Number(sub), role: role as RoleName, username: typeof username === 'string' ? username : '' };
}

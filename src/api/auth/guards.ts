// What routes use to say who may call them: `onRequest: requireRole('editor')`. A guard
// authenticates (401), checks the role (403), and refuses writes through read-only API tokens
// (403). `actorOf` turns the caller into the Actor that core services write to the audit log.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../core/audit/log.js';
import { atLeast, type Principal, type RoleName } from '../../core/auth/types.js';
import { forbidden, unauthorized } from '../errors.js';
import { SAFE_METHODS } from './plugin.js';

export type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Only callers with at least `role` (viewer < editor < admin); read tokens only on safe methods. */
export function requireRole(role: RoleName): Guard {
  return async function roleGuard(request) {
    const principal = await request.server.auth.authenticate(request);
    if (!atLeast(principal.user.role, role)) {
      throw forbidden(`This needs the ${role} role; ${principal.user.username} is ${principal.user.role}`);
    }
    if (principal.tokenScope === 'read' && !SAFE_METHODS.has(request.method)) {
      throw forbidden('This API token is read-only; use a write token to change anything', 'READ_ONLY_TOKEN');
    }
  };
}

/** The authenticated caller of a guarded route. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized('Log in first');
  return request.principal;
}

/** Who the audit log records for this request. */
export function actorOf(request: FastifyRequest): Actor {
  const { user } = principalOf(request);
  return { userId: user.id, username: user.username, requestId: request.id };
}

/**
 * Whose records a list shows: an admin's filter as asked, anyone else's own. Asking for another
 * user's is a 403 rather than a silently different list.
 */
export function ownScope(request: FastifyRequest, userId: number | undefined): number | undefined {
  const { user } = principalOf(request);
  if (user.role === 'admin') return userId;
  if (userId !== undefined && userId !== user.id)
    throw forbidden("Only an admin lists other users' records; leave out user_id to list your own");
  return user.id;
}

// User accounts, for admins: list, look up, create, change, disable and enable. Each write goes
// through src/core/users/service.ts, which audits it with this request's id.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RoleName } from '../../core/auth/types.js';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { assertPasswordAcceptable } from '../../core/auth/passwords.js';
import { logoutEverywhere } from '../../core/auth/sessions.js';
import {
  createUser,
  getUser,
  listUsers,
  resetPassword,
  setUserDisabled,
  updateUserProfile,
  type UserRecord,
} from '../../core/users/service.js';
import { actorOf, principalOf, requireRole } from '../auth/guards.js';
import { errorResponses } from '../errors.js';
import { listQuerySchema, pageOf, pageSchema, type PageQuery } from '../pagination.js';
import { idParams } from '../schemas.js';

export const userSchema = {
  type: 'object',
  required: ['id', 'username', 'displayName', 'email', 'role', 'authSource', 'disabled', 'lastLoginAt', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    username: { type: 'string' },
    displayName: { type: ['string', 'null'] },
    email: { type: ['string', 'null'] },
    role: { type: 'string', enum: ['admin', 'editor', 'viewer'] },
    authSource: { type: 'string', enum: ['local', 'ldap'] },
    disabled: { type: 'boolean' },
    lastLoginAt: { type: ['string', 'null'], format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const password = {
  type: 'string',
  minLength: 1,
  maxLength: 1024,
  description: 'At least 12 characters, not a common password and not built on the username (400 otherwise).',
} as const;
const role = { type: 'string', enum: ['admin', 'editor', 'viewer'] } as const;

interface CreateUserBody {
  username: string;
  password: string;
  role: RoleName;
  displayName?: string | null;
  email?: string | null;
}

interface PatchUserBody {
  password?: string;
  role?: RoleName;
  displayName?: string | null;
  email?: string | null;
}

const tags = ['users'];
const userResult = { type: 'object', required: ['user'], properties: { user: userSchema } } as const;
const changedResult = {
  type: 'object',
  required: ['user', 'changed'],
  properties: { user: userSchema, changed: { type: 'boolean' } },
} as const;

const schemas = {
  list: {
    summary: 'List users (admin).',
    tags,
    querystring: listQuerySchema(),
    response: { 200: pageSchema(userSchema), ...errorResponses },
  },
  get: { summary: 'One user (admin).', tags, params: idParams, response: { 200: userResult, ...errorResponses } },
  create: {
    summary: 'Create a local user (admin).',
    tags,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['username', 'password', 'role'],
      properties: {
        username: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' },
        password,
        role,
        displayName: { type: ['string', 'null'], maxLength: 191 },
        email: { type: ['string', 'null'], maxLength: 191 },
      },
    },
    response: { 201: userResult, ...errorResponses },
  },
  patch: {
    summary: 'Change a user (admin): role, display name, email and/or a new password. A new role or password ends their sessions.',
    tags,
    params: idParams,
    body: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        password,
        role,
        displayName: { type: ['string', 'null'], maxLength: 191 },
        email: { type: ['string', 'null'], maxLength: 191 },
      },
    },
    response: { 200: userResult, ...errorResponses },
  },
  disable: {
    summary: 'Disable a user: they cannot log in, their sessions end and their API tokens stop working (admin).',
    tags,
    params: idParams,
    response: { 200: changedResult, ...errorResponses },
  },
  enable: {
    summary: 'Enable a disabled user again; the sessions the disable ended stay ended (admin).',
    tags,
    params: idParams,
    response: { 200: changedResult, ...errorResponses },
  },
  logoutAll: {
    summary: 'End every login session of a user, on every server (admin). API tokens are not sessions: revoke those separately.',
    tags,
    params: idParams,
    response: {
      200: {
        type: 'object',
        required: ['ended'],
        properties: { ended: { type: 'integer', description: 'How many live sessions were ended.' } },
      },
      ...errorResponses,
    },
  },
} as const;

async function userById(request: FastifyRequest, id: number): Promise<UserRecord> {
  const user = await getUser(request.db, id);
  if (user === null) throw new NotFoundError(`No user with id ${id}`);
  return user;
}

export default async function userRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', requireRole('admin'));

  app.get<{ Querystring: PageQuery }>('/users', { schema: schemas.list }, async (request) =>
    pageOf(request, request.query, await listUsers(request.db)),
  );

  app.get<{ Params: { id: number } }>('/users/:id', { schema: schemas.get }, async (request) => ({
    user: await userById(request, request.params.id),
  }));

  app.post<{ Body: CreateUserBody }>('/users', { schema: schemas.create }, async (request, reply) => {
    const { user } = await createUser(request.db, actorOf(request), request.body);
    return reply.code(201).send({ user });
  });

  app.patch<{ Params: { id: number }; Body: PatchUserBody }>('/users/:id', { schema: schemas.patch }, async (request) => {
    const target = await userById(request, request.params.id);
    const { password: newPassword, ...profile } = request.body;
    if (profile.role !== undefined && profile.role !== target.role && target.id === principalOf(request).user.id) {
      throw new ConflictError('You cannot change your own role', { suggestion: 'Ask another admin to do it.' });
    }
    // A refused password must leave the profile unchanged too: check it before either write.
    if (newPassword !== undefined) await assertPasswordAcceptable(newPassword, { username: target.username });
    let user = target;
    if (Object.keys(profile).length > 0) user = await updateUserProfile(request.db, actorOf(request), target.username, profile);
    if (newPassword !== undefined) user = await resetPassword(request.db, actorOf(request), target.username, newPassword);
    return { user };
  });

  for (const action of ['disable', 'enable'] as const) {
    app.post<{ Params: { id: number } }>(`/users/:id/${action}`, { schema: schemas[action] }, async (request) => {
      const target = await userById(request, request.params.id);
      if (action === 'disable' && target.id === principalOf(request).user.id) {
        throw new ConflictError('You cannot disable your own account', { suggestion: 'Ask another admin to do it.' });
      }
      return setUserDisabled(request.db, actorOf(request), target.username, action === 'disable');
    });
  }

  app.post<{ Params: { id: number } }>('/users/:id/logout-all', { schema: schemas.logoutAll }, async (request) => {
    const target = await userById(request, request.params.id);
    return { ended: await logoutEverywhere(request.db, actorOf(request), target) };
  });
}

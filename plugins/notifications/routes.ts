// /api/plugins/notifications: notices (viewers read, editors write), what is active now for a
// location or an asset (what a shop-floor screen shows), and dismissing a notice for oneself.
// Each handler is one call into service.ts.

import type { FastifyInstance } from 'fastify';
import type { PluginRouteHost } from 'shopdb/sdk';
import {
  activeNotices,
  createNotice,
  deleteNotice,
  dismissNotice,
  getNotice,
  listNotices,
  SEVERITIES,
  TARGET_KINDS,
  updateNotice,
  type NoticeInput,
  type NoticePatch,
  type Severity,
} from './service.js';

const tags = ['notifications'];
const id = { type: 'integer', minimum: 1, maximum: 2_147_483_647 } as const;
const nullableId = { type: ['integer', 'null'], minimum: 1, maximum: 2_147_483_647 } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;

const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id } } as const;

const noticeSchema = {
  type: 'object',
  required: [
    'id',
    'title',
    'body',
    'severity',
    'startsAt',
    'endsAt',
    'status',
    'targetKind',
    'location',
    'asset',
    'dismissable',
    'createdBy',
    'createdAt',
    'updatedAt',
  ],
  properties: {
    id: { type: 'integer' },
    title: { type: 'string' },
    body: { type: ['string', 'null'] },
    severity: { type: 'string', enum: [...SEVERITIES] },
    startsAt: timestamp,
    endsAt: nullableTimestamp,
    status: { type: 'string', enum: ['scheduled', 'active', 'expired'], description: 'Where the notice is in its life right now.' },
    targetKind: { type: 'string', enum: [...TARGET_KINDS] },
    location: { type: ['object', 'null'], properties: { id: { type: 'integer' }, code: { type: 'string' }, name: { type: 'string' } } },
    asset: { type: ['object', 'null'], properties: { id: { type: 'integer' }, assetTag: { type: 'string' }, name: { type: 'string' } } },
    dismissable: { type: 'boolean' },
    createdBy: { type: ['integer', 'null'], description: 'User id of the author; null when written from the CLI.' },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;

const writable = {
  title: { type: 'string', minLength: 1, maxLength: 191 },
  body: { type: ['string', 'null'], maxLength: 10_000 },
  severity: { type: 'string', enum: [...SEVERITIES] },
  startsAt: { ...timestamp, description: 'When it starts showing; defaults to now.' },
  endsAt: { ...nullableTimestamp, description: 'When it stops showing (after startsAt); null: until deleted.' },
  targetKind: { type: 'string', enum: [...TARGET_KINDS] },
  locationId: { ...nullableId, description: 'Required for targetKind location, empty otherwise.' },
  assetId: { ...nullableId, description: 'Required for targetKind asset, empty otherwise.' },
  dismissable: { type: 'boolean', description: 'Whether each user may hide it for themselves; defaults to true.' },
} as const;

const createBody = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'severity', 'targetKind'],
  properties: writable,
} as const;
const patchBody = { type: 'object', additionalProperties: false, minProperties: 1, properties: writable } as const;

const dismissalSchema = {
  type: 'object',
  required: ['noticeId', 'userId', 'dismissedAt'],
  properties: { noticeId: { type: 'integer' }, userId: { type: 'integer' }, dismissedAt: timestamp },
} as const;

interface NoticeListQuery {
  limit: number;
  offset: number;
  active?: boolean;
  severity?: Severity;
}

interface ActiveQuery {
  limit: number;
  offset: number;
  location?: number;
  asset?: number;
}

export async function routes(app: FastifyInstance, host: PluginRouteHost): Promise<void> {
  const editor = host.requireRole('editor');

  app.get<{ Querystring: NoticeListQuery }>(
    '/notices',
    {
      schema: {
        summary: 'List notices, newest first.',
        tags,
        querystring: host.listQuerySchema({
          active: { type: 'boolean', description: 'true: only those showing now; false: only scheduled or expired ones.' },
          severity: { type: 'string', enum: [...SEVERITIES] },
        }),
        response: { 200: host.pageSchema(noticeSchema), ...host.errorResponses },
      },
    },
    async (request) => host.page(request, request.query, await listNotices(request.db, request.query)),
  );

  app.post<{ Body: NoticeInput }>(
    '/notices',
    {
      onRequest: editor,
      schema: { summary: 'Create a notice.', tags, body: createBody, response: { 201: noticeSchema, ...host.errorResponses } },
    },
    async (request, reply) => reply.code(201).send(await createNotice(request.db, host.actorOf(request), request.body)),
  );

  app.get<{ Params: { id: number } }>(
    '/notices/:id',
    { schema: { summary: 'One notice.', tags, params: idParams, response: { 200: noticeSchema, ...host.errorResponses } } },
    async (request) => getNotice(request.db, request.params.id),
  );

  app.patch<{ Params: { id: number }; Body: NoticePatch }>(
    '/notices/:id',
    {
      onRequest: editor,
      schema: {
        summary: 'Change a notice (only the fields given).',
        tags,
        params: idParams,
        body: patchBody,
        response: { 200: noticeSchema, ...host.errorResponses },
      },
    },
    async (request) => updateNotice(request.db, host.actorOf(request), request.params.id, request.body),
  );

  app.delete<{ Params: { id: number } }>(
    '/notices/:id',
    {
      onRequest: editor,
      schema: { summary: 'Delete a notice (and its dismissals).', tags, params: idParams, response: { ...host.errorResponses } },
    },
    async (request, reply) => {
      await deleteNotice(request.db, host.actorOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: ActiveQuery }>(
    '/active',
    {
      schema: {
        summary: 'The notices showing now for a location or an asset, critical first, then newest.',
        description:
          'Give location or asset. A location shows site-wide notices, those on itself or any location above it, and those on assets kept there; ' +
          'an asset shows site-wide notices, those on its location and above, and its own. Notices the caller dismissed are left out.',
        tags,
        querystring: host.listQuerySchema({ location: { ...id, description: 'Location id.' }, asset: { ...id, description: 'Asset id.' } }),
        response: { 200: host.pageSchema(noticeSchema), ...host.errorResponses },
      },
    },
    async (request) => {
      const { location, asset } = request.query;
      if ((location === undefined) === (asset === undefined)) {
        const problem = location === undefined ? 'give location or asset' : 'give location or asset, not both';
        throw new host.errors.ValidationError(`The request is not valid: ${problem}`, { location: problem, asset: problem });
      }
      const target = location !== undefined ? { locationId: location } : { assetId: asset! };
      return host.pageOf(request, request.query, await activeNotices(request.db, target, host.actorOf(request).userId));
    },
  );

  app.post<{ Params: { id: number } }>(
    '/notices/:id/dismiss',
    {
      // Anyone who can read a notice may hide it for themselves.
      config: { role: 'viewer' },
      schema: {
        summary: 'Hide a dismissable notice for the caller (409 if it is not dismissable).',
        tags,
        params: idParams,
        response: { 200: dismissalSchema, ...host.errorResponses },
      },
    },
    async (request) => dismissNotice(request.db, host.actorOf(request), request.params.id),
  );
}

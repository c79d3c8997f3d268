// /api/plugins/software: titles, licences (the key only through the admin-only /key route),
// installations on computers, and removable media with their checkouts. Viewers read, editors
// write; each handler is one call into service.ts. No schema here has a field for the key except
// the licence body and the /key response, so no other response can carry it.

import type { FastifyInstance } from 'fastify';
import type { PluginRouteHost } from 'shopdb/sdk';
import {
  checkinMedium,
  checkoutMedium,
  createInstallation,
  createLicence,
  createMedium,
  createTitle,
  deleteInstallation,
  getLicence,
  getTitle,
  listComputerSoftware,
  listLicences,
  listMedia,
  listTitleInstallations,
  listTitles,
  MEDIA_KINDS,
  overdueCheckouts,
  revealLicenceKey,
  updateTitle,
  type CheckoutInput,
  type InstallationInput,
  type LicenceInput,
  type MediaKind,
  type MediumInput,
  type TitleInput,
} from './service.js';

const tags = ['software'];
const id = { type: 'integer', minimum: 1, maximum: 2_147_483_647 } as const;
const nullableId = { type: ['integer', 'null'], minimum: 1, maximum: 2_147_483_647 } as const;
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;
const nullableText = (maxLength: number) => ({ type: ['string', 'null'], maxLength }) as const;
const timestamp = { type: 'string', format: 'date-time' } as const;
const day = { type: 'string', format: 'date' } as const;

const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id } } as const;
const assetParams = { type: 'object', additionalProperties: false, required: ['assetId'], properties: { assetId: id } } as const;

const titleSchema = {
  type: 'object',
  required: ['id', 'name', 'vendor', 'version', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    vendor: { type: ['string', 'null'] },
    version: { type: 'string' },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;
const titleProperties = { name: text(191), vendor: nullableText(191), version: text(64) } as const;
const titleCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'version'],
  properties: titleProperties,
} as const;
const titlePatchBody = { type: 'object', additionalProperties: false, minProperties: 1, properties: titleProperties } as const;

const licenceSchema = {
  type: 'object',
  required: ['id', 'title', 'seats', 'seatsUsed', 'expiresOn', 'notes', 'hasKey', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    title: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' }, version: { type: 'string' } } },
    seats: { type: 'integer' },
    seatsUsed: { type: 'integer', description: 'Installations counted against this licence.' },
    expiresOn: { type: ['string', 'null'], format: 'date' },
    notes: { type: ['string', 'null'] },
    hasKey: { type: 'boolean', description: 'Whether a licence key is stored; an admin reads it with GET /licences/:id/key.' },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;
const licenceBody = {
  type: 'object',
  additionalProperties: false,
  required: ['titleId', 'seats'],
  properties: {
    titleId: id,
    licenceKey: { ...nullableText(500), description: 'Secret: stored, never listed or logged; only an admin can read it back.' },
    seats: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    expiresOn: { type: ['string', 'null'], format: 'date' },
    notes: nullableText(10_000),
  },
} as const;
const keySchema = {
  type: 'object',
  required: ['id', 'licenceKey'],
  properties: { id: { type: 'integer' }, licenceKey: { type: ['string', 'null'] } },
} as const;

const installationSchema = {
  type: 'object',
  required: ['id', 'title', 'asset', 'licenceId', 'installedOn', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    title: {
      type: 'object',
      properties: { id: { type: 'integer' }, name: { type: 'string' }, vendor: { type: ['string', 'null'] }, version: { type: 'string' } },
    },
    asset: {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        assetTag: { type: 'string' },
        name: { type: 'string' },
        hostname: { type: ['string', 'null'] },
      },
    },
    licenceId: { type: ['integer', 'null'] },
    installedOn: day,
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;
const installationBody = {
  type: 'object',
  additionalProperties: false,
  required: ['titleId', 'assetId'],
  properties: {
    titleId: id,
    assetId: { ...id, description: 'A computer asset.' },
    licenceId: { ...nullableId, description: 'The licence this installation takes a seat of (409 when none is free).' },
    installedOn: { ...day, description: 'Defaults to today.' },
  },
} as const;

const checkoutSchema = {
  type: 'object',
  required: ['id', 'media', 'user', 'checkedOutAt', 'expectedBackOn', 'checkedInAt', 'overdue'],
  properties: {
    id: { type: 'integer' },
    media: { type: 'object', properties: { id: { type: 'integer' }, label: { type: 'string' }, kind: { type: 'string' } } },
    user: {
      type: 'object',
      properties: { id: { type: 'integer' }, username: { type: 'string' }, displayName: { type: ['string', 'null'] } },
    },
    checkedOutAt: timestamp,
    expectedBackOn: day,
    checkedInAt: { type: ['string', 'null'], format: 'date-time' },
    overdue: { type: 'boolean' },
  },
} as const;
const mediumSchema = {
  type: 'object',
  required: ['id', 'label', 'kind', 'capacity', 'notes', 'checkout', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    label: { type: 'string' },
    kind: { type: 'string', enum: [...MEDIA_KINDS] },
    capacity: { type: ['string', 'null'] },
    notes: { type: ['string', 'null'] },
    checkout: { anyOf: [{ type: 'null' }, checkoutSchema], description: 'The open checkout; null when the medium is in.' },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;
const mediumBody = {
  type: 'object',
  additionalProperties: false,
  required: ['label', 'kind'],
  properties: {
    label: { ...text(64), pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]*$' },
    kind: { type: 'string', enum: [...MEDIA_KINDS] },
    capacity: nullableText(32),
    notes: nullableText(10_000),
  },
} as const;
const checkoutBody = {
  type: 'object',
  additionalProperties: false,
  required: ['userId', 'expectedBackOn'],
  properties: { userId: id, expectedBackOn: { ...day, description: 'Today or later.' } },
} as const;

interface Paging {
  limit: number;
  offset: number;
}

export async function routes(app: FastifyInstance, host: PluginRouteHost): Promise<void> {
  const editor = host.requireRole('editor');
  const list = <T extends object>(item: T) => ({ 200: host.pageSchema(item), ...host.errorResponses });

  // ── titles ──
  app.get<{ Querystring: Paging & { search?: string } }>(
    '/titles',
    {
      schema: {
        summary: 'List software titles by name.',
        tags,
        querystring: host.listQuerySchema({
          search: { type: 'string', minLength: 1, maxLength: 191, description: 'Text the name starts with.' },
        }),
        response: list(titleSchema),
      },
    },
    async (request) => host.page(request, request.query, await listTitles(request.db, request.query)),
  );
  app.post<{ Body: TitleInput }>(
    '/titles',
    {
      onRequest: editor,
      schema: {
        summary: 'Add a software title (name and version are unique together).',
        tags,
        body: titleCreateBody,
        response: { 201: titleSchema, ...host.errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await createTitle(request.db, host.actorOf(request), request.body)),
  );
  app.get<{ Params: { id: number } }>(
    '/titles/:id',
    { schema: { summary: 'One software title.', tags, params: idParams, response: { 200: titleSchema, ...host.errorResponses } } },
    async (request) => getTitle(request.db, request.params.id),
  );
  app.patch<{ Params: { id: number }; Body: Partial<TitleInput> }>(
    '/titles/:id',
    {
      onRequest: editor,
      schema: {
        summary: 'Change a software title.',
        tags,
        params: idParams,
        body: titlePatchBody,
        response: { 200: titleSchema, ...host.errorResponses },
      },
    },
    async (request) => updateTitle(request.db, host.actorOf(request), request.params.id, request.body),
  );
  app.get<{ Params: { id: number }; Querystring: Paging }>(
    '/titles/:id/installations',
    {
      schema: {
        summary: 'The computers a title is installed on.',
        tags,
        params: idParams,
        querystring: host.listQuerySchema(),
        response: list(installationSchema),
      },
    },
    async (request) => host.pageOf(request, request.query, await listTitleInstallations(request.db, request.params.id)),
  );

  // ── licences ──
  app.get<{ Querystring: Paging & { expiring?: number; title?: number } }>(
    '/licences',
    {
      schema: {
        summary: 'List licences (never their keys).',
        tags,
        querystring: host.listQuerySchema({
          expiring: {
            type: 'integer',
            minimum: 0,
            maximum: 3650,
            description: 'Only those expiring within this many days from today (soonest first).',
          },
          title: { ...id, description: 'Software title id.' },
        }),
        response: list(licenceSchema),
      },
    },
    async (request) => {
      const { expiring, title, ...paging } = request.query;
      return host.page(request, paging, await listLicences(request.db, { ...paging, expiringWithinDays: expiring, titleId: title }));
    },
  );
  app.post<{ Body: LicenceInput }>(
    '/licences',
    {
      onRequest: editor,
      schema: {
        summary: 'Record a licence of a title.',
        tags,
        body: licenceBody,
        response: { 201: licenceSchema, ...host.errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await createLicence(request.db, host.actorOf(request), request.body)),
  );
  app.get<{ Params: { id: number } }>(
    '/licences/:id',
    {
      schema: {
        summary: 'One licence, without its key.',
        tags,
        params: idParams,
        response: { 200: licenceSchema, ...host.errorResponses },
      },
    },
    async (request) => getLicence(request.db, request.params.id),
  );
  app.get<{ Params: { id: number } }>(
    '/licences/:id/key',
    {
      onRequest: host.requireRole('admin'),
      schema: {
        summary: 'The licence key (admins only; every read is audited).',
        tags,
        params: idParams,
        response: { 200: keySchema, ...host.errorResponses },
      },
    },
    async (request, reply) => {
      const key = await revealLicenceKey(request.db, host.actorOf(request), request.params.id);
      return reply.header('cache-control', 'no-store').send(key);
    },
  );

  // ── installations ──
  app.post<{ Body: InstallationInput }>(
    '/installations',
    {
      onRequest: editor,
      schema: {
        summary: 'Record a title installed on a computer.',
        tags,
        body: installationBody,
        response: { 201: installationSchema, ...host.errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await createInstallation(request.db, host.actorOf(request), request.body)),
  );
  app.delete<{ Params: { id: number } }>(
    '/installations/:id',
    {
      onRequest: editor,
      schema: { summary: 'Remove an installation (frees its licence seat).', tags, params: idParams, response: { ...host.errorResponses } },
    },
    async (request, reply) => {
      await deleteInstallation(request.db, host.actorOf(request), request.params.id);
      return reply.code(204).send();
    },
  );
  app.get<{ Params: { assetId: number }; Querystring: Paging }>(
    '/computers/:assetId/software',
    {
      schema: {
        summary: 'What is installed on a computer.',
        tags,
        params: assetParams,
        querystring: host.listQuerySchema(),
        response: list(installationSchema),
      },
    },
    async (request) => host.pageOf(request, request.query, await listComputerSoftware(request.db, request.params.assetId)),
  );

  // ── removable media ──
  app.get<{ Querystring: Paging & { kind?: MediaKind } }>(
    '/media',
    {
      schema: {
        summary: 'List removable media, with who has each one out.',
        tags,
        querystring: host.listQuerySchema({ kind: { type: 'string', enum: [...MEDIA_KINDS] } }),
        response: list(mediumSchema),
      },
    },
    async (request) => host.page(request, request.query, await listMedia(request.db, request.query)),
  );
  app.post<{ Body: MediumInput }>(
    '/media',
    {
      onRequest: editor,
      schema: {
        summary: 'Add a removable medium (the label is unique).',
        tags,
        body: mediumBody,
        response: { 201: mediumSchema, ...host.errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await createMedium(request.db, host.actorOf(request), request.body)),
  );
  app.get<{ Querystring: Paging }>(
    '/media/overdue',
    {
      schema: {
        summary: 'Open checkouts past their expected day, the longest overdue first.',
        tags,
        querystring: host.listQuerySchema(),
        response: list(checkoutSchema),
      },
    },
    async (request) => host.pageOf(request, request.query, await overdueCheckouts(request.db)),
  );
  app.post<{ Params: { id: number }; Body: CheckoutInput }>(
    '/media/:id/checkout',
    {
      onRequest: editor,
      schema: {
        summary: 'Hand a medium to a user (409 when it is already out).',
        tags,
        params: idParams,
        body: checkoutBody,
        response: { 201: checkoutSchema, ...host.errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await checkoutMedium(request.db, host.actorOf(request), request.params.id, request.body)),
  );
  app.post<{ Params: { id: number } }>(
    '/media/:id/checkin',
    {
      onRequest: editor,
      schema: {
        summary: 'Take a medium back (409 when it is not out).',
        tags,
        params: idParams,
        response: { 200: checkoutSchema, ...host.errorResponses },
      },
    },
    async (request) => checkinMedium(request.db, host.actorOf(request), request.params.id),
  );
}

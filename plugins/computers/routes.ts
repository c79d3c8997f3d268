// /api/plugins/computers: shop-floor PCs with their details, their network interfaces, the assets
// each one drives (core `controls` links), and the reverse question — which PC drives this
// machine? Viewers read; editors write. Each handler is one call into service.ts.

import type { FastifyInstance } from 'fastify';
import type { FromSchema, PluginRouteHost } from 'shopdb/sdk';
import {
  addControlled,
  addInterface,
  assetIdByTag,
  controllersOf,
  deleteInterface,
  getHost,
  listControlled,
  listHosts,
  listInterfaces,
  removeControlled,
  replaceHost,
  updateHost,
  updateInterface,
  type HostQuery,
} from './service.js';
import {
  controlsBody,
  detailProperties,
  hostPatchBody,
  hostQueryFilters,
  hostReplaceBody,
  id,
  interfaceBody,
  interfacePatchBody,
} from './schemas.js';

const tags = ['computers'];
const timestamp = { type: 'string', format: 'date-time' } as const;

const assetParams = { type: 'object', additionalProperties: false, required: ['assetId'], properties: { assetId: id } } as const;
const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id } } as const;
const controlParams = {
  type: 'object',
  additionalProperties: false,
  required: ['assetId', 'machineId'],
  properties: { assetId: id, machineId: id },
} as const;

const assetRef = {
  type: 'object',
  properties: { id: { type: 'integer' }, assetTag: { type: 'string' }, name: { type: 'string' } },
} as const;

const hostSchema = {
  type: 'object',
  required: ['assetId', 'assetTag', 'name', 'hostname', 'serial', 'model', 'status', 'location', ...Object.keys(detailProperties)],
  properties: {
    assetId: { type: 'integer' },
    assetTag: { type: 'string' },
    name: { type: 'string' },
    hostname: { type: ['string', 'null'], description: "The asset's hostname (set it with PATCH /api/assets/:id)." },
    serial: { type: ['string', 'null'] },
    model: {
      type: ['object', 'null'],
      properties: { id: { type: 'integer' }, name: { type: 'string' }, manufacturer: { type: 'string' } },
    },
    status: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
    location: { type: ['object', 'null'], properties: { id: { type: 'integer' }, code: { type: 'string' }, name: { type: 'string' } } },
    ...detailProperties,
  },
} as const;

const interfaceSchema = {
  type: 'object',
  required: ['id', 'assetId', 'name', 'ip', 'mac', 'vlan', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    assetId: { type: 'integer' },
    name: { type: 'string' },
    ip: { type: ['string', 'null'] },
    mac: { type: 'string', description: 'aa:bb:cc:dd:ee:ff' },
    vlan: { type: ['integer', 'null'] },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;

const controlledSchema = {
  type: 'object',
  required: ['linkId', 'note', 'asset'],
  properties: {
    linkId: { type: 'integer' },
    note: { type: ['string', 'null'] },
    asset: { type: 'object', properties: { ...assetRef.properties, type: { type: 'string', description: 'Asset type key.' } } },
  },
} as const;

const controllersSchema = {
  type: 'object',
  required: ['asset', 'results'],
  properties: {
    asset: assetRef,
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['linkId', 'note', 'host'],
        properties: { linkId: { type: 'integer' }, note: { type: ['string', 'null'] }, host: hostSchema },
      },
    },
  },
} as const;

const tagQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['assetTag'],
  properties: { assetTag: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

type AssetParams = FromSchema<typeof assetParams>;
type IdParams = FromSchema<typeof idParams>;
/** A list's query once host.listQuerySchema() has applied its defaults. */
type PageQuery = { limit: number; offset: number };

export async function routes(app: FastifyInstance, host: PluginRouteHost): Promise<void> {
  const { requireRole, actorOf, page, pageSchema, listQuerySchema, errorResponses, knownVlans } = host;
  const editor = requireRole('editor');

  app.get<{ Querystring: HostQuery }>(
    '/hosts',
    {
      schema: {
        summary: 'List computers with their details (by asset tag).',
        tags,
        querystring: listQuerySchema(hostQueryFilters),
        response: { 200: pageSchema(hostSchema), ...errorResponses },
      },
    },
    async (request) => page(request, request.query, await listHosts(request.db, request.query)),
  );

  app.get<{ Params: AssetParams }>(
    '/hosts/:assetId',
    { schema: { summary: 'One computer and its details.', tags, params: assetParams, response: { 200: hostSchema, ...errorResponses } } },
    async (request) => getHost(request.db, request.params.assetId),
  );

  app.put<{ Params: AssetParams; Body: FromSchema<typeof hostReplaceBody> }>(
    '/hosts/:assetId',
    {
      onRequest: editor,
      schema: {
        summary: 'Replace the computer details: a field left out becomes null (domainJoined false).',
        tags,
        params: assetParams,
        body: hostReplaceBody,
        response: { 200: hostSchema, ...errorResponses },
      },
    },
    async (request) => replaceHost(request.db, actorOf(request), request.params.assetId, request.body),
  );

  app.patch<{ Params: AssetParams; Body: FromSchema<typeof hostPatchBody> }>(
    '/hosts/:assetId',
    {
      onRequest: editor,
      schema: {
        summary: 'Change computer details: the fields given change (null clears one), the others stay.',
        tags,
        params: assetParams,
        body: hostPatchBody,
        response: { 200: hostSchema, ...errorResponses },
      },
    },
    async (request) => updateHost(request.db, actorOf(request), request.params.assetId, request.body),
  );

  app.get<{ Params: AssetParams; Querystring: PageQuery }>(
    '/hosts/:assetId/interfaces',
    {
      schema: {
        summary: 'Network interfaces of a computer, by name.',
        tags,
        params: assetParams,
        querystring: listQuerySchema(),
        response: { 200: pageSchema(interfaceSchema), ...errorResponses },
      },
    },
    async (request) => page(request, request.query, await listInterfaces(request.db, request.params.assetId, request.query)),
  );

  app.post<{ Params: AssetParams; Body: FromSchema<typeof interfaceBody> }>(
    '/hosts/:assetId/interfaces',
    {
      onRequest: editor,
      schema: {
        summary: 'Add a network interface; a MAC address already registered is a 409, a VLAN the network plugin does not know a 400.',
        tags,
        params: assetParams,
        body: interfaceBody,
        response: { 201: interfaceSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await addInterface(request.db, actorOf(request), request.params.assetId, request.body, { knownVlans })),
  );

  app.patch<{ Params: IdParams; Body: FromSchema<typeof interfacePatchBody> }>(
    '/interfaces/:id',
    {
      onRequest: editor,
      schema: {
        summary: 'Change a network interface (only the fields given; checked as a new one).',
        tags,
        params: idParams,
        body: interfacePatchBody,
        response: { 200: interfaceSchema, ...errorResponses },
      },
    },
    async (request) => updateInterface(request.db, actorOf(request), request.params.id, request.body, { knownVlans }),
  );

  app.delete<{ Params: IdParams }>(
    '/interfaces/:id',
    { onRequest: editor, schema: { summary: 'Remove a network interface.', tags, params: idParams, response: { ...errorResponses } } },
    async (request, reply) => {
      await deleteInterface(request.db, actorOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: AssetParams }>(
    '/hosts/:assetId/controls',
    {
      schema: {
        summary: 'The assets (machines) this computer drives.',
        tags,
        params: assetParams,
        response: {
          200: { type: 'object', required: ['results'], properties: { results: { type: 'array', items: controlledSchema } } },
          ...errorResponses,
        },
      },
    },
    async (request) => ({ results: await listControlled(request.db, request.params.assetId) }),
  );

  app.post<{ Params: AssetParams; Body: FromSchema<typeof controlsBody> }>(
    '/hosts/:assetId/controls',
    {
      onRequest: editor,
      schema: {
        summary: 'Record that this computer drives an asset (a core `controls` link); 409 when it already does.',
        tags,
        params: assetParams,
        body: controlsBody,
        response: { 201: controlledSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await addControlled(request.db, actorOf(request), request.params.assetId, request.body)),
  );

  app.delete<{ Params: FromSchema<typeof controlParams> }>(
    '/hosts/:assetId/controls/:machineId',
    {
      onRequest: editor,
      schema: { summary: 'This computer no longer drives that asset.', tags, params: controlParams, response: { ...errorResponses } },
    },
    async (request, reply) => {
      await removeControlled(request.db, actorOf(request), request.params.assetId, request.params.machineId);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: AssetParams }>(
    '/controlled-by/:assetId',
    {
      schema: {
        summary: 'The computers that drive an asset ("which PC drives machine 4012?").',
        tags,
        params: assetParams,
        response: { 200: controllersSchema, ...errorResponses },
      },
    },
    async (request) => controllersOf(request.db, request.params.assetId),
  );

  app.get<{ Querystring: FromSchema<typeof tagQuery> }>(
    '/controlled-by',
    {
      schema: {
        summary: 'The computers that drive the asset with this tag.',
        tags,
        querystring: tagQuery,
        response: { 200: controllersSchema, ...errorResponses },
      },
    },
    async (request) => controllersOf(request.db, await assetIdByTag(request.db, request.query.assetTag)),
  );
}

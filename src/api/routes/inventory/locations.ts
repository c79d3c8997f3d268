// /api/locations: the site's location tree (site → building → area/bay → cell). Viewers read the
// tree or a flat list; editors create, rename, move and delete.

import type { FastifyInstance } from 'fastify';
import {
  createLocation,
  deleteLocation,
  getLocation,
  LOCATION_KINDS,
  listLocations,
  locationTree,
  updateLocation,
  type LocationInput,
} from '../../../core/inventory/locations.js';
import { actorOf, requireRole } from '../../auth/guards.js';
import { errorResponses } from '../../errors.js';
import { idParams, locationSchema } from './schemas.js';

const tags = ['locations'];

// Children nest to any depth; a shared recursive schema ($ref) would give this plugin its own
// schema controller, bypassing the app's strict validator, so deeper levels are described loosely.
const nodeSchema = {
  ...locationSchema,
  required: [...locationSchema.required, 'children'],
  properties: { ...locationSchema.properties, children: { type: 'array', items: { type: 'object', additionalProperties: true } } },
};

const writable = {
  parentId: { type: ['integer', 'null'], minimum: 1, maximum: 2_147_483_647 },
  kind: { type: 'string', enum: [...LOCATION_KINDS] },
  code: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
  name: { type: 'string', minLength: 1, maxLength: 191 },
  notes: { type: ['string', 'null'], maxLength: 10_000 },
} as const;

export default async function locationRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: { flat?: boolean } }>(
    '/locations',
    {
      onRequest: requireRole('viewer'),
      schema: {
        summary: 'The location tree (or, with flat=true, every location ordered by path).',
        tags,
        querystring: { type: 'object', additionalProperties: false, properties: { flat: { type: 'boolean', default: false } } },
        response: { 200: { type: 'object', properties: { results: { type: 'array', items: nodeSchema } } }, ...errorResponses },
      },
    },
    async (request) => ({
      results: request.query.flat ? (await listLocations(request.db)).map((l) => ({ ...l, children: [] })) : await locationTree(request.db),
    }),
  );

  app.get<{ Params: { id: number } }>(
    '/locations/:id',
    {
      onRequest: requireRole('viewer'),
      schema: { summary: 'One location.', tags, params: idParams, response: { 200: locationSchema, ...errorResponses } },
    },
    async (request) => getLocation(request.db, request.params.id),
  );

  app.post<{ Body: LocationInput }>(
    '/locations',
    {
      onRequest: requireRole('editor'),
      schema: {
        summary: 'Create a location.',
        tags,
        body: { type: 'object', additionalProperties: false, required: ['kind', 'code', 'name'], properties: writable },
        response: { 201: locationSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await createLocation(request.db, actorOf(request), request.body)),
  );

  app.patch<{ Params: { id: number }; Body: Partial<LocationInput> }>(
    '/locations/:id',
    {
      onRequest: requireRole('editor'),
      schema: {
        summary: 'Rename or move a location (its subtree moves with it).',
        tags,
        params: idParams,
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: writable },
        response: { 200: locationSchema, ...errorResponses },
      },
    },
    async (request) => updateLocation(request.db, actorOf(request), request.params.id, request.body),
  );

  app.delete<{ Params: { id: number } }>(
    '/locations/:id',
    {
      onRequest: requireRole('editor'),
      schema: { summary: 'Delete an empty location.', tags, params: idParams, response: { ...errorResponses } },
    },
    async (request, reply) => {
      await deleteLocation(request.db, actorOf(request), request.params.id, {
        enabledPlugins: (await app.plugins.state(request.db)).enabledList,
      });
      return reply.code(204).send();
    },
  );
}

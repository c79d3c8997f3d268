// /api/manufacturers, /api/models, /api/status-labels, /api/asset-types: the same five routes
// each (list, get, create, PATCH, delete) over the generic reference services. Viewers read;
// editors write.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError } from '../../../core/errors.js';
import { assetModels, assetTypes, manufacturers, statusLabels, type ReferenceService } from '../../../core/inventory/reference.js';
import { actorOf, requireRole } from '../../auth/guards.js';
import { errorResponses } from '../../errors.js';
import { listQuerySchema, pageOf, pageSchema, type PageQuery } from '../../pagination.js';
import {
  assetTypeBody,
  assetTypeSchema,
  idParams,
  manufacturerBody,
  manufacturerSchema,
  modelBody,
  modelSchema,
  statusLabelBody,
  statusLabelSchema,
} from './schemas.js';

interface ReferenceResource {
  path: string;
  /** Singular, for summaries. */
  noun: string;
  service: ReferenceService<unknown, Record<string, unknown>>;
  item: object;
  body: { properties: object };
  required: readonly string[];
  /** Items a request may see (asset types of disabled plugins are hidden); all when absent. */
  visible?: (app: FastifyInstance, request: FastifyRequest) => Promise<(item: unknown) => boolean>;
}

async function visibleAssetTypes(app: FastifyInstance, request: FastifyRequest): Promise<(item: unknown) => boolean> {
  const { enabled } = await app.plugins.state(request.db);
  return (item) => {
    const plugin = (item as { plugin: string | null }).plugin;
    return plugin === null || enabled.has(plugin);
  };
}

const RESOURCES: ReferenceResource[] = [
  {
    path: '/manufacturers',
    noun: 'manufacturer',
    service: manufacturers as unknown as ReferenceResource['service'],
    item: manufacturerSchema,
    body: manufacturerBody,
    required: ['name'],
  },
  {
    path: '/models',
    noun: 'model',
    service: assetModels as unknown as ReferenceResource['service'],
    item: modelSchema,
    body: modelBody,
    required: ['manufacturerId', 'name'],
  },
  {
    path: '/status-labels',
    noun: 'status label',
    service: statusLabels as unknown as ReferenceResource['service'],
    item: statusLabelSchema,
    body: statusLabelBody,
    required: ['name', 'color', 'kind'],
  },
  {
    path: '/asset-types',
    noun: 'asset type',
    service: assetTypes as unknown as ReferenceResource['service'],
    item: assetTypeSchema,
    body: assetTypeBody,
    required: ['key', 'label'],
    visible: visibleAssetTypes,
  },
];

export default async function referenceRoutes(app: FastifyInstance): Promise<void> {
  for (const resource of RESOURCES) {
    const tags = [resource.path.slice(1)];
    const one = `${resource.path}/:id`;
    const createBody = { type: 'object', additionalProperties: false, required: resource.required, properties: resource.body.properties };
    const patchBody = { type: 'object', additionalProperties: false, minProperties: 1, properties: resource.body.properties };

    app.get<{ Querystring: PageQuery }>(
      resource.path,
      {
        onRequest: requireRole('viewer'),
        schema: {
          summary: `List ${resource.noun}s.`,
          tags,
          querystring: listQuerySchema(),
          response: { 200: pageSchema(resource.item), ...errorResponses },
        },
      },
      async (request) => {
        const items = await resource.service.list(request.db);
        const visible = await resource.visible?.(app, request);
        return pageOf(request, request.query, visible ? items.filter(visible) : items);
      },
    );
    app.get<{ Params: { id: number } }>(
      one,
      {
        onRequest: requireRole('viewer'),
        schema: { summary: `One ${resource.noun}.`, tags, params: idParams, response: { 200: resource.item, ...errorResponses } },
      },
      async (request) => {
        const item = await resource.service.get(request.db, request.params.id);
        const visible = await resource.visible?.(app, request);
        if (visible && !visible(item)) throw new NotFoundError(`There is no ${resource.noun} with id ${request.params.id}`);
        return item;
      },
    );
    app.post<{ Body: Record<string, unknown> }>(
      resource.path,
      {
        onRequest: requireRole('editor'),
        schema: { summary: `Create a ${resource.noun}.`, tags, body: createBody, response: { 201: resource.item, ...errorResponses } },
      },
      async (request, reply) => reply.code(201).send(await resource.service.create(request.db, actorOf(request), request.body)),
    );
    app.patch<{ Params: { id: number }; Body: Record<string, unknown> }>(
      one,
      {
        onRequest: requireRole('editor'),
        schema: {
          summary: `Change a ${resource.noun}.`,
          tags,
          params: idParams,
          body: patchBody,
          response: { 200: resource.item, ...errorResponses },
        },
      },
      async (request) => resource.service.update(request.db, actorOf(request), request.params.id, request.body),
    );
    app.delete<{ Params: { id: number } }>(
      one,
      {
        onRequest: requireRole('editor'),
        schema: { summary: `Delete a ${resource.noun} that nothing uses.`, tags, params: idParams, response: { ...errorResponses } },
      },
      async (request, reply) => {
        await resource.service.remove(request.db, actorOf(request), request.params.id);
        return reply.code(204).send();
      },
    );
  }
}

// /api/assets: list (filters, free-text search, ordering, pages), get, create, PATCH, soft
// delete, and the links of an asset. Viewers read; editors write. Handlers stay thin: one
// call into src/core/inventory/assets.ts (or links.ts) each.

import type { FastifyInstance } from 'fastify';
import {
  ASSET_COUNT_CAP,
  ASSET_ORDERINGS,
  createAsset,
  deleteAsset,
  getAsset,
  listAssets,
  updateAsset,
  type AssetInput,
  type AssetPatch,
} from '../../../core/inventory/assets.js';
import { addLink, LINK_TYPES, listLinks, removeLink, type LinkInput } from '../../../core/inventory/links.js';
import { exportAssets, EXPORT_FORMATS } from '../../../core/export/assets.js';
import { actorOf, requireRole } from '../../auth/guards.js';
import { errorResponses } from '../../errors.js';
import { listQuerySchema, page, pageSchema, type PageQuery } from '../../pagination.js';
import { statusesFor } from '../../../core/monitoring/service.js';
import { monitoringStatusSchema } from '../monitoring-schemas.js';
import { assetCreateBody, assetPatchBody, assetSchema, idParams, linkSchema } from './schemas.js';

const tags = ['assets'];
const filterId = { type: 'integer', minimum: 1, maximum: 2_147_483_647 } as const;

interface AssetListQuery extends PageQuery {
  type?: string;
  status?: number;
  location?: number;
  model?: number;
  manufacturer?: number;
  search?: string;
  ordering?: string;
  include?: 'monitoring';
}

/** A listed asset: with include=monitoring, also its Zabbix status. */
const listedAssetSchema = { ...assetSchema, properties: { ...assetSchema.properties, monitoring: monitoringStatusSchema } } as const;

const listQuery = listQuerySchema({
  type: { type: 'string', minLength: 1, maxLength: 64, description: 'Asset type key, e.g. equipment.' },
  status: { ...filterId, description: 'Status label id.' },
  location: { ...filterId, description: 'Location id; includes every location under it.' },
  model: { ...filterId, description: 'Model id.' },
  manufacturer: { ...filterId, description: 'Manufacturer id.' },
  search: {
    type: 'string',
    minLength: 1,
    maxLength: 200,
    description: 'Text the asset tag, name, serial or hostname starts with (case-insensitive).',
  },
  ordering: {
    type: 'string',
    enum: ASSET_ORDERINGS.flatMap((key) => [key, `-${key}`]),
    description: 'Sort field; a leading - sorts descending.',
  },
  include: {
    type: 'string',
    enum: ['monitoring'],
    description: "monitoring: each asset's Zabbix status too (from the shared cache; at most one problem refresh for the whole page).",
  },
});

const linkParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'linkId'],
  properties: { id: idParams.properties.id, linkId: idParams.properties.id },
} as const;

const linkBody = {
  type: 'object',
  additionalProperties: false,
  required: ['targetId', 'linkType'],
  properties: {
    targetId: idParams.properties.id,
    linkType: { type: 'string', enum: [...LINK_TYPES] },
    note: { type: ['string', 'null'], maxLength: 500 },
  },
} as const;

export default async function assetRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: AssetListQuery }>(
    '/assets',
    {
      onRequest: requireRole('viewer'),
      schema: {
        summary: 'List assets.',
        description: `The count stops at ${ASSET_COUNT_CAP.toLocaleString('en-US')} matches (or at the end of the requested page, if further); then countCapped is true.`,
        tags,
        querystring: listQuery,
        response: { 200: pageSchema(listedAssetSchema, { cappedCount: true }), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const result = await listAssets(request.db, {
        limit: q.limit,
        offset: q.offset,
        type: q.type,
        statusId: q.status,
        locationId: q.location,
        modelId: q.model,
        manufacturerId: q.manufacturer,
        search: q.search,
        ordering: q.ordering,
        enabledPlugins: (await app.plugins.state(request.db)).enabledList,
      });
      if (q.include !== 'monitoring') return page(request, q, result);
      const statuses = await statusesFor(
        app.monitoring,
        request.db,
        result.results.map((asset) => asset.id),
      );
      return page(request, q, { ...result, results: result.results.map((asset) => ({ ...asset, monitoring: statuses.get(asset.id) })) });
    },
  );

  app.get<{ Querystring: Omit<AssetListQuery, 'ordering' | 'limit' | 'offset'> & { format: 'csv' | 'jsonl' } }>(
    '/assets/export',
    {
      onRequest: requireRole('viewer'),
      schema: {
        summary: 'Export assets as CSV or JSON Lines (streamed), in the dialect `shopdb import assets` reads back.',
        description:
          "The list's filters; every matching live asset, in id order, with custom fields (custom.<key>) and each enabled plugin's detail columns (<plugin>.<field>). CSV cells that a spreadsheet would run as a formula get a leading ' (import removes it). Columns: docs/IMPORT.md.",
        tags,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            format: {
              type: 'string',
              enum: [...EXPORT_FORMATS],
              default: 'csv',
              description: 'csv (with a header line) or jsonl (one object a line).',
            },
            type: listQuery.properties.type,
            status: listQuery.properties.status,
            location: listQuery.properties.location,
            model: listQuery.properties.model,
            manufacturer: listQuery.properties.manufacturer,
            search: listQuery.properties.search,
          },
        },
        produces: ['text/csv', 'application/x-ndjson'],
        response: { 200: { description: 'The export, streamed.', type: 'string' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const { Readable } = await import('node:stream');
      const enabled = (await app.plugins.state(request.db)).enabled;
      const plugins = app.plugins.ordered
        .filter((p) => enabled.has(p.manifest.name))
        .map((p) => ({ name: p.manifest.name, manifest: p.manifest }));
      const filters = {
        type: q.type,
        statusId: q.status,
        locationId: q.location,
        modelId: q.model,
        manufacturerId: q.manufacturer,
        search: q.search,
      };
      const body = Readable.from(exportAssets(request.db, { format: q.format, filters, plugins }));
      return reply
        .type(q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="assets.${q.format}"`)
        .send(body);
    },
  );

  app.get<{ Params: { id: number } }>(
    '/assets/:id',
    {
      onRequest: requireRole('viewer'),
      schema: { summary: 'One asset.', tags, params: idParams, response: { 200: assetSchema, ...errorResponses } },
    },
    async (request) => getAsset(request.db, request.params.id, (await app.plugins.state(request.db)).enabledList),
  );

  app.post<{ Body: AssetInput }>(
    '/assets',
    {
      onRequest: requireRole('editor'),
      schema: { summary: 'Create an asset.', tags, body: assetCreateBody, response: { 201: assetSchema, ...errorResponses } },
    },
    async (request, reply) =>
      reply.code(201).send(await createAsset(request.db, actorOf(request), request.body, await app.plugins.assetWriteOptions(request.db))),
  );

  app.patch<{ Params: { id: number }; Body: AssetPatch }>(
    '/assets/:id',
    {
      onRequest: requireRole('editor'),
      schema: {
        summary: 'Change an asset (only the fields given).',
        tags,
        params: idParams,
        body: assetPatchBody,
        response: { 200: assetSchema, ...errorResponses },
      },
    },
    async (request) =>
      updateAsset(request.db, actorOf(request), request.params.id, request.body, await app.plugins.assetWriteOptions(request.db)),
  );

  app.delete<{ Params: { id: number } }>(
    '/assets/:id',
    {
      onRequest: requireRole('editor'),
      schema: { summary: 'Delete an asset (soft: its tag stays reserved).', tags, params: idParams, response: { ...errorResponses } },
    },
    async (request, reply) => {
      await deleteAsset(request.db, actorOf(request), request.params.id, await app.plugins.assetWriteOptions(request.db));
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: number } }>(
    '/assets/:id/links',
    {
      onRequest: requireRole('viewer'),
      schema: {
        summary: 'Links of an asset, both directions.',
        tags,
        params: idParams,
        response: { 200: { type: 'object', properties: { results: { type: 'array', items: linkSchema } } }, ...errorResponses },
      },
    },
    async (request) => ({ results: await listLinks(request.db, request.params.id) }),
  );

  app.post<{ Params: { id: number }; Body: LinkInput }>(
    '/assets/:id/links',
    {
      onRequest: requireRole('editor'),
      schema: {
        summary: 'Link this asset to another (e.g. a PC controls a machine).',
        tags,
        params: idParams,
        body: linkBody,
        response: { 201: linkSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await addLink(request.db, actorOf(request), request.params.id, request.body)),
  );

  app.delete<{ Params: { id: number; linkId: number } }>(
    '/assets/:id/links/:linkId',
    { onRequest: requireRole('editor'), schema: { summary: 'Remove a link.', tags, params: linkParams, response: { ...errorResponses } } },
    async (request, reply) => {
      await removeLink(request.db, actorOf(request), request.params.id, request.params.linkId);
      return reply.code(204).send();
    },
  );
}

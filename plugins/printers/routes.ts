// /api/plugins/printers: printers with their details and consumables, their page-counter
// readings, and the consumables running low. Viewers read, editors write; each handler is one
// call into service.ts. The schemas validate (bodies strictly) and document the routes.

import type { FastifyInstance } from 'fastify';
import type { PluginRouteHost } from 'shopdb/sdk';
import {
  CONSUMABLE_KINDS,
  getPrinter,
  listLowConsumables,
  listPageCounts,
  listPrinters,
  LOW_LEVEL_PERCENT,
  recordPageCount,
  setConsumableLevel,
  setPrinterDetails,
  type ConsumableInput,
  type PageCountInput,
  type PrinterDetails,
} from './service.js';

const tags = ['printers'];
const id = { type: 'integer', minimum: 1, maximum: 2_147_483_647 } as const;
const pages = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const nullableText = (maxLength: number) => ({ type: ['string', 'null'], minLength: 1, maxLength }) as const;
const timestamp = { type: 'string', format: 'date-time' } as const;

const assetParams = { type: 'object', additionalProperties: false, required: ['assetId'], properties: { assetId: id } } as const;

const locationSchema = {
  type: ['object', 'null'],
  required: ['id', 'code', 'name'],
  properties: { id: { type: 'integer' }, code: { type: 'string' }, name: { type: 'string' } },
} as const;

const assetSummarySchema = {
  type: 'object',
  required: ['id', 'assetTag', 'name', 'hostname', 'status', 'location', 'model'],
  properties: {
    id: { type: 'integer' },
    assetTag: { type: 'string' },
    name: { type: 'string' },
    hostname: { type: ['string', 'null'] },
    status: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
    location: locationSchema,
    model: {
      type: ['object', 'null'],
      properties: { id: { type: 'integer' }, name: { type: 'string' }, manufacturer: { type: 'string' } },
    },
  },
} as const;

const consumableProperties = {
  id: { type: 'integer' },
  assetId: { type: 'integer' },
  kind: { type: 'string', enum: [...CONSUMABLE_KINDS] },
  colour: { type: ['string', 'null'] },
  partNumber: { type: ['string', 'null'] },
  levelPercent: { type: 'integer' },
  low: { type: 'boolean', description: `At or below ${LOW_LEVEL_PERCENT} %.` },
  updatedAt: timestamp,
} as const;
const consumableRequired = ['id', 'assetId', 'kind', 'colour', 'partNumber', 'levelPercent', 'low', 'updatedAt'];
const consumableSchema = { type: 'object', required: consumableRequired, properties: consumableProperties } as const;

const detailProperties = {
  ipAddress: { type: ['string', 'null'], maxLength: 45, description: 'IPv4 or IPv6 address.' },
  queueName: nullableText(100),
  driver: nullableText(191),
  colour: { type: 'boolean' },
  duplex: { type: 'boolean' },
} as const;

const printerSchema = {
  type: 'object',
  required: ['asset', 'ipAddress', 'queueName', 'driver', 'colour', 'duplex', 'consumables'],
  properties: { asset: assetSummarySchema, ...detailProperties, consumables: { type: 'array', items: consumableSchema } },
} as const;

const detailsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['ipAddress', 'queueName', 'driver', 'colour', 'duplex'],
  properties: detailProperties,
} as const;

const readingSchema = {
  type: 'object',
  required: ['id', 'assetId', 'recordedAt', 'totalPages', 'colourPages', 'reset', 'pagesSincePrevious', 'colourPagesSincePrevious'],
  properties: {
    id: { type: 'integer' },
    assetId: { type: 'integer' },
    recordedAt: timestamp,
    totalPages: { type: 'integer' },
    colourPages: { type: ['integer', 'null'] },
    reset: { type: 'boolean' },
    pagesSincePrevious: { type: ['integer', 'null'], description: 'Pages printed since the reading before; null for the first reading.' },
    colourPagesSincePrevious: { type: ['integer', 'null'] },
  },
} as const;

const readingBody = {
  type: 'object',
  additionalProperties: false,
  required: ['totalPages'],
  properties: {
    totalPages: pages,
    colourPages: { type: ['integer', 'null'], minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    recordedAt: { ...timestamp, description: 'When the counter was read; now when left out.' },
    reset: { type: 'boolean', description: 'The meter was replaced, so this reading may be lower than the one before.' },
  },
} as const;

const consumableBody = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'levelPercent'],
  properties: {
    kind: { type: 'string', enum: [...CONSUMABLE_KINDS] },
    colour: { ...nullableText(32), description: 'e.g. black, cyan; null or left out for none. Stored in lower case.' },
    partNumber: { ...nullableText(100), description: 'Left out: the part number already known stays.' },
    levelPercent: { type: 'integer', minimum: 0, maximum: 100 },
  },
} as const;

const lowConsumableSchema = {
  type: 'object',
  required: [...consumableRequired, 'printer'],
  properties: {
    ...consumableProperties,
    printer: {
      type: 'object',
      required: ['id', 'assetTag', 'name', 'location'],
      properties: { id: { type: 'integer' }, assetTag: { type: 'string' }, name: { type: 'string' }, location: locationSchema },
    },
  },
} as const;

interface PageQuery {
  limit: number;
  offset: number;
}

export async function routes(app: FastifyInstance, host: PluginRouteHost): Promise<void> {
  const editor = host.requireRole('editor');

  app.get<{ Querystring: PageQuery & { low?: boolean } }>(
    '/printers',
    {
      schema: {
        summary: 'Printers with their details and consumables.',
        tags,
        querystring: host.listQuerySchema({
          low: {
            type: 'boolean',
            description: `true: only printers with a consumable at or below ${LOW_LEVEL_PERCENT} %; false: only those without.`,
          },
        }),
        response: { 200: host.pageSchema(printerSchema), ...host.errorResponses },
      },
    },
    async (request) => host.page(request, request.query, await listPrinters(request.db, request.query)),
  );

  app.get<{ Params: { assetId: number } }>(
    '/printers/:assetId',
    {
      schema: {
        summary: 'One printer with its details and consumables.',
        tags,
        params: assetParams,
        response: { 200: printerSchema, ...host.errorResponses },
      },
    },
    async (request) => getPrinter(request.db, request.params.assetId),
  );

  app.put<{ Params: { assetId: number }; Body: PrinterDetails }>(
    '/printers/:assetId',
    {
      onRequest: editor,
      schema: {
        summary: 'Replace the details of a printer (every field; null clears one).',
        tags,
        params: assetParams,
        body: detailsBody,
        response: { 200: printerSchema, ...host.errorResponses },
      },
    },
    async (request) => setPrinterDetails(request.db, host.actorOf(request), request.params.assetId, request.body),
  );

  app.get<{ Params: { assetId: number }; Querystring: PageQuery }>(
    '/printers/:assetId/page-counts',
    {
      schema: {
        summary: 'Page-counter readings of a printer, newest first, with the pages printed since the reading before.',
        tags,
        params: assetParams,
        querystring: host.listQuerySchema(),
        response: { 200: host.pageSchema(readingSchema), ...host.errorResponses },
      },
    },
    async (request) => host.page(request, request.query, await listPageCounts(request.db, request.params.assetId, request.query)),
  );

  app.post<{ Params: { assetId: number }; Body: PageCountInput }>(
    '/printers/:assetId/page-counts',
    {
      onRequest: editor,
      schema: {
        summary: 'Record a page-counter reading. Counters never go down: a lower reading is refused unless reset is true.',
        tags,
        params: assetParams,
        body: readingBody,
        response: { 201: readingSchema, ...host.errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await recordPageCount(request.db, host.actorOf(request), request.params.assetId, request.body)),
  );

  app.put<{ Params: { assetId: number }; Body: ConsumableInput }>(
    '/printers/:assetId/consumables',
    {
      onRequest: editor,
      schema: {
        summary: 'Set the level of a consumable (kind + colour), adding it the first time (201) or updating it (200).',
        tags,
        params: assetParams,
        body: consumableBody,
        response: { 200: consumableSchema, 201: consumableSchema, ...host.errorResponses },
      },
    },
    async (request, reply) => {
      const { consumable, created } = await setConsumableLevel(request.db, host.actorOf(request), request.params.assetId, request.body);
      return reply.code(created ? 201 : 200).send(consumable);
    },
  );

  app.get<{ Querystring: PageQuery }>(
    '/low-consumables',
    {
      schema: {
        summary: `Consumables at or below ${LOW_LEVEL_PERCENT} % on any printer, emptiest first.`,
        tags,
        querystring: host.listQuerySchema(),
        response: { 200: host.pageSchema(lowConsumableSchema), ...host.errorResponses },
      },
    },
    async (request) => host.page(request, request.query, await listLowConsumables(request.db, request.query)),
  );
}

// /api/plugins/equipment: machines with their details, their maintenance history, and the ones
// overdue for preventive maintenance. Viewers read; editors write. Each handler is one call into
// service.ts; the schemas validate and document (OpenAPI).

import type { FastifyInstance } from 'fastify';
import type { PluginRouteHost } from 'shopdb/sdk';
import {
  addMaintenance,
  CONTROLLER_MAKES,
  CRITICALITIES,
  getMachine,
  listMachines,
  listMaintenance,
  listOverdue,
  MAINTENANCE_TYPES,
  MAX_AXES,
  MAX_COST,
  MAX_SPINDLES,
  updateMachine,
  updateMaintenance,
  type ControllerMake,
  type Criticality,
  type MachinePatch,
  type MaintenanceInput,
  type MaintenancePatch,
} from './service.js';

const tags = ['equipment'];
const id = { type: 'integer', minimum: 1, maximum: 2_147_483_647 } as const;
const nullableText = (maxLength: number) => ({ type: ['string', 'null'], minLength: 1, maxLength }) as const;
const timestamp = { type: 'string', format: 'date-time' } as const;

const assetParams = { type: 'object', additionalProperties: false, required: ['assetId'], properties: { assetId: id } } as const;
const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id } } as const;

const detailProperties = {
  machineNumber: { ...nullableText(32), pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]*$', description: 'Unique on the site.' },
  builder: { ...nullableText(191), description: 'The machine-tool builder.' },
  controllerMake: { type: ['string', 'null'], enum: [...CONTROLLER_MAKES, null] },
  controllerVersion: nullableText(64),
  axes: { type: ['integer', 'null'], minimum: 0, maximum: MAX_AXES },
  spindles: { type: ['integer', 'null'], minimum: 0, maximum: MAX_SPINDLES },
  dncIp: { type: ['string', 'null'], minLength: 2, maxLength: 45, description: 'IPv4 or IPv6 address the DNC transfer talks to.' },
  dncPort: { type: ['integer', 'null'], minimum: 1, maximum: 65_535 },
  dncTransferEnabled: { type: 'boolean', description: 'Needs dncIp and dncPort.' },
  criticality: { type: ['string', 'null'], enum: [...CRITICALITIES, null] },
  nextPmDue: { type: ['string', 'null'], format: 'date', description: 'Next preventive maintenance (YYYY-MM-DD).' },
} as const;

const machineSchema = {
  type: 'object',
  required: ['assetId', 'assetTag', 'name', 'serial', 'model', 'status', 'location', ...Object.keys(detailProperties), 'pmOverdue'],
  properties: {
    assetId: { type: 'integer' },
    assetTag: { type: 'string' },
    name: { type: 'string' },
    serial: { type: ['string', 'null'] },
    model: {
      type: ['object', 'null'],
      properties: { id: { type: 'integer' }, name: { type: 'string' }, manufacturer: { type: 'string' } },
    },
    status: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
    location: { type: ['object', 'null'], properties: { id: { type: 'integer' }, code: { type: 'string' }, name: { type: 'string' } } },
    ...detailProperties,
    pmOverdue: { type: 'boolean', description: 'nextPmDue is before today.' },
  },
} as const;

const machineBody = { type: 'object', additionalProperties: false, minProperties: 1, properties: detailProperties } as const;

const maintenanceWritable = {
  type: { type: 'string', enum: [...MAINTENANCE_TYPES] },
  startedAt: { ...timestamp, description: 'ISO 8601 date-time.' },
  completedAt: { type: ['string', 'null'], format: 'date-time', description: 'null while the work is open.' },
  vendor: nullableText(191),
  cost: { type: ['number', 'null'], minimum: 0, maximum: MAX_COST, description: 'At most two decimals.' },
  underWarranty: { type: 'boolean' },
  notes: { type: ['string', 'null'], maxLength: 10_000 },
} as const;

const maintenanceSchema = {
  type: 'object',
  required: ['id', 'assetId', ...Object.keys(maintenanceWritable), 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    assetId: { type: 'integer' },
    type: { type: 'string' },
    startedAt: timestamp,
    completedAt: { type: ['string', 'null'], format: 'date-time' },
    vendor: { type: ['string', 'null'] },
    cost: { type: ['number', 'null'] },
    underWarranty: { type: 'boolean' },
    notes: { type: ['string', 'null'] },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;

interface MachineListQuery {
  limit: number;
  offset: number;
  controller?: ControllerMake;
  criticality?: Criticality;
  overdue?: boolean;
}

export async function routes(app: FastifyInstance, host: PluginRouteHost): Promise<void> {
  const { requireRole, actorOf, page, pageSchema, listQuerySchema, errorResponses } = host;
  const editor = requireRole('editor');

  app.get<{ Querystring: MachineListQuery }>(
    '/machines',
    {
      schema: {
        summary: 'List machines with their details (by asset tag).',
        tags,
        querystring: listQuerySchema({
          controller: { type: 'string', enum: [...CONTROLLER_MAKES], description: 'Controller make.' },
          criticality: { type: 'string', enum: [...CRITICALITIES] },
          overdue: { type: 'boolean', description: 'true: next PM due before today; false: not overdue.' },
        }),
        response: { 200: pageSchema(machineSchema), ...errorResponses },
      },
    },
    async (request) => page(request, request.query, await listMachines(request.db, request.query)),
  );

  app.get<{ Params: { assetId: number } }>(
    '/machines/:assetId',
    { schema: { summary: 'One machine and its details.', tags, params: assetParams, response: { 200: machineSchema, ...errorResponses } } },
    async (request) => getMachine(request.db, request.params.assetId),
  );

  app.put<{ Params: { assetId: number }; Body: MachinePatch }>(
    '/machines/:assetId',
    {
      onRequest: editor,
      schema: {
        summary: 'Set machine details: the fields given change (null clears one), the others stay. A machine number in use is a 409.',
        tags,
        params: assetParams,
        body: machineBody,
        response: { 200: machineSchema, ...errorResponses },
      },
    },
    async (request) => updateMachine(request.db, actorOf(request), request.params.assetId, request.body),
  );

  app.get<{ Params: { assetId: number }; Querystring: { limit: number; offset: number } }>(
    '/machines/:assetId/maintenance',
    {
      schema: {
        summary: 'Maintenance history of a machine, the latest first.',
        tags,
        params: assetParams,
        querystring: listQuerySchema(),
        response: { 200: pageSchema(maintenanceSchema), ...errorResponses },
      },
    },
    async (request) => page(request, request.query, await listMaintenance(request.db, request.params.assetId, request.query)),
  );

  app.post<{ Params: { assetId: number }; Body: MaintenanceInput }>(
    '/machines/:assetId/maintenance',
    {
      onRequest: editor,
      schema: {
        summary: 'Record maintenance work on a machine.',
        tags,
        params: assetParams,
        body: { type: 'object', additionalProperties: false, required: ['type', 'startedAt'], properties: maintenanceWritable },
        response: { 201: maintenanceSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await addMaintenance(request.db, actorOf(request), request.params.assetId, request.body)),
  );

  app.patch<{ Params: { id: number }; Body: MaintenancePatch }>(
    '/maintenance/:id',
    {
      onRequest: editor,
      schema: {
        summary: 'Change a maintenance record (e.g. set completedAt to close it).',
        tags,
        params: idParams,
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: maintenanceWritable },
        response: { 200: maintenanceSchema, ...errorResponses },
      },
    },
    async (request) => updateMaintenance(request.db, actorOf(request), request.params.id, request.body),
  );

  app.get<{ Querystring: { limit: number; offset: number } }>(
    '/overdue',
    {
      schema: {
        summary: 'Machines whose next preventive maintenance was due before today, the longest overdue first.',
        tags,
        querystring: listQuerySchema(),
        response: { 200: pageSchema(machineSchema), ...errorResponses },
      },
    },
    async (request) => page(request, request.query, await listOverdue(request.db, request.query)),
  );
}

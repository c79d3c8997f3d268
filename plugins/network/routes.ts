// /api/plugins/network: network devices and their details, VLANs, ports, and the links between
// ports (or from a port to an end device), with "what is plugged into this port?" and the
// uplinks of a device. Viewers read, editors write; each handler is one call into service.ts.

import type { FastifyInstance } from 'fastify';
import type { PluginRouteHost } from 'shopdb/sdk';
import {
  createLink,
  createPort,
  createVlan,
  deleteLink,
  deletePort,
  DEVICE_ROLES,
  getDevice,
  listDevices,
  listPorts,
  listUplinks,
  listVlans,
  PORT_MODES,
  portPeer,
  setDeviceDetails,
  updatePort,
  type DeviceDetails,
  type DeviceRole,
  type LinkInput,
  type PortInput,
  type PortPatch,
  type VlanInput,
} from './service.js';

const tags = ['network'];
const id = { type: 'integer', minimum: 1, maximum: 2_147_483_647 } as const;
const nullableText = (maxLength: number) => ({ type: ['string', 'null'], minLength: 1, maxLength }) as const;
const timestamp = { type: 'string', format: 'date-time' } as const;

const assetParams = { type: 'object', additionalProperties: false, required: ['assetId'], properties: { assetId: id } } as const;
const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id } } as const;
const peerParams = {
  type: 'object',
  additionalProperties: false,
  required: ['assetId', 'portName'],
  properties: {
    assetId: id,
    portName: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      description: 'The port name, URL-encoded (Gi1%2F0%2F12), or the last part of it when that is unambiguous (12).',
    },
  },
} as const;

const assetSummarySchema = {
  type: 'object',
  required: ['id', 'assetTag', 'name', 'hostname', 'type', 'status', 'location', 'model'],
  properties: {
    id: { type: 'integer' },
    assetTag: { type: 'string' },
    name: { type: 'string' },
    hostname: { type: ['string', 'null'] },
    type: { type: 'object', properties: { key: { type: 'string' }, label: { type: 'string' } } },
    status: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
    location: { type: ['object', 'null'], properties: { id: { type: 'integer' }, code: { type: 'string' }, name: { type: 'string' } } },
    model: {
      type: ['object', 'null'],
      properties: { id: { type: 'integer' }, name: { type: 'string' }, manufacturer: { type: 'string' } },
    },
  },
} as const;

const detailProperties = {
  managementIp: { type: ['string', 'null'], maxLength: 45, description: 'IPv4 or IPv6 address.' },
  role: { type: ['string', 'null'], enum: [...DEVICE_ROLES, null] },
  firmwareVersion: nullableText(64),
} as const;

const deviceSchema = {
  type: 'object',
  required: ['asset', 'managementIp', 'role', 'firmwareVersion'],
  properties: { asset: assetSummarySchema, ...detailProperties },
} as const;
const detailsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['managementIp', 'role', 'firmwareVersion'],
  properties: detailProperties,
} as const;

const vlanSchema = {
  type: 'object',
  required: ['id', 'vlanId', 'name', 'subnet', 'createdAt'],
  properties: {
    id: { type: 'integer' },
    vlanId: { type: 'integer' },
    name: { type: 'string' },
    subnet: { type: ['string', 'null'] },
    createdAt: timestamp,
  },
} as const;
const vlanBody = {
  type: 'object',
  additionalProperties: false,
  required: ['vlanId', 'name'],
  properties: {
    vlanId: { type: 'integer', minimum: 1, maximum: 4094 },
    name: { type: 'string', minLength: 1, maxLength: 64 },
    subnet: { ...nullableText(49), description: 'CIDR, like 10.7.10.0/24.' },
  },
} as const;

const portProperties = {
  id: { type: 'integer' },
  deviceId: { type: 'integer' },
  name: { type: 'string' },
  description: { type: ['string', 'null'] },
  vlan: { type: ['integer', 'null'] },
  mode: { type: 'string', enum: [...PORT_MODES] },
  isUplink: { type: 'boolean' },
} as const;
const portRequired = ['id', 'deviceId', 'name', 'description', 'vlan', 'mode', 'isUplink'];
const portSchema = { type: 'object', required: portRequired, properties: portProperties } as const;
const peerSchema = {
  type: ['object', 'null'],
  required: ['kind', 'port', 'asset'],
  description: 'What is at the other end: a port and its device (kind port), or an end device (kind asset, port null).',
  properties: {
    kind: { type: 'string', enum: ['port', 'asset'] },
    port: { ...portSchema, type: ['object', 'null'] },
    asset: assetSummarySchema,
  },
} as const;
const portViewSchema = {
  type: 'object',
  required: [...portRequired, 'linkId', 'peer'],
  properties: { ...portProperties, linkId: { type: ['integer', 'null'] }, peer: peerSchema },
} as const;

const writablePort = {
  name: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9/._:-]*$' },
  description: nullableText(255),
  vlan: { type: ['integer', 'null'], minimum: 1, maximum: 4094, description: 'Access VLAN id; null for a trunk.' },
  mode: { type: 'string', enum: [...PORT_MODES] },
  isUplink: { type: 'boolean' },
} as const;
const portBody = { type: 'object', additionalProperties: false, required: ['name'], properties: writablePort } as const;
const portPatchBody = { type: 'object', additionalProperties: false, minProperties: 1, properties: writablePort } as const;

const linkBody = {
  type: 'object',
  additionalProperties: false,
  required: ['portId'],
  description: 'portId and exactly one of toPortId (another port) or toAssetId (an end device such as a CNC or a PC).',
  properties: { portId: id, toPortId: id, toAssetId: id },
} as const;
const linkSchema = {
  type: 'object',
  required: ['id', 'port', 'device', 'peer', 'createdAt'],
  properties: {
    id: { type: 'integer' },
    port: portSchema,
    device: assetSummarySchema,
    peer: { ...peerSchema, type: 'object' },
    createdAt: timestamp,
  },
} as const;
const peerAnswerSchema = {
  type: 'object',
  required: ['device', 'port', 'linkId', 'peer'],
  properties: { device: assetSummarySchema, port: portSchema, linkId: { type: ['integer', 'null'] }, peer: peerSchema },
} as const;

interface PageQuery {
  limit: number;
  offset: number;
}

export async function routes(app: FastifyInstance, host: PluginRouteHost): Promise<void> {
  const editor = host.requireRole('editor');
  const page = (item: object) => ({ 200: host.pageSchema(item), ...host.errorResponses });

  app.get<{ Querystring: PageQuery & { role?: DeviceRole } }>(
    '/devices',
    {
      schema: {
        summary: 'Network devices with their details, by asset tag.',
        tags,
        querystring: host.listQuerySchema({ role: { type: 'string', enum: [...DEVICE_ROLES] } }),
        response: page(deviceSchema),
      },
    },
    async (request) => host.page(request, request.query, await listDevices(request.db, request.query)),
  );

  app.get<{ Params: { assetId: number } }>(
    '/devices/:assetId',
    {
      schema: {
        summary: 'One network device with its details.',
        tags,
        params: assetParams,
        response: { 200: deviceSchema, ...host.errorResponses },
      },
    },
    async (request) => getDevice(request.db, request.params.assetId),
  );

  app.put<{ Params: { assetId: number }; Body: DeviceDetails }>(
    '/devices/:assetId',
    {
      onRequest: editor,
      schema: {
        summary: 'Replace the details of a network device (every field; null clears one).',
        tags,
        params: assetParams,
        body: detailsBody,
        response: { 200: deviceSchema, ...host.errorResponses },
      },
    },
    async (request) => setDeviceDetails(request.db, host.actorOf(request), request.params.assetId, request.body),
  );

  app.get<{ Querystring: PageQuery }>(
    '/vlans',
    { schema: { summary: 'The VLANs of the site, by VLAN id.', tags, querystring: host.listQuerySchema(), response: page(vlanSchema) } },
    async (request) => host.page(request, request.query, await listVlans(request.db, request.query)),
  );

  app.post<{ Body: VlanInput }>(
    '/vlans',
    { onRequest: editor, schema: { summary: 'Add a VLAN.', tags, body: vlanBody, response: { 201: vlanSchema, ...host.errorResponses } } },
    async (request, reply) => reply.code(201).send(await createVlan(request.db, host.actorOf(request), request.body)),
  );

  app.get<{ Params: { assetId: number }; Querystring: PageQuery }>(
    '/devices/:assetId/ports',
    {
      schema: {
        summary: 'The ports of a device in natural order (Gi1/0/2 before Gi1/0/10), each with what it is plugged into.',
        tags,
        params: assetParams,
        querystring: host.listQuerySchema(),
        response: page(portViewSchema),
      },
    },
    async (request) => host.page(request, request.query, await listPorts(request.db, request.params.assetId, request.query)),
  );

  app.post<{ Params: { assetId: number }; Body: PortInput }>(
    '/devices/:assetId/ports',
    {
      onRequest: editor,
      schema: {
        summary: 'Add a port to a device.',
        tags,
        params: assetParams,
        body: portBody,
        response: { 201: portViewSchema, ...host.errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createPort(request.db, host.actorOf(request), request.params.assetId, request.body)),
  );

  app.patch<{ Params: { id: number }; Body: PortPatch }>(
    '/ports/:id',
    {
      onRequest: editor,
      schema: {
        summary: 'Change a port (only the fields given).',
        tags,
        params: idParams,
        body: portPatchBody,
        response: { 200: portViewSchema, ...host.errorResponses },
      },
    },
    async (request) => updatePort(request.db, host.actorOf(request), request.params.id, request.body),
  );

  app.delete<{ Params: { id: number } }>(
    '/ports/:id',
    {
      onRequest: editor,
      schema: { summary: 'Remove a port, and its link.', tags, params: idParams, response: { ...host.errorResponses } },
    },
    async (request, reply) => {
      await deletePort(request.db, host.actorOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.post<{ Body: LinkInput }>(
    '/links',
    {
      onRequest: editor,
      schema: {
        summary: 'Plug a port into another port or into an end device. A port takes one link: 409 if either port is in use.',
        tags,
        body: linkBody,
        response: { 201: linkSchema, ...host.errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await createLink(request.db, host.actorOf(request), request.body)),
  );

  app.delete<{ Params: { id: number } }>(
    '/links/:id',
    { onRequest: editor, schema: { summary: 'Unplug a link.', tags, params: idParams, response: { ...host.errorResponses } } },
    async (request, reply) => {
      await deleteLink(request.db, host.actorOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { assetId: number; portName: string } }>(
    '/devices/:assetId/ports/:portName/peer',
    {
      schema: {
        summary: 'What is plugged into a port: the port at the other end with its device, or the end device; peer null when nothing is.',
        tags,
        params: peerParams,
        response: { 200: peerAnswerSchema, ...host.errorResponses },
      },
    },
    async (request) => portPeer(request.db, request.params.assetId, request.params.portName),
  );

  app.get<{ Params: { assetId: number }; Querystring: PageQuery }>(
    '/devices/:assetId/uplinks',
    {
      schema: {
        summary: 'The uplink ports of a device, each with what it is plugged into.',
        tags,
        params: assetParams,
        querystring: host.listQuerySchema(),
        response: page(portViewSchema),
      },
    },
    async (request) => host.pageOf(request, request.query, await listUplinks(request.db, request.params.assetId)),
  );
}

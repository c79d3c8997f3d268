// /api/plugins/network: network devices and their details, VLANs, ports, and the links between
// ports (or from a port to an end device), with "what is plugged into this port?" and the
// uplinks of a device. Viewers read, editors write; each handler is one call into service.ts.

import type { FastifyInstance } from 'fastify';
import type { FromSchema, PluginRouteHost } from 'shopdb/sdk';
import {
  createLink,
  createPort,
  createVlan,
  deleteLink,
  deletePort,
  deleteVlan,
  DEVICE_ROLES,
  getDevice,
  getLink,
  getVlan,
  listAssetLinks,
  listDevices,
  listPorts,
  listUplinks,
  listVlans,
  PORT_MODES,
  portPeer,
  setDeviceDetails,
  updateDeviceDetails,
  updateLink,
  updatePort,
  updateVlan,
} from './service.js';
import {
  detailProperties,
  detailsBody,
  detailsPatchBody,
  id,
  linkBody,
  linkPatchBody,
  portBody,
  portPatchBody,
  vlanBody,
  vlanPatchBody,
} from './schemas.js';

const tags = ['network'];
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

const deviceSchema = {
  type: 'object',
  required: ['asset', 'managementIp', 'role', 'firmwareVersion'],
  properties: { asset: assetSummarySchema, ...detailProperties },
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

/** A list's query once host.listQuerySchema() has applied its defaults. */
type PageQuery = { limit: number; offset: number };
const linkFilters = { assetId: { ...id, description: 'Any asset: a CNC, a PC, a printer, or a network device.' } } as const;
type LinkQuery = PageQuery & FromSchema<{ type: 'object'; required: ['assetId']; properties: typeof linkFilters }>;

type AssetParams = FromSchema<typeof assetParams>;
type IdParams = FromSchema<typeof idParams>;

const deviceFilters = { role: { type: 'string', enum: [...DEVICE_ROLES] } } as const;
type DeviceQuery = PageQuery & FromSchema<{ type: 'object'; properties: typeof deviceFilters }>;

export async function routes(app: FastifyInstance, host: PluginRouteHost): Promise<void> {
  const editor = host.requireRole('editor');
  const page = (item: object) => ({ 200: host.pageSchema(item), ...host.errorResponses });
  const one = (item: object) => ({ 200: item, ...host.errorResponses });
  const noContent = { ...host.errorResponses };

  app.get<{ Querystring: DeviceQuery }>(
    '/devices',
    {
      schema: {
        summary: 'Network devices with their details, by asset tag.',
        tags,
        querystring: host.listQuerySchema(deviceFilters),
        response: page(deviceSchema),
      },
    },
    async (request) => host.page(request, request.query, await listDevices(request.db, request.query)),
  );

  app.get<{ Params: AssetParams }>(
    '/devices/:assetId',
    { schema: { summary: 'One network device with its details.', tags, params: assetParams, response: one(deviceSchema) } },
    async (request) => getDevice(request.db, request.params.assetId),
  );

  app.put<{ Params: AssetParams; Body: FromSchema<typeof detailsBody> }>(
    '/devices/:assetId',
    {
      onRequest: editor,
      schema: {
        summary: 'Replace the details of a network device (every field; null clears one).',
        tags,
        params: assetParams,
        body: detailsBody,
        response: one(deviceSchema),
      },
    },
    async (request) => setDeviceDetails(request.db, host.actorOf(request), request.params.assetId, request.body),
  );

  app.patch<{ Params: AssetParams; Body: FromSchema<typeof detailsPatchBody> }>(
    '/devices/:assetId',
    {
      onRequest: editor,
      schema: {
        summary: 'Change the details given (null clears one); the others stay.',
        tags,
        params: assetParams,
        body: detailsPatchBody,
        response: one(deviceSchema),
      },
    },
    async (request) => updateDeviceDetails(request.db, host.actorOf(request), request.params.assetId, request.body),
  );

  app.get<{ Querystring: PageQuery }>(
    '/vlans',
    { schema: { summary: 'The VLANs of the site, by VLAN id.', tags, querystring: host.listQuerySchema(), response: page(vlanSchema) } },
    async (request) => host.page(request, request.query, await listVlans(request.db, request.query)),
  );

  app.post<{ Body: FromSchema<typeof vlanBody> }>(
    '/vlans',
    { onRequest: editor, schema: { summary: 'Add a VLAN.', tags, body: vlanBody, response: { 201: vlanSchema, ...host.errorResponses } } },
    async (request, reply) => reply.code(201).send(await createVlan(request.db, host.actorOf(request), request.body)),
  );

  app.get<{ Params: IdParams }>(
    '/vlans/:id',
    { schema: { summary: 'One VLAN (by its row id, as in the list).', tags, params: idParams, response: one(vlanSchema) } },
    async (request) => getVlan(request.db, request.params.id),
  );

  app.patch<{ Params: IdParams; Body: FromSchema<typeof vlanPatchBody> }>(
    '/vlans/:id',
    {
      onRequest: editor,
      schema: {
        summary: 'Change a VLAN (only the fields given; checked as a new one). A new VLAN id is a 409 while ports use the old one.',
        tags,
        params: idParams,
        body: vlanPatchBody,
        response: one(vlanSchema),
      },
    },
    async (request) => updateVlan(request.db, host.actorOf(request), request.params.id, request.body),
  );

  app.delete<{ Params: IdParams }>(
    '/vlans/:id',
    {
      onRequest: editor,
      schema: { summary: 'Remove a VLAN; 409 while it is the access VLAN of a port.', tags, params: idParams, response: noContent },
    },
    async (request, reply) => {
      await deleteVlan(request.db, host.actorOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: AssetParams; Querystring: PageQuery }>(
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

  app.post<{ Params: AssetParams; Body: FromSchema<typeof portBody> }>(
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

  app.patch<{ Params: IdParams; Body: FromSchema<typeof portPatchBody> }>(
    '/ports/:id',
    {
      onRequest: editor,
      schema: {
        summary: 'Change a port (only the fields given).',
        tags,
        params: idParams,
        body: portPatchBody,
        response: one(portViewSchema),
      },
    },
    async (request) => updatePort(request.db, host.actorOf(request), request.params.id, request.body),
  );

  app.delete<{ Params: IdParams }>(
    '/ports/:id',
    { onRequest: editor, schema: { summary: 'Remove a port, and its link.', tags, params: idParams, response: noContent } },
    async (request, reply) => {
      await deletePort(request.db, host.actorOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: LinkQuery }>(
    '/links',
    {
      schema: {
        summary:
          'Where an asset is plugged in: its links, each from the far side (port and device: the switch port it is plugged into; peer: the asset, or its own port).',
        tags,
        querystring: { ...host.listQuerySchema(linkFilters), required: ['assetId'] },
        response: page(linkSchema),
      },
    },
    async (request) => host.pageOf(request, request.query, await listAssetLinks(request.db, request.query.assetId)),
  );

  app.get<{ Params: IdParams }>(
    '/links/:id',
    { schema: { summary: 'One link, from the side of its first port.', tags, params: idParams, response: one(linkSchema) } },
    async (request) => getLink(request.db, request.params.id),
  );

  app.post<{ Body: FromSchema<typeof linkBody> }>(
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

  app.patch<{ Params: IdParams; Body: FromSchema<typeof linkPatchBody> }>(
    '/links/:id',
    {
      onRequest: editor,
      schema: {
        summary: 'Re-plug a link: checked as a new link would be (409 if a port it would use is in another link).',
        tags,
        params: idParams,
        body: linkPatchBody,
        response: one(linkSchema),
      },
    },
    async (request) => updateLink(request.db, host.actorOf(request), request.params.id, request.body),
  );

  app.delete<{ Params: IdParams }>(
    '/links/:id',
    { onRequest: editor, schema: { summary: 'Unplug a link.', tags, params: idParams, response: noContent } },
    async (request, reply) => {
      await deleteLink(request.db, host.actorOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: FromSchema<typeof peerParams> }>(
    '/devices/:assetId/ports/:portName/peer',
    {
      schema: {
        summary: 'What is plugged into a port: the port at the other end with its device, or the end device; peer null when nothing is.',
        tags,
        params: peerParams,
        response: one(peerAnswerSchema),
      },
    },
    async (request) => portPeer(request.db, request.params.assetId, request.params.portName),
  );

  app.get<{ Params: AssetParams; Querystring: PageQuery }>(
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

// The JSON schemas of what the network routes take, declared once: the routes validate with them
// and the services take the types derived from them (FromSchema), so no input shape is written twice.

import type { FromSchema } from 'shopdb/sdk';
import { DEVICE_ROLES, PORT_MODES } from './devices.js';

export const id = { type: 'integer', minimum: 1, maximum: 2_147_483_647 } as const;
export const nullableText = (maxLength: number) => ({ type: ['string', 'null'], minLength: 1, maxLength }) as const;

export const detailProperties = {
  managementIp: { type: ['string', 'null'], maxLength: 45, description: 'IPv4 or IPv6 address.' },
  role: { type: ['string', 'null'], enum: [...DEVICE_ROLES, null] },
  firmwareVersion: nullableText(64),
} as const;
/** PUT: every detail, each may be null. */
export const detailsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['managementIp', 'role', 'firmwareVersion'],
  properties: detailProperties,
} as const;
/** PATCH: the details given. */
export const detailsPatchBody = { type: 'object', additionalProperties: false, minProperties: 1, properties: detailProperties } as const;
export type DeviceDetailsInput = FromSchema<typeof detailsBody>;
export type DeviceDetailsPatch = FromSchema<typeof detailsPatchBody>;

const vlanProperties = {
  vlanId: { type: 'integer', minimum: 1, maximum: 4094 },
  name: { type: 'string', minLength: 1, maxLength: 64 },
  subnet: { ...nullableText(49), description: 'CIDR, like 10.7.10.0/24.' },
} as const;
export const vlanBody = { type: 'object', additionalProperties: false, required: ['vlanId', 'name'], properties: vlanProperties } as const;
export const vlanPatchBody = { type: 'object', additionalProperties: false, minProperties: 1, properties: vlanProperties } as const;
export type VlanInput = FromSchema<typeof vlanBody>;
export type VlanPatch = FromSchema<typeof vlanPatchBody>;

const writablePort = {
  name: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9/._:-]*$' },
  description: nullableText(255),
  vlan: { type: ['integer', 'null'], minimum: 1, maximum: 4094, description: 'Access VLAN id; null for a trunk.' },
  mode: { type: 'string', enum: [...PORT_MODES] },
  isUplink: { type: 'boolean' },
} as const;
export const portBody = { type: 'object', additionalProperties: false, required: ['name'], properties: writablePort } as const;
export const portPatchBody = { type: 'object', additionalProperties: false, minProperties: 1, properties: writablePort } as const;
export type PortInput = FromSchema<typeof portBody>;
export type PortPatch = FromSchema<typeof portPatchBody>;

export const linkBody = {
  type: 'object',
  additionalProperties: false,
  required: ['portId'],
  description: 'portId and exactly one of toPortId (another port) or toAssetId (an end device such as a CNC or a PC).',
  properties: { portId: id, toPortId: id, toAssetId: id },
} as const;
export const linkPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  description:
    'What changes: portId (the port the link starts at), and/or the other end — toPortId or toAssetId, which replaces the other end whichever kind it was.',
  properties: { portId: id, toPortId: id, toAssetId: id },
} as const;
export type LinkInput = FromSchema<typeof linkBody>;
export type LinkPatch = FromSchema<typeof linkPatchBody>;

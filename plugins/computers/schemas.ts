// The JSON schemas of what the computers routes take, declared once: the routes validate with
// them and the services take the types derived from them (FromSchema), so no input shape is
// written twice.

import type { FromSchema } from 'shopdb/sdk';

export const MAX_VLAN = 4094;

export const id = { type: 'integer', minimum: 1, maximum: 2_147_483_647 } as const;
export const nullableText = (maxLength: number) => ({ type: ['string', 'null'], minLength: 1, maxLength }) as const;

export const detailProperties = {
  os: { ...nullableText(100), description: 'Operating system, e.g. "Windows 10 IoT Enterprise LTSC".' },
  osVersion: nullableText(64),
  domainJoined: { type: 'boolean' },
  domainName: { ...nullableText(191), description: 'Required while domainJoined; cleared when the PC leaves the domain.' },
  lastSeenAt: { type: ['string', 'null'], format: 'date-time' },
  warrantyEnd: { type: ['string', 'null'], format: 'date' },
} as const;
/** PUT: the whole set of details; a field left out becomes null (domainJoined false). */
export const hostReplaceBody = { type: 'object', additionalProperties: false, properties: detailProperties } as const;
/** PATCH: the fields given change, the others stay. */
export const hostPatchBody = { type: 'object', additionalProperties: false, minProperties: 1, properties: detailProperties } as const;
export type HostReplacement = FromSchema<typeof hostReplaceBody>;

const interfaceProperties = {
  name: { type: 'string', minLength: 1, maxLength: 64, description: 'e.g. "Ethernet 2".' },
  mac: {
    type: 'string',
    minLength: 1,
    maxLength: 32,
    description: 'Any usual notation; stored as aa:bb:cc:dd:ee:ff, unique on the site.',
  },
  ip: { type: ['string', 'null'], minLength: 2, maxLength: 45 },
  vlan: {
    type: ['integer', 'null'],
    minimum: 1,
    maximum: MAX_VLAN,
    description: 'While the network plugin is enabled, one of its VLANs.',
  },
} as const;
export const interfaceBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'mac'],
  properties: interfaceProperties,
} as const;
export const interfacePatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: interfaceProperties,
} as const;
export type InterfaceInput = FromSchema<typeof interfaceBody>;
export type InterfacePatch = FromSchema<typeof interfacePatchBody>;

export const controlsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['machineId'],
  properties: { machineId: id, note: { type: ['string', 'null'], maxLength: 500 } },
} as const;
export type ControlsInput = FromSchema<typeof controlsBody>;

export const hostQueryFilters = {
  os: {
    type: 'string',
    minLength: 1,
    maxLength: 100,
    description: 'Text the operating system starts with (case-insensitive), e.g. "Windows 10".',
  },
  domainJoined: { type: 'boolean' },
} as const;
/** The list query: limit and offset (with defaults, from host.listQuerySchema) and the filters. */
export type HostQuery = { limit: number; offset: number } & FromSchema<{ type: 'object'; properties: typeof hostQueryFilters }>;

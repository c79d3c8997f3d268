// JSON schemas of the inventory resources: they validate requests (unknown fields are a 400),
// shape responses, and become the OpenAPI document.

import { idParams, rowId as id } from '../../schemas.js';

export { idParams };

const nullableId = { type: ['integer', 'null'], minimum: 1, maximum: 2_147_483_647 } as const;
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;
const nullableText = (maxLength: number) => ({ type: ['string', 'null'], maxLength }) as const;
const timestamp = { type: 'string', format: 'date-time' } as const;

export const assetSchema = {
  type: 'object',
  required: [
    'id',
    'uuid',
    'assetTag',
    'name',
    'hostname',
    'serial',
    'type',
    'model',
    'status',
    'location',
    'notes',
    'customData',
    'createdAt',
    'updatedAt',
  ],
  properties: {
    id: { type: 'integer' },
    uuid: { type: 'string' },
    assetTag: { type: 'string' },
    name: { type: 'string' },
    hostname: { type: ['string', 'null'] },
    serial: { type: ['string', 'null'] },
    type: { type: 'object', properties: { id: { type: 'integer' }, key: { type: 'string' }, label: { type: 'string' } } },
    model: {
      type: ['object', 'null'],
      properties: {
        id: { type: 'integer' },
        name: { type: 'string' },
        manufacturer: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
      },
    },
    status: {
      type: 'object',
      properties: { id: { type: 'integer' }, name: { type: 'string' }, color: { type: 'string' }, kind: { type: 'string' } },
    },
    location: { type: ['object', 'null'], properties: { id: { type: 'integer' }, code: { type: 'string' }, name: { type: 'string' } } },
    notes: { type: ['string', 'null'] },
    customData: { type: 'object', additionalProperties: true },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;

const assetWritable = {
  name: text(191),
  hostname: nullableText(191),
  serial: nullableText(191),
  modelId: nullableId,
  statusId: id,
  locationId: nullableId,
  notes: nullableText(10_000),
  customData: { type: 'object', additionalProperties: true, maxProperties: 200 },
} as const;

export const assetCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['assetTag', 'name', 'type', 'statusId'],
  properties: { assetTag: { ...text(64), pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]*$' }, type: text(64), ...assetWritable },
} as const;

export const assetPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { assetTag: { ...text(64), pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]*$' }, ...assetWritable },
} as const;

export const linkSchema = {
  type: 'object',
  required: ['id', 'linkType', 'note', 'direction', 'other'],
  properties: {
    id: { type: 'integer' },
    linkType: { type: 'string' },
    note: { type: ['string', 'null'] },
    direction: { type: 'string', enum: ['outgoing', 'incoming'] },
    other: { type: 'object', properties: { id: { type: 'integer' }, assetTag: { type: 'string' }, name: { type: 'string' } } },
  },
} as const;

export const locationSchema = {
  type: 'object',
  required: ['id', 'parentId', 'kind', 'code', 'name', 'path', 'notes', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    parentId: { type: ['integer', 'null'] },
    kind: { type: 'string' },
    code: { type: 'string' },
    name: { type: 'string' },
    path: { type: 'string' },
    notes: { type: ['string', 'null'] },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;

export const manufacturerSchema = {
  type: 'object',
  required: ['id', 'name', 'url', 'notes', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    url: { type: ['string', 'null'] },
    notes: { type: ['string', 'null'] },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;

export const manufacturerBody = {
  type: 'object',
  additionalProperties: false,
  properties: { name: text(191), url: nullableText(255), notes: nullableText(10_000) },
} as const;

export const modelSchema = {
  type: 'object',
  required: ['id', 'manufacturerId', 'name', 'partNumber', 'category', 'endOfLife', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    manufacturerId: { type: 'integer' },
    name: { type: 'string' },
    partNumber: { type: ['string', 'null'] },
    category: { type: ['string', 'null'] },
    endOfLife: { type: ['string', 'null'], format: 'date' },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;

export const modelBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    manufacturerId: id,
    name: text(191),
    partNumber: nullableText(100),
    category: nullableText(64),
    endOfLife: { type: ['string', 'null'], format: 'date' },
  },
} as const;

export const statusLabelSchema = {
  type: 'object',
  required: ['id', 'name', 'color', 'kind', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    color: { type: 'string' },
    kind: { type: 'string' },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;

export const statusLabelBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: text(64),
    color: { type: 'string', pattern: '^#[0-9a-fA-F]{6}$' },
    kind: { type: 'string', enum: ['deployable', 'pending', 'archived', 'broken'] },
  },
} as const;

const fieldDefinition = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'label', 'type'],
  properties: {
    key: text(64),
    label: text(191),
    type: { type: 'string', enum: ['string', 'integer', 'number', 'boolean', 'date', 'enum', 'ip'] },
    required: { type: 'boolean' },
    choices: { type: 'array', items: text(191), maxItems: 500 },
    maxLength: { type: 'integer', minimum: 1, maximum: 10_000 },
  },
} as const;

export const assetTypeSchema = {
  type: 'object',
  required: ['id', 'key', 'label', 'plugin', 'fields', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    key: { type: 'string' },
    label: { type: 'string' },
    plugin: { type: ['string', 'null'] },
    fields: { type: 'array', items: fieldDefinition },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;

export const assetTypeBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    key: { ...text(64), pattern: '^[a-z][a-z0-9-]*$' },
    label: text(191),
    fields: { type: 'array', items: fieldDefinition, maxItems: 200 },
  },
} as const;

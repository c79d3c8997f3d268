// Custom fields: each asset type declares the fields its assets carry in `assets.custom_data`
// (a JSON column, not a column per field — ADR-001). This validates data against a definition.

import { isIP } from 'node:net';
import { ValidationError } from '../errors.js';

export const FIELD_TYPES = ['string', 'integer', 'number', 'boolean', 'date', 'enum', 'ip'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface CustomFieldDefinition {
  key: string;
  label: string;
  type: FieldType;
  required?: boolean;
  /** enum only. */
  choices?: string[];
  /** string only; default 500. */
  maxLength?: number;
}

const KEY = /^[a-z][a-z0-9_]{0,63}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Checks a type's definitions themselves (keys unique and well-formed, enums with choices). */
export function validateFieldDefinitions(fields: unknown): CustomFieldDefinition[] {
  if (!Array.isArray(fields)) throw new ValidationError('fields must be a list of field definitions', { fields: 'must be an array' });
  const problems: Record<string, string> = {};
  const seen = new Set<string>();
  fields.forEach((field: Partial<CustomFieldDefinition>, index) => {
    const where = `fields[${index}]`;
    if (!field || typeof field !== 'object') problems[where] = 'must be an object';
    else if (typeof field.key !== 'string' || !KEY.test(field.key)) problems[`${where}.key`] = 'must be snake_case, starting with a letter';
    else if (seen.has(field.key)) problems[`${where}.key`] = `"${field.key}" is defined twice`;
    else if (!FIELD_TYPES.includes(field.type as FieldType)) problems[`${where}.type`] = `must be one of ${FIELD_TYPES.join(', ')}`;
    else if (field.type === 'enum' && (!Array.isArray(field.choices) || field.choices.length === 0)) problems[`${where}.choices`] = 'an enum needs choices';
    if (field && typeof field.key === 'string') seen.add(field.key);
  });
  if (Object.keys(problems).length > 0) throw new ValidationError('The custom field definitions are invalid', problems);
  return fields as CustomFieldDefinition[];
}

function checkValue(field: CustomFieldDefinition, value: unknown): string | undefined {
  switch (field.type) {
    case 'string':
      return typeof value !== 'string' ? 'must be text' : value.length > (field.maxLength ?? 500) ? `must be at most ${field.maxLength ?? 500} characters` : undefined;
    case 'integer':
      return Number.isSafeInteger(value) ? undefined : 'must be a whole number';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'date':
      return typeof value === 'string' && DATE.test(value) && !Number.isNaN(Date.parse(value)) ? undefined : 'must be a date (YYYY-MM-DD)';
    case 'enum':
      return typeof value === 'string' && (field.choices ?? []).includes(value) ? undefined : `must be one of ${(field.choices ?? []).join(', ')}`;
    case 'ip':
      return typeof value === 'string' && isIP(value) !== 0 ? undefined : 'must be an IPv4 or IPv6 address';
  }
}

/**
 * Validates `data` against the definitions: unknown keys, wrong types and missing required
 * fields are all reported at once, keyed `customData.<key>`. Null values clear a field.
 */
export function validateCustomData(fields: readonly CustomFieldDefinition[], data: Record<string, unknown>): Record<string, unknown> {
  const problems: Record<string, string> = {};
  const byKey = new Map(fields.map((field) => [field.key, field]));
  const clean: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    const field = byKey.get(key);
    if (!field) {
      problems[`customData.${key}`] = 'is not a field of this asset type';
      continue;
    }
    if (value === null) continue;
    const problem = checkValue(field, value);
    if (problem) problems[`customData.${key}`] = problem;
    else clean[key] = value;
  }
  for (const field of fields) {
    if (field.required && clean[field.key] === undefined) problems[`customData.${field.key}`] ??= 'is required';
  }
  if (Object.keys(problems).length > 0) throw new ValidationError('Some custom fields are invalid', problems);
  return clean;
}

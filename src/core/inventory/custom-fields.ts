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
    else if (field.type === 'enum' && (!Array.isArray(field.choices) || field.choices.length === 0))
      problems[`${where}.choices`] = 'an enum needs choices';
    if (field && typeof field.key === 'string') seen.add(field.key);
  });
  if (Object.keys(problems).length > 0) throw new ValidationError('The custom field definitions are invalid', problems);
  return fields as CustomFieldDefinition[];
}

/** A day that exists: 2026-02-30 does not (Date.parse would roll it over to March). */
function isCalendarDay(value: string): boolean {
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

function checkValue(field: CustomFieldDefinition, value: unknown): string | undefined {
  switch (field.type) {
    case 'string':
      return typeof value !== 'string'
        ? 'must be text'
        : value.length > (field.maxLength ?? 500)
          ? `must be at most ${field.maxLength ?? 500} characters`
          : undefined;
    case 'integer':
      return Number.isSafeInteger(value) ? undefined : 'must be a whole number';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'date':
      return typeof value === 'string' && DATE.test(value) && value >= '1000-01-01' && isCalendarDay(value)
        ? undefined
        : 'must be a date (YYYY-MM-DD) from 1000-01-01 to 9999-12-31';
    case 'enum':
      return typeof value === 'string' && (field.choices ?? []).includes(value)
        ? undefined
        : `must be one of ${(field.choices ?? []).join(', ')}`;
    case 'ip':
      return typeof value === 'string' && isIP(value) !== 0 ? undefined : 'must be an IPv4 or IPv6 address';
  }
}

export interface CustomDataCheckOptions {
  /** Keys the asset already had and this change does not mention (a PATCH): named as such when they are no longer fields. */
  untouched?: readonly string[];
}

/**
 * Validates `data` — the custom data as it will be stored — against the definitions: unknown
 * keys, wrong types and missing required fields are all reported at once, keyed
 * `customData.<key>`. A null value means "no value" and is dropped, whether or not the key is
 * still a field (that is how a field removed from the type is cleared off an asset).
 */
export function validateCustomData(
  fields: readonly CustomFieldDefinition[],
  data: Record<string, unknown>,
  options: CustomDataCheckOptions = {},
): Record<string, unknown> {
  const problems: Record<string, string> = {};
  const byKey = new Map(fields.map((field) => [field.key, field]));
  const untouched = new Set(options.untouched ?? []);
  const clean: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (value === null) continue;
    const field = byKey.get(key);
    if (!field) {
      problems[`customData.${key}`] = untouched.has(key)
        ? 'is no longer a field of this asset type; set it to null to remove it from this asset'
        : 'is not a field of this asset type';
      continue;
    }
    const problem = checkValue(field, value);
    if (problem)
      problems[`customData.${key}`] = untouched.has(key)
        ? `${problem} (the value stored before the field changed; give a new one or null)`
        : problem;
    else clean[key] = value;
  }
  for (const field of fields) {
    if (field.required && clean[field.key] === undefined) problems[`customData.${field.key}`] ??= 'is required';
  }
  if (Object.keys(problems).length > 0) throw new ValidationError('Some custom fields are invalid', problems);
  return clean;
}

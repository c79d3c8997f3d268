// How route schemas validate: bodies strictly (no type coercion, unknown fields rejected, never
// stripped), and querystring, params and headers with coercion, since everything in a URL is
// text ("?limit=50" must become the number 50, and "?limit=abc" must fail). The `date-time` and
// `date` formats also hold a value to the range every database column of shopdb stores
// (STORABLE_DATES), for every route, plugin routes included.

import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { FastifySchemaCompiler } from 'fastify';
import { isStorableDate } from '../../core/db/values.js';

const common: Options = {
  removeAdditional: false,
  useDefaults: true,
  allErrors: true,
  // A typo'd keyword in a route schema is an error at start-up, not a silently ignored rule.
  strict: true,
};

type StringCheck = (value: string) => boolean;
const standardCheck = (name: 'date-time' | 'date'): StringCheck => {
  const format = fullFormats[name] as { validate: StringCheck };
  return (value) => format.validate(value);
};
const rfc3339DateTime = standardCheck('date-time');
const rfc3339Date = standardCheck('date');

/** RFC 3339 date-time (with a zone) whose instant is one shopdb can store. */
export function isStorableDateTimeText(value: string): boolean {
  return rfc3339DateTime(value) && isStorableDate(new Date(value));
}

/** RFC 3339 full-date (YYYY-MM-DD) within the years shopdb stores. */
export function isStorableDateText(value: string): boolean {
  return rfc3339Date(value) && value >= '1000-01-01';
}

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ ...common, ...options });
  addFormats.default(ajv);
  ajv.addFormat('date-time', { type: 'string', validate: isStorableDateTimeText });
  ajv.addFormat('date', { type: 'string', validate: isStorableDateText });
  return ajv;
}

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strictAjv = makeAjv({ coerceTypes: false });
  const coercingAjv = makeAjv({ coerceTypes: true });
  return ({ schema, httpPart }) => (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema as object);
}

// How route schemas validate: bodies strictly (no type coercion, unknown fields rejected, never
// stripped), and querystring, params and headers with coercion, since everything in a URL is
// text ("?limit=50" must become the number 50, and "?limit=abc" must fail).

import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const common: Options = {
  removeAdditional: false,
  useDefaults: true,
  allErrors: true,
  // A typo'd keyword in a route schema is an error at start-up, not a silently ignored rule.
  strict: true,
};

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ ...common, ...options });
  addFormats.default(ajv);
  return ajv;
}

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strictAjv = makeAjv({ coerceTypes: false });
  const coercingAjv = makeAjv({ coerceTypes: true });
  return ({ schema, httpPart }) => (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema as object);
}

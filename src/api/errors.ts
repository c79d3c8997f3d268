// The one error shape of the HTTP API, `{"error": {"code", "message", "fields"}}`, and how every
// kind of failure becomes it: ajv validation, body parsing, shopdb's own errors (by their
// httpStatus), rate limits, the database being away, and anything unexpected (a generic 500
// whose details go to the log only).

import type { FastifyError } from 'fastify';
import { clusterUnavailableReason } from '../core/db/cluster.js';
import { isRetryableConflict } from '../core/db/transaction.js';
import { STORABLE_DATES } from '../core/db/values.js';
import { ConfigError, DatabaseBusyError, DatabaseUnavailableError, ShopdbError, UserError } from '../core/errors.js';

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    /** Field → problem, for validation errors; empty otherwise (the shape never changes). */
    fields: Record<string, string>;
  };
}

/** An error the API raises itself (401, 405, 429 …), already in the shape it is sent in. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
    /** Headers the response must carry (WWW-Authenticate, Allow, Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function unauthorized(message: string): HttpError {
  return new HttpError(401, 'UNAUTHORIZED', message, {}, { 'www-authenticate': 'Bearer' });
}

export function forbidden(message: string, code = 'FORBIDDEN'): HttpError {
  return new HttpError(403, code, message);
}

export function rateLimited(retryAfterSeconds: number): HttpError {
  return new HttpError(
    429,
    'RATE_LIMITED',
    `Too many requests; try again in ${retryAfterSeconds} s`,
    {},
    { 'retry-after': String(retryAfterSeconds) },
  );
}

/** The body schema of every error response, for the route schemas and so for OpenAPI. */
export const errorBodySchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'fields'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        fields: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
  },
} as const;

/** `response` entries for the error statuses a route documents (4xx and 5xx share one shape). */
export const errorResponses = { '4xx': errorBodySchema, '5xx': errorBodySchema } as const;

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  411: 'LENGTH_REQUIRED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  503: 'SERVICE_UNAVAILABLE',
};

/** Driver and pool errors that mean "the database went away", not "our bug". */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
]);

function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'KnexTimeoutError') return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && CONNECTION_ERROR_CODES.has(code);
}

interface AjvError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

const MAX_FIELD_NAME = 100;

function fieldName(context: string | undefined, error: AjvError): string {
  let name = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'required') name = [name, String(error.params.missingProperty)].filter(Boolean).join('.');
  if (error.keyword === 'additionalProperties') name = [name, String(error.params.additionalProperty)].filter(Boolean).join('.');
  // A body that is not an object at all is reported as the body itself.
  if (name === '') name = context ?? 'body';
  return name.length > MAX_FIELD_NAME ? `${name.slice(0, MAX_FIELD_NAME)}…` : name;
}

function problemOf(error: AjvError): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not allowed';
    case 'enum':
      return `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
    case 'format':
      if (error.params.format === 'date-time')
        return `must be a date-time with a zone (e.g. 2026-03-02T07:30:00Z) from ${STORABLE_DATES.text}`;
      if (error.params.format === 'date') return 'must be a date (YYYY-MM-DD) from 1000-01-01 to 9999-12-31';
      return error.message ?? 'is not valid';
    default:
      return error.message ?? 'is not valid';
  }
}

/** ajv's errors as `fields`: one problem per field, the first one found. */
export function validationFields(context: string | undefined, errors: readonly AjvError[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const error of errors) {
    const name = fieldName(context, error);
    fields[name] ??= problemOf(error);
  }
  return fields;
}

function describeFields(fields: Record<string, string>): string {
  return Object.entries(fields)
    .slice(0, 5)
    .map(([field, problem]) => `${field} ${problem}`)
    .join('; ');
}

export interface ErrorReply {
  statusCode: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** 5xx: logged at error level with the stack; the client sees only a generic message. */
  logAsError: boolean;
}

const body = (code: string, message: string, fields: Record<string, string> = {}): ErrorBody => ({ error: { code, message, fields } });

/** Turns anything thrown while handling a request into the status and body sent back. */
export function toErrorReply(error: unknown, requestId: string): ErrorReply {
  const reply = (statusCode: number, errorBody: ErrorBody, headers: Record<string, string> = {}): ErrorReply => ({
    statusCode,
    body: errorBody,
    headers,
    logAsError: false,
  });

  if (error instanceof HttpError) return reply(error.statusCode, body(error.code, error.message, error.fields), error.headers);

  const fastifyError = error as Partial<FastifyError> & { validation?: AjvError[]; validationContext?: string };
  if (Array.isArray(fastifyError.validation)) {
    const fields = validationFields(fastifyError.validationContext, fastifyError.validation);
    return reply(400, body('VALIDATION_FAILED', `The request is not valid: ${describeFields(fields)}`, fields));
  }

  if (error instanceof DatabaseUnavailableError || isConnectionError(error) || clusterUnavailableReason(error) !== null) {
    return {
      ...reply(503, body('DATABASE_UNAVAILABLE', 'The database is not available right now; try again shortly'), { 'retry-after': '5' }),
      // Worth a loud log line: operators need to see it, clients only need to retry.
      logAsError: true,
    };
  }

  if (error instanceof DatabaseBusyError || isRetryableConflict(error)) {
    // The write collided with others (every retry of it, or a statement outside inTransaction);
    // the database rolled it back, so sending the same request again is safe.
    const message =
      error instanceof DatabaseBusyError
        ? error.message
        : 'The database is busy with other writes to the same records; nothing was changed';
    return reply(503, body('DATABASE_BUSY', message), { 'retry-after': '1' });
  }
  if (error instanceof ShopdbError) {
    const httpStatus = (error as { httpStatus?: unknown }).httpStatus;
    const fields = (error as { fields?: Record<string, string> }).fields ?? {};
    if (typeof httpStatus === 'number') return reply(httpStatus, body(error.code, error.message, fields));
    // Something the user can fix that has no HTTP mapping of its own: a refused request. A broken
    // configuration is the operator's problem, not the client's: that stays a 500.
    if (error instanceof UserError && !(error instanceof ConfigError)) return reply(400, body(error.code, error.message, fields));
  }

  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return reply(400, body('INVALID_JSON', 'The request body is not valid JSON'));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return reply(400, body('INVALID_JSON', 'The request says it carries JSON but the body is empty'));
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return reply(413, body('PAYLOAD_TOO_LARGE', 'The request body is larger than this server accepts (HTTP_BODY_LIMIT)'));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return reply(415, body('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json'));
    default:
      break;
  }
  // The JSON parser's own SyntaxError (and prototype-poisoning refusals) arrive as 400s.
  if (error instanceof SyntaxError || (fastifyError.statusCode === 400 && /JSON|proto|constructor/i.test(fastifyError.message ?? ''))) {
    return reply(400, body('INVALID_JSON', 'The request body is not valid JSON'));
  }

  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return reply(status, body(CODE_BY_STATUS[status] ?? 'BAD_REQUEST', fastifyError.message ?? 'The request was refused'));
  }

  return {
    statusCode: 500,
    body: body('INTERNAL_ERROR', `Something went wrong on the server; it has been logged with request id ${requestId}`),
    headers: {},
    logAsError: true,
  };
}

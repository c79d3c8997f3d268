// The one list shape of the API, `{count, next, previous, results}`, and the querystring schema
// that goes with it (limit 1–1000, default 50; offset ≥ 0). Every list route, inventory ones
// included, builds its querystring with `listQuerySchema` and answers with `page` or `pageOf`.

import type { FastifyRequest } from 'fastify';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;
/** Past this an offset is a typo or a probe, not a page anyone wants. */
export const MAX_OFFSET = 1_000_000_000;

export interface PageQuery {
  limit: number;
  offset: number;
}

export interface Page<T> {
  count: number;
  /** Lists that stop counting at a cap (assets) say so: true means there are more than `count`. */
  countCapped?: boolean;
  /** Path and query of the next page, or null on the last one. */
  next: string | null;
  previous: string | null;
  results: T[];
}

export const paginationProperties = {
  limit: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
    description: `Page size (1–${MAX_PAGE_SIZE}).`,
  },
  offset: { type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0, description: 'How many results to skip.' },
} as const;

/** A querystring schema: pagination plus the route's filters; unknown parameters are a 400. */
export function listQuerySchema<P extends Record<string, object>>(filters: P = {} as P) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: { ...paginationProperties, ...filters },
  } as const;
}

/** The response schema of a list of `item`s; `cappedCount` adds `countCapped` for lists that stop counting. */
export function pageSchema(item: object, options: { cappedCount?: boolean } = {}) {
  const capped = options.cappedCount === true;
  return {
    type: 'object',
    required: capped ? ['count', 'countCapped', 'next', 'previous', 'results'] : ['count', 'next', 'previous', 'results'],
    properties: {
      count: { type: 'integer', description: capped ? 'How many match; a lower bound when countCapped is true.' : 'How many match.' },
      ...(capped
        ? { countCapped: { type: 'boolean', description: 'True when counting stopped early: there are more matches than count.' } }
        : {}),
      next: { type: ['string', 'null'] },
      previous: { type: ['string', 'null'] },
      results: { type: 'array', items: item },
    },
  } as const;
}

function linkTo(request: FastifyRequest, query: PageQuery, offset: number): string {
  const url = new URL(request.url, 'http://shopdb.invalid');
  url.searchParams.set('limit', String(query.limit));
  url.searchParams.set('offset', String(offset));
  return `${url.pathname}${url.search}`;
}

/**
 * A page from a core list call that already applied limit/offset and counted the total. With
 * `countCapped` true there are more than `count` results, so there is always a next page.
 */
export function page<T>(
  request: FastifyRequest,
  query: PageQuery,
  result: { count: number; countCapped?: boolean; results: T[] },
): Page<T> {
  const { limit, offset } = query;
  return {
    count: result.count,
    ...(result.countCapped === undefined ? {} : { countCapped: result.countCapped }),
    next: offset + limit < result.count || result.countCapped === true ? linkTo(request, query, offset + limit) : null,
    previous: offset > 0 ? linkTo(request, query, Math.max(0, Math.min(offset - limit, result.count - limit))) : null,
    results: result.results,
  };
}

/** A page cut from a complete, small list (users, API tokens). */
export function pageOf<T>(request: FastifyRequest, query: PageQuery, all: readonly T[]): Page<T> {
  return page(request, query, { count: all.length, results: all.slice(query.offset, query.offset + query.limit) });
}

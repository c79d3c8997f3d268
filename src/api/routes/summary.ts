// GET /api/summary: the site's aggregate figures for a fleet's central instance (ADR-021). Any
// logged-in user may read it, and so may a `summary:read` token — the one route such a token
// opens (src/api/auth/plugin.ts refuses it everywhere else). Built by src/core/summary.

import type { FastifyInstance } from 'fastify';
import { buildSiteSummary, SummaryCache } from '../../core/summary/site-summary.js';
import { requireRole } from '../auth/guards.js';
import { errorResponses } from '../errors.js';

const countBy = {
  type: 'array',
  items: {
    type: 'object',
    required: ['key', 'label', 'count'],
    properties: { key: { type: ['string', 'null'] }, label: { type: 'string' }, count: { type: 'integer' } },
  },
} as const;

export const siteSummarySchema = {
  type: 'object',
  required: ['format', 'site', 'shopdbVersion', 'generatedAt', 'schema', 'plugins', 'assets', 'backup'],
  properties: {
    format: { type: 'integer', description: 'The version of this shape.' },
    site: { type: 'string' },
    shopdbVersion: { type: 'string' },
    generatedAt: { type: 'string', format: 'date-time' },
    schema: {
      type: 'array',
      items: {
        type: 'object',
        required: ['source', 'head', 'applied'],
        properties: { source: { type: 'string' }, head: { type: ['string', 'null'] }, applied: { type: 'integer' } },
      },
    },
    plugins: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'version', 'enabled', 'headlines', 'error'],
        properties: {
          name: { type: 'string' },
          version: { type: 'string' },
          enabled: { type: 'boolean' },
          headlines: {
            type: 'array',
            items: {
              type: 'object',
              required: ['key', 'label', 'value'],
              properties: { key: { type: 'string' }, label: { type: 'string' }, value: { type: 'number' } },
            },
          },
          error: { type: ['string', 'null'] },
        },
      },
    },
    assets: {
      type: 'object',
      required: ['total', 'byType', 'byStatus', 'byLocation'],
      properties: { total: { type: 'integer' }, byType: countBy, byStatus: countBy, byLocation: countBy },
    },
    backup: {
      type: 'object',
      required: ['state', 'createdAt', 'ageSeconds', 'reason'],
      properties: {
        state: { type: 'string', enum: ['found', 'none', 'unknown'] },
        createdAt: { type: ['string', 'null'], format: 'date-time' },
        ageSeconds: { type: ['integer', 'null'] },
        reason: { type: ['string', 'null'] },
      },
    },
  },
} as const;

export default async function summaryRoutes(app: FastifyInstance): Promise<void> {
  const cache = new SummaryCache(async () =>
    buildSiteSummary({
      db: app.database.get(),
      config: app.site.config,
      version: app.site.version,
      coreSources: app.site.migrationSources.list(),
      plugins: app.plugins.ordered,
    }),
  );

  app.get(
    '/summary',
    {
      config: { summaryToken: true },
      onRequest: requireRole('viewer'),
      schema: {
        summary:
          'The site in figures for a fleet roll-up: versions, schema heads, plugins, asset counts, last good backup. No rows, no user data.',
        tags: ['summary'],
        response: { 200: siteSummarySchema, ...errorResponses },
      },
    },
    async (_request, reply) => {
      const summary = await cache.get();
      return reply.header('cache-control', 'private, max-age=5').send(summary);
    },
  );
}

// /api/plugins: the plugins installed on this site, whether each is enabled, and where its
// routes are. What is merely available (not installed) is the CLI's business, not the API's.

import type { FastifyInstance } from 'fastify';
import { listInstalled } from '../../core/plugins/state.js';
import { PLUGIN_ROUTE_PREFIX } from '../../core/plugins/listing.js';
import { requireRole } from '../auth/guards.js';
import { errorResponses } from '../errors.js';

const installedPluginSchema = {
  type: 'object',
  required: ['name', 'version', 'enabled', 'description', 'assetTypes', 'routes', 'installedAt', 'updatedAt'],
  properties: {
    name: { type: 'string' },
    version: { type: 'string' },
    enabled: { type: 'boolean' },
    description: {
      type: ['string', 'null'],
      description: 'Null when the plugin is installed but its files are not available to this server.',
    },
    assetTypes: { type: 'array', items: { type: 'string' }, description: 'Asset type keys it contributes.' },
    routes: { type: ['string', 'null'], description: 'Where its routes are mounted; null when it has none or is disabled.' },
    installedAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export default async function pluginRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/plugins',
    {
      onRequest: requireRole('viewer'),
      schema: {
        summary: 'Plugins installed on this site.',
        tags: ['plugins'],
        response: {
          200: { type: 'object', required: ['results'], properties: { results: { type: 'array', items: installedPluginSchema } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const state = await app.plugins.state(request.db);
      const results = (await listInstalled(request.db)).map((installed) => {
        const plugin = app.plugins.catalog.plugins.find((p) => p.manifest.name === installed.name);
        const enabled = state.enabled.has(installed.name);
        return {
          name: installed.name,
          version: installed.version,
          enabled,
          description: plugin?.manifest.description ?? null,
          assetTypes: (plugin?.manifest.assetTypes ?? []).map((t) => t.key),
          routes: enabled && plugin?.manifest.routes ? `${PLUGIN_ROUTE_PREFIX}/${installed.name}` : null,
          installedAt: installed.installedAt,
          updatedAt: installed.updatedAt,
        };
      });
      return { results };
    },
  );
}

// The shopdb plugin "{{name}}": its manifest. shopdb reads everything about the plugin from here:
// its version, the shopdb versions it works with, its migrations, seed, routes and hooks.
// docs/PLUGIN-HOOKS.md in shopdb describes every field and hook.

import { routes } from './routes.js';

export default {
  name: '{{name}}',
  version: '0.1.0',
  description: '{{description}}',
  // The shopdb versions this plugin works with (a semver range).
  core: '{{coreRange}}',
  dependsOn: [],
  // Every table of the plugin starts with "{{prefix}}".
  migrations: './migrations',
  // Runs at install, upgrade and `shopdb seed`; must be idempotent. Outside the demo it writes
  // nothing into the plugin's tables, so a fresh install holds no data.
  async seed(ctx) {
    if (!ctx.demo) return;
    const existing = await ctx.db('{{prefix}}items').where({ name: 'First item' }).first('id');
    if (!existing) await ctx.db('{{prefix}}items').insert({ name: 'First item', note: 'Added by shopdb seed --demo' });
  },
  routes,
  hooks: {
    async install(ctx) {
      ctx.log(`{{name}} ${ctx.plugin.version} is installed`);
    },
  },
};

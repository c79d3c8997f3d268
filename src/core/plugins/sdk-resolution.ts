// Makes `import … from 'shopdb/sdk'` work in a plugin package wherever it is installed (see
// sdk-resolve-hooks.ts). Registered once, and only before the first plugin package is imported:
// bundled plugins find the SDK through package.json's "exports", and a run that loads no package
// pays nothing for the hooks thread.

import { register } from 'node:module';
import { runningCompiled } from '../paths.js';

let registered = false;

/**
 * Registers the resolution of `shopdb/sdk` for plugin packages. From the TypeScript sources (tests,
 * bin/dev.js) there is nothing to register: vitest's alias and the `shopdb-source` export
 * condition do that job, and Node could not load the .ts SDK on its own.
 */
export function registerSdkResolution(): void {
  if (registered || !runningCompiled) return;
  registered = true;
  register(new URL('./sdk-resolve-hooks.js', import.meta.url), {
    data: { sdkUrl: new URL('../../sdk/index.js', import.meta.url).href },
  });
}

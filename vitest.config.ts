import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Plugins import `shopdb/sdk`; from the sources that is src/sdk (package.json's
    // "shopdb-source" condition), so a test and the plugin it loads share one copy of the core.
    alias: [{ find: /^shopdb(\/sdk)?$/, replacement: fileURLToPath(new URL('./src/sdk/index.ts', import.meta.url)) }],
  },
  test: {
    include: ['src/**/*.test.ts', 'migrations/**/*.test.ts', 'plugins/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // oclif writes straight to process.stdout; vitest must not swallow it for in-process tests.
    disableConsoleIntercept: true,
    // Forks, not threads: commands read process.cwd()/process.env and tests change them.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

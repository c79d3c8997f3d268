import { defineConfig } from 'vitest/config';

export default defineConfig({
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

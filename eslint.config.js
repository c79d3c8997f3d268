// Lint: the recommended rules of ESLint and typescript-eslint, and the architecture as import
// rules. Formatting is Prettier's (`npm run format`); nothing here argues about layout.

import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** A relative import that climbs out of the file's folder into one of `folders` (src/<folder>). */
const climbingInto = (...folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'oclif.manifest.json',
      'test/fixtures/**',
      'templates/**',
      'local-plugins/**',
      'data/**',
      'backups/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        structuredClone: 'readonly',
        performance: 'readonly',
        queueMicrotask: 'readonly',
        Headers: 'readonly',
        Response: 'readonly',
        Request: 'readonly',
      },
    },
    rules: {
      // Terminal output is matched and stripped of its escape codes on purpose.
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },

  // The architecture (STYLE.md). Each rule's message is what a violation is told in CI.
  {
    files: ['src/core/**'],
    // A test next to core code may drive a command end to end; the rule is about what ships.
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'fastify',
              message: 'src/core holds the logic and knows no HTTP framework: put Fastify code in src/api and call the core from there.',
            },
          ],
          patterns: [
            {
              regex: '^@oclif/',
              message:
                'src/core is called from tests, the API and the CLI alike: no oclif in it. Put flags and output in src/commands, which call the core.',
            },
            {
              regex: '^@fastify/',
              message: 'src/core holds the logic and knows no HTTP framework: put Fastify code in src/api and call the core from there.',
            },
            {
              regex: climbingInto('commands', 'cli', 'api'),
              message:
                'src/core must not import src/commands, src/cli or src/api: they are the faces over the core, and the core is what they call. Move what you need into src/core.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/api/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: climbingInto('commands', 'cli'),
              message:
                'src/api must not import src/commands or src/cli: the HTTP face and the CLI both call src/core. Move the shared code into src/core.',
            },
            { regex: '^@oclif/', message: 'src/api is the HTTP face: no oclif in it.' },
          ],
        },
      ],
    },
  },
  {
    files: ['plugins/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: climbingInto('src'),
              message:
                "Plugins speak to shopdb only through the SDK: import from 'shopdb/sdk' (docs/PLUGIN-HOOKS.md lists what it offers), never from src/.",
            },
            { regex: '^shopdb/(?!sdk$)', message: "Plugins speak to shopdb only through the SDK: 'shopdb/sdk' is the one door." },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**', 'bench/**', 'scripts/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);

// The architecture is lint rules (eslint.config.js): each layer's forbidden imports fail with a
// message that says why. Linted here as text under the path it would have, so a rule that stops
// matching (a renamed folder, a loosened pattern) fails this test, not a review a year from now.

import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/core/paths.js';

const eslint = new ESLint({ cwd: packageRoot });

async function importErrors(filePath: string, specifier: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import { x } from '${specifier}';\nexport const y = x;\n`, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint: the architecture as import rules', () => {
  it.each([
    ['src/core/inventory/example.ts', '../../commands/seed.js', 'src/core must not import src/commands, src/cli or src/api'],
    ['src/core/inventory/example.ts', '../../api/app.js', 'src/core must not import src/commands, src/cli or src/api'],
    ['src/core/example.ts', '../cli/base-command.js', 'src/core must not import src/commands, src/cli or src/api'],
    ['src/core/example.ts', '@oclif/core', 'no oclif in it'],
    ['src/core/example.ts', 'fastify', 'knows no HTTP framework'],
    ['src/core/example.ts', '@fastify/cors', 'knows no HTTP framework'],
    ['src/api/routes/example.ts', '../../commands/seed.js', 'src/api must not import src/commands or src/cli'],
    ['plugins/example/service.ts', '../../src/core/db/connect.js', "import from 'shopdb/sdk'"],
    ['plugins/example/migrations/20260101A-x.ts', '../../../src/sdk/index.js', "import from 'shopdb/sdk'"],
    ['plugins/example/example.test.ts', '../../src/core/seed/index.js', "import from 'shopdb/sdk'"],
    ['plugins/example/service.ts', 'shopdb/internal', "'shopdb/sdk' is the one door"],
  ])('%s importing %s fails, saying why', async (filePath, specifier, reason) => {
    const errors = await importErrors(filePath, specifier);

    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(reason);
  });

  it.each([
    ['src/core/inventory/example.ts', '../db/connect.js'],
    ['src/api/routes/example.ts', '../../core/inventory/assets.js'],
    ['src/commands/example.ts', '../core/seed/index.js'],
    ['plugins/example/service.ts', 'shopdb/sdk'],
    ['plugins/example/service.ts', './routes.js'],
    ['src/core/inventory/example.test.ts', '../../commands/seed.js'],
  ])('%s importing %s is allowed', async (filePath, specifier) => {
    expect(await importErrors(filePath, specifier)).toEqual([]);
  });
});

// Regenerates the files derived from the config schema: .env.example and docs/CONFIGURATION.md.
// `npm run generate`; a test fails when the committed files drift from the schema.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigDocs, renderExampleEnv } from '../src/core/config/render.js';
import { packageRoot } from '../src/core/paths.js';

const outputs: Array<[string, string]> = [
  ['.env.example', renderExampleEnv()],
  ['docs/CONFIGURATION.md', renderConfigDocs()],
];
for (const [file, content] of outputs) {
  writeFileSync(join(packageRoot, file), content);
  process.stdout.write(`wrote ${file}\n`);
}

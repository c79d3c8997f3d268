// Regenerates the files derived from declarations: .env.example and docs/CONFIGURATION.md from the
// config schema, docs/IMPORT.md from the import columns and the bundled plugins' detailColumns.
// `npm run generate`; a test fails when the committed files drift from the schema.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigDocs, renderExampleEnv } from '../src/core/config/render.js';
import { packageRoot } from '../src/core/paths.js';
import { renderImportDocs } from '../src/core/import/docs.js';
import { loadPluginCatalog, shopdbVersion } from '../src/core/plugins/catalog.js';

const bundled = await loadPluginCatalog({ coreVersion: shopdbVersion(), packageDirs: [] });

const outputs: Array<[string, string]> = [
  ['.env.example', renderExampleEnv()],
  ['docs/CONFIGURATION.md', renderConfigDocs()],
  [
    'docs/IMPORT.md',
    renderImportDocs(bundled.plugins.filter((p) => p.problems.length === 0).map((p) => ({ name: p.manifest.name, manifest: p.manifest }))),
  ],
];
for (const [file, content] of outputs) {
  writeFileSync(join(packageRoot, file), content);
  process.stdout.write(`wrote ${file}\n`);
}

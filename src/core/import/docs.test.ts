import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledCatalog } from '../../../test/support/plugins.js';
import { packageRoot } from '../paths.js';
import { renderImportDocs } from './docs.js';

describe('docs/IMPORT.md', () => {
  it("is what the core columns and the bundled plugins' detailColumns render (run `npm run generate` after changing them)", async () => {
    const catalog = await bundledCatalog();
    const rendered = renderImportDocs(
      catalog.plugins.filter((p) => p.problems.length === 0).map((p) => ({ name: p.manifest.name, manifest: p.manifest })),
    );
    expect(readFileSync(join(packageRoot, 'docs/IMPORT.md'), 'utf8')).toBe(rendered);
    expect(rendered).toContain('| `equipment.machine_number` |');
    expect(rendered).toContain('| `computers.os` |');
  });
});

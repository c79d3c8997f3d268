// The SDK is the versioned surface of shopdb for plugins: docs/PLUGIN-HOOKS.md lists every export
// of src/sdk/index.ts, and nothing else, so a new or removed export cannot go unnoticed.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../core/paths.js';
import * as sdk from './index.js';

/** Names exported by the SDK's source, split into values and type-only names. */
function sourceExports(): { values: string[]; types: string[] } {
  const source = readFileSync(join(packageRoot, 'src', 'sdk', 'index.ts'), 'utf8');
  const values: string[] = [];
  const types: string[] = [];
  for (const match of source.matchAll(/^export (type )?\{([^}]*)\}/gm)) {
    for (const raw of match[2]!
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const typeOnly = match[1] !== undefined || raw.startsWith('type ');
      const name = raw
        .replace(/^type /, '')
        .split(/\s+as\s+/)
        .pop()!;
      (typeOnly ? types : values).push(name);
    }
  }
  for (const match of source.matchAll(/^export (?:async )?function (\w+)/gm)) values.push(match[1]!);
  return { values: values.sort(), types: types.sort() };
}

/** The names in the first column of the SDK table of docs/PLUGIN-HOOKS.md. */
function documentedExports(): string[] {
  const doc = readFileSync(join(packageRoot, 'docs', 'PLUGIN-HOOKS.md'), 'utf8');
  const section = doc.split('## The SDK: `shopdb/sdk`')[1]!.split('\n## ')[0]!;
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  return rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!)).sort();
}

describe('shopdb/sdk', () => {
  it('exports at run time exactly the values its source declares', () => {
    expect(Object.keys(sdk).sort()).toEqual(sourceExports().values);
  });

  it('is documented export by export in docs/PLUGIN-HOOKS.md', () => {
    const { values, types } = sourceExports();

    expect(documentedExports()).toEqual([...values, ...types].sort());
  });

  it('is what package.json exports as shopdb/sdk, for the built package and for the sources', () => {
    const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> };

    expect(pkg.exports['./sdk']).toEqual({
      'shopdb-source': './src/sdk/index.ts',
      types: './dist/src/sdk/index.d.ts',
      default: './dist/src/sdk/index.js',
    });
    expect(pkg.exports['.']).toEqual(pkg.exports['./sdk']);
  });
});

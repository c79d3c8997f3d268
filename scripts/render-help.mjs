// Build step, after `oclif manifest`: renders with oclif itself the help of the root, of every
// topic and of every command into dist/help.json, so that bin/run.js can answer `--help` without
// loading oclif (its import alone is ~5x a bare node start). Same build, same texts: never stale.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('oclif.manifest.json', root), 'utf8'));
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const binUrl = new URL('bin/run.js', root).href;

const ids = new Set(['', ...Object.keys(pkg.oclif?.topics ?? {})]);
for (const id of Object.keys(manifest.commands)) {
  const parts = id.split(':');
  for (let i = 1; i <= parts.length; i++) ids.add(parts.slice(0, i).join(':'));
}

// oclif straight from @oclif/core (not through bin/run.js, whose fast path reads this file).
const renderer = `import { execute } from '@oclif/core'; await execute({ dir: process.argv[1], args: JSON.parse(process.argv[2]) });`;
const texts = {};
for (const id of [...ids].sort()) {
  const args = [...(id === '' ? [] : id.split(':')), '--help'];
  texts[id] = execFileSync(process.execPath, ['--input-type=module', '-e', renderer, binUrl, JSON.stringify(args)], {
    cwd: fileURLToPath(root),
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
}
// The root help names the Node version it was rendered with; bin/run.js puts in the running one.
const userAgent = `${pkg.oclif.bin}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}`;
writeFileSync(new URL('dist/help.json', root), `${JSON.stringify({ userAgent, texts })}\n`);

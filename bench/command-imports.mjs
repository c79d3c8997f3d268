#!/usr/bin/env node
// Lists the packages each compiled command pulls in through static imports alone (what loads
// before run() starts), and fails when one of them is a heavy module that must only be loaded
// with `await import()` inside run(): database drivers, prompts, task lists, child processes.
//
//   node bench/command-imports.mjs          # table + verdict, exit 1 on a violation
//   node bench/command-imports.mjs --json

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const commandsDir = join(root, 'dist', 'src', 'commands');

/** Packages that cost tens of milliseconds (or open native bindings) to load. */
export const HEAVY = ['knex', 'mysql2', 'better-sqlite3', '@inquirer/prompts', 'listr2', 'execa', 'jsonwebtoken', 'fastify'];

// Static forms only: `import x from 'y'`, `import 'y'`, `export … from 'y'`. tsc has already
// dropped type-only imports, and `import('y')` (dynamic) is deliberately not matched.
const STATIC_IMPORT = /^\s*import\s+(?:[\w$*\s{},]+?\s+from\s*)?['"]([^'"]+)['"]/gm;
const STATIC_REEXPORT = /^\s*export\s+(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\})\s*from\s*['"]([^'"]+)['"]/gm;

function packageName(specifier) {
  if (specifier.startsWith('node:')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function listCommandFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...listCommandFiles(path));
    else if (entry.endsWith('.js') && !entry.endsWith('.test.js')) files.push(path);
  }
  return files.sort();
}

/** Follows relative static imports from one file; returns the bare packages reached. */
function staticPackages(entry) {
  const seen = new Set();
  const packages = new Map();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of [...source.matchAll(STATIC_IMPORT), ...source.matchAll(STATIC_REEXPORT)]) {
      const specifier = match[1];
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (existsSync(target)) queue.push(target);
        continue;
      }
      const name = packageName(specifier);
      if (name && !packages.has(name)) packages.set(name, relative(root, file));
    }
  }
  return { packages, files: seen.size };
}

if (!existsSync(commandsDir)) {
  console.error(`No ${relative(process.cwd(), commandsDir)}: run \`npm run build\` first.`);
  process.exit(2);
}

const report = listCommandFiles(commandsDir).map((file) => {
  const { packages, files } = staticPackages(file);
  const heavy = [...packages.keys()].filter((name) => HEAVY.includes(name));
  return {
    command: relative(commandsDir, file)
      .replace(/\.js$/, '')
      .replace(/\/index$/, '')
      .replaceAll('/', ' '),
    modules: files,
    packages: [...packages.keys()].sort(),
    heavy: heavy.map((name) => ({ name, importedBy: packages.get(name) })),
  };
});

const violations = report.filter((row) => row.heavy.length > 0);
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ heavyPackages: HEAVY, commands: report, ok: violations.length === 0 }, null, 2));
} else {
  for (const row of report) {
    console.log(`${row.command.padEnd(18)} ${String(row.modules).padStart(3)} modules  ${row.packages.join(', ')}`);
  }
  for (const row of violations) {
    for (const { name, importedBy } of row.heavy) {
      console.error(`FAIL ${row.command}: ${name} is imported at top level by ${importedBy}; import it inside run().`);
    }
  }
  if (violations.length === 0) console.log(`OK: no command imports ${HEAVY.join(', ')} before run().`);
}
process.exitCode = violations.length === 0 ? 0 : 1;

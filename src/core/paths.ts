// Where shopdb's own files live, whether it runs from the TypeScript sources (tests, bin/dev.js)
// or from the compiled dist/ (bin/run.js, the Docker image).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`shopdb: no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

const here = fileURLToPath(import.meta.url);

/** The folder that holds shopdb's package.json. */
export const packageRoot = findPackageRoot(dirname(here));

/** True when running compiled JavaScript from dist/. */
export const runningCompiled = here.endsWith('.js');

/** Compiled migrations sit in dist/migrations; the sources in migrations/. */
export const coreMigrationsDir = runningCompiled ? join(packageRoot, 'dist', 'migrations') : join(packageRoot, 'migrations');

/** The source folder `shopdb migrate make` writes new core migrations to. */
export const coreMigrationsSourceDir = join(packageRoot, 'migrations');

export const templatesDir = join(packageRoot, 'templates');

let version: string | undefined;

/** This shopdb's version, from its package.json (read once). */
export function shopdbVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

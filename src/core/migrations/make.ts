// `shopdb migrate make`: a new, empty migration from templates/migration.ts.tpl, named the way
// every migration is (YYYYMMDD + a letter + a kebab-case name) so they sort in order.

import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';

export interface MakeMigrationOptions {
  directory: string;
  name: string;
  templatesDir: string;
  /** shopdb's package root, for the import of the schema helpers. */
  packageRoot: string;
  now?: Date;
}

export interface MadeMigration {
  name: string;
  path: string;
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function kebabName(name: string): string {
  return name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[\s_]+/g, '-')
    .toLowerCase();
}

export function makeMigration(options: MakeMigrationOptions): MadeMigration {
  const slug = kebabName(options.name);
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(slug) || slug.length > 80) {
    throw new UsageError(`"${options.name}" is not a usable migration name`, {
      suggestion: 'Use a few words in kebab-case that say what changes, e.g. add-asset-serial-index.',
    });
  }
  const now = options.now ?? new Date();
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  const taken = existsSync(options.directory) ? readdirSync(options.directory).filter((file) => file.startsWith(day)) : [];
  const letter = [...LETTERS].find((candidate) => !taken.some((file) => file.startsWith(`${day}${candidate}-`)));
  if (!letter) {
    throw new UsageError(`There are already ${LETTERS.length} migrations dated ${day}`, {
      suggestion: "Fold some of today's migrations together before adding another.",
    });
  }
  const name = `${day}${letter}-${slug}`;
  const path = join(options.directory, `${name}.ts`);
  const template = readFileSync(join(options.templatesDir, 'migration.ts.tpl'), 'utf8');
  // A new plugin's migrations folder does not exist yet.
  mkdirSync(options.directory, { recursive: true });
  writeFileAtomic(
    path,
    template.replaceAll('{{name}}', name).replaceAll('{{schemaHelpers}}', schemaHelpersImport(options.directory, options.packageRoot)),
  );
  return { name, path };
}

/**
 * Where a new migration imports the schema helpers from: a bundled plugin's migrations speak to
 * shopdb only through the SDK (the lint boundary), core migrations import the core's helpers
 * relative to the new file, so that works compiled or not.
 */
function schemaHelpersImport(directory: string, packageRoot: string): string {
  const fromPlugins = relative(join(packageRoot, 'plugins'), directory);
  if (fromPlugins !== '' && !fromPlugins.startsWith('..') && !isAbsolute(fromPlugins)) return 'shopdb/sdk';
  const helpers = relative(directory, join(packageRoot, 'src', 'core', 'db', 'schema.js'))
    .split(sep)
    .join('/');
  return helpers.startsWith('.') ? helpers : `./${helpers}`;
}

// `shopdb plugin new <name>`: a working plugin package from templates/plugin — a manifest, one
// migration, two routes and a test — written beside the site (local-plugins/), where shopdb
// finds it without an npm install. Written to a temporary folder, then renamed into place.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseVersion } from './versions.js';
import { ConflictError, UsageError } from '../errors.js';
import { pluginNameProblem, tablePrefixOf } from './manifest.js';

export const LOCAL_PLUGINS_DIR = 'local-plugins';

export interface ScaffoldOptions {
  name: string;
  description?: string;
  /** The folder that receives `shopdb-plugin-<name>/`. */
  parentDir: string;
  templatesDir: string;
  coreVersion: string;
  now?: Date;
}

export interface ScaffoldResult {
  name: string;
  directory: string;
  files: string[];
}

function templateFiles(dir: string, base = dir): string[] {
  return readdirSync(dir)
    .flatMap((entry) =>
      statSync(join(dir, entry)).isDirectory() ? templateFiles(join(dir, entry), base) : [relative(base, join(dir, entry))],
    )
    .sort();
}

export function scaffoldPlugin(options: ScaffoldOptions): ScaffoldResult {
  const { name } = options;
  const problem = pluginNameProblem(name);
  if (problem)
    throw new UsageError(`"${name}" is not a usable plugin name: ${problem}`, {
      suggestion: 'Use lower-case words joined by hyphens, e.g. tool-crib.',
    });
  const directory = join(options.parentDir, `shopdb-plugin-${name}`);
  if (existsSync(directory))
    throw new ConflictError(`${directory} already exists`, { suggestion: 'Choose another name, or remove that folder first.' });
  const core = parseVersion(options.coreVersion);
  const values: Record<string, string> = {
    name,
    prefix: tablePrefixOf(name),
    description: (options.description ?? `The ${name} plugin for shopdb.`).replace(/["\\]/g, ''),
    // 0.x minors may break plugins (semver's caret says so); from 1.0 a major does.
    coreRange: core ? `^${core.major}.${core.minor}.0` : `^${options.coreVersion}`,
    date: (options.now ?? new Date()).toISOString().slice(0, 10).replace(/-/g, ''),
  };
  const render = (text: string) => text.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);

  const sourceDir = join(options.templatesDir, 'plugin');
  mkdirSync(options.parentDir, { recursive: true });
  const staging = join(options.parentDir, `.shopdb-plugin-${name}.tmp-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  const files: string[] = [];
  try {
    for (const file of templateFiles(sourceDir)) {
      const target = render(file).replace(/\.tpl$/, '');
      mkdirSync(dirname(join(staging, target)), { recursive: true });
      writeFileSync(join(staging, target), render(readFileSync(join(sourceDir, file), 'utf8')));
      files.push(target);
    }
    renameSync(staging, directory);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return { name, directory, files };
}

// Everything written *from* the schema: `.env.example`, a site's `.env` (by `shopdb init`) and
// the table in docs/CONFIGURATION.md. Tests compare the committed files with these renderers.

import { UsageError } from '../errors.js';
import { CONFIG_VAR_NAMES, GROUP_TITLES, specOf, type ConfigVarName, type VarGroup, type VarSpec } from './schema.js';

const BARE_VALUE = /^[A-Za-z0-9_./:@,+=-]*$/;

/** Quotes a value so that shopdb's .env parser, node's parseEnv and docker compose all read it back unchanged. */
export function formatEnvValue(name: string, value: string): string {
  if (BARE_VALUE.test(value)) return value;
  if (!value.includes("'") && !value.includes('\n')) return `'${value}'`;
  // Inside double quotes node expands \n, and docker compose also backslash escapes and $VARS.
  if (!value.includes('"') && !/[\n\\$]/.test(value)) return `"${value}"`;
  throw new UsageError(`The value for ${name} cannot be written to a .env file`, {
    suggestion: 'Use a value without line breaks, and without both quote characters (or a single quote together with \\ or $).',
  });
}

function groupsInOrder(): Array<[VarGroup, ConfigVarName[]]> {
  const groups = new Map<VarGroup, ConfigVarName[]>();
  for (const name of CONFIG_VAR_NAMES) {
    const spec = specOf(name);
    if (spec.environmentOnly) continue;
    const list = groups.get(spec.group) ?? [];
    list.push(name);
    groups.set(spec.group, list);
  }
  return [...groups.entries()];
}

function describe(spec: VarSpec): string {
  const extras: string[] = [];
  if (spec.requiredInProduction === true) extras.push('required in production');
  else if (spec.requiredInProduction)
    extras.push(
      `required in production when ${spec.requiredInProduction.variable}${spec.requiredInProduction.is === 'set' ? ' is set' : `=${spec.requiredInProduction.is}`}`,
    );
  if (spec.type === 'secret') extras.push('secret');
  return extras.length > 0 ? `${spec.description} (${extras.join(', ')})` : spec.description;
}

export interface RenderEnvOptions {
  /** Lines for the top comment block. */
  header: string[];
  /** Values to write uncommented. Everything else is written as documentation. */
  values?: Partial<Record<ConfigVarName, string>>;
  /**
   * example: defaults are written as live lines and required secrets as placeholders, so a
   * copied example fails loudly in production. site: only `values` are live lines.
   */
  style: 'example' | 'site';
}

export function renderEnvFile(options: RenderEnvOptions): string {
  const lines = options.header.map((line) => (line ? `# ${line}` : '#'));
  for (const [group, names] of groupsInOrder()) {
    lines.push('', `# ── ${GROUP_TITLES[group]} ${'─'.repeat(Math.max(3, 70 - GROUP_TITLES[group].length))}`);
    for (const name of names) {
      const spec = specOf(name);
      lines.push(`# ${describe(spec)}`);
      if (spec.choices) lines.push(`# One of: ${spec.choices.join(', ')}`);
      const given = options.values?.[name];
      if (given !== undefined) {
        lines.push(`${name}=${formatEnvValue(name, given)}`);
      } else if (options.style === 'example' && spec.default !== undefined) {
        lines.push(`${name}=${formatEnvValue(name, spec.default)}`);
      } else if (options.style === 'example' && spec.type === 'secret' && spec.requiredInProduction === true) {
        lines.push(`${name}=${spec.example ?? ''}`);
      } else {
        lines.push(`# ${name}=${formatEnvValue(name, spec.default ?? spec.example ?? '')}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

export function renderExampleEnv(): string {
  return renderEnvFile({
    style: 'example',
    header: [
      'shopdb site configuration: every variable shopdb reads, with its default.',
      'Generated from src/core/config/schema.ts by `npm run generate`; do not edit by hand.',
      'Create a real site file with `shopdb init` (it generates the secrets and sets mode 0600).',
      'Any secret may instead be given as NAME_FILE=/path/to/file (Docker / Kubernetes secrets).',
    ],
  });
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The Markdown reference table of docs/CONFIGURATION.md. */
export function renderConfigDocs(): string {
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/core/config/schema.ts by `npm run generate`; do not edit by hand. -->',
    '',
    'shopdb reads its settings from the site `.env` file (`--env-file`, default `./.env`) and from the',
    'process environment, which wins over the file (as in docker compose). Relative paths are',
    'relative to the folder of the `.env` file. Every secret can also be given as `NAME_FILE`, the path',
    'of a file holding it; setting both is an error. A variable in the `.env` that shopdb does not',
    'know is an error that names the closest known one, so a typo never silently falls back to a default.',
    '',
    "The file is `NAME=value` lines: an optional `export ` in front, `#` comments, values in `'…'`,",
    '`"…"` or `` `…` `` (which may span lines; in `"…"` a `\\n` is a line break), and after a bare value a `#`',
    'following a space starts a comment. A line that is not `NAME=value` is an error naming its line',
    'number; a name set twice is a warning naming both lines (the last one wins, as in docker compose).',
    '',
    'With `SHOPDB_ENV=production` (the default), `shopdb serve`, `shopdb doctor` and',
    '`shopdb config check` also refuse missing, placeholder or short secrets, a `JWT_SECRET` that is',
    'too predictable (one character or word repeated, a run such as `abcd…` or `1234…`; see',
    'docs/adr/ADR-017-secret-strength.md), `CORS_ORIGINS=*` and `COOKIE_SECURE=false`. `config check`',
    'and `doctor` list every problem at once: unreadable lines, unknown names, bad values and the',
    'production rules together. `shopdb init` judges the file it would write by the same rules before it',
    'writes it, moves an old one aside or creates anything on the MySQL server.',
  ];
  const groups = new Map<VarGroup, ConfigVarName[]>();
  for (const name of CONFIG_VAR_NAMES) {
    const list = groups.get(specOf(name).group) ?? [];
    list.push(name);
    groups.set(specOf(name).group, list);
  }
  for (const [group, names] of groups) {
    lines.push(
      '',
      `## ${GROUP_TITLES[group]}`,
      '',
      '| Variable | Type | Default | Production | Description |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const name of names) {
      const spec = specOf(name);
      const type = spec.choices ? spec.choices.join(' | ') : spec.type;
      const required =
        spec.requiredInProduction === true
          ? 'required'
          : spec.requiredInProduction
            ? `required when ${spec.requiredInProduction.variable}${spec.requiredInProduction.is === 'set' ? ' is set' : `=${spec.requiredInProduction.is}`}`
            : '';
      const fallback = spec.default === undefined ? '' : spec.default === '' ? '(empty)' : `\`${spec.default}\``;
      lines.push(`| \`${name}\` | ${cell(type)} | ${cell(fallback)} | ${required} | ${cell(spec.description)} |`);
    }
  }
  return lines.join('\n') + '\n';
}

import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/site.js';
import { UsageError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { parseEnvFile } from './env-file.js';
import { loadConfig } from './load.js';
import { configProblems } from './production.js';
import { formatEnvValue, renderConfigDocs, renderEnvFile, renderExampleEnv } from './render.js';
import { CONFIG_VAR_NAMES, specOf } from './schema.js';

const committed = (file: string): string => readFileSync(join(packageRoot, file), 'utf8');
const REGENERATE = 'is out of date with src/core/config/schema.ts: run `npm run generate` and commit the result';

describe('generated files', () => {
  it('.env.example is what the schema renders', () => {
    expect(committed('.env.example'), `.env.example ${REGENERATE}`).toBe(renderExampleEnv());
  });

  it('docs/CONFIGURATION.md is what the schema renders', () => {
    expect(committed('docs/CONFIGURATION.md'), `docs/CONFIGURATION.md ${REGENERATE}`).toBe(renderConfigDocs());
  });

  it('.env.example shows every variable that belongs in a .env, and none that does not', () => {
    const shown = new Set([...renderExampleEnv().matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]));

    const missing = CONFIG_VAR_NAMES.filter((name) => !specOf(name).environmentOnly && !shown.has(name));
    const misplaced = CONFIG_VAR_NAMES.filter((name) => specOf(name).environmentOnly && shown.has(name));

    expect(missing).toEqual([]);
    expect(misplaced).toEqual([]);
  });

  it('.env.example shows every variable the compose files read, and the schema knows them all', () => {
    const example = renderExampleEnv();
    const shown = new Set([...example.matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]));
    const composeVariables = new Set(
      ['docker-compose.yml', 'docker-compose.secrets.yml']
        .map((file) =>
          committed(file)
            .split('\n')
            .filter((line) => !line.trim().startsWith('#'))
            .join('\n'),
        )
        .flatMap((text) => [...text.matchAll(/\$\{(\w+)/g)].map((match) => match[1]!)),
    );
    const isSecretFile = (name: string) =>
      name.endsWith('_FILE') &&
      (CONFIG_VAR_NAMES as readonly string[]).includes(name.slice(0, -5)) &&
      specOf(name.slice(0, -5) as never).type === 'secret';

    const unknown = [...composeVariables].filter((name) => !(CONFIG_VAR_NAMES as readonly string[]).includes(name) && !isSecretFile(name));
    const missing = [...composeVariables].filter((name) => {
      if (isSecretFile(name)) return !example.includes(name);
      return !specOf(name as never).environmentOnly && !shown.has(name);
    });

    expect(composeVariables.size).toBeGreaterThan(5);
    expect(unknown).toEqual([]);
    expect(missing).toEqual([]);
  });

  it('docs/CONFIGURATION.md has a row for every variable', () => {
    const docs = renderConfigDocs();

    expect(CONFIG_VAR_NAMES.filter((name) => !docs.includes(`| \`${name}\` |`))).toEqual([]);
  });

  describe('a copy of .env.example', () => {
    let dir: string;
    beforeEach(() => {
      dir = tempDir();
      copyFileSync(join(packageRoot, '.env.example'), join(dir, '.env'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('loads without error in development mode', () => {
      const config = loadConfig({ envFile: join(dir, '.env'), cwd: dir, env: { SHOPDB_ENV: 'development' } });

      expect(config.envFileFound).toBe(true);
      expect(config.values.SHOPDB_ENV).toBe('development');
      expect(configProblems(config)).toEqual([]);
    });

    it('fails loudly in production because of its placeholder JWT_SECRET', () => {
      const config = loadConfig({ envFile: join(dir, '.env'), cwd: dir, env: {} });

      expect(configProblems(config).map((p) => [p.variable, p.problem])).toEqual([['JWT_SECRET', 'still has a placeholder value']]);
    });
  });
});

describe('formatEnvValue', () => {
  const roundTrip = (value: string): string | undefined => parseEnv(`VALUE=${formatEnvValue('VALUE', value)}\n`).VALUE;
  const ownRoundTrip = (value: string): string | undefined =>
    parseEnvFile(`VALUE=${formatEnvValue('VALUE', value)}\n`, '.env').entries.get('VALUE')?.value;

  it.each([
    ['plain', 'shopdb_plant3'],
    ['a URL', 'ldaps://dc01.plant.example:636'],
    ['empty', ''],
    ['spaces', 'Hangar 7 north'],
    ['leading and trailing spaces', '  padded  '],
    ['a hash', 'pass#word'],
    ['a hash after a space', 'value # not a comment'],
    ['a single quote', "it's"],
    ['double quotes', 'say "hi"'],
    ['JSON', '{"CN=ShopDB-Admins,OU=Groups,DC=plant,DC=example":"admin"}'],
    ['an LDAP filter', '(&(objectClass=user)(sAMAccountName={username}))'],
    ['a dollar sign', '$HOME and ${PATH}'],
    ['backslashes', 'C:\\shopdb\\backups'],
    ['a backslash-n inside single quotes', 'line\\nbreak'],
    ['a backtick', 'a`b'],
    ['an equals sign', 'a=b=c'],
    ['non-ASCII', 'Fräsmaschine Ünïcode'],
  ])("round-trips %s through node parseEnv and through shopdb's own .env parser", (_what, value) => {
    expect(roundTrip(value)).toBe(value);
    expect(ownRoundTrip(value)).toBe(value);
  });

  it.each([
    ['both quote characters', `it's "quoted"`],
    ['a line break', 'two\nlines'],
    ['a single quote and a backslash-n (node would read a line break)', "it's\\nthere"],
  ])('refuses a value with %s instead of writing it wrong', (_what, value) => {
    expect(() => formatEnvValue('LDAP_BIND_PASSWORD', value)).toThrow(UsageError);
    expect(() => formatEnvValue('LDAP_BIND_PASSWORD', value)).toThrow(/LDAP_BIND_PASSWORD cannot be written to a \.env file/);
  });
});

describe('renderEnvFile (site style)', () => {
  it('writes only the given values as live lines and reads them back unchanged', () => {
    const values = {
      SHOPDB_SITE_NAME: 'plant3',
      CORS_ORIGINS: 'https://a.plant.example, https://b.plant.example',
      LDAP_GROUP_ROLE_MAP: '{"CN=Admins":"admin"}',
      JWT_SECRET: 'q7WmZ2vN8xL4pR6tY1uB3cD5eF9gH0jK-strong',
    };

    const text = renderEnvFile({ style: 'site', header: ['written by a test'], values });

    expect(parseEnv(text)).toEqual(values);
    const own = parseEnvFile(text, '.env');
    expect(Object.fromEntries([...own.entries].map(([name, entry]) => [name, entry.value]))).toEqual(values);
    expect([...own.problems, ...own.warnings]).toEqual([]);
    expect(text.startsWith('# written by a test\n')).toBe(true);
    expect(text).toContain('# HTTP_PORT=8080');
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/site.js';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { loadConfig, type LoadedConfig } from './load.js';
import { generateSecret } from '../init/service.js';
import {
  allConfigProblems,
  assertConfigUsable,
  checkedConfig,
  configProblems,
  describeConfig,
  productionProblems,
  secretWeakness,
} from './production.js';
import { inspectConfig } from './load.js';

const STRONG_SECRET = 'q7WmZ2vN8xL4pR6tY1uB3cD5eF9gH0jK-strong';
const STRONG_PASSWORD = 'Vx3-kP9q-Lm2w-Rt7z';

let dir: string;

beforeEach(() => {
  dir = tempDir();
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function site(vars: Record<string, string>, env: Record<string, string> = {}): LoadedConfig {
  const envFile = join(dir, '.env');
  writeFileSync(
    envFile,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
    { mode: 0o600 },
  );
  return loadConfig({ envFile, cwd: dir, env });
}

function production(vars: Record<string, string>): LoadedConfig {
  return site({ SHOPDB_ENV: 'production', JWT_SECRET: STRONG_SECRET, ...vars });
}

const variables = (problems: ConfigProblem[]): string[] => problems.map((p) => p.variable).sort();

describe('production rules', () => {
  it('accept a site with a strong secret, no CORS origins and Secure cookies', () => {
    const config = production({ CORS_ORIGINS: 'https://shopdb.plant.example' });

    expect(configProblems(config)).toEqual([]);
    expect(() => assertConfigUsable(config)).not.toThrow();
  });

  it('apply by default: SHOPDB_ENV defaults to production', () => {
    const config = site({});

    expect(config.values.SHOPDB_ENV).toBe('production');
    expect(variables(configProblems(config))).toEqual(['JWT_SECRET']);
  });

  it('require JWT_SECRET and say how to generate one', () => {
    const [problem, ...rest] = productionProblems(site({ SHOPDB_ENV: 'production' }));

    expect(rest).toEqual([]);
    expect(problem).toEqual({
      variable: 'JWT_SECRET',
      problem: 'is required in production but not set',
      fix: 'set JWT_SECRET (`shopdb init` generates one; or: openssl rand -base64 48)',
    });
  });

  it.each(['change-me', 'CHANGE-ME', 'change-me-before-going-live-please-thanks', 'secret', 'changeme'])(
    'refuse the placeholder JWT_SECRET=%s',
    (value) => {
      expect(productionProblems(production({ JWT_SECRET: value }))).toEqual([
        {
          variable: 'JWT_SECRET',
          problem: 'still has a placeholder value',
          fix: 'replace it with a strong random value (openssl rand -base64 48)',
        },
      ]);
    },
  );

  it('refuse a JWT_SECRET shorter than 32 characters and accept one of exactly 32', () => {
    expect(productionProblems(production({ JWT_SECRET: 'k'.repeat(31) }))).toEqual([
      {
        variable: 'JWT_SECRET',
        problem: 'is shorter than 32 characters',
        fix: 'use at least 32 random characters (openssl rand -base64 48)',
      },
    ]);
    expect(productionProblems(production({ JWT_SECRET: randomBytes(16).toString('hex') }))).toEqual([]);
  });

  describe('a JWT_SECRET that is long enough but weak', () => {
    const tooPredictable = {
      variable: 'JWT_SECRET',
      problem: 'is too predictable (repeated characters or words, or a run such as abcd or 1234)',
      fix: 'replace it with a generated value (openssl rand -base64 48, or `shopdb init --force`)',
    };

    it.each([
      ['one letter repeated', 'a'.repeat(36)],
      ['a repeated word', 'secret'.repeat(6)],
      ['a repeated phrase with a tail', 'Password123Password123Password123!!'],
      ['an alphabet run', 'abcdefghijklmnopqrstuvwxyz0123456789'],
      ['counting', '1234567890'.repeat(4)],
      ['two letters taking turns', 'ab'.repeat(20)],
    ])('is refused: %s', (_what, value) => {
      expect(productionProblems(production({ JWT_SECRET: value }))).toEqual([tooPredictable]);
    });

    it.each([
      ['your-secret-here…', 'your-secret-here-for-signing-the-tokens-ok'],
      ['<generate-…>', '<generate-with-openssl-rand-base64-48>'],
      ['a template variable', '${JWT_SECRET_FROM_THE_VAULT_PLEASE_1234}'],
      ['"replace this"', 'replace-this-with-a-long-random-string-now'],
      ['xxxx', 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'],
    ])('is refused as a placeholder: %s', (_what, value) => {
      expect(productionProblems(production({ JWT_SECRET: value }))).toEqual([
        {
          variable: 'JWT_SECRET',
          problem: 'still has a placeholder value',
          fix: 'replace it with a strong random value (openssl rand -base64 48)',
        },
      ]);
    });

    it('does not reveal the value or its score', () => {
      const problems = productionProblems(production({ JWT_SECRET: 'secret'.repeat(6) }));

      expect(JSON.stringify(problems)).not.toContain('secretsecret');
      expect(JSON.stringify(problems)).not.toMatch(/\d+(\.\d+)? bits/);
    });
  });

  it.each([
    ['openssl rand -hex 16 (128 bits, the shortest accepted form)', () => randomBytes(16).toString('hex')],
    ['openssl rand -base64 24', () => randomBytes(24).toString('base64')],
    ['what shopdb init generates', () => generateSecret()],
    ['a UUID', () => randomUUID()],
  ])('accept every generated JWT_SECRET: %s (500 tries)', (_what, generate) => {
    for (let i = 0; i < 500; i++) {
      const value = generate();
      expect(secretWeakness('JWT_SECRET', value), value).toBeUndefined();
    }
  });

  it('accept a long passphrase a person made up', () => {
    expect(productionProblems(production({ JWT_SECRET: 'correct-horse-battery-staple-plant-7' }))).toEqual([]);
  });

  it('judge the strength of JWT_SECRET only: a database password is a password some DBA chose', () => {
    expect(productionProblems(production({ DB_CLIENT: 'mysql', DB_PASSWORD: 'a'.repeat(16) }))).toEqual([]);
  });

  it('refuse CORS_ORIGINS=*, alone or in a list', () => {
    expect(variables(productionProblems(production({ CORS_ORIGINS: '*' })))).toEqual(['CORS_ORIGINS']);
    expect(variables(productionProblems(production({ CORS_ORIGINS: 'https://shopdb.plant.example,*' })))).toEqual(['CORS_ORIGINS']);
  });

  it('refuse COOKIE_SECURE=false', () => {
    const problems = productionProblems(production({ COOKIE_SECURE: 'false' }));

    expect(variables(problems)).toEqual(['COOKIE_SECURE']);
    expect(problems[0]!.fix).toContain('COOKIE_SECURE=true');
  });

  describe('DB_PASSWORD', () => {
    it('is not required with SQLite', () => {
      expect(productionProblems(production({ DB_CLIENT: 'sqlite' }))).toEqual([]);
    });

    it('is required with MySQL, and may come from DB_PASSWORD_FILE', () => {
      const [problem] = productionProblems(production({ DB_CLIENT: 'mysql' }));
      expect(problem).toMatchObject({
        variable: 'DB_PASSWORD',
        problem: 'is required in production but not set',
        fix: 'set DB_PASSWORD or DB_PASSWORD_FILE',
      });

      writeFileSync(join(dir, 'db-password'), `${STRONG_PASSWORD}\n`);
      expect(productionProblems(production({ DB_CLIENT: 'mysql', DB_PASSWORD_FILE: 'db-password' }))).toEqual([]);
    });

    it('must be at least 12 characters with MySQL', () => {
      expect(productionProblems(production({ DB_CLIENT: 'mysql', DB_PASSWORD: 'short-pw' }))).toEqual([
        {
          variable: 'DB_PASSWORD',
          problem: 'is shorter than 12 characters',
          fix: 'use at least 12 random characters (openssl rand -base64 48)',
        },
      ]);
    });
  });

  describe('LDAP', () => {
    it('needs nothing while LDAP_ENABLED is false', () => {
      expect(productionProblems(production({ LDAP_ENABLED: 'false' }))).toEqual([]);
    });

    it('requires the server, the bind account and the base DN once LDAP_ENABLED=true', () => {
      const problems = productionProblems(production({ LDAP_ENABLED: 'yes' }));

      expect(variables(problems)).toEqual(['LDAP_BASE_DN', 'LDAP_BIND_DN', 'LDAP_BIND_PASSWORD', 'LDAP_GROUP_ROLE_MAP', 'LDAP_URL']);
      expect(problems.find((p) => p.variable === 'LDAP_BIND_PASSWORD')!.fix).toBe('set LDAP_BIND_PASSWORD or LDAP_BIND_PASSWORD_FILE');
    });

    it('is satisfied by a complete LDAP setup', () => {
      const config = production({
        LDAP_ENABLED: 'true',
        LDAP_URL: 'ldaps://dc01.plant.example:636',
        LDAP_BIND_DN: "'CN=svc-shopdb,OU=Service Accounts,DC=plant,DC=example'",
        LDAP_BIND_PASSWORD: STRONG_PASSWORD,
        LDAP_BASE_DN: 'OU=Users,DC=plant,DC=example',
        LDAP_GROUP_ROLE_MAP: `'{"CN=ShopDB-Users,OU=Groups,DC=plant,DC=example":"viewer"}'`,
      });

      expect(productionProblems(config)).toEqual([]);
    });

    it('refuses LDAP_TLS=none unless LDAP_ALLOW_PLAINTEXT=true says a lab means it', () => {
      const ldap = {
        LDAP_ENABLED: 'true',
        LDAP_URL: 'ldap://dc01.plant.example:389',
        LDAP_TLS: 'none',
        LDAP_BIND_DN: "'CN=svc-shopdb,OU=Service Accounts,DC=plant,DC=example'",
        LDAP_BIND_PASSWORD: STRONG_PASSWORD,
        LDAP_BASE_DN: 'OU=Users,DC=plant,DC=example',
        LDAP_GROUP_ROLE_MAP: `'{"CN=ShopDB-Users,OU=Groups,DC=plant,DC=example":"viewer"}'`,
      };

      const refused = productionProblems(production(ldap));
      expect(variables(refused)).toEqual(['LDAP_TLS']);
      expect(refused[0]!.fix).toContain('LDAP_TLS=ldaps');
      expect(productionProblems(production({ ...ldap, LDAP_ALLOW_PLAINTEXT: 'true' }))).toEqual([]);
      expect(configProblems(site({ SHOPDB_ENV: 'development', ...ldap }))).toEqual([]);
    });
  });

  describe('directory settings that only work together (every mode)', () => {
    const ldap = { SHOPDB_ENV: 'development', LDAP_ENABLED: 'true', LDAP_BIND_DN: 'cn=svc', LDAP_BASE_DN: 'dc=x' };

    it('wants ldaps:// URLs for LDAP_TLS=ldaps and ldap:// ones for starttls', () => {
      const mixed = configProblems(site({ ...ldap, LDAP_URL: 'ldaps://a.example,ldap://b.example' }));
      expect(variables(mixed)).toEqual(['LDAP_URL']);
      expect(mixed[0]!.problem).toContain('ldap://b.example does not fit LDAP_TLS=ldaps');
      expect(variables(configProblems(site({ ...ldap, LDAP_TLS: 'starttls', LDAP_URL: 'ldaps://a.example' })))).toEqual(['LDAP_URL']);
      expect(configProblems(site({ ...ldap, LDAP_TLS: 'starttls', LDAP_URL: 'ldap://a.example,ldap://b.example' }))).toEqual([]);
    });

    it("keeps every server's timeouts together below HTTP_REQUEST_TIMEOUT", () => {
      const slow = configProblems(
        site({
          ...ldap,
          LDAP_URL: 'ldaps://a.example,ldaps://b.example,ldaps://c.example',
          LDAP_CONNECT_TIMEOUT: '5s',
          LDAP_TIMEOUT: '5s',
        }),
      );
      expect(variables(slow)).toEqual(['LDAP_TIMEOUT']);
      expect(slow[0]!.problem).toBe('3 server(s) × (LDAP_CONNECT_TIMEOUT + LDAP_TIMEOUT) is 30 s, not below HTTP_REQUEST_TIMEOUT (30 s)');
      expect(
        configProblems(
          site({
            ...ldap,
            LDAP_URL: 'ldaps://a.example,ldaps://b.example,ldaps://c.example',
            LDAP_CONNECT_TIMEOUT: '5s',
            LDAP_TIMEOUT: '5s',
            HTTP_REQUEST_TIMEOUT: '45s',
          }),
        ),
      ).toEqual([]);
    });
  });

  it('require ZABBIX_API_TOKEN only once ZABBIX_URL is set', () => {
    expect(productionProblems(production({}))).toEqual([]);
    expect(variables(productionProblems(production({ ZABBIX_URL: 'https://zabbix.plant.example/api_jsonrpc.php' })))).toEqual([
      'ZABBIX_API_TOKEN',
    ]);
  });

  it('are all reported together in one ConfigError (exit code 2)', () => {
    const config = site({
      SHOPDB_ENV: 'production',
      JWT_SECRET: 'change-me',
      CORS_ORIGINS: '*',
      COOKIE_SECURE: 'false',
      DB_CLIENT: 'mysql',
      LDAP_ENABLED: 'true',
    });

    let thrown: unknown;
    try {
      assertConfigUsable(config);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(ConfigError);
    const error = thrown as ConfigError;
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('The configuration is not safe to run in production mode: 9 problems');
    expect(variables(error.problems)).toEqual([
      'COOKIE_SECURE',
      'CORS_ORIGINS',
      'DB_PASSWORD',
      'JWT_SECRET',
      'LDAP_BASE_DN',
      'LDAP_BIND_DN',
      'LDAP_BIND_PASSWORD',
      'LDAP_GROUP_ROLE_MAP',
      'LDAP_URL',
    ]);
    expect(error.details).toHaveLength(9);
    expect(error.suggestion).toContain(join(dir, '.env'));
  });

  it('do not apply in development mode', () => {
    const config = site({
      SHOPDB_ENV: 'development',
      JWT_SECRET: 'change-me',
      CORS_ORIGINS: '*',
      COOKIE_SECURE: 'false',
      DB_CLIENT: 'mysql',
      LDAP_ENABLED: 'true',
    });

    expect(configProblems(config)).toEqual([]);
    expect(() => assertConfigUsable(config)).not.toThrow();
  });

  it('leave the rules that hold in every mode in force in development', () => {
    const config = site({ SHOPDB_ENV: 'development', COOKIE_SAMESITE: 'none', COOKIE_SECURE: 'false' });

    expect(variables(configProblems(config))).toEqual(['COOKIE_SAMESITE']);
  });

  it('can be switched off for one run from the process environment', () => {
    const config = site({ JWT_SECRET: 'change-me' }, { SHOPDB_ENV: 'development' });

    expect(configProblems(config)).toEqual([]);
  });
});

describe('allConfigProblems and checkedConfig', () => {
  it('list the production rules together with unknown names and bad values', () => {
    const envFile = join(dir, '.env');
    writeFileSync(
      envFile,
      'SHOPDB_ENV=production\nJWT_SECRET=change-me\nCORS_ORIGINS=*\nDB_HOTS=db01\nHTTP_PORT=99999\nCOOKIE_SECURE=false\n',
      { mode: 0o600 },
    );
    const inspection = inspectConfig({ envFile, cwd: dir, env: {} });

    const problems = allConfigProblems(inspection);

    expect(problems.map((p) => p.variable)).toEqual(['DB_HOTS', 'HTTP_PORT', 'JWT_SECRET', 'CORS_ORIGINS', 'COOKIE_SECURE']);
    expect(() => checkedConfig(inspection)).toThrow(/^The configuration has 5 problems \(production mode, /);
  });

  it('name a variable once: a bad value is not also judged by the rules on its default', () => {
    const envFile = join(dir, '.env');
    writeFileSync(envFile, `SHOPDB_ENV=production\nJWT_SECRET=${STRONG_SECRET}\nDB_CLIENT=mysql\nDB_PASSWORD_FILE=missing-file\n`, {
      mode: 0o600,
    });

    const problems = allConfigProblems(inspectConfig({ envFile, cwd: dir, env: {} }));

    expect(problems.map((p) => p.variable)).toEqual(['DB_PASSWORD_FILE']);
  });
});

describe('describeConfig', () => {
  it('masks secrets, shows where each value comes from and leaves out environment-only variables', () => {
    writeFileSync(join(dir, 'zabbix-token'), 'zabbix-token-value-1234\n');
    const config = site(
      { JWT_SECRET: STRONG_SECRET, ZABBIX_API_TOKEN_FILE: 'zabbix-token', HTTP_PORT: '9000' },
      { LOG_LEVEL: 'debug', SHOPDB_MYSQL_ADMIN_PASSWORD: 'admin-password-3456' },
    );

    const entries = describeConfig(config);
    const byName = Object.fromEntries(entries.map((entry) => [entry.name, entry]));

    expect(byName.JWT_SECRET).toEqual({ name: 'JWT_SECRET', value: '(set)', source: 'env-file', secret: true });
    expect(byName.ZABBIX_API_TOKEN).toEqual({ name: 'ZABBIX_API_TOKEN', value: '(set)', source: 'secret-file', secret: true });
    expect(byName.DB_PASSWORD).toEqual({ name: 'DB_PASSWORD', value: null, source: 'unset', secret: true });
    expect(byName.HTTP_PORT).toMatchObject({ value: 9000, source: 'env-file', secret: false });
    expect(byName.LOG_LEVEL).toMatchObject({ value: 'debug', source: 'environment' });
    expect(byName.BACKUP_KEEP).toMatchObject({ value: 14, source: 'default' });
    expect(byName.SHOPDB_MYSQL_ADMIN_PASSWORD).toBeUndefined();
    expect(byName.SHOPDB_ENV_FILE).toBeUndefined();
    const shown = JSON.stringify(entries);
    for (const secret of [STRONG_SECRET, 'zabbix-token-value-1234', 'admin-password-3456']) expect(shown).not.toContain(secret);
  });
});

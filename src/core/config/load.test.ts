import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/site.js';
import { ConfigError } from '../errors.js';
import { ConfigLoadError, inspectConfig, loadConfig, type LoadedConfig } from './load.js';

const STRONG_SECRET = 'q7WmZ2vN8xL4pR6tY1uB3cD5eF9gH0jK-strong';

let dir: string;
let cwd: string;

beforeEach(() => {
  dir = tempDir();
  cwd = tempDir('shopdb-cwd-');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
});

function writeDotEnv(lines: string[], mode = 0o600): string {
  const path = join(dir, '.env');
  writeFileSync(path, lines.join('\n') + '\n', { mode });
  chmodSync(path, mode);
  return path;
}

function load(env: Record<string, string | undefined> = {}, envFile = join(dir, '.env')): LoadedConfig {
  return loadConfig({ envFile, cwd, env });
}

function loadError(env: Record<string, string | undefined> = {}): ConfigError {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the configuration');
}

describe('loadConfig', () => {
  describe('precedence', () => {
    it('takes the process environment over the .env, and the .env over the default', () => {
      writeDotEnv(['HTTP_PORT=9000', 'LOG_LEVEL=debug']);

      const config = load({ HTTP_PORT: '9100' });

      expect(config.values.HTTP_PORT).toBe(9100);
      expect(config.sources.HTTP_PORT).toBe('environment');
      expect(config.values.LOG_LEVEL).toBe('debug');
      expect(config.sources.LOG_LEVEL).toBe('env-file');
      expect(config.values.BACKUP_KEEP).toBe(14);
      expect(config.sources.BACKUP_KEEP).toBe('default');
      expect(config.values.COOKIE_DOMAIN).toBeUndefined();
      expect(config.sources.COOKIE_DOMAIN).toBe('unset');
    });

    it('uses defaults and the environment when there is no .env, unless the file is required', () => {
      const config = load({ LOG_LEVEL: 'warn' });

      expect(config.envFileFound).toBe(false);
      expect(config.values.LOG_LEVEL).toBe('warn');
      expect(config.values.DB_CLIENT).toBe('sqlite');
      expect(() => loadConfig({ envFile: join(dir, '.env'), cwd, env: {}, requireEnvFile: true })).toThrow(/No configuration file at/);
    });

    it('resolves a relative --env-file against the working directory', () => {
      mkdirSync(join(cwd, 'site'));
      writeFileSync(join(cwd, 'site', '.env'), 'SHOPDB_SITE_NAME=from-cwd\n', { mode: 0o600 });

      const config = load({}, 'site/.env');

      expect(config.envFile).toBe(join(cwd, 'site', '.env'));
      expect(config.values.SHOPDB_SITE_NAME).toBe('from-cwd');
    });
  });

  describe('paths', () => {
    it('resolves relative paths against the folder of the .env, not the working directory', () => {
      writeDotEnv(['DB_SQLITE_PATH=./db/site.sqlite', 'BACKUP_COPY_TO=../offsite']);

      const config = load();

      expect(config.baseDir).toBe(dir);
      expect(config.values.DB_SQLITE_PATH).toBe(join(dir, 'db', 'site.sqlite'));
      expect(config.values.BACKUP_COPY_TO).toBe(join(dir, '..', 'offsite'));
      expect(config.values.BACKUP_DIR).toBe(join(dir, 'backups'));
    });

    it('keeps absolute paths as they are', () => {
      writeDotEnv(['BACKUP_DIR=/srv/shopdb/backups']);

      expect(load().values.BACKUP_DIR).toBe('/srv/shopdb/backups');
    });
  });

  describe('NAME_FILE secrets', () => {
    it('reads the secret from the file, relative to the .env, with the trailing newline stripped', () => {
      mkdirSync(join(dir, 'secrets'));
      writeFileSync(join(dir, 'secrets', 'jwt'), `${STRONG_SECRET}\n`);
      writeDotEnv(['JWT_SECRET_FILE=secrets/jwt']);

      const config = load();

      expect(config.values.JWT_SECRET).toBe(STRONG_SECRET);
      expect(config.sources.JWT_SECRET).toBe('secret-file');
    });

    it('takes the _FILE variable from the process environment too (docker secrets)', () => {
      writeFileSync(join(dir, 'db-password'), 'docker-secret-password\r\n');

      const config = load({ DB_PASSWORD_FILE: join(dir, 'db-password') });

      expect(config.values.DB_PASSWORD).toBe('docker-secret-password');
    });

    it('refuses a secret set both directly and through _FILE, without showing it', () => {
      writeFileSync(join(dir, 'jwt'), STRONG_SECRET);
      writeDotEnv([`JWT_SECRET=${STRONG_SECRET}-direct`]);

      const error = loadError({ JWT_SECRET_FILE: join(dir, 'jwt') });

      expect(error.problems).toEqual([
        {
          variable: 'JWT_SECRET',
          problem: 'is set both directly and through JWT_SECRET_FILE',
          fix: 'keep only one of JWT_SECRET and JWT_SECRET_FILE',
        },
      ]);
      expect(JSON.stringify(error.toJSON())).not.toContain(STRONG_SECRET);
    });

    it.each([
      ['a missing file', 'no-such-file', 'ENOENT'],
      ['a folder', '.', 'EISDIR'],
    ])('reports %s as unreadable, naming the path', (_what, target, code) => {
      writeDotEnv([`ZABBIX_API_TOKEN_FILE=${target}`]);

      const error = loadError();

      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatchObject({
        variable: 'ZABBIX_API_TOKEN_FILE',
        fix: 'point it at a readable file that holds only the secret',
      });
      expect(error.problems[0]!.problem).toBe(`cannot read ${join(dir, target)} (${code})`);
    });
  });

  describe('unknown variables', () => {
    it('refuses a misspelt variable in the .env and suggests the right name', () => {
      writeDotEnv(['DB_HOTS=db01.plant.example']);

      const error = loadError();

      expect(error.exitCode).toBe(2);
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]!.variable).toBe('DB_HOTS');
      expect(error.problems[0]!.fix).toContain('did you mean DB_HOST?');
      expect(error.details[0]).toContain('did you mean DB_HOST?');
    });

    it('points at .env.example for a name that resembles nothing', () => {
      writeDotEnv(['PAYROLL_EXPORT_PATH=/tmp/x']);

      expect(loadError().problems[0]!.fix).toContain('.env.example');
    });

    it('accepts NAME_FILE for secrets only', () => {
      writeFileSync(join(dir, 'name'), 'plant3');
      writeDotEnv(['SHOPDB_SITE_NAME_FILE=name']);

      expect(loadError().problems.map((p) => p.variable)).toEqual(['SHOPDB_SITE_NAME_FILE']);
    });

    it('only warns about an unknown SHOPDB_* variable in the process environment', () => {
      const config = load({ SHOPDB_SITE_NAM: 'plant3' });

      expect(config.warnings).toHaveLength(1);
      expect(config.warnings[0]).toMatchObject({ variable: 'SHOPDB_SITE_NAM' });
      expect(config.warnings[0]!.fix).toContain('did you mean SHOPDB_SITE_NAME?');
    });

    it('ignores SHOPDB_TEST_*, the variable a restore sets on its migrate, and variables of other programs in the process environment', () => {
      const config = load({
        SHOPDB_TEST_MYSQL_URL: 'mysql://root@db/test',
        SHOPDB_FINISHING_RESTORE: '1',
        DB_HOTS: 'x',
        PATH: '/usr/bin',
        HOME: '/root',
      });

      expect(config.warnings).toEqual([]);
    });

    it('warns that an environment-only variable has no effect inside the .env', () => {
      writeDotEnv(['SHOPDB_ENV_FILE=/srv/other/.env']);

      const config = load();

      expect(config.warnings.map((w) => [w.variable, w.problem])).toEqual([['SHOPDB_ENV_FILE', 'has no effect inside a .env file']]);
      expect(config.values.SHOPDB_ENV_FILE).toBe(join(dir, '.env'));
    });
  });

  it('reports every problem at once in one ConfigError', () => {
    writeDotEnv(['DB_HOTS=db01', 'HTTP_PORT=0', 'COOKIE_SECURE=maybe', 'JWT_EXPIRES_IN=forever', 'SHOPDB_SITE_NAME=my site']);

    const error = loadError({ DB_PORT: 'abc' });

    expect(error.problems.map((p) => p.variable).sort()).toEqual([
      'COOKIE_SECURE',
      'DB_HOTS',
      'DB_PORT',
      'HTTP_PORT',
      'JWT_EXPIRES_IN',
      'SHOPDB_SITE_NAME',
    ]);
    expect(error.message).toBe(`The configuration has 6 problems (${join(dir, '.env')})`);
    expect(error.details).toHaveLength(6);
    expect(error.problems.find((p) => p.variable === 'HTTP_PORT')!.fix).toBe('set a whole number from 1 to 65535');
  });

  it('hands back what did load with the error, each bad value at its default, for the checks that list everything', () => {
    writeDotEnv(['HTTP_PORT=not-a-port', 'LOG_LEVEL=debug', 'CORS_ORIGINS=*', 'DB_HOTS=db01']);

    const error = loadError();

    expect(error).toBeInstanceOf(ConfigLoadError);
    const { partial } = error as ConfigLoadError;
    expect(partial.values.HTTP_PORT).toBe(8080);
    expect(partial.values.LOG_LEVEL).toBe('debug');
    expect(partial.values.CORS_ORIGINS).toEqual(['*']);
    expect(error.problems.map((p) => p.variable)).toEqual(['DB_HOTS', 'HTTP_PORT']);
  });

  it('names the line of an unknown variable and of a line without "="', () => {
    writeDotEnv(['LOG_LEVEL=debug', 'DB_HOTS=db01', 'SHOPDB_SITE_NAME']);

    const { problems } = inspectConfig({ envFile: join(dir, '.env'), cwd, env: {} });

    expect(problems.map((p) => `${p.variable}: ${p.problem}`)).toEqual([
      `SHOPDB_SITE_NAME (line 3): has no "=" (in ${join(dir, '.env')})`,
      `DB_HOTS: is not a shopdb variable (${join(dir, '.env')}, line 2)`,
    ]);
  });

  it('carries a duplicate name as a warning with both lines, not an error', () => {
    writeDotEnv(['LOG_LEVEL=debug', 'HTTP_PORT=9000', 'LOG_LEVEL=warn']);

    const config = load();

    expect(config.values.LOG_LEVEL).toBe('warn');
    expect(config.warnings).toContainEqual(
      expect.objectContaining({ variable: 'LOG_LEVEL', problem: expect.stringContaining('is set on line 1 and again on line 3') }),
    );
  });

  it('never puts a secret value into an error', () => {
    writeFileSync(join(dir, 'token'), 'zabbix-token-value-1234');
    writeDotEnv([
      `JWT_SECRET=${STRONG_SECRET}`,
      'JWT_SECRT=typo-secret-value-5678',
      'ZABBIX_API_TOKEN=direct-token-value-9012',
      'ZABBIX_API_TOKEN_FILE=token',
      'HTTP_PORT=99999',
    ]);

    const error = loadError();
    const shown = JSON.stringify(error.toJSON()) + error.message + error.stack;

    expect(error.problems.map((p) => p.variable).sort()).toEqual(['HTTP_PORT', 'JWT_SECRT', 'ZABBIX_API_TOKEN']);
    for (const secret of [STRONG_SECRET, 'typo-secret-value-5678', 'direct-token-value-9012', 'zabbix-token-value-1234']) {
      expect(shown).not.toContain(secret);
    }
  });

  describe('file mode', () => {
    it('warns when a .env holding secrets is readable by others, with the chmod to run', () => {
      const path = writeDotEnv([`JWT_SECRET=${STRONG_SECRET}`], 0o644);

      const config = load();

      expect(config.warnings).toEqual([
        { variable: path, problem: 'holds secrets but is readable by others (mode 644)', fix: `run: chmod 600 ${path}` },
      ]);
    });

    it('does not warn for mode 0600, nor for a 0644 file without secrets', () => {
      writeDotEnv([`JWT_SECRET=${STRONG_SECRET}`], 0o600);
      expect(load().warnings).toEqual([]);

      writeDotEnv(['HTTP_PORT=8081'], 0o644);
      expect(load().warnings).toEqual([]);
    });
  });
});

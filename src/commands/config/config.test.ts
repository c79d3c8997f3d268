import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBin, runCommand } from '../../../test/support/cli.js';
import { tempDir, writeEnvFile } from '../../../test/support/site.js';
import type { ConfigEntry } from '../../core/config/index.js';
import ConfigCheck from './check.js';
import ConfigShow from './show.js';

const STRONG_SECRET = 'q7WmZ2vN8xL4pR6tY1uB3cD5eF9gH0jK-strong';
const ZABBIX_TOKEN = 'zabbix-token-value-1234567890';

let dir: string;
let envFile: string;

beforeEach(() => {
  dir = tempDir();
  envFile = join(dir, '.env');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('shopdb config check', () => {
  it('exits 2 and lists every problem of an unsafe production .env', async () => {
    writeEnvFile(envFile, { SHOPDB_ENV: 'production', JWT_SECRET: 'change-me', CORS_ORIGINS: '*', COOKIE_SECURE: 'false' });

    const result = await runCommand(ConfigCheck, ['--env-file', envFile]);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('The configuration is not safe to run in production mode: 3 problems');
    expect(result.stderr).toContain('JWT_SECRET: still has a placeholder value');
    expect(result.stderr).toContain('CORS_ORIGINS: allows every origin (*)');
    expect(result.stderr).toContain('COOKIE_SECURE: is false');
    expect(result.stdout).toBe('');
  });

  it('gives the same problems as JSON from the real binary', async () => {
    writeEnvFile(envFile, { SHOPDB_ENV: 'production', JWT_SECRET: 'change-me', CORS_ORIGINS: '*' });

    const result = await runBin(['config', 'check', '--env-file', envFile, '--json']);

    expect(result.exitCode).toBe(2);
    expect(result.json.error).toMatchObject({ code: 'CONFIG_INVALID', exitCode: 2 });
    expect(result.json.error.details).toEqual([
      'JWT_SECRET: still has a placeholder value — replace it with a strong random value (openssl rand -base64 48)',
      'CORS_ORIGINS: allows every origin (*) — list the exact origins, e.g. https://shopdb.plant.example',
    ]);
  });

  it('exits 0 for a good production .env', async () => {
    writeEnvFile(envFile, { SHOPDB_ENV: 'production', JWT_SECRET: STRONG_SECRET, CORS_ORIGINS: 'https://shopdb.plant.example' });

    const result = await runCommand(ConfigCheck, ['--env-file', envFile, '--json']);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json).toEqual({ valid: true, mode: 'production', envFile });
  });

  it('exits 2 for a .env that does not load, naming the typo', async () => {
    writeEnvFile(envFile, { SHOPDB_ENV: 'development', DB_HOTS: 'db01' });

    const result = await runCommand(ConfigCheck, ['--env-file', envFile]);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('DB_HOTS: is not a shopdb variable');
    expect(result.stderr).toContain('did you mean DB_HOST?');
  });

  it('lists the production rules together with unknown names and unreadable lines, through the binary', async () => {
    writeFileSync(
      envFile,
      ['SHOPDB_ENV=production', `JWT_SECRET=${'secret'.repeat(6)}`, 'CORS_ORIGINS=*', 'DB_HOTS=db01', 'LOG_LEVEL', 'HTTP_PORT=8080'].join(
        '\n',
      ) + '\n',
      { mode: 0o600 },
    );

    const result = await runBin(['config', 'check', '--env-file', envFile, '--json']);

    expect(result.exitCode).toBe(2);
    expect(result.json.error).toMatchObject({
      code: 'CONFIG_INVALID',
      message: `The configuration has 4 problems (production mode, ${envFile})`,
    });
    expect(result.json.error.details).toEqual([
      `LOG_LEVEL (line 5): has no "=" (in ${envFile}) — write LOG_LEVEL=<value>, or start the line with # to make it a comment`,
      `DB_HOTS: is not a shopdb variable (${envFile}, line 4) — did you mean DB_HOST? Rename it`,
      'JWT_SECRET: is too predictable (repeated characters or words, or a run such as abcd or 1234) — replace it with a generated value (openssl rand -base64 48, or `shopdb init --force`)',
      'CORS_ORIGINS: allows every origin (*) — list the exact origins, e.g. https://shopdb.plant.example',
    ]);
    expect(result.stdout + result.stderr).not.toContain('secretsecret');
  });

  it('does not glue a line without "=" to the next name (node\'s parseEnv would read "JUNK\\nHTTP_PORT")', async () => {
    writeFileSync(envFile, `SHOPDB_ENV=development\nJWT_SECRET=${STRONG_SECRET}\nJUNK\nHTTP_PORT=9000\n`, { mode: 0o600 });

    const result = await runCommand(ConfigCheck, ['--env-file', envFile]);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('JUNK (line 3): has no "="');
    expect(result.stderr).toContain('The configuration has 1 problem (development mode');
  });

  it('refuses a production JWT_SECRET that is one letter repeated (exit 2)', async () => {
    writeEnvFile(envFile, { SHOPDB_ENV: 'production', JWT_SECRET: 'a'.repeat(36) });

    const result = await runCommand(ConfigCheck, ['--env-file', envFile, '--json']);

    expect(result.exitCode).toBe(2);
    expect(result.json.error.details).toEqual([expect.stringMatching(/^JWT_SECRET: is too predictable/)]);
  });

  it('warns about a name set twice with both line numbers, and still passes', async () => {
    writeFileSync(envFile, `SHOPDB_ENV=production\nJWT_SECRET=${STRONG_SECRET}\nHTTP_PORT=8080\nHTTP_PORT=9000\n`, { mode: 0o600 });

    const inProcess = await runCommand(ConfigCheck, ['--env-file', envFile, '--json']);
    const bin = await runBin(['config', 'check', '--env-file', envFile]);

    expect(inProcess.exitCode, inProcess.stderr).toBe(0);
    expect(inProcess.stderr).toContain(`HTTP_PORT is set on line 3 and again on line 4 (in ${envFile}); line 4 wins`);
    expect(bin.exitCode, bin.stderr).toBe(0);
    expect(bin.stderr).toContain('HTTP_PORT is set on line 3 and again on line 4');
    expect(bin.stdout).toContain('valid for production mode');
  });

  it('exits 2 when the named --env-file does not exist', async () => {
    const result = await runCommand(ConfigCheck, ['--env-file', join(dir, 'missing.env')]);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`No configuration file at ${join(dir, 'missing.env')}`);
    expect(result.stderr).toContain('shopdb init');
  });

  it('warns on stderr about a world-readable .env holding secrets, and still passes', async () => {
    writeEnvFile(envFile, { SHOPDB_ENV: 'production', JWT_SECRET: STRONG_SECRET });
    chmodSync(envFile, 0o644);

    const result = await runBin(['config', 'check'], { cwd: dir });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`run: chmod 600 ${envFile}`);
  });
});

describe('shopdb config show', () => {
  it('masks secrets and shows where each value comes from', async () => {
    writeFileSync(join(dir, 'zabbix-token'), `${ZABBIX_TOKEN}\n`);
    writeEnvFile(envFile, {
      SHOPDB_ENV: 'development',
      JWT_SECRET: STRONG_SECRET,
      ZABBIX_URL: 'https://zabbix.plant.example/api_jsonrpc.php',
      ZABBIX_API_TOKEN_FILE: 'zabbix-token',
    });

    const result = await runCommand(ConfigShow, ['--env-file', envFile, '--json'], { env: { LOG_LEVEL: 'debug' } });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.envFile).toBe(envFile);
    const entries = Object.fromEntries((result.json.entries as ConfigEntry[]).map((entry) => [entry.name, entry]));
    expect(entries.JWT_SECRET).toEqual({ name: 'JWT_SECRET', value: '(set)', source: 'env-file', secret: true });
    expect(entries.ZABBIX_API_TOKEN).toEqual({ name: 'ZABBIX_API_TOKEN', value: '(set)', source: 'secret-file', secret: true });
    expect(entries.DB_PASSWORD).toEqual({ name: 'DB_PASSWORD', value: null, source: 'unset', secret: true });
    expect(entries.LOG_LEVEL).toMatchObject({ value: 'debug', source: 'environment' });
    expect(entries.HTTP_PORT).toMatchObject({ value: 8080, source: 'default' });
    expect(entries.BACKUP_DIR).toMatchObject({ value: join(dir, 'backups'), source: 'default' });
    expect(result.stdout).not.toContain(STRONG_SECRET);
    expect(result.stdout).not.toContain(ZABBIX_TOKEN);
  });

  it('prints one masked line per variable for a person', async () => {
    writeEnvFile(envFile, { SHOPDB_ENV: 'development', JWT_SECRET: STRONG_SECRET });

    const result = await runBin(['config', 'show', '--env-file', envFile]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^JWT_SECRET +\(set\) {2}\(env-file\)$/m);
    expect(result.stdout).toMatch(/^HTTP_PORT +8080 {2}\(default\)$/m);
    expect(result.stdout).not.toContain(STRONG_SECRET);
  });

  it('works without a .env, from defaults and the environment', async () => {
    const result = await runBin(['config', 'show', '--json'], { cwd: dir, env: { HTTP_PORT: '9000' } });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.envFile).toBeNull();
    expect(result.stderr).toContain(`No ${join(dir, '.env')}: using defaults and the process environment`);
    const port = (result.json.entries as ConfigEntry[]).find((entry) => entry.name === 'HTTP_PORT');
    expect(port).toMatchObject({ value: 9000, source: 'environment' });
  });
});

import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { binPath, runBin, runCommand } from '../../test/support/cli.js';
import { tempDir } from '../../test/support/site.js';
import Quickstart from './quickstart.js';

describe('shopdb quickstart', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a .env, creates the SQLite schema and passes the install checks (in-process)', async () => {
    dir = tempDir();
    const envFile = join(dir, '.env');

    const result = await runCommand(Quickstart, ['--env-file', envFile, '--no-serve', '--json']);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json).toMatchObject({ envFile, createdEnvFile: true, database: `sqlite:${join(dir, 'data', 'shopdb.sqlite')}` });
    expect(result.json.appliedCount).toBeGreaterThan(0);
    expect(result.json.doctor.ok).toBe(true);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, 'data', 'shopdb.sqlite'))).toBe(true);
    const secret = (parseEnv(readFileSync(envFile, 'utf8')) as Record<string, string>).JWT_SECRET!;
    expect(result.stdout).not.toContain(secret);
    expect(result.json.admin).toMatchObject({ username: 'admin', password: expect.stringMatching(/^.{20,}$/) });
    expect(result.json.url).toBeNull();
  });

  it('keeps an existing .env and applies nothing twice when run again (bin)', async () => {
    dir = tempDir();
    const first = await runBin(['quickstart', '--no-serve'], { cwd: dir });
    const envBefore = readFileSync(join(dir, '.env'), 'utf8');

    const second = await runBin(['quickstart', '--no-serve'], { cwd: dir });
    const third = await runBin(['quickstart', '--no-serve', '--json'], { cwd: dir });

    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toContain('shopdb is set up with sqlite:');
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).toContain('exists: keeping it');
    expect(third.json).toMatchObject({ createdEnvFile: false, appliedCount: 0, admin: { username: 'admin' } });
    expect(third.json.admin).not.toHaveProperty('password');
    expect(second.stdout).toContain('already there');
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(envBefore);
  });

  it('prints plain task lines without a terminal, and no colour codes', async () => {
    dir = tempDir();

    const result = await runBin(['quickstart', '--no-serve'], { cwd: dir });

    expect(result.stderr).toContain('[COMPLETED] Create the database schema');
    expect(result.stdout + result.stderr).not.toMatch(/\u001B\[/);
  });
});

describe('shopdb quickstart serving the API (bin)', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('ends in a running API: the printed admin password logs in, the demo assets list, SIGTERM stops it', async () => {
    dir = tempDir();
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const child = execa(binPath, ['quickstart'], { cwd: dir, env: { HTTP_PORT: String(port) }, reject: false });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (!stdout.includes('Ctrl-C stops it') && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));

    const password = /password (\S+) \(shown only now/.exec(stdout)?.[1];
    const base = `http://127.0.0.1:${port}`;
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    const { token } = (await login.json()) as { token: string };
    const assets = await fetch(`${base}/api/assets?type=equipment`, { headers: { authorization: `Bearer ${token}` } });
    child.kill('SIGTERM');
    const exit = await child;

    expect(password, stdout).toBeDefined();
    expect(login.status).toBe(200);
    expect(assets.status).toBe(200);
    expect(((await assets.json()) as { count: number }).count).toBe(4);
    expect(exit.exitCode, exit.stderr).toBe(0);
  });
});

describe('colour', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is off without a terminal and with --no-color, on only when forced with --color', async () => {
    dir = tempDir();
    const plain = await runBin(['config', 'check', '--env-file', join(dir, 'missing.env')]);
    const forced = await runBin(['config', 'check', '--env-file', join(dir, 'missing.env'), '--color']);
    const refused = await runBin(['config', 'check', '--env-file', join(dir, 'missing.env'), '--no-color'], { env: { FORCE_COLOR: '1' } });

    expect(plain.exitCode).toBe(2);
    expect(plain.stderr).toMatch(/^Error: No configuration file at /m);
    expect(plain.stderr).not.toMatch(/\u001B\[/);
    expect(forced.stderr).toMatch(/\u001B\[31mError:/);
    expect(refused.stderr).not.toMatch(/\u001B\[/);
  });
});

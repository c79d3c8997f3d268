// Nothing left behind (issue 12 §3): SIGTERM, SIGINT and kill -9 sent to a real `shopdb backup`,
// `shopdb backup verify --deep` and `shopdb restore` on MariaDB at a moment the test has seen (the
// tool running with the option file open, the scratch schema created), then what is left — and
// what the next run and `shopdb doctor` remove.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../test/support/api.js';
import { archivesIn, stubExecutable } from '../../../test/support/backup.js';
import { binPath, runBin } from '../../../test/support/cli.js';
import { adminQuery } from '../../../test/support/mysql.js';
import { createSite, mysqlAvailable, tempDir, type TestSite } from '../../../test/support/site.js';
import { scratchPrefix } from '../../core/backup/mysql/leftovers.js';
import { processStartOf } from '../../core/backup/lock.js';
import { findOnPath } from '../../core/doctor/checks.js';
import { migrateSite } from '../../core/migrations/site.js';

const suite = mysqlAvailable() ? describe : describe.skip;

/** test/support's waitUntil with this suite's generous default deadline and the subject first. */
const waitFor = (what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 60_000) => waitUntil(predicate, timeoutMs, what);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A stand-in for the MariaDB tool `name` that writes its pid to `started` and holds (until the
 * test kills it, or two minutes pass) when its arguments match `holdWhen`; otherwise, and for
 * --version, it runs the real tool. "While the tool runs" is then a condition, not a guess.
 */
function holdingTool(name: 'mariadb-dump' | 'mariadb', holdWhen: string): { path: string; started: string } {
  const folder = tempDir('shopdb-hold-');
  const real = findOnPath(name, process.env.PATH ?? '') ?? findOnPath(name === 'mariadb' ? 'mysql' : 'mysqldump', process.env.PATH ?? '');
  const started = join(folder, 'started');
  stubExecutable(
    name,
    `#!/bin/sh\ncase "$*" in *--version*) exec ${real} "$@";; *${holdWhen}*) ;; *) exec ${real} "$@";; esac\n` +
      `echo $$ > ${started}.tmp && mv ${started}.tmp ${started}\nn=0; while [ $n -lt 1200 ]; do sleep 0.1; n=$((n+1)); done\nexec ${real} "$@"\n`,
    folder,
  );
  return { path: `${folder}:${process.env.PATH}`, started };
}

function shopdb(
  args: string[],
  env: Record<string, string>,
): ResultPromise<{ reject: false; env: Record<string, string>; extendEnv: false }> {
  return execa(binPath, args, {
    env: { HOME: '/tmp', LANG: 'C.UTF-8', PATH: process.env.PATH ?? '', ...env },
    extendEnv: false,
    reject: false,
  });
}

async function scratchSchemas(site: TestSite): Promise<string[]> {
  const rows = await adminQuery<Array<{ name: string }>>(
    site.server!,
    'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?',
    [`${site.database!.replace(/_/g, '\\_')}\\_verify\\_%`],
  );
  return rows.map((row) => row.name);
}

function tempFilesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((name) => /\.tmp-\d+-/.test(name)) : [];
}

suite('nothing left behind on MariaDB', () => {
  let site: TestSite;
  let backupFile: string;
  const stragglers: number[] = [];

  beforeAll(async () => {
    site = await createSite('mysql');
    await migrateSite({ config: site.config() });
    const first = await runBin(['backup', '--env-file', site.envFile, '--json']);
    if (first.exitCode !== 0) throw new Error(first.stderr);
    backupFile = join(site.dir, 'kept.shopdb.tar');
    writeFileSync(backupFile, readFileSync(first.json.file));
    return async () => {
      for (const schema of await scratchSchemas(site)) await adminQuery(site.server!, `DROP DATABASE \`${schema}\``);
      await site.cleanup();
    };
  }, 120_000);

  afterEach(async () => {
    for (const pid of stragglers.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
    for (const schema of await scratchSchemas(site)) await adminQuery(site.server!, `DROP DATABASE \`${schema}\``);
  });

  for (const [signal, exitCode] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal} during a backup stops the dump and leaves no option file, temporary file or lock (exit ${exitCode}); the next run works`, async () => {
      const tool = holdingTool('mariadb-dump', '--single-transaction');
      const tmp = tempDir('shopdb-tmp-');
      const backups = join(site.dir, 'backups');
      const before = archivesIn(backups);
      const child = shopdb(['backup', '--env-file', site.envFile, '--json'], { PATH: tool.path, TMPDIR: tmp });
      await waitFor('the dump tool and the temporary archive', () => existsSync(tool.started) && tempFilesIn(backups).length > 0);
      const dumpPid = Number(readFileSync(tool.started, 'utf8'));
      stragglers.push(dumpPid);
      // The tool holds the option file open as fd 3; it is on no disk.
      expect(readlinkSync(`/proc/${dumpPid}/fd/3`)).toMatch(/client\.cnf \(deleted\)$/);
      expect(readdirSync(tmp)).toEqual([]);

      child.kill(signal);
      const result = await child;

      expect(result.exitCode, result.stderr).toBe(exitCode);
      expect(JSON.parse(result.stdout).error).toMatchObject({ code: 'INTERRUPTED', exitCode });
      await waitFor('the dump tool to be stopped', () => !alive(dumpPid), 15_000);
      expect(readdirSync(tmp)).toEqual([]);
      expect(tempFilesIn(backups)).toEqual([]);
      expect(existsSync(join(backups, '.shopdb-backup.lock'))).toBe(false);
      expect(archivesIn(backups)).toEqual(before);
      const next = await runBin(['backup', '--env-file', site.envFile, '--json'], { env: { TMPDIR: tmp } });
      expect(next.exitCode, next.stderr).toBe(0);
    });
  }

  it('kill -9 during a backup leaves no password on disk: the option file was unlinked before the dump tool started', async () => {
    const tool = holdingTool('mariadb-dump', '--single-transaction');
    const tmp = tempDir('shopdb-tmp-');
    const child = shopdb(['backup', '--env-file', site.envFile], { PATH: tool.path, TMPDIR: tmp });
    await waitFor('the dump tool', () => existsSync(tool.started));
    stragglers.push(Number(readFileSync(tool.started, 'utf8')));

    child.kill('SIGKILL');
    const result = await child;

    expect(result.signal).toBe('SIGKILL');
    expect(readdirSync(tmp)).toEqual([]);
  });

  for (const [signal, exitCode] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`${signal} during verify --deep drops the scratch schema it was loading (exit ${exitCode})`, async () => {
      const tool = holdingTool('mariadb', '_verify_');
      const child = shopdb(['backup', 'verify', backupFile, '--deep', '--env-file', site.envFile, '--json'], { PATH: tool.path });
      await waitFor(
        'the scratch schema and the client loading into it',
        async () => existsSync(tool.started) && (await scratchSchemas(site)).length === 1,
      );
      stragglers.push(Number(readFileSync(tool.started, 'utf8')));

      child.kill(signal);
      const result = await child;

      expect(result.exitCode, result.stderr).toBe(exitCode);
      expect(JSON.parse(result.stdout).error.code).toBe('INTERRUPTED');
      expect(await scratchSchemas(site)).toEqual([]);
    });
  }

  it('kill -9 during verify --deep leaves the scratch schema; doctor and the next verify or backup drop it, never that of a running verify', async () => {
    const tool = holdingTool('mariadb', '_verify_');
    const startVerify = async (expectedSchemas: number) => {
      execFileSync('rm', ['-f', tool.started]);
      const child = shopdb(['backup', 'verify', backupFile, '--deep', '--env-file', site.envFile], { PATH: tool.path });
      stragglers.push(child.pid!);
      await waitFor(
        'the scratch schema and the client loading into it',
        async () => existsSync(tool.started) && (await scratchSchemas(site)).length === expectedSchemas,
      );
      stragglers.push(Number(readFileSync(tool.started, 'utf8')));
      // Wrapped: a subprocess is a promise, and returning it from an async function would wait for it.
      return { child };
    };
    const killAVerify = async () => {
      const { child } = await startVerify(1);
      child.kill('SIGKILL');
      expect((await child).signal).toBe('SIGKILL');
      const [left] = await scratchSchemas(site);
      expect(left!.startsWith(scratchPrefix(site.database!))).toBe(true);
      return left!;
    };

    // doctor drops it.
    const first = await killAVerify();
    const doctor = await runBin(['doctor', '--tag', 'backup', '--env-file', site.envFile, '--json']);
    expect(doctor.json.checks.find((c: { id: string }) => c.id === 'backup-scratch-schemas')).toMatchObject({
      status: 'warn',
      data: { dropped: [first] },
    });
    expect(await scratchSchemas(site)).toEqual([]);

    // The next verify --deep drops it before making its own, and doctor leaves that running one alone.
    const second = await killAVerify();
    const { child: running } = await startVerify(1);
    const [live] = await scratchSchemas(site);
    expect(live).not.toBe(second);
    const whileRunning = await runBin(['doctor', '--tag', 'backup', '--env-file', site.envFile, '--json']);
    expect(whileRunning.json.checks.find((c: { id: string }) => c.id === 'backup-scratch-schemas')).toMatchObject({
      status: 'pass',
      data: { dropped: [], running: [live] },
    });
    expect(await scratchSchemas(site)).toEqual([live]);
    running.kill('SIGTERM');
    expect((await running).exitCode).toBe(143);
    expect(await scratchSchemas(site)).toEqual([]);

    // The next nightly backup drops it too, and says so on stderr.
    const third = await killAVerify();
    const backup = await runBin(['backup', '--env-file', site.envFile]);
    expect(backup.exitCode, backup.stderr).toBe(0);
    expect(backup.stderr).toContain(`left by an interrupted \`backup verify --deep\`: ${third}`);
    expect(await scratchSchemas(site)).toEqual([]);
  }, 180_000);

  it('doctor drops an unused scratch schema of an older shopdb and reports, without dropping, one made on another machine', async () => {
    const legacy = `${site.database}_verify_0badc0de`;
    const ours = scratchPrefix(site.database!).slice(0, -'_verify_'.length);
    const { createHash } = await import('node:crypto');
    const { hostname } = await import('node:os');
    const otherTag = createHash('sha256').update(hostname()).digest('hex').startsWith('ffff') ? 'eeee' : 'ffff';
    const foreign = `${ours}_verify_${otherTag}_1_0_${Date.now().toString(36)}`;
    for (const name of [legacy, foreign]) await adminQuery(site.server!, `CREATE DATABASE \`${name}\``);

    const doctor = await runBin(['doctor', '--tag', 'backup', '--env-file', site.envFile, '--json']);

    const check = doctor.json.checks.find((c: { id: string }) => c.id === 'backup-scratch-schemas');
    expect(check).toMatchObject({ status: 'warn', data: { dropped: [legacy], otherHost: [foreign] } });
    expect(check.suggestion).toContain(`DROP DATABASE \`${foreign}\``);
    expect(await scratchSchemas(site)).toEqual([foreign]);
    await adminQuery(site.server!, `DROP DATABASE \`${foreign}\``);
  });

  it('option file folders of dead runs and of older shopdb versions are removed by the next backup and by doctor; those of live runs stay', async () => {
    const tmp = tempDir('shopdb-tmp-');
    const folderWithFile = (name: string) => {
      mkdirSync(join(tmp, name), { mode: 0o700 });
      writeFileSync(join(tmp, name, 'client.cnf'), '[client]\npassword="secret"\n', { mode: 0o600 });
      return join(tmp, name);
    };
    const gone = execa('true');
    await gone;
    const sleeper = execa('sleep', ['300'], { reject: false });
    stragglers.push(sleeper.pid!);
    const deadRun = () => folderWithFile(`shopdb-mysql-${gone.pid}-0-aBc123`);
    const liveRun = folderWithFile(`shopdb-mysql-${sleeper.pid}-${BigInt(processStartOf(sleeper.pid!)!).toString(36)}-dEf456`);
    const oldVersion = () => {
      const path = folderWithFile('shopdb-mysql-Gh7890');
      const old = new Date(Date.now() - 3600_000);
      utimesSync(path, old, old);
      return path;
    };
    // An older shopdb's client tool still reading it names it in its argv.
    const oldInUse = folderWithFile('shopdb-mysql-Jk1234');
    utimesSync(oldInUse, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    const reader = execa('sh', ['-c', 'sleep 300', `--defaults-extra-file=${oldInUse}/client.cnf`], { reject: false });
    stragglers.push(reader.pid!);
    const staleOnes = [deadRun(), oldVersion()];

    const backup = await runBin(['backup', '--env-file', site.envFile], { env: { TMPDIR: tmp } });

    expect(backup.exitCode, backup.stderr).toBe(0);
    for (const path of staleOnes) expect(existsSync(path), path).toBe(false);
    expect(readdirSync(tmp).sort()).toEqual([liveRun, oldInUse].map((p) => p.split('/').pop()).sort());

    const again = [deadRun(), oldVersion()];
    const doctor = await runBin(['doctor', '--tag', 'backup', '--env-file', site.envFile, '--json'], { env: { TMPDIR: tmp } });
    const check = doctor.json.checks.find((c: { id: string }) => c.id === 'backup-option-files');
    expect(check.status).toBe('warn');
    expect([...check.data.removed].sort()).toEqual([...again].sort());
    expect(readdirSync(tmp).sort()).toEqual([liveRun, oldInUse].map((p) => p.split('/').pop()).sort());
  });
});

suite('restore stopped on MariaDB', () => {
  let site: TestSite;
  afterEach(async () => site?.cleanup());

  it('kill -9 and SIGTERM while restore loads leave no option file with the password (what they leave of the data is restore’s own recovery)', async () => {
    site = await createSite('mysql');
    await migrateSite({ config: site.config() });
    const backup = await runBin(['backup', '--env-file', site.envFile, '--json']);
    expect(backup.exitCode, backup.stderr).toBe(0);
    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      const tool = holdingTool('mariadb', `--database=${site.database}`);
      const tmp = tempDir('shopdb-tmp-');
      const child = shopdb(['restore', backup.json.file, '--yes', '--env-file', site.envFile], { PATH: tool.path, TMPDIR: tmp });
      await waitFor('the client loading the dump', () => existsSync(tool.started));
      const clientPid = Number(readFileSync(tool.started, 'utf8'));
      expect(readlinkSync(`/proc/${clientPid}/fd/3`)).toMatch(/client\.cnf \(deleted\)$/);

      child.kill(signal);
      await child;
      if (alive(clientPid)) process.kill(clientPid, 'SIGKILL');

      expect(readdirSync(tmp), signal).toEqual([]);
    }
  }, 120_000);
});

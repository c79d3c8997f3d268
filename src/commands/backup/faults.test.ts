// The faults a nightly backup must survive: killed mid-way, a full disk, a second run at the same
// time, `ps` during a dump, and archives that were damaged or forged.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import {
  archivesIn,
  createDemoSite,
  dropSiteDatabase,
  exportTables,
  packArchive,
  stubExecutable,
  unpackArchive,
  usePasswordUser,
} from '../../../test/support/backup.js';
import { binPath, runBin, runCommand } from '../../../test/support/cli.js';
import { describeEachEngine, mysqlAvailable, tempDir, type TestSite } from '../../../test/support/site.js';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { acquireBackupLock } from '../../core/backup/lock.js';
import { createBackup } from '../../core/backup/create.js';
import { findOnPath } from '../../core/doctor/checks.js';
import Restore from '../restore.js';
import Backup from './index.js';
import BackupList from './list.js';
import BackupVerify from './verify.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Makes the site's database big and incompressible enough that a backup takes a while / needs room. */
async function addFiller(site: TestSite, megabytes: number): Promise<void> {
  const db = await site.open();
  try {
    await db.schema.createTable('filler', (table) => {
      table.increments('id');
      if (site.engine === 'mysql') table.specificType('data', 'LONGBLOB');
      else table.binary('data');
    });
    for (let i = 0; i < megabytes * 4; i++) await db('filler').insert({ data: (await import('node:crypto')).randomBytes(256 * 1024) });
  } finally {
    await db.destroy();
  }
}

/**
 * A mariadb-dump that announces itself (its pid in `started`) and sleeps before running the real
 * one: a backup that stays in flight long enough to look at. --version answers at once.
 */
/**
 * A dump tool that announces its pid and then holds until the test releases it (or two minutes
 * pass), so "while the dump runs" is a condition the test controls, not a guess at the speed.
 */
function slowDumpTool(): { path: string; started: string; release: () => void } {
  const folder = tempDir('shopdb-slowdump-');
  const real = findOnPath('mariadb-dump', process.env.PATH ?? '') ?? findOnPath('mysqldump', process.env.PATH ?? '');
  const started = join(folder, 'started');
  const released = join(folder, 'released');
  stubExecutable(
    'mariadb-dump',
    `#!/bin/sh\ncase "$*" in *--version*) exec ${real} "$@";; esac\necho $$ > ${started}.tmp && mv ${started}.tmp ${started}\n` +
      `n=0; while [ ! -e ${released} ] && [ $n -lt 1200 ]; do sleep 0.1; n=$((n+1)); done\nexec ${real} "$@"\n`,
    folder,
  );
  return { path: `${folder}:${process.env.PATH}`, started, release: () => writeFileSync(released, '') };
}

function tempFilesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((name) => /\.tmp-\d+-/.test(name)) : [];
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

describeEachEngine('backup faults', (engine) => {
  let site: TestSite;
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await site?.cleanup();
  });

  it('kill -9 in the middle of a backup leaves nothing listed as valid and no lock that blocks the next run', async () => {
    site = await createDemoSite(engine);
    const backups = join(site.dir, 'backups');
    let env: Record<string, string> = {};
    let inFlight: () => boolean;
    if (engine === 'mysql') {
      const slow = slowDumpTool();
      env = { PATH: slow.path };
      inFlight = () => existsSync(slow.started) && tempFilesIn(backups).length > 0;
      cleanups.push(() => {
        if (existsSync(slow.started)) killQuietly(Number(readFileSync(slow.started, 'utf8')));
      });
    } else {
      await addFiller(site, 48);
      inFlight = () => tempFilesIn(backups).some((name) => name.includes('.shopdb.tar.tmp-'));
    }
    const child = execa(binPath, ['backup', '--env-file', site.envFile], {
      env: { HOME: '/tmp', LANG: 'C.UTF-8', PATH: process.env.PATH ?? '', ...env },
      extendEnv: false,
      reject: false,
    });
    await waitFor('the backup to be in flight', inFlight);
    killQuietly(child.pid!);
    const killed = await child;

    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(backups, '.shopdb-backup.lock'))).toBe(true);
    expect(tempFilesIn(backups).length).toBeGreaterThan(0);
    const list = await runBin(['backup', 'list', '--env-file', site.envFile, '--json']);
    expect(list.json.backups).toEqual([]);
    const next = await runBin(['backup', '--env-file', site.envFile, '--json']);
    expect(next.exitCode, next.stderr).toBe(0);
    expect(tempFilesIn(backups)).toEqual([]);
    expect(existsSync(join(backups, '.shopdb-backup.lock'))).toBe(false);
    const after = await runBin(['backup', 'list', '--env-file', site.envFile, '--json']);
    expect(after.json.backups.map((b: { name: string; checksumOk: boolean }) => [b.name, b.checksumOk])).toEqual([[next.json.name, true]]);
  });

  it('a full disk fails clearly and leaves no file behind (64 KiB tmpfs)', async (context) => {
    site = await createDemoSite(engine);
    await addFiller(site, 1);
    const small = tempDir('shopdb-full-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', small], { stdio: 'ignore' });
    } catch {
      context.skip('cannot mount a tmpfs here (needs root)');
    }
    cleanups.push(() => void execFileSync('umount', [small]));

    const inProcess = await runCommand(Backup, ['--env-file', site.envFile, '--out', small]);
    const bin = await runBin(['backup', '--env-file', site.envFile, '--out', small, '--json']);

    expect(inProcess.exitCode).toBe(1);
    expect(inProcess.stderr).toMatch(
      new RegExp(`^Error: No space left in ${small} \\((ENOSPC|SQLITE_FULL)\\); the unfinished backup was removed`, 'm'),
    );
    expect(inProcess.stderr).toMatch(/^Fix: Free space there/m);
    expect(bin.exitCode).toBe(1);
    expect(bin.json.error.message).toMatch(/^No space left in/);
    expect(readdirSync(small)).toEqual([]);
  });

  it('never runs two backups at once: the second stops with exit 5 and says who holds the lock', async () => {
    site = await createDemoSite(engine);
    const backups = join(site.dir, 'backups');
    mkdirSync(backups, { recursive: true });
    const held = await acquireBackupLock(backups, 'backup');
    let blocked;
    try {
      blocked = await runBin(['backup', '--env-file', site.envFile]);
    } finally {
      await held.release();
    }
    expect(blocked.exitCode).toBe(5);
    expect(blocked.stderr).toMatch(
      new RegExp(`^Error: The backup directory .* is in use by a shopdb backup \\(pid ${process.pid}, started`, 'm'),
    );
    expect(archivesIn(backups)).toEqual([]);

    if (engine === 'mysql') {
      // Two real runs: the second starts while the first is dumping.
      const slow = slowDumpTool();
      const env = { HOME: '/tmp', LANG: 'C.UTF-8', PATH: slow.path };
      const first = execa(binPath, ['backup', '--env-file', site.envFile, '--json'], { env, extendEnv: false, reject: false });
      await waitFor('the first dump', () => existsSync(slow.started));
      const second = await execa(binPath, ['backup', '--env-file', site.envFile, '--json'], { env, extendEnv: false, reject: false });
      slow.release();
      const done = await first;
      expect(second.exitCode).toBe(5);
      expect(JSON.parse(second.stdout).error.message).toContain(`pid ${first.pid}`);
      expect(done.exitCode, done.stderr).toBe(0);
      expect(archivesIn(backups)).toHaveLength(1);
    }
  });

  it('refuses a backup whose manifest is missing or whose migrations are newer than this shopdb, touching nothing', async () => {
    site = await createDemoSite(engine);
    const backup = await runCommand(Backup, ['--env-file', site.envFile, '--json']);
    const before = await exportTables(site);
    const { dumpName, dump, manifest } = await unpackArchive(backup.json.file);
    const noManifest = join(site.dir, 'no-manifest.shopdb.tar');
    await packArchive(noManifest, dumpName, dump, manifest, { withManifest: false });
    const future = join(site.dir, 'future.shopdb.tar');
    const core = manifest.migrations.find((m: { source: string }) => m.source === 'core');
    core.head = '29991231A-from-the-future';
    await packArchive(future, dumpName, dump, manifest);

    const missing = await runCommand(Restore, [noManifest, '--yes', '--env-file', site.envFile]);
    const newer = await runBin(['restore', future, '--yes', '--env-file', site.envFile, '--json']);

    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/^Error: Refusing to restore: .*manifest/m);
    expect(newer.exitCode).toBe(1);
    expect(newer.json.error.message).toMatch(/^Refusing to restore: the backup was made by a newer shopdb/);
    expect(newer.json.error.details).toEqual([expect.stringContaining('core: 29991231A-from-the-future is newer than this shopdb knows')]);
    expect(await exportTables(site)).toEqual(before);
    expect(archivesIn(join(site.dir, 'backups'))).toEqual([backup.json.name]);
  });
});

async function forge(
  file: string,
  dumpName: string,
  dump: Buffer,
  manifest: Record<string, any>,
  tables: Record<string, number>,
): Promise<void> {
  const stored = gzipSync(dump);
  await packArchive(file, dumpName, stored, {
    ...manifest,
    tables,
    dump: {
      ...manifest.dump,
      bytes: stored.length,
      uncompressedBytes: dump.length,
      sha256: createHash('sha256').update(stored).digest('hex'),
    },
  });
}

describeEachEngine('restore of a hostile archive (valid checksum, forged content)', (engine) => {
  let site: TestSite;
  afterEach(async () => site?.cleanup());

  it('refuses it in verify and restore and touches nothing', async () => {
    site = await createDemoSite(engine);
    const backup = await runCommand(Backup, ['--env-file', site.envFile, '--json']);
    const before = await exportTables(site);
    const { dumpName, manifest } = await unpackArchive(backup.json.file);
    const forged: Array<[string, Buffer, RegExp]> =
      engine === 'mysql'
        ? [
            [
              'use.shopdb.tar',
              Buffer.from('CREATE TABLE `t` (`id` int) ENGINE=InnoDB;\nUSE mysql;\nDROP TABLE `user`;\n'),
              /USE is not part of a shopdb dump/,
            ],
            [
              'other-schema.shopdb.tar',
              Buffer.from('CREATE TABLE `t` (`id` int) ENGINE=InnoDB;\nINSERT INTO `test`.`t` VALUES (1);\n'),
              /another schema/,
            ],
            ['drop-db.shopdb.tar', Buffer.from('CREATE TABLE `t` (`id` int) ENGINE=InnoDB;\nDROP DATABASE `test`;\n'), /expected TABLE/],
            [
              'shell.shopdb.tar',
              Buffer.from('CREATE TABLE `t` (`id` int) ENGINE=InnoDB;\n\\! touch /tmp/shopdb-pwned\n'),
              /client command/,
            ],
          ]
        : [['not-sqlite.shopdb.tar', Buffer.from('this is not a database file'.repeat(100)), /not .*SQLite|not a database/i]];
    for (const [name, dump, reason] of forged) {
      const file = join(site.dir, name);
      await forge(file, dumpName, dump, manifest, { t: 0 });
      const verify = await runBin(['backup', 'verify', file, '--env-file', site.envFile, '--json']);
      const restore = await runCommand(Restore, [file, '--yes', '--env-file', site.envFile, '--json']);
      expect(verify.exitCode, name).toBe(1);
      expect(verify.json.checksumOk, name).toBe(true);
      expect(verify.json.problems.join('\n'), name).toMatch(reason);
      expect(restore.exitCode, name).toBe(1);
      expect(restore.json.error.message, name).toMatch(/^Refusing to restore: /);
      expect(restore.json.error.message, name).toMatch(reason);
    }
    expect(existsSync('/tmp/shopdb-pwned')).toBe(false);
    expect(await exportTables(site)).toEqual(before);
    expect(archivesIn(join(site.dir, 'backups'))).toEqual([backup.json.name]);

    // Into an empty database the dump is checked on its way to the client; a refusal empties it again.
    await dropSiteDatabase(site);
    const [name, , reason] = forged.at(-1)!;
    const intoEmpty = await runBin(['restore', join(site.dir, name), '--yes', '--env-file', site.envFile, '--json']);
    expect(intoEmpty.exitCode).toBe(1);
    expect(intoEmpty.json.error.message).toMatch(/^Refusing to restore: /);
    expect(intoEmpty.json.error.message).toMatch(reason);
    expect(intoEmpty.json.error.message).toMatch(/was empty before and is empty again$/);
    expect(existsSync('/tmp/shopdb-pwned')).toBe(false);
    if (engine === 'mysql') {
      const { adminQuery } = await import('../../../test/support/mysql.js');
      expect(
        await adminQuery(site.server!, 'SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [site.database]),
      ).toEqual([]);
    } else {
      expect(existsSync(site.config().values.DB_SQLITE_PATH)).toBe(false);
    }
  });
});

const mysqlSuite = mysqlAvailable() ? describe : describe.skip;

mysqlSuite('MySQL password during a backup and a restore', () => {
  let site: TestSite;
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await drop?.();
    await site?.cleanup();
  });

  it('is never in any process argv (ps, /proc/<pid>/cmdline) nor in the environment of the tools, and its option file is removed', async () => {
    site = await createDemoSite('mysql');
    const user = await usePasswordUser(site);
    drop = user.drop;
    const slow = slowDumpTool();
    const tmp = tempDir('shopdb-tmp-');
    const env = { HOME: '/tmp', LANG: 'C.UTF-8', PATH: slow.path, TMPDIR: tmp };
    const child = execa(binPath, ['backup', '--env-file', site.envFile, '--json'], { env, extendEnv: false, reject: false });
    await waitFor('the dump tool', () => existsSync(slow.started));
    const dumpPid = Number(readFileSync(slow.started, 'utf8'));
    // The stand-in holds until released, so its /proc entry is there to read.
    const environ = readFileSync(`/proc/${dumpPid}/environ`, 'utf8');

    let finished = false;
    void child.finally(() => (finished = true));
    const seen: string[] = [];
    const optionFiles: string[] = [];
    // Twenty samples while the stand-in holds, then on through the real tool until the backup ends.
    for (let sample = 0; !finished; sample++) {
      if (sample === 20) slow.release();
      for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
        let argv: string;
        try {
          argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          continue;
        }
        if (argv.includes(user.password)) seen.push(`${pid}: ${argv.replace(/\0/g, ' ')}`);
        if (Number(pid) === dumpPid) {
          // The stand-in is a shell script (argv: sh, script, args…); after its exec, the real tool (argv: tool, args…).
          const parts = argv.split('\0');
          const tool = parts.findIndex((part) => /mariadb-dump$|mysqldump$/.test(part));
          optionFiles.push(parts[tool + 1] ?? '');
        }
      }
      const psOutput = execFileSync('ps', ['-eo', 'pid,args', '--no-headers'], { encoding: 'utf8' });
      if (psOutput.includes(user.password)) seen.push('ps');
      await sleep(50);
    }
    const result = await child;

    expect(result.exitCode, result.stderr).toBe(0);
    expect(seen).toEqual([]);
    expect(environ).not.toContain(user.password);
    // The dump tool got the option file as its first argument, as an inherited descriptor: no file on disk at any time.
    expect(optionFiles[0]).toBe('--defaults-extra-file=/dev/fd/3');
    expect(readdirSync(tmp)).toEqual([]);
    expect(result.stdout).not.toContain(user.password);
    expect(result.stderr).not.toContain(user.password);
    expect(readFileSync(JSON.parse(result.stdout).file).includes(Buffer.from(user.password))).toBe(false);

    const restore = await runBin(['restore', JSON.parse(result.stdout).file, '--yes', '--env-file', site.envFile, '--json', '--verbose']);
    expect(restore.exitCode, restore.stderr).toBe(0);
    expect(restore.stdout + restore.stderr).not.toContain(user.password);
  });

  it('works with the least-privilege site user: events are left out, verify --deep explains the grant it needs', async () => {
    site = await createDemoSite('mysql');
    const user = await usePasswordUser(site);
    drop = user.drop;
    const result = await createBackup({ config: site.config(), path: process.env.PATH ?? '' });
    expect(result.manifest.dump.events).toBe(false);
    const deep = await runCommand(BackupVerify, [result.file, '--deep', '--env-file', site.envFile]);
    expect(deep.exitCode).toBe(1);
    expect(deep.stderr).toMatch(/^Error: The database user may not create the scratch schema/m);
    expect(deep.stderr).toMatch(/^Fix: Grant it, e\.g\. as root: GRANT ALL ON/m);
    const list = await runCommand(BackupList, ['--env-file', site.envFile, '--json']);
    expect(list.json.backups[0].checksumOk).toBe(true);
  });
});

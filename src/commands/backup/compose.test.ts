// BACKUP_DUMP_VIA=compose: the dump and restore run with the database container's own tools
// through `docker compose exec`. A stand-in `docker` plays the container here: it runs the
// command it is given on this machine, with the environment the MySQL image has (MYSQL_USER and
// MYSQL_PASSWORD_FILE, as docker-compose.secrets.yml sets them), and records every call.

import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoSite, exportTables, stubExecutable, usePasswordUser } from '../../../test/support/backup.js';
import { binPath, runBin } from '../../../test/support/cli.js';
import { mysqlAvailable, tempDir, type TestSite } from '../../../test/support/site.js';

const suite = mysqlAvailable() ? describe : describe.skip;

function standInDocker(user: string, password: string, apiEnvFile = '/nonexistent'): { path: string; calls: string } {
  const folder = tempDir('shopdb-docker-');
  const calls = join(folder, 'calls.log');
  const secret = join(folder, 'db_password');
  writeFileSync(secret, password, { mode: 0o600 });
  stubExecutable(
    'docker',
    `#!/bin/sh
printf '%s\\n' "$*" | tr '\\n' ' ' >> ${calls}; echo >> ${calls}
[ "$1" = info ] && { echo 27.0.0; exit 0; }
[ "$1 $2" = "compose version" ] && { echo 2.29.0; exit 0; }
while [ $# -gt 0 ] && [ "$1" != exec ]; do shift; done
[ "$1" = exec ] || { echo "stand-in docker: not an exec" >&2; exit 2; }
shift; [ "$1" = -T ] && shift
while [ "$1" = -e ]; do export "$2"; shift 2; done
service="$1"; shift
# The api container: shopdb with the settings it has inside the stack.
[ "$service" = api ] && { shift; exec ${binPath} "$@" --env-file ${apiEnvFile}; }
unset MYSQL_PWD DB_PASSWORD
MYSQL_USER=${user} MYSQL_PASSWORD_FILE=${secret} exec "$@"
`,
    folder,
  );
  return { path: `${folder}:${process.env.PATH}`, calls };
}

suite('backups through the compose stack (stand-in docker)', () => {
  let site: TestSite;
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await drop?.();
    await site?.cleanup();
  });

  it("dumps and restores with the database container's tools and its password, never shopdb's, never in argv", async () => {
    site = await createDemoSite('mysql');
    const user = await usePasswordUser(site);
    drop = user.drop;
    const docker = standInDocker(user.user, user.password);
    const env = { PATH: docker.path };
    const before = await exportTables(site);
    const good = readFileSync(site.envFile, 'utf8');
    // shopdb's own copy of the password is wrong: only the container's can make the dump work.
    writeFileSync(site.envFile, good.replace(/^DB_PASSWORD=.*$/m, "DB_PASSWORD='wrong-password-0000'"));
    appendFileSync(site.envFile, 'BACKUP_DUMP_VIA=compose\nBACKUP_COMPOSE_SERVICE=db\n');

    const backup = await runBin(['backup', '--env-file', site.envFile, '--json'], { env });
    const verify = await runBin(['backup', 'verify', backup.json?.file ?? '', '--env-file', site.envFile, '--json'], { env });
    writeFileSync(site.envFile, `${good}BACKUP_DUMP_VIA=compose\n`);
    const restore = await runBin(['restore', backup.json?.file ?? '', '--yes', '--env-file', site.envFile, '--json'], { env });

    expect(backup.exitCode, backup.stderr).toBe(0);
    expect(backup.json.manifest.dump.tool).toMatch(/in the db container$/);
    expect(backup.json.manifest.tables.assets).toBeGreaterThan(0);
    expect(backup.json.manifest.migrations.length).toBeGreaterThan(1);
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect(verify.json.ok).toBe(true);
    expect(restore.exitCode, restore.stderr).toBe(0);
    expect(restore.json.safetyBackup).toMatch(/-pre-restore\.shopdb\.tar$/);
    expect(await exportTables(site)).toEqual(before);
    const calls = readFileSync(docker.calls, 'utf8').trim().split('\n');
    expect(calls.length).toBeGreaterThan(3);
    for (const call of calls) {
      expect(call).toMatch(new RegExp(`^compose --env-file ${site.envFile} exec -T db sh -c `));
      expect(call).not.toContain(user.password);
      expect(call).not.toContain('wrong-password');
    }
  }, 300_000);

  it('runs the migrations after a restore in the api container when the database port is not reachable from here', async () => {
    site = await createDemoSite('mysql');
    const user = await usePasswordUser(site);
    drop = user.drop;
    const good = readFileSync(site.envFile, 'utf8');
    const apiEnv = join(site.dir, 'api.env');
    writeFileSync(apiEnv, good, { mode: 0o600 });
    writeFileSync(join(site.dir, 'docker-compose.yml'), 'services: {}\n');
    const docker = standInDocker(user.user, user.password, apiEnv);
    const env = { PATH: docker.path };
    writeFileSync(site.envFile, `${good.replace(/^DB_PORT=.*$/m, 'DB_PORT=1')}BACKUP_DUMP_VIA=compose\n`);

    const backup = await runBin(['backup', '--env-file', site.envFile, '--json'], { env });
    const restore = await runBin(['restore', backup.json?.file ?? '', '--yes', '--env-file', site.envFile, '--json'], { env });

    expect(backup.exitCode, backup.stderr).toBe(0);
    expect(restore.exitCode, restore.stderr).toBe(0);
    expect(restore.json.migrationsApplied).toEqual([]);
    expect(readFileSync(docker.calls, 'utf8')).toMatch(
      new RegExp(`^compose --env-file ${site.envFile} exec -T -e SHOPDB_FINISHING_RESTORE=1 api shopdb migrate --json $`, 'm'),
    );
  }, 300_000);
});

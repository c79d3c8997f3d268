// The CLI contract: the set of commands, their flags and the shape of their --json output are
// snapshotted, so changing any of them is a decision (update the snapshot), never an accident.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/core/paths.js';
import type { AddressInfo } from 'node:net';
import { cliActor } from '../src/core/audit/log.js';
import { createApiToken } from '../src/core/auth/api-tokens.js';
import { createApiSite, freePort, makeUser } from './support/api.js';
import { runBin } from './support/cli.js';
import { directorySkipReason, type TestDirectory } from './support/directories.js';
import { addDirectoryUser, buildWorld, directoryEnv, startDirectory } from './support/directory-login.js';
import { createSite, tempDir, writeEnvFile, type TestSite } from './support/site.js';

interface ManifestCommand {
  id: string;
  summary?: string;
  examples?: unknown[];
  enableJsonFlag?: boolean;
  flags: Record<string, { type: string; char?: string; hidden?: boolean; options?: string[] }>;
  args: Record<string, unknown>;
}

const manifest = JSON.parse(readFileSync(join(packageRoot, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, ManifestCommand>;
};
const commands = Object.values(manifest.commands).sort((a, b) => a.id.localeCompare(b.id));

/** Replaces values by their types, keeping keys: the shape a script depends on. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0])];
  if (value === null) return null;
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  return typeof value;
}

describe('CLI contract', () => {
  it('has the same commands and flags as the snapshot', () => {
    const surface = commands.map((command) => ({
      id: command.id,
      args: Object.keys(command.args),
      flags: Object.entries(command.flags)
        .filter(([, flag]) => !flag.hidden)
        .map(
          ([name, flag]) =>
            `${name}${flag.char ? ` (-${flag.char})` : ''}: ${flag.type}${flag.options ? ` [${flag.options.join('|')}]` : ''}`,
        )
        .sort(),
    }));
    expect(surface).toMatchSnapshot();
  });

  it('gives every command a summary and an example, and --json to every command', () => {
    for (const command of commands) {
      expect(command.summary, command.id).toBeTruthy();
      expect(command.examples?.length ?? 0, command.id).toBeGreaterThan(0);
      expect(command.enableJsonFlag, `${command.id} should support --json`).toBe(true);
    }
  });

  it('documents every command in the README', () => {
    const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
    for (const command of commands)
      expect(readme, `README lacks shopdb ${command.id}`).toContain(`## \`shopdb ${command.id.replace(/:/g, ' ')}`);
  });
});

describe('JSON output shapes', () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await createSite('sqlite');
  });
  afterAll(async () => site.cleanup());

  it('keeps the shapes of migrate, migrate status, doctor, config check and errors', async () => {
    const env = ['--env-file', site.envFile, '--json'];
    const migrate = await runBin(['migrate', ...env]);
    const status = await runBin(['migrate', 'status', ...env]);
    const doctor = await runBin(['doctor', ...env]);
    const check = await runBin(['config', 'check', ...env]);
    const error = await runBin(['migrate', '--no-such-flag', '--json']);
    expect(error.exitCode).toBe(2);
    expect({
      migrate: shape(migrate.json),
      status: shape(status.json),
      doctor: shape(doctor.json),
      configCheck: shape(check.json),
      error: shape(error.json),
    }).toMatchSnapshot();
  });

  it('keeps the shapes of backup, backup list, backup verify, restore and update', async () => {
    const env = ['--env-file', site.envFile, '--json'];
    await runBin(['migrate', ...env]);
    const dryRun = await runBin(['update', '--dry-run', ...env]);
    const backup = await runBin(['backup', ...env]);
    const list = await runBin(['backup', 'list', ...env]);
    const verify = await runBin(['backup', 'verify', backup.json.file, '--deep', ...env]);
    const restore = await runBin(['restore', backup.json.file, '--yes', ...env]);
    const update = await runBin(['update', ...env]);
    for (const result of [dryRun, backup, list, verify, restore, update]) expect(result.exitCode, result.stderr).toBe(0);
    expect({
      backup: shape(backup.json),
      backupList: shape(list.json),
      backupVerify: shape(verify.json),
      restore: shape(restore.json),
      updateDryRun: shape(dryRun.json),
      update: shape(update.json),
    }).toMatchSnapshot();
  });

  it('keeps the shapes of plugin list, info, install, enable, disable, upgrade and uninstall', async () => {
    const env = ['--env-file', site.envFile, '--json'];
    await runBin(['migrate', ...env]);
    const install = await runBin(['plugin', 'install', 'equipment', ...env]);
    const list = await runBin(['plugin', 'list', ...env]);
    const info = await runBin(['plugin', 'info', 'equipment', ...env]);
    const disable = await runBin(['plugin', 'disable', 'equipment', ...env]);
    const enable = await runBin(['plugin', 'enable', 'equipment', ...env]);
    const upgrade = await runBin(['plugin', 'upgrade', ...env]);
    const uninstall = await runBin(['plugin', 'uninstall', 'equipment', ...env]);
    for (const result of [install, list, info, disable, enable, upgrade, uninstall]) expect(result.exitCode, result.stderr).toBe(0);
    expect({
      pluginInstall: shape(install.json),
      pluginList: shape(list.json),
      pluginInfo: shape(info.json),
      pluginDisable: shape(disable.json),
      pluginEnable: shape(enable.json),
      pluginUpgrade: shape(upgrade.json),
      pluginUninstall: shape(uninstall.json),
    }).toMatchSnapshot();
  });

  it('keeps the shapes of fleet add, list, status, report and remove', async () => {
    const api = await createApiSite('sqlite', { SHOPDB_SITE_NAME: 'plant-1' });
    try {
      const user = await makeUser(api.db, 'viewer');
      const { token } = await createApiToken(api.db, cliActor('test'), { userId: user.id, name: 'fleet', scope: 'summary:read' });
      const app = await api.app();
      await app.listen({ host: '127.0.0.1', port: 0 });
      const env = ['--env-file', join(tempDir('shopdb-central-'), '.env'), '--json'];
      writeEnvFile(env[1]!, { SHOPDB_SITE_NAME: 'central' });
      const add = await runBin(
        ['fleet', 'add', 'plant-1', `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, '--token-stdin', ...env],
        { input: token },
      );
      await runBin(['fleet', 'add', 'plant-2', `http://127.0.0.1:${await freePort()}`, '--token-stdin', ...env], { input: token });
      const list = await runBin(['fleet', 'list', ...env]);
      const status = await runBin(['fleet', 'status', '--timeout', '3', ...env]);
      const report = await runBin(['fleet', 'report', '--timeout', '3', ...env]);
      const remove = await runBin(['fleet', 'remove', 'plant-2', ...env]);
      for (const result of [add, list, report, remove]) expect(result.exitCode, result.stderr).toBe(0);
      expect(status.exitCode).toBe(1);
      expect({
        fleetAdd: shape(add.json),
        fleetList: shape(list.json),
        fleetStatus: shape(status.json),
        fleetReport: shape(report.json),
        fleetRemove: shape(remove.json),
      }).toMatchSnapshot();
    } finally {
      await api.cleanup();
    }
  });
});

const openLdapSkip = directorySkipReason('openldap');
(openLdapSkip === null ? describe : describe.skip)(
  `JSON output shapes of the ldap commands${openLdapSkip === null ? '' : ` [skipped: ${openLdapSkip}]`}`,
  () => {
    let directory: TestDirectory;
    let site: TestSite;
    beforeAll(async () => {
      directory = await startDirectory('openldap');
      const world = await buildWorld(directory);
      await addDirectoryUser(directory, 'hedy', 'Dir-Pass-4711', [world.nestedGroup]);
      site = await createSite('sqlite', directoryEnv(directory, world));
      await runBin(['migrate', '--env-file', site.envFile, '--json']);
    }, 120_000);
    afterAll(async () => {
      await site?.cleanup();
      await directory?.cleanup();
    });

    it('keeps the shapes of ldap test and ldap sync', async () => {
      const env = ['--env-file', site.envFile, '--json'];
      const test = await runBin(['ldap', 'test', 'hedy', '--password-stdin', ...env], { input: 'Dir-Pass-4711' });
      const sync = await runBin(['ldap', 'sync', '--dry-run', ...env]);
      for (const result of [test, sync]) expect(result.exitCode, result.stderr).toBe(0);
      expect({ ldapTest: shape(test.json), ldapSync: shape(sync.json) }).toMatchSnapshot();
    });
  },
);

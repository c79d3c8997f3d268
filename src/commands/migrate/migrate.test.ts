import { afterEach, describe, expect, it } from 'vitest';
import { runBin, runCommand } from '../../../test/support/cli.js';
import { createSite, describeEachEngine, type TestSite } from '../../../test/support/site.js';
import Migrate from './index.js';
import MigrateStatus from './status.js';
import MigrateRollback from './rollback.js';

describeEachEngine('shopdb migrate', (engine) => {
  let site: TestSite;
  afterEach(async () => site?.cleanup());

  it('applies, is a no-op the second time, rolls back and re-applies (in-process)', async () => {
    site = await createSite(engine);
    const first = await runCommand(Migrate, ['--env-file', site.envFile, '--json']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.json.appliedCount).toBeGreaterThan(0);

    const second = await runCommand(Migrate, ['--env-file', site.envFile, '--json']);
    expect(second.json.appliedCount).toBe(0);

    const rollback = await runCommand(MigrateRollback, ['--env-file', site.envFile, '--json']);
    expect(rollback.exitCode).toBe(0);
    expect(rollback.json.appliedCount).toBe(first.json.appliedCount);

    const status = await runCommand(MigrateStatus, ['--env-file', site.envFile, '--json']);
    expect(status.json.upToDate).toBe(false);

    const again = await runCommand(Migrate, ['--env-file', site.envFile, '--json']);
    expect(again.json.appliedCount).toBe(first.json.appliedCount);
  });

  it('works through bin/run.js', async () => {
    site = await createSite(engine);
    const result = await runBin(['migrate', '--env-file', site.envFile]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('up to date');
    const status = await runBin(['migrate', 'status', '--env-file', site.envFile, '--json']);
    expect(status.json.upToDate).toBe(true);
  });
});

import { afterEach, expect, it } from 'vitest';
import { runBin, runCommand } from '../../test/support/cli.js';
import { createSite, describeEachEngine, type TestSite } from '../../test/support/site.js';
import Migrate from './migrate/index.js';
import Seed from './seed.js';

describeEachEngine('shopdb seed', (engine) => {
  let site: TestSite;
  afterEach(async () => site?.cleanup());

  it('seeds reference data, then the demo site, idempotently (in-process)', async () => {
    site = await createSite(engine);
    await runCommand(Migrate, ['--env-file', site.envFile]);

    const first = await runCommand(Seed, ['--env-file', site.envFile, '--json']);
    const demo = await runCommand(Seed, ['--env-file', site.envFile, '--demo', '--json']);
    const again = await runCommand(Seed, ['--env-file', site.envFile, '--demo', '--json']);

    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.json.roles.created).toBe(3);
    expect(demo.json.demo.created).toBeGreaterThan(0);
    expect(again.json.demo.created).toBe(0);
    expect(again.json.statusLabels.created).toBe(0);
  });

  it('works through bin/run.js and refuses an unmigrated database with exit 1', async () => {
    site = await createSite(engine);

    const early = await runBin(['seed', '--env-file', site.envFile]);
    await runBin(['migrate', '--env-file', site.envFile]);
    const seeded = await runBin(['seed', '--demo', '--env-file', site.envFile]);

    if (engine === 'sqlite') expect(early.exitCode).toBe(3);
    else expect(early.exitCode).toBe(1);
    expect(early.stderr).toMatch(/shopdb migrate/);
    expect(seeded.exitCode, seeded.stderr).toBe(0);
    expect(seeded.stdout).toMatch(/Demo site rows\s+\d+ added/);
  });
});

// Database suite (SQLite and MySQL): the software plugin's doctor check, as `shopdb doctor` runs
// it in-process and through bin/run.js — licences past expiry still in use and licences over their
// seats are a warning naming them (never their key), a site in order passes, and a site without
// the plugin has no such check.

import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, runCommand } from '../../test/support/cli.js';
import { installTestPlugins } from '../../test/support/plugins.js';
import { createSite, describeEachEngine, type TestSite } from '../../test/support/site.js';
import { createAsset } from 'shopdb/sdk';
import { DoctorCommand as Doctor, migrateSite, seedSite, TEST_ACTOR, type CheckReport } from '../../test/support/core-access.js';
import { createInstallation, createLicence, createTitle, deleteInstallation } from './service.js';

const cli = TEST_ACTOR;
const KEY = 'DOCTOR-KEY-7F3Q-SECRET';
const byId = (checks: CheckReport[]): Record<string, CheckReport> => Object.fromEntries(checks.map((check) => [check.id, check]));

describeEachEngine('software plugin: doctor check', (engine) => {
  let site: TestSite;
  let db: Knex;
  beforeAll(async () => {
    site = await createSite(engine);
    await migrateSite({ config: site.config() });
    db = await site.open();
    await seedSite(db, { demo: false, actor: cli });
  });
  afterAll(async () => {
    await db.destroy();
    await site.cleanup();
  });

  it('is not there while the plugin is not installed', async () => {
    const result = await runCommand(Doctor, ['--env-file', site.envFile, '--json']);

    expect(Object.keys(byId(result.json.checks)).filter((id) => id.startsWith('software.'))).toEqual([]);
  });

  describe('with the plugin installed', () => {
    let expiredId: number;
    let crowdedId: number;
    let extraInstallation: number;
    beforeAll(async () => {
      await installTestPlugins(db, ['software']);
      const statusId = Number((await db('status_labels').where({ name: 'In service' }).first('id')).id);
      const pcs: number[] = [];
      for (const tag of ['D-PC-1', 'D-PC-2', 'D-PC-3'])
        pcs.push((await createAsset(db, cli, { assetTag: tag, name: `PC ${tag}`, type: 'computer', statusId })).id);
      const cam = await createTitle(db, cli, { name: 'Mastercam', vendor: 'CNC Software', version: '2024' });
      const cad = await createTitle(db, cli, { name: 'SolidWorks', version: '2025' });
      const expired = await createLicence(db, cli, { titleId: cam.id, licenceKey: KEY, seats: 5, expiresOn: '2026-01-31' });
      const crowded = await createLicence(db, cli, { titleId: cad.id, licenceKey: KEY, seats: 3, expiresOn: '2099-12-31' });
      await createLicence(db, cli, { titleId: cad.id, seats: 1, expiresOn: '2020-06-30' });
      [expiredId, crowdedId] = [expired.id, crowded.id];
      await createInstallation(db, cli, { titleId: cam.id, assetId: pcs[0]!, licenceId: expired.id });
      for (const pc of pcs)
        extraInstallation = (await createInstallation(db, cli, { titleId: cad.id, assetId: pc, licenceId: crowded.id })).id;
      // Renewed with fewer seats, typed straight into the database.
      await db('software_licences').where({ id: crowded.id }).update({ seats: 2 });
    });

    it('warns about a licence past expiry still in use and one over its seats, naming them, in-process and through bin/run.js', async () => {
      const inProcess = await runCommand(Doctor, ['--env-file', site.envFile, '--json']);
      const bin = await runBin(['doctor', '--env-file', site.envFile, '--json']);
      const text = await runBin(['doctor', '--env-file', site.envFile]);

      for (const result of [inProcess, bin]) {
        const check = byId(result.json.checks)['software.licences']!;
        expect(check).toMatchObject({ status: 'warn', title: 'software: Licences in date and within their seats', tags: [] });
        expect(check.message.split('\n')).toEqual([
          '1 expired in use, 1 over their seats',
          `licence ${expiredId} (Mastercam 2024): expired 2026-01-31, 1 installation still on it`,
          `licence ${crowdedId} (SolidWorks 2025): 3 installations on 2 seats`,
        ]);
        expect(check.suggestion).toContain('renew');
        expect(check.data).toEqual({
          expired: [{ id: expiredId, expiresOn: '2026-01-31', seatsUsed: 1 }],
          overAllocated: [{ id: crowdedId, seats: 2, seatsUsed: 3 }],
        });
      }
      // A warning: doctor still passes.
      expect(bin.exitCode, bin.stderr).toBe(0);
      expect(text.stdout).toMatch(/warn {2}software: Licences in date and within their seats: 1 expired in use, 1 over their seats/);
      expect(`${bin.stdout}${bin.stderr}${text.stdout}${text.stderr}`).not.toContain(KEY);
    });

    it('is not a pre-flight: --tag start and --tag update leave it out', async () => {
      const result = await runCommand(Doctor, ['--env-file', site.envFile, '--tag', 'start', '--tag', 'update', '--json']);

      expect(Object.keys(byId(result.json.checks))).not.toContain('software.licences');
    });

    it('passes once the licences are in order, and is gone while the plugin is disabled', async () => {
      await db('software_installations').where({ licence_id: expiredId }).update({ licence_id: null });
      await deleteInstallation(db, cli, extraInstallation);

      const fine = await runCommand(Doctor, ['--env-file', site.envFile, '--json']);
      await db('installed_plugins').where({ name: 'software' }).update({ enabled: false });
      const disabled = await runCommand(Doctor, ['--env-file', site.envFile, '--json']);
      await db('installed_plugins').where({ name: 'software' }).update({ enabled: true });

      expect(byId(fine.json.checks)['software.licences']).toMatchObject({
        status: 'pass',
        message: '3 licences: none expired while in use, none over its seats',
      });
      expect(byId(disabled.json.checks)['software.licences']).toBeUndefined();
    });
  });
});

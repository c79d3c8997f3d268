// The zabbix commands, in-process and through bin/run.js, against the real Zabbix 6.0 API on both
// engines: `match` (dry run, then --apply), `status` (one asset, all), and `test` explaining a
// working setup, a wrong token, a wrong URL, a header-stripping proxy (in front of the 6.4
// stand-in, since 6.0 never reads the header), and a TLS failure (a TLS front with a throwaway
// CA; with ZABBIX_CA_FILE it verifies). The token never shows in any output.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, runCommand } from '../../../test/support/cli.js';
import { installTestPlugins } from '../../../test/support/plugins.js';
import { describeEachEngine, createSite, withSiteDb, writeEnvFile, type TestSite } from '../../../test/support/site.js';
import {
  startHeaderStrippingProxy,
  startTlsFront,
  startZabbixStandIn,
  type FrontServer,
  type ZabbixStandIn,
} from '../../../test/support/zabbix-standin.js';
import { startZabbix, zabbixSkipReason, type TestZabbix } from '../../../test/support/zabbix.js';
import { cliActor } from '../../core/audit/log.js';
import { createAsset } from '../../core/inventory/assets.js';
import { statusLabels } from '../../core/inventory/reference.js';
import { migrateSite } from '../../core/migrations/site.js';
import { HEADER_FIX } from '../../core/monitoring/zabbix/diagnose.js';
import Doctor from '../doctor.js';
import ZabbixMatch from './match.js';
import ZabbixStatus from './status.js';
import ZabbixTest from './test.js';

const skip = zabbixSkipReason();
let zabbix: TestZabbix;
if (skip === null) {
  beforeAll(async () => {
    zabbix = await startZabbix();
  }, 180_000);
  afterAll(async () => zabbix?.cleanup());
}
const suite =
  skip === null
    ? describeEachEngine
    : (title: string, body: (engine: 'sqlite' | 'mysql') => void) => describe.skip(`${title} — skipped: ${skip}`, () => body('sqlite'));

suite('shopdb zabbix', (engine) => {
  let site: TestSite;
  let token: string;
  const e = `cli-${engine}`;
  const fronts: Array<FrontServer | ZabbixStandIn> = [];

  beforeAll(async () => {
    const group = await zabbix.hostGroup(`shopdb-${e}`);
    token = await zabbix.createReadOnlyToken([group]);
    site = await createSite(engine, {
      ZABBIX_URL: zabbix.url,
      ZABBIX_API_TOKEN: token,
      ZABBIX_TIMEOUT: '10s',
      ZABBIX_CONNECT_TIMEOUT: '5s',
    });
    await migrateSite({ config: site.config() });
    await withSiteDb(site, async (db) => {
      await installTestPlugins(db, ['equipment', 'computers']);
      const status = (await statusLabels.create(db, cliActor('test'), { name: 'In service', color: '#22aa22', kind: 'deployable' })).id;
      await createAsset(db, cliActor('test'), {
        assetTag: 'CNC-1',
        name: 'lathe',
        type: 'equipment',
        hostname: `cnc-1-${e}.plant.test`,
        statusId: status,
      });
      await createAsset(db, cliActor('test'), {
        assetTag: 'CNC-2',
        name: 'mill',
        type: 'equipment',
        hostname: `cnc-2-${e}`,
        statusId: status,
      });
    });
    await zabbix.createHost(`cnc-1-${e}`, { groupId: group });
    const second = await zabbix.createHost(`cnc-2-${e}`, { groupId: group });
    await zabbix.raiseProblem(await zabbix.createTrigger(second, 'Door open', 3));
  }, 120_000);
  afterAll(async () => {
    for (const front of fronts) await front.close();
    await site?.cleanup();
  });

  /** The site's .env with these lines changed, as another file in its folder. */
  const variant = (name: string, vars: Record<string, string>) => {
    const envFile = join(site.dir, `.env.${name}`);
    writeEnvFile(envFile, { ...site.vars, ...vars });
    return envFile;
  };

  it('match proposes without writing, --apply pins (in-process)', async () => {
    const dry = await runCommand(ZabbixMatch, ['--json', '--env-file', site.envFile]);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.json.applied).toBe(false);
    expect(dry.json.proposals.map((p: { assetTag: string; how: string }) => [p.assetTag, p.how])).toEqual([
      ['CNC-1', 'short-name'],
      ['CNC-2', 'hostname'],
    ]);
    const applied = await runCommand(ZabbixMatch, ['--apply', '--env-file', site.envFile]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`pinned   CNC-1            → cnc-1-${e}`);
    expect(applied.stderr).toContain('2 pinned now');
    expect(await withSiteDb(site, (db) => db('monitoring_pins').count({ n: '*' }))).toEqual([{ n: 2 }]);
  });

  it('status shows each pinned asset with its problems and age, through bin/run.js; the token never shows', async () => {
    const all = await runBin(['zabbix', 'status', '--json', '--env-file', site.envFile]);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.json.counts).toMatchObject({ ok: 1, problem: 1 });
    const one = await runBin(['zabbix', 'status', 'CNC-2', '--env-file', site.envFile]);
    expect(one.exitCode, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/problem\s+CNC-2\s+cnc-2-cli-\w+\s+\(checked \d+ s ago\)/);
    expect(one.stdout).toMatch(/average\s+Door open/);
    const missing = await runBin(['zabbix', 'status', 'NOPE', '--json', '--env-file', site.envFile]);
    expect(missing.exitCode).toBe(1);
    for (const output of [all, one, missing]) expect(output.stdout + output.stderr).not.toContain(token);
  });

  it('test passes on a working setup and says how the token is sent and what it may read (bin/run.js)', async () => {
    const result = await runBin(['zabbix', 'test', '--json', '--env-file', site.envFile]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json).toMatchObject({
      ok: true,
      version: expect.stringMatching(/^6\.0\./),
      auth: { expected: 'body', body: 'works', header: 'refused', used: 'body' },
      hostsReadable: 2,
    });
    expect(result.stdout + result.stderr).not.toContain(token);
  });

  it('test explains a wrong token', async () => {
    const result = await runCommand(ZabbixTest, ['--json', '--env-file', variant('wrong-token', { ZABBIX_API_TOKEN: 'f'.repeat(64) })]);
    expect(result.exitCode).toBe(1);
    const auth = result.json.steps.find((s: { step: string }) => s.step === 'auth');
    expect(auth).toMatchObject({ ok: false, fix: expect.stringContaining('token is wrong, expired') });
    expect(result.stdout).not.toContain('f'.repeat(64));
  });

  it('test explains a wrong URL', async () => {
    const result = await runCommand(ZabbixTest, [
      '--env-file',
      variant('wrong-url', { ZABBIX_URL: zabbix.url.replace('api_jsonrpc.php', 'zabbix.php') }),
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/FAIL\s+reach: .*(HTTP|not JSON)/);
    expect(result.stdout).toContain('point it at the api_jsonrpc.php endpoint');
  });

  it('test explains a header-stripping proxy in front of a 6.4 (the recorded-protocol stand-in) and prints the web-server fix', async () => {
    const standIn = await startZabbixStandIn('6.4.15');
    const proxy = await startHeaderStrippingProxy(standIn.url);
    fronts.push(standIn, proxy);
    const result = await runCommand(ZabbixTest, [
      '--json',
      '--env-file',
      variant('stripped', { ZABBIX_URL: proxy.url, ZABBIX_API_TOKEN: standIn.token }),
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.json.auth).toEqual({ expected: 'header', body: 'works', header: 'refused', used: 'body' });
    expect(result.json.steps.find((s: { step: string }) => s.step === 'auth')).toMatchObject({
      ok: false,
      message: expect.stringContaining('works in the request body but not in the Authorization header'),
      fix: HEADER_FIX,
    });
    // The same proxy in front of the real 6.0 does no harm: 6.0 reads the body.
    const real = await startHeaderStrippingProxy(zabbix.url);
    fronts.push(real);
    expect((await runCommand(ZabbixTest, ['--json', '--env-file', variant('stripped-60', { ZABBIX_URL: real.url })])).json.ok).toBe(true);
  });

  it('test explains a TLS failure, and ZABBIX_CA_FILE fixes it', async () => {
    const tls = await startTlsFront(zabbix.url);
    fronts.push(tls);
    const failed = await runCommand(ZabbixTest, ['--json', '--env-file', variant('tls', { ZABBIX_URL: tls.url })]);
    expect(failed.exitCode).toBe(1);
    expect(failed.json.steps[0]).toMatchObject({
      step: 'reach',
      ok: false,
      message: expect.stringContaining('TLS'),
      fix: expect.stringContaining('ZABBIX_CA_FILE'),
    });
    const verified = await runCommand(ZabbixTest, [
      '--json',
      '--env-file',
      variant('tls-ca', { ZABBIX_URL: tls.url, ZABBIX_CA_FILE: tls.caFile }),
    ]);
    expect(verified.json).toMatchObject({ ok: true, tls: true });
  });

  it('doctor runs the cheap part: passes on a working setup, warns (never fails) on a wrong token', async () => {
    const good = await runCommand(Doctor, ['--json', '--tag', 'start', '--env-file', site.envFile]);
    const check = (output: typeof good) => output.json.checks.find((c: { id: string }) => c.id === 'zabbix');
    expect(check(good)).toMatchObject({ status: 'pass', message: expect.stringContaining('can read 2 hosts') });
    const bad = await runCommand(Doctor, [
      '--json',
      '--tag',
      'start',
      '--env-file',
      variant('doctor-wrong-token', { ZABBIX_API_TOKEN: 'e'.repeat(64) }),
    ]);
    expect(check(bad)).toMatchObject({ status: 'warn', message: expect.stringContaining('auth:') });
    expect(bad.stdout).not.toContain('e'.repeat(64));
  });

  it('every command says how to turn monitoring on when ZABBIX_URL is empty', async () => {
    const envFile = variant('off', { ZABBIX_URL: '', ZABBIX_API_TOKEN: '' });
    for (const command of [ZabbixTest, ZabbixMatch, ZabbixStatus]) {
      const result = await runCommand(command, ['--json', '--env-file', envFile]);
      expect(result.exitCode).toBe(1);
      expect(result.json?.error?.message ?? result.stdout).toContain('ZABBIX_URL is empty');
    }
  });
});

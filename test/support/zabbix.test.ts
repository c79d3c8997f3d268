// The test Zabbix itself: it starts from the cached schema, answers as 6.0 does (body auth only),
// and problems written the way zabbix_server writes them show in problem.get and leave it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZabbix, zabbixSkipReason, type TestZabbix } from './zabbix.js';

const skip = zabbixSkipReason();

describe.skipIf(skip !== null)(`test Zabbix 6.0${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let zabbix: TestZabbix;
  beforeAll(async () => {
    zabbix = await startZabbix();
  }, 180_000);
  afterAll(async () => zabbix?.cleanup());

  it('answers apiinfo.version without auth, and refuses a token sent only as a header', async () => {
    const version = await fetch(zabbix.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json-rpc' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'apiinfo.version', params: {}, id: 1 }),
    });
    expect(((await version.json()) as { result: string }).result).toMatch(/^6\.0\./);
    const token = await zabbix.createToken();
    const header = await fetch(zabbix.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json-rpc', authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'host.get', params: { countOutput: true }, id: 1 }),
    });
    expect(JSON.stringify(await header.json())).toContain('Not authorized');
    const body = await fetch(zabbix.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json-rpc' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'host.get', params: { countOutput: true }, auth: token, id: 1 }),
    });
    expect(((await body.json()) as { result: string }).result).toMatch(/^\d+$/);
  });

  it('shows a raised problem in problem.get until it is resolved', async () => {
    const hostid = await zabbix.createHost('cnc-07.plant.test', { ips: ['10.20.0.7'] });
    const triggerid = await zabbix.createTrigger(hostid, 'Spindle temperature high', 4);
    const eventid = await zabbix.raiseProblem(triggerid);
    const open = await zabbix.call<Array<{ eventid: string; name: string; severity: string }>>('problem.get', {
      hostids: [hostid],
      output: ['eventid', 'name', 'severity'],
    });
    expect(open).toEqual([{ eventid, name: 'Spindle temperature high', severity: '4' }]);
    await zabbix.resolveProblem(eventid);
    expect(await zabbix.call('problem.get', { hostids: [hostid], output: ['eventid'] })).toEqual([]);
  });
});

// The version-adaptive client: against the real Zabbix 6.0 API (body auth only), and against the
// recorded-protocol STAND-IN for 6.4 / 7.2 / 7.4 (header auth; no body auth from 7.2; no header on
// apiinfo.version from 7.4), which Debian cannot give us; then the limits: a refused port, a port
// that never answers, and the breaker that stops asking after a failure.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../test/support/ports.js';
import { startBlackHole, startZabbixStandIn, type ZabbixStandIn } from '../../../../test/support/zabbix-standin.js';
import { startZabbix, zabbixSkipReason, ZABBIX_ADMIN, type TestZabbix } from '../../../../test/support/zabbix.js';
import { authPlacementFor, ZabbixClient, ZabbixError } from './client.js';
import type { ZabbixSettings } from './settings.js';

const settings = (url: string, credentials: ZabbixSettings['credentials'], overrides: Partial<ZabbixSettings> = {}): ZabbixSettings => ({
  url,
  credentials,
  connectTimeoutMs: 1000,
  timeoutMs: 1500,
  hostMapTtlMs: 3_600_000,
  problemTtlMs: 30_000,
  ...overrides,
});

async function failureOf(promise: Promise<unknown>): Promise<ZabbixError> {
  const outcome = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(outcome instanceof ZabbixError)) throw new Error(`expected a ZabbixError, got ${String(outcome)}`);
  return outcome;
}

describe('where the credentials go, by version', () => {
  it('puts them in the body before 6.4 and in the header from 6.4 on, newer versions included', () => {
    expect(['5.4.0', '6.0.14', '6.2.9'].map(authPlacementFor)).toEqual(['body', 'body', 'body']);
    expect(['6.4.0', '7.0.5', '7.2.1', '7.4.0', '8.0.0'].map(authPlacementFor)).toEqual(['header', 'header', 'header', 'header', 'header']);
  });
});

describe('the client against the recorded-protocol stand-in (not Zabbix: 6.4 / 7.2 / 7.4 behaviour)', () => {
  const standIns: ZabbixStandIn[] = [];
  afterAll(async () => {
    for (const s of standIns) await s.close();
  });
  const standIn = async (version: string) => {
    const s = await startZabbixStandIn(version);
    standIns.push(s);
    return s;
  };

  for (const version of ['6.4.15', '7.2.3', '7.4.1']) {
    it(`${version}: asks the version with no credentials, then sends the token only in the header`, async () => {
      const s = await standIn(version);
      const client = new ZabbixClient(settings(s.url, { kind: 'token', token: s.token }));
      expect(await client.call<string>('host.get', { countOutput: true })).toBe('2');
      expect(s.requests).toEqual([
        { method: 'apiinfo.version', header: false, bodyAuth: false },
        { method: 'host.get', header: true, bodyAuth: false },
      ]);
    });
  }

  it('7.2: logs in with username (not the old user key) and sends the session in the header', async () => {
    const s = await standIn('7.2.3');
    const client = new ZabbixClient(settings(s.url, { kind: 'password', username: 'Admin', password: 'zabbix' }));
    expect(await client.call<unknown[]>('host.get', {})).toHaveLength(2);
    expect(s.requests.map((r) => `${r.method}:${r.header}:${r.bodyAuth}`)).toEqual([
      'apiinfo.version:false:false',
      'user.login:false:false',
      'host.get:true:false',
    ]);
  });

  it('uses a version newer than the newest known like it, and warns once', async () => {
    const s = await standIn('8.0.0');
    const warnings: string[] = [];
    const client = new ZabbixClient(settings(s.url, { kind: 'token', token: s.token }), { warn: (w) => warnings.push(w) });
    await client.call('host.get', { countOutput: true });
    await client.call('host.get', { countOutput: true });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Zabbix 8.0.0 is newer than 7.4');
  });

  it('says "not authorized" for a wrong token, and never puts the token in the message', async () => {
    const s = await standIn('7.2.3');
    const error = await new ZabbixClient(settings(s.url, { kind: 'token', token: 'wrong-token-value-123456' }))
      .call('host.get', {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZabbixError);
    expect((error as ZabbixError).failure).toBe('not-authorized');
    expect((error as ZabbixError).message).not.toContain('wrong-token-value');
  });
});

describe('the client when Zabbix is not there', () => {
  it('a refused port fails at once as unreachable, and the breaker then answers without connecting', async () => {
    const port = await freePort();
    const sent: string[] = [];
    const client = new ZabbixClient(settings(`http://127.0.0.1:${port}/api_jsonrpc.php`, { kind: 'token', token: 't' }), {
      onRequest: (m) => sent.push(m),
    });
    const first = await failureOf(client.version());
    expect(first.failure).toBe('unreachable');
    const second = await failureOf(client.version());
    expect(second.failure).toBe('circuit-open');
    expect(sent).toEqual(['apiinfo.version']);
  });

  it('a port that accepts and never answers fails after ZABBIX_TIMEOUT, then the breaker answers at once', async () => {
    const hole = await startBlackHole();
    try {
      const client = new ZabbixClient(settings(hole.url, { kind: 'token', token: 't' }, { timeoutMs: 800 }));
      const started = Date.now();
      const first = await failureOf(client.version());
      expect(first.failure).toBe('timeout');
      expect(Date.now() - started).toBeGreaterThanOrEqual(790);
      const second = await failureOf(client.version());
      expect(second.failure).toBe('circuit-open');
      expect(hole.connections()).toBe(1);
    } finally {
      await hole.close();
    }
  });

  it('the breaker lets one call through again after its cooldown', async () => {
    const port = await freePort();
    let now = 1_000_000;
    const client = new ZabbixClient(settings(`http://127.0.0.1:${port}/api_jsonrpc.php`, { kind: 'token', token: 't' }), {
      now: () => now,
    });
    await client.version().catch(() => {});
    expect(client.breakerOpen).toBe(true);
    now += 16_000;
    expect(client.breakerOpen).toBe(false);
    expect((await failureOf(client.version())).failure).toBe('unreachable');
  });
});

const skip = zabbixSkipReason();

describe.skipIf(skip !== null)(`the client against the real Zabbix 6.0 API${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let zabbix: TestZabbix;
  beforeAll(async () => {
    zabbix = await startZabbix();
  }, 180_000);
  afterAll(async () => zabbix?.cleanup());

  it('sends the token in the body (6.0 refuses the header) and reads hosts', async () => {
    await zabbix.createHost('client-test-host', { ips: ['192.0.2.50'] });
    const client = new ZabbixClient(settings(zabbix.url, { kind: 'token', token: await zabbix.createToken() }, { timeoutMs: 10_000 }));
    expect(await client.version()).toMatch(/^6\.0\./);
    const hosts = await client.call<Array<{ host: string }>>('host.get', { output: ['host'] });
    expect(hosts.map((h) => h.host)).toContain('client-test-host');
  });

  it('logs in with user and password, and renews a session that Zabbix ended', async () => {
    const client = new ZabbixClient(settings(zabbix.url, { kind: 'password', ...ZABBIX_ADMIN }, { timeoutMs: 10_000 }));
    expect(Number(await client.call<string>('host.get', { countOutput: true }))).toBeGreaterThan(0);
    await client.call('user.logout', []);
    expect(Number(await client.call<string>('host.get', { countOutput: true }))).toBeGreaterThan(0);
  });
});

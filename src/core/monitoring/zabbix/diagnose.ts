// `shopdb zabbix test` and the doctor check: the URL is reachable, TLS verifies, the version, which
// way of sending the credentials works (body `auth`, Authorization header, or both), and how many
// hosts they can read. When the credentials work in the body but not in the header on a version
// that wants the header, a web server in front of PHP is stripping it: the report says so and
// gives the fix. Credentials never appear in the report.

import { authPlacementFor, ZabbixClient, ZabbixError, type AuthPlacement } from './client.js';
import type { ZabbixSettings } from './settings.js';

export type AuthOutcome = 'works' | 'refused' | 'rejected' | 'not-tried' | 'failed';

export interface ZabbixTestStep {
  step: 'reach' | 'version' | 'auth' | 'permissions';
  ok: boolean;
  message: string;
  fix: string | null;
}

export interface ZabbixTestReport {
  ok: boolean;
  url: string;
  tls: boolean;
  version: string | null;
  credentials: 'token' | 'password';
  auth: { expected: AuthPlacement | null; body: AuthOutcome; header: AuthOutcome; used: AuthPlacement | null };
  hostsReadable: number | null;
  steps: ZabbixTestStep[];
}

export const HEADER_FIX =
  'The web server in front of Zabbix drops the Authorization header before PHP sees it. Apache: add `CGIPassAuth On` to the Zabbix <Directory> (or `SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=$1`); nginx with php-fpm: add `fastcgi_param HTTP_AUTHORIZATION $http_authorization;`; a reverse proxy: let it pass Authorization.';

async function tryPlacement(
  settings: ZabbixSettings,
  placement: AuthPlacement,
): Promise<{ outcome: AuthOutcome; count: number | null; message: string }> {
  const client = new ZabbixClient(settings, { placement });
  try {
    const count = await client.call<string>('host.get', { countOutput: true });
    return { outcome: 'works', count: Number(count), message: `${placement}: accepted` };
  } catch (error) {
    if (error instanceof ZabbixError && error.failure === 'not-authorized')
      return { outcome: 'refused', count: null, message: error.message };
    if (error instanceof ZabbixError && error.failure === 'api-error' && /unexpected parameter "auth"/i.test(error.message))
      return { outcome: 'rejected', count: null, message: error.message };
    return { outcome: 'failed', count: null, message: (error as Error).message };
  }
}

export interface TestZabbixOptions {
  /** The doctor's cheap run: only the placement the version wants. */
  cheap?: boolean;
}

export async function testZabbix(settings: ZabbixSettings, options: TestZabbixOptions = {}): Promise<ZabbixTestReport> {
  const tls = new URL(settings.url).protocol === 'https:';
  const report: ZabbixTestReport = {
    ok: false,
    url: settings.url,
    tls,
    version: null,
    credentials: settings.credentials.kind,
    auth: { expected: null, body: 'not-tried', header: 'not-tried', used: null },
    hostsReadable: null,
    steps: [],
  };
  const step = (s: ZabbixTestStep) => report.steps.push(s);
  let version: string;
  try {
    version = await new ZabbixClient(settings).version();
  } catch (error) {
    const failure = error instanceof ZabbixError ? error.failure : 'api-error';
    const message = (error as Error).message;
    if (failure === 'tls')
      step({
        step: 'reach',
        ok: false,
        message,
        fix: "The certificate does not verify: set ZABBIX_CA_FILE to the PEM of the CA that signed it (or fix the certificate's name and dates).",
      });
    else if (failure === 'http-status' || failure === 'not-json')
      step({
        step: 'reach',
        ok: false,
        message,
        fix: 'ZABBIX_URL answers, but it is not the Zabbix API: point it at the api_jsonrpc.php endpoint, e.g. https://zabbix.example/api_jsonrpc.php.',
      });
    else if (failure === 'bad-version')
      step({ step: 'version', ok: false, message, fix: (error as ZabbixError).suggestion ?? 'Upgrade Zabbix.' });
    else step({ step: 'reach', ok: false, message, fix: (error as ZabbixError).suggestion ?? 'Check ZABBIX_URL.' });
    return report;
  }
  report.version = version;
  step({
    step: 'reach',
    ok: true,
    message: `${new URL(settings.url).host} answers${tls ? ' over verified TLS' : ' over plain HTTP'}`,
    fix: null,
  });
  step({ step: 'version', ok: true, message: `Zabbix ${version}`, fix: null });

  const expected = authPlacementFor(version);
  report.auth.expected = expected;
  const placements: AuthPlacement[] = options.cheap ? [expected] : ['body', 'header'];
  const results = new Map<AuthPlacement, Awaited<ReturnType<typeof tryPlacement>>>();
  for (const placement of placements) {
    const result = await tryPlacement(settings, placement);
    results.set(placement, result);
    report.auth[placement] = result.outcome;
  }
  const working =
    results.get(expected)?.outcome === 'works' ? expected : (placements.find((p) => results.get(p)?.outcome === 'works') ?? null);
  report.auth.used = working;
  const body = results.get('body')?.outcome;
  const header = results.get('header')?.outcome;
  const what = settings.credentials.kind === 'token' ? 'ZABBIX_API_TOKEN' : 'ZABBIX_USER/ZABBIX_PASSWORD';
  if (working === null) {
    const failed = [...results.values()].find((r) => r.outcome === 'failed');
    step({
      step: 'auth',
      ok: false,
      message: failed
        ? failed.message
        : `Zabbix refused ${what} in ${placements.join(' and in the ')}: ${[...results.values()][0]?.message ?? ''}`,
      fix: failed
        ? 'Zabbix failed while checking the credentials; run again, or look at its web server log.'
        : settings.credentials.kind === 'token'
          ? 'The token is wrong, expired, or its user is disabled: make a new API token for a read-only user (Users → API tokens) and put it in ZABBIX_API_TOKEN_FILE.'
          : 'Check ZABBIX_USER and ZABBIX_PASSWORD.',
    });
    return report;
  }
  if (expected === 'header' && header !== 'works' && body === 'works') {
    step({
      step: 'auth',
      ok: false,
      message: `${what} works in the request body but not in the Authorization header, which Zabbix ${version} expects (and 7.2 requires)`,
      fix: HEADER_FIX,
    });
  } else if (expected === 'body' && body !== 'works' && header === 'works') {
    step({
      step: 'auth',
      ok: false,
      message: `${what} works in the Authorization header but not in the request body, which Zabbix ${version} expects`,
      fix: 'A proxy in front of Zabbix rewrites the request body; let it pass the body unchanged.',
    });
  } else {
    const how =
      working === 'body'
        ? 'in the request body (`auth`), as Zabbix before 6.4 wants'
        : 'in the Authorization header, as Zabbix 6.4 and newer want';
    step({ step: 'auth', ok: true, message: `${what} accepted ${how}`, fix: null });
  }
  const count = results.get(working)!.count ?? 0;
  report.hostsReadable = count;
  step(
    count > 0
      ? { step: 'permissions', ok: true, message: `the credentials can read ${count} host${count === 1 ? '' : 's'}`, fix: null }
      : {
          step: 'permissions',
          ok: false,
          message: 'the credentials can read no host',
          fix: "Give the user's group read permission on the host groups of the site (Users → User groups → Host permissions).",
        },
  );
  report.ok = report.steps.every((s) => s.ok);
  return report;
}

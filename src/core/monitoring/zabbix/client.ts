// The read-only Zabbix API client of the core. It adapts to the server's version instead of
// refusing the ones it was not tested with: `apiinfo.version` is asked without any credentials
// (7.4 refuses it when an Authorization header comes along), then the credentials go in the body's
// `auth` field below 6.4, in an `Authorization: Bearer` header from 6.4 (as the official client
// does), and only there from 7.2 (which rejects the body field). A version newer than the newest
// known one is used like it, with one warning.
//
// A per-process circuit breaker (ADR-022) keeps a Zabbix that fails from costing every request a
// timeout: after a transport failure (refused, timed out, TLS, HTTP error) calls fail at once for
// BREAKER_COOLDOWN_MS, then one call is let through to try again.

import { UserError } from '../../errors.js';
import { postJsonRpc, ZabbixTransportError, type TransportFailure } from './http.js';
import type { ZabbixSettings } from './settings.js';

export type AuthPlacement = 'body' | 'header';

/** The newest Zabbix version whose API behaviour this client knows. */
export const NEWEST_KNOWN_VERSION = '7.4';
export const BREAKER_COOLDOWN_MS = 15_000;

export type ZabbixFailure = TransportFailure | 'circuit-open' | 'not-authorized' | 'api-error' | 'bad-version';

/** A Zabbix call that failed; `failure` says how, `message` says it in words (never a credential). */
export class ZabbixError extends UserError {
  override readonly code: string = 'ZABBIX_UNAVAILABLE';
  constructor(
    readonly failure: ZabbixFailure,
    message: string,
    options: { suggestion?: string; cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

function versionParts(version: string): [number, number] {
  const match = /^(\d+)\.(\d+)/.exec(version);
  return match ? [Number(match[1]), Number(match[2])] : [0, 0];
}

export function versionAtLeast(version: string, wanted: string): boolean {
  const [a, b] = versionParts(version);
  const [c, d] = versionParts(wanted);
  return a > c || (a === c && b >= d);
}

/** Where a version wants the credentials: the body before 6.4, the header from 6.4 on. */
export function authPlacementFor(version: string): AuthPlacement {
  return versionAtLeast(version, '6.4') ? 'header' : 'body';
}

/** `user.login`'s name parameter: `username` from 5.4 (the old `user` is gone in 6.4). */
export function loginParamsFor(version: string, username: string, password: string): Record<string, string> {
  return versionAtLeast(version, '5.4') ? { username, password } : { user: username, password };
}

interface JsonRpcAnswer {
  result?: unknown;
  error?: { code: number; message: string; data?: string };
}

const NOT_AUTHORIZED = /not authori[sz]ed|session terminated|re-login|invalid (params|parameter).*auth|api token expired/i;

export interface ZabbixClientOptions {
  /** Told once, e.g. about a version newer than the newest known one. */
  warn?: (message: string) => void;
  now?: () => number;
  /** Override the placement the version implies (`zabbix test` tries both). */
  placement?: AuthPlacement;
  /** Counts every HTTP request sent (tests and the bench count calls). */
  onRequest?: (method: string) => void;
}

export class ZabbixClient {
  private versionPromise: Promise<string> | null = null;
  private session: string | null = null;
  private openUntil = 0;
  private lastFailure: ZabbixError | null = null;
  private warned = false;

  constructor(
    readonly settings: ZabbixSettings,
    private readonly options: ZabbixClientOptions = {},
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Open: calls fail at once. Exposed for `zabbix status` and tests. */
  get breakerOpen(): boolean {
    return this.now() < this.openUntil;
  }

  private async post(method: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<JsonRpcAnswer> {
    if (this.breakerOpen) {
      throw new ZabbixError(
        'circuit-open',
        `Zabbix is not asked for ${Math.ceil((this.openUntil - this.now()) / 1000)} s after it failed: ${this.lastFailure?.message ?? 'it failed'}`,
        { cause: this.lastFailure },
      );
    }
    this.options.onRequest?.(method);
    try {
      const answer = (await postJsonRpc(
        this.settings.url,
        { jsonrpc: '2.0', method, id: 1, ...body },
        {
          connectTimeoutMs: this.settings.connectTimeoutMs,
          timeoutMs: this.settings.timeoutMs,
          ca: this.settings.ca,
          headers,
        },
      )) as JsonRpcAnswer;
      if (typeof answer !== 'object' || answer === null || (!('result' in answer) && !('error' in answer))) {
        throw new ZabbixTransportError('not-json', 'the answer is JSON but not JSON-RPC (is ZABBIX_URL the api_jsonrpc.php endpoint?)');
      }
      return answer;
    } catch (error) {
      if (error instanceof ZabbixTransportError) {
        const failure = new ZabbixError(error.failure, `Zabbix ${method}: ${error.message}`, {
          cause: error,
          suggestion: suggestionFor(error.failure),
        });
        this.lastFailure = failure;
        this.openUntil = this.now() + BREAKER_COOLDOWN_MS;
        throw failure;
      }
      throw error;
    }
  }

  /** The server's version (`apiinfo.version`, asked with no credentials), once per client. */
  version(): Promise<string> {
    this.versionPromise ??= (async () => {
      const answer = await this.post('apiinfo.version', { params: {} });
      if (answer.error || typeof answer.result !== 'string')
        throw new ZabbixError(
          'bad-version',
          `Zabbix apiinfo.version failed: ${answer.error?.message ?? 'no version'} ${answer.error?.data ?? ''}`.trim(),
        );
      const version = answer.result;
      if (!versionAtLeast(version, '5.0'))
        throw new ZabbixError('bad-version', `Zabbix ${version} is older than 5.0, whose API this client needs`, {
          suggestion: 'Upgrade Zabbix to a supported version (6.0 LTS or newer).',
        });
      if (
        !this.warned &&
        versionAtLeast(version, `${versionParts(NEWEST_KNOWN_VERSION)[0]}.${versionParts(NEWEST_KNOWN_VERSION)[1] + 1}`)
      ) {
        this.warned = true;
        this.options.warn?.(
          `Zabbix ${version} is newer than ${NEWEST_KNOWN_VERSION}, the newest this shopdb knows; it is used like ${NEWEST_KNOWN_VERSION} (header auth)`,
        );
      }
      return version;
    })().catch((error: unknown) => {
      this.versionPromise = null;
      throw error;
    });
    return this.versionPromise;
  }

  async placement(): Promise<AuthPlacement> {
    return this.options.placement ?? authPlacementFor(await this.version());
  }

  private async credential(): Promise<string> {
    const credentials = this.settings.credentials;
    if (credentials.kind === 'token') return credentials.token;
    if (this.session) return this.session;
    const version = await this.version();
    const answer = await this.post('user.login', { params: loginParamsFor(version, credentials.username, credentials.password) });
    if (answer.error || typeof answer.result !== 'string') {
      throw new ZabbixError(
        'not-authorized',
        `Zabbix refused the login of ZABBIX_USER: ${answer.error?.data ?? answer.error?.message ?? 'no session'}`,
        { suggestion: 'Check ZABBIX_USER and ZABBIX_PASSWORD, or use an API token (ZABBIX_API_TOKEN_FILE).' },
      );
    }
    this.session = answer.result;
    return this.session;
  }

  /** One authenticated API call. A session that expired is renewed once. */
  async call<T>(method: string, params: unknown): Promise<T> {
    const placement = await this.placement();
    for (let attempt = 0; ; attempt++) {
      const credential = await this.credential();
      const answer =
        placement === 'header'
          ? await this.post(method, { params }, { authorization: `Bearer ${credential}` })
          : await this.post(method, { params, auth: credential });
      if (!answer.error) return answer.result as T;
      const text = `${answer.error.message} ${answer.error.data ?? ''}`.trim();
      if (NOT_AUTHORIZED.test(text)) {
        if (this.settings.credentials.kind === 'password' && attempt === 0) {
          this.session = null;
          continue;
        }
        throw new ZabbixError('not-authorized', `Zabbix ${method}: ${text}`, {
          suggestion:
            this.settings.credentials.kind === 'token'
              ? 'Check ZABBIX_API_TOKEN: it may be wrong, expired or disabled; `shopdb zabbix test` tells which.'
              : 'Check ZABBIX_USER and ZABBIX_PASSWORD.',
        });
      }
      throw new ZabbixError('api-error', `Zabbix ${method}: ${text}`);
    }
  }
}

function suggestionFor(failure: TransportFailure): string {
  switch (failure) {
    case 'tls':
      return "Set ZABBIX_CA_FILE to the PEM of the CA that signed the Zabbix web server's certificate, or fix the certificate.";
    case 'http-status':
    case 'not-json':
      return 'Point ZABBIX_URL at the API endpoint, e.g. https://zabbix.example/api_jsonrpc.php.';
    case 'timeout':
    case 'connect-timeout':
      return 'Zabbix is slow or a firewall drops the traffic; check that this host reaches ZABBIX_URL, or raise ZABBIX_TIMEOUT.';
    default:
      return 'Check that ZABBIX_URL is right and the Zabbix web server runs.';
  }
}

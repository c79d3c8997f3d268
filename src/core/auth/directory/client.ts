// Connections to the directory: one ldapts Client per server, always with both timeouts set
// (ldapts waits forever by default), TLS as LDAP_TLS says, and the TLS socket kept so `ldap test`
// and `doctor` can show the certificate. `openServiceConnection` tries the servers in turn and
// binds as the service account on the first that answers; failures are explained in words.

import type { TLSSocket, ConnectionOptions } from 'node:tls';
import { connect as tlsConnect } from 'node:tls';
import { Client, ResultCodeError } from 'ldapts';
import type { DirectorySettings } from './settings.js';

export interface TlsDetails {
  protocol: string | null;
  subject: string | null;
  issuer: string | null;
  validFrom: Date | null;
  validTo: Date | null;
  /** Did the configured CA (or the system's) verify the certificate? */
  verified: boolean;
  verifyError: string | null;
}

export interface DirectoryConnection {
  url: string;
  client: Client;
  /** null for LDAP_TLS=none. */
  tls(): TlsDetails | null;
  close(): Promise<void>;
}

export type FailureKind = 'unreachable' | 'timeout' | 'tls' | 'ldap' | 'other';

/** One directory failure, explained for an admin: what happened and how to fix it. Never holds a password. */
export interface DirectoryFailure {
  kind: FailureKind;
  /** The LDAP result code for kind 'ldap'. */
  resultCode: number | null;
  message: string;
  fix: string;
}

function tlsOptionsFor(settings: DirectorySettings, host: string, verify: boolean): ConnectionOptions {
  return {
    ca: settings.ca,
    // Hostname checks use the URL's host, StartTLS included (ldapts would otherwise check "localhost").
    host,
    servername: /^[\d.]+$|:/.test(host) ? undefined : host,
    minVersion: 'TLSv1.2',
    rejectUnauthorized: verify,
  };
}

function describeTlsSocket(socket: TLSSocket | undefined): TlsDetails | null {
  if (socket === undefined) return null;
  const cert = socket.getPeerCertificate();
  const hasCert = cert !== null && typeof cert === 'object' && Object.keys(cert).length > 0;
  const name = (part: unknown): string | null => {
    if (part === null || typeof part !== 'object') return null;
    return Object.entries(part as Record<string, unknown>)
      .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : String(value)}`)
      .join(', ');
  };
  const error = socket.authorizationError as unknown;
  return {
    protocol: socket.getProtocol() ?? null,
    subject: hasCert ? name(cert.subject) : null,
    issuer: hasCert ? name(cert.issuer) : null,
    validFrom: hasCert && cert.valid_from ? new Date(cert.valid_from) : null,
    validTo: hasCert && cert.valid_to ? new Date(cert.valid_to) : null,
    verified: socket.authorized,
    verifyError:
      error === null || error === undefined
        ? null
        : String(error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : error),
  };
}

export interface ConnectOptions {
  /** false: accept any certificate but report whether it verifies (`ldap test`, `doctor`). Logins always verify. */
  verifyTls?: boolean;
  /** Told of every connection as it is made, so a budget can close it (budget.ts). */
  onOpen?: (connection: DirectoryConnection) => void;
}

/** Connects to one server (TCP, then TLS as configured); nothing is bound yet. */
export async function connectTo(settings: DirectorySettings, url: string, options: ConnectOptions = {}): Promise<DirectoryConnection> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const tlsOptions = tlsOptionsFor(settings, host, options.verifyTls ?? true);
  let socket: TLSSocket | undefined;
  const client = new Client({
    url,
    timeout: settings.operationTimeoutMs,
    connectTimeout: settings.connectTimeoutMs,
    strictDN: false,
    // Only for ldaps://: ldapts opens TLS at once on any URL that has tlsOptions, which would
    // break StartTLS and plain LDAP alike.
    tlsOptions: url.startsWith('ldaps:') ? tlsOptions : undefined,
    createSecureConnection: ((...args: Parameters<typeof tlsConnect>) => {
      socket = tlsConnect(...args);
      return socket;
    }) as typeof tlsConnect,
  });
  const connection: DirectoryConnection = {
    url,
    client,
    tls: () => describeTlsSocket(socket),
    async close() {
      try {
        await client.unbind();
      } catch {
        // Already gone: nothing to release.
      }
      socket?.destroy();
    },
  };
  options.onOpen?.(connection);
  try {
    if (settings.tls === 'starttls') await client.startTLS({ ...tlsOptions });
  } catch (error) {
    await connection.close();
    throw error;
  }
  return connection;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
]);
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL|DEPTH_ZERO|HOSTNAME|ALTNAME/;

/** Words an admin can act on, for any error the directory code can meet. */
export function describeDirectoryError(error: unknown, settings?: Pick<DirectorySettings, 'tls' | 'caFile'>): DirectoryFailure {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (error instanceof ResultCodeError) {
    return { kind: 'ldap', resultCode: error.code, message: resultCodeMessage(error), fix: resultCodeFix(error.code, settings) };
  }
  if (typeof code === 'string' && TLS_CODE.test(code)) {
    return {
      kind: 'tls',
      resultCode: null,
      message: `TLS certificate not accepted: ${code} (${message})`,
      fix: settings?.caFile
        ? `check that LDAP_CA_FILE (${settings.caFile}) holds the CA that signed the server's certificate, and that the URL's host name is in the certificate`
        : "set LDAP_CA_FILE to the PEM file of the CA that signed the directory's certificate",
    };
  }
  if (typeof code === 'string' && NETWORK_CODES.has(code)) {
    return {
      kind: 'unreachable',
      resultCode: null,
      message: `cannot connect: ${code} (${message})`,
      fix: 'check the host and port in LDAP_URL, that the server runs, and that no firewall is in the way',
    };
  }
  if (/Connection timeout/i.test(message)) {
    return {
      kind: 'timeout',
      resultCode: null,
      message: 'no connection within LDAP_CONNECT_TIMEOUT',
      fix: 'check the host and port in LDAP_URL and the firewall; a server that accepts but never answers looks like this too',
    };
  }
  if (/timed out/i.test(message)) {
    return {
      kind: 'timeout',
      resultCode: null,
      message: `the server did not answer within LDAP_TIMEOUT (${message})`,
      fix: 'check that the port speaks LDAP (ldaps:// on 636, ldap:// on 389) and that the server is not overloaded',
    };
  }
  if (/Socket error|Connection closed|socket hang up|ECONNRESET|disconnected/i.test(message)) {
    return {
      kind: 'unreachable',
      resultCode: null,
      message: `the connection broke: ${message.split('\n')[0]}`,
      fix:
        settings?.tls === 'ldaps'
          ? 'check that the port serves LDAPS (636), not plain LDAP'
          : 'check that the port serves LDAP and that the server does not refuse the client',
    };
  }
  return { kind: 'other', resultCode: null, message, fix: 'run `shopdb ldap test` for a step-by-step check' };
}

const RESULT_NAMES: Record<number, string> = {
  1: 'operationsError',
  2: 'protocolError',
  3: 'timeLimitExceeded',
  4: 'sizeLimitExceeded',
  8: 'strongAuthRequired',
  10: 'referral',
  13: 'confidentialityRequired',
  32: 'noSuchObject',
  34: 'invalidDNSyntax',
  48: 'inappropriateAuthentication',
  49: 'invalidCredentials',
  50: 'insufficientAccessRights',
  51: 'busy',
  52: 'unavailable',
  53: 'unwillingToPerform',
};

function resultCodeMessage(error: ResultCodeError): string {
  const name = RESULT_NAMES[error.code] ?? 'result';
  // ldapts appends " Code: 0x…"; the server's own diagnostic text comes before it.
  const text = error.message.replace(/\s*Code: 0x[0-9a-f]+$/i, '');
  return `${name} (${error.code}, 0x${error.code.toString(16)}): ${text}`;
}

function resultCodeFix(code: number, settings?: Pick<DirectorySettings, 'tls' | 'caFile'>): string {
  switch (code) {
    case 8:
    case 13:
      return 'the server only accepts binds over an encrypted connection: set LDAP_TLS=starttls (ldap:// URLs) or LDAP_TLS=ldaps (ldaps:// URLs)';
    case 32:
      return 'the base DN does not exist on this server (noSuchObject, 0x20): check LDAP_BASE_DN and LDAP_GROUP_BASE_DN, e.g. OU=Users,DC=plant,DC=example';
    case 34:
      return 'a DN is malformed: check LDAP_BIND_DN, LDAP_BASE_DN and LDAP_GROUP_BASE_DN';
    case 49:
      return 'the directory refused the credentials: check LDAP_BIND_DN and LDAP_BIND_PASSWORD (and that the service account is enabled and its password not expired)';
    case 50:
      return 'the service account may not read there: grant LDAP_BIND_DN read access to users and groups';
    case 53:
      return settings?.tls === 'none'
        ? 'the server refuses plain-text binds: use LDAP_TLS=starttls or ldaps'
        : 'the server refused the operation: check the service account and the filter';
    default:
      return 'run `shopdb ldap test` for a step-by-step check';
  }
}

/** Failures worth trying the next server for: this one did not answer, or not securely. */
export function isServerDown(failure: DirectoryFailure): boolean {
  return (
    failure.kind === 'unreachable' ||
    failure.kind === 'timeout' ||
    failure.kind === 'tls' ||
    (failure.kind === 'ldap' && (failure.resultCode === 51 || failure.resultCode === 52))
  );
}

export interface ServerAttempt {
  url: string;
  failure: DirectoryFailure;
}

/** A connection bound as the service account, on the first server that answers; or every server's failure. */
export async function openServiceConnection(
  settings: DirectorySettings,
  options: ConnectOptions = {},
): Promise<{ connection: DirectoryConnection; attempts: ServerAttempt[] } | { connection: null; attempts: ServerAttempt[] }> {
  const attempts: ServerAttempt[] = [];
  for (const url of settings.urls) {
    let connection: DirectoryConnection | undefined;
    try {
      connection = await connectTo(settings, url, options);
      await connection.client.bind(settings.bindDn, settings.bindPassword);
      return { connection, attempts };
    } catch (error) {
      await connection?.close();
      const failure = describeDirectoryError(error, settings);
      attempts.push({ url, failure });
      // A server that answered and refused (wrong bind DN, strong auth required) would refuse on
      // its replicas too: the configuration is wrong, not the server.
      if (!isServerDown(failure)) break;
    }
  }
  return { connection: null, attempts };
}

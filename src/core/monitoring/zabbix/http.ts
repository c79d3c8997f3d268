// One JSON-RPC POST to Zabbix over node:http(s), with the two limits the inventory depends on: a
// connect timeout (TCP and TLS handshake) and a total timeout (a server that accepts and never
// answers), and a private CA when given. Failures come back classified, so callers can say what
// broke (refused, timed out, TLS, HTTP status) without parsing messages.

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export type TransportFailure = 'unreachable' | 'connect-timeout' | 'timeout' | 'tls' | 'http-status' | 'not-json';

export class ZabbixTransportError extends Error {
  constructor(
    readonly failure: TransportFailure,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface PostOptions {
  connectTimeoutMs: number;
  timeoutMs: number;
  ca?: string;
  headers?: Record<string, string>;
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|EPROTO|HOSTNAME|ALTNAME/;
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

function describe(error: NodeJS.ErrnoException, url: URL): ZabbixTransportError {
  const code = error.code ?? '';
  if (TLS_CODES.test(code) || /certificate|ssl|tls/i.test(error.message)) {
    return new ZabbixTransportError('tls', `TLS with ${url.host} failed: ${error.message} (${code || 'TLS'})`, undefined, { cause: error });
  }
  return new ZabbixTransportError('unreachable', `cannot reach ${url.host}: ${code || error.message}`, undefined, { cause: error });
}

/** POSTs `body` as JSON-RPC and resolves with the parsed JSON answer. */
export function postJsonRpc(url: string, body: unknown, options: PostOptions): Promise<unknown> {
  const target = new URL(url);
  const payload = Buffer.from(JSON.stringify(body));
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: ZabbixTransportError | null, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(total);
      clearTimeout(connect);
      if (error) {
        req.destroy();
        reject(error);
      } else resolve(value);
    };
    const req = send(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json-rpc',
        'content-length': String(payload.length),
        accept: 'application/json',
        ...options.headers,
      },
      ...(options.ca ? { ca: options.ca } : {}),
      agent: false,
    });
    const total = setTimeout(
      () => finish(new ZabbixTransportError('timeout', `${target.host} did not answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    const connect = setTimeout(
      () =>
        finish(
          new ZabbixTransportError('connect-timeout', `${target.host} did not accept a connection within ${options.connectTimeoutMs} ms`),
        ),
      options.connectTimeoutMs,
    );
    req.on('socket', (socket) => {
      const connected = () => clearTimeout(connect);
      if (target.protocol === 'https:') socket.once('secureConnect', connected);
      else if (!socket.connecting) connected();
      else socket.once('connect', connected);
    });
    req.on('error', (error) => finish(describe(error, target)));
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES)
          finish(new ZabbixTransportError('not-json', `the answer of ${target.host} is larger than ${MAX_RESPONSE_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', (error) => finish(describe(error, target)));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          finish(
            new ZabbixTransportError(
              'http-status',
              `${target.host} answered HTTP ${status}${status === 404 ? ' (is ZABBIX_URL the api_jsonrpc.php endpoint?)' : ''}`,
              status,
            ),
          );
          return;
        }
        try {
          finish(null, JSON.parse(text));
        } catch {
          finish(
            new ZabbixTransportError(
              'not-json',
              `${target.host} answered HTTP ${status} with something that is not JSON (is ZABBIX_URL the api_jsonrpc.php endpoint?)`,
              status,
            ),
          );
        }
      });
    });
    req.end(payload);
  });
}

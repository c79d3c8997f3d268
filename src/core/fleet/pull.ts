// One pull of one site's GET /api/summary, bounded in time whatever the site does: a connect
// timeout (a host that drops SYNs), and the caller's signal for the whole request (a server that
// accepts the connection and never answers, or trickles its answer). The answer is classified
// into the statuses of `fleet status`; the token travels in the Authorization header only.

import type { ClientRequest, IncomingMessage } from 'node:http';
import type { SiteSummary } from '../summary/site-summary.js';

export type PullFailure = 'timeout' | 'refused' | 'auth_failed' | 'incompatible' | 'error';

export type PullOutcome =
  | { ok: true; summary: SiteSummary; durationMs: number }
  | { ok: false; failure: PullFailure; message: string; durationMs: number; body?: unknown };

export interface PullOptions {
  url: string;
  token: string;
  connectTimeoutMs: number;
  /** Aborted when the request must end (per-site and total deadlines). */
  signal: AbortSignal;
  /** What the user-agent header says (the central's version). */
  userAgent: string;
}

/** A summary is a few kilobytes; anything much larger is not one. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

class ConnectTimeout extends Error {}
class BodyTooLarge extends Error {}

function failure(kind: PullFailure, message: string, started: number, body?: unknown): PullOutcome {
  return { ok: false, failure: kind, message, durationMs: Date.now() - started, ...(body === undefined ? {} : { body }) };
}

function classifyError(error: unknown, options: PullOptions, started: number): PullOutcome {
  if (error instanceof ConnectTimeout) return failure('timeout', `no connection within ${options.connectTimeoutMs / 1000} s`, started);
  if (options.signal.aborted) return failure('timeout', `no answer within ${((Date.now() - started) / 1000).toFixed(1)} s`, started);
  if (error instanceof BodyTooLarge) return failure('error', `the answer is larger than ${MAX_BODY_BYTES} bytes: not a summary`, started);
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return failure('refused', 'connection refused (is shopdb serve running there?)', started);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return failure('error', `the host name does not resolve (${code})`, started);
  if (code === 'ECONNRESET') return failure('error', 'the connection was reset before an answer', started);
  return failure('error', `${code ? `${code}: ` : ''}${(error as Error).message}`, started);
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) response.destroy(new BodyTooLarge());
      else chunks.push(chunk);
    });
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
    response.on('aborted', () => reject(new Error('the answer was cut off')));
  });
}

function looksLikeSummary(value: unknown): value is SiteSummary {
  const summary = value as Partial<SiteSummary> | null;
  return (
    summary !== null &&
    typeof summary === 'object' &&
    typeof summary.format === 'number' &&
    Array.isArray(summary.schema) &&
    typeof summary.generatedAt === 'string'
  );
}

export async function pullSummary(options: PullOptions): Promise<PullOutcome> {
  const started = Date.now();
  if (options.signal.aborted) return failure('timeout', 'not pulled: the total time for the run was over', started);
  const target = new URL('/api/summary', options.url);
  const { request } = target.protocol === 'https:' ? await import('node:https') : await import('node:http');
  let req: ClientRequest | undefined;
  try {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      req = request(target, {
        method: 'GET',
        headers: { authorization: `Bearer ${options.token}`, accept: 'application/json', 'user-agent': options.userAgent },
        signal: options.signal,
        // A fresh connection per pull: nothing is kept alive past the run.
        agent: false,
      });
      req.on('error', reject);
      req.on('response', resolve);
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(() => req!.destroy(new ConnectTimeout()), options.connectTimeoutMs);
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      req.end();
    });
    const text = await readBody(response);
    const status = response.statusCode ?? 0;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const code = (body as { error?: { code?: string } } | undefined)?.error?.code;
    if (status === 401) return failure('auth_failed', 'the site refused the token (revoked, expired, or its user disabled)', started);
    if (status === 403)
      return failure('auth_failed', `the site refused the token${code ? ` (${code})` : ''}: it needs a summary:read token`, started);
    if (status === 404) return failure('incompatible', 'the site has no GET /api/summary (a shopdb older than the fleet roll-up)', started);
    if (status !== 200) return failure('error', `HTTP ${status}${code ? ` ${code}` : ''}`, started);
    if (!looksLikeSummary(body)) return failure('error', 'the answer is not a site summary', started);
    return { ok: true, summary: body, durationMs: Date.now() - started };
  } catch (error) {
    return classifyError(error, options, started);
  } finally {
    req?.destroy();
  }
}

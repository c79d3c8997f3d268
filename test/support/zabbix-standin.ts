// A STAND-IN, not Zabbix: a small server that answers the JSON-RPC calls shopdb makes the way
// Zabbix 6.4, 7.2 and 7.4 do, as recorded from their API code and threads, because Debian ships
// only 6.0. What it reproduces: from 6.4 the token or session is accepted in an
// `Authorization: Bearer` header; 7.2 rejects the body's `auth` field ("unexpected parameter
// \"auth\""); 7.4 refuses apiinfo.version when an Authorization header is sent; user.login takes
// `username`. Everything else (hosts, problems) is a fixed little answer. The real 6.0 behaviour is
// tested against the real 6.0 API (test/support/zabbix.ts).
//
// Also here: the things in front of a Zabbix that break it in the field — a reverse proxy that
// strips the Authorization header (Apache without CGIPassAuth), a TLS front with a certificate of a
// throwaway CA, and a port that accepts connections and never answers.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StandInRequest {
  method: string;
  header: boolean;
  bodyAuth: boolean;
}

export interface ZabbixStandIn {
  url: string;
  version: string;
  token: string;
  requests: StandInRequest[];
  close(): Promise<void>;
}

const atLeast = (version: string, wanted: string) => {
  const [a, b] = version.split('.').map(Number);
  const [c, d] = wanted.split('.').map(Number);
  return a! > c! || (a === c && b! >= d!);
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

function close(server: Server, sockets: Set<Socket> = new Set()): Promise<void> {
  for (const socket of sockets) socket.destroy();
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A stand-in for Zabbix `version` (6.4.x, 7.2.x, 7.4.x) that accepts `token`, and Admin/zabbix for user.login. */
export async function startZabbixStandIn(
  version: string,
  token = 'standin-token-0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab',
): Promise<ZabbixStandIn> {
  const requests: StandInRequest[] = [];
  const session = 'standin-session-0123456789abcdef';
  const server = createHttpServer(async (req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.parse(await readBody(req)) as { method: string; params: Record<string, unknown>; id: number; auth?: string };
    const header = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    requests.push({ method: body.method, header: header !== undefined, bodyAuth: 'auth' in body });
    const answer = (result: unknown) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', result, id: body.id }));
    const fail = (code: number, message: string, data: string) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', error: { code, message, data }, id: body.id }));
    if (atLeast(version, '7.2') && 'auth' in body)
      return fail(-32602, 'Invalid params.', 'Invalid parameter "/": unexpected parameter "auth".');
    if (body.method === 'apiinfo.version') {
      if (atLeast(version, '7.4') && header !== undefined)
        return fail(-32602, 'Invalid params.', 'The "apiinfo.version" method must be called without authorization header.');
      return answer(version);
    }
    if (body.method === 'user.login') {
      const params = body.params as { username?: string; user?: string; password?: string };
      if ('user' in params) return fail(-32602, 'Invalid params.', 'Invalid parameter "/": unexpected parameter "user".');
      return params.username === 'Admin' && params.password === 'zabbix'
        ? answer(session)
        : fail(-32500, 'Application error.', 'Incorrect user name or password or account is temporarily blocked.');
    }
    const credential = header ?? body.auth;
    if (credential !== token && credential !== session) return fail(-32602, 'Invalid params.', 'Not authorized.');
    switch (body.method) {
      case 'host.get':
        if (body.params.countOutput) return answer('2');
        return answer([
          { hostid: '10601', host: 'standin-a', name: 'standin-a', status: '0', interfaces: [{ ip: '192.0.2.10' }] },
          { hostid: '10602', host: 'standin-b', name: 'standin-b', status: '0', interfaces: [{ ip: '192.0.2.11' }] },
        ]);
      case 'problem.get':
      case 'trigger.get':
        return answer([]);
      default:
        return fail(-32601, 'Method not found.', `Incorrect API "${body.method}".`);
    }
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/api_jsonrpc.php`, version, token, requests, close: () => close(server) };
}

export interface FrontServer {
  url: string;
  close(): Promise<void>;
}

function forward(targetUrl: string, req: IncomingMessage, res: ServerResponse, stripAuthorization: boolean): void {
  const target = new URL(targetUrl);
  const headers = { ...req.headers, host: target.host };
  if (stripAuthorization) delete headers.authorization;
  const upstream = request(
    { hostname: target.hostname, port: target.port, path: target.pathname, method: req.method, headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.writeHead(502).end());
  req.pipe(upstream);
}

/** A reverse proxy in front of `targetUrl` that drops the Authorization header, as Apache does in front of php-fpm without CGIPassAuth. */
export async function startHeaderStrippingProxy(targetUrl: string): Promise<FrontServer> {
  const server = createHttpServer((req, res) => forward(targetUrl, req, res, true));
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}${new URL(targetUrl).pathname}`, close: () => close(server) };
}

/** A TLS front for `targetUrl` with a certificate (IP 127.0.0.1) of a throwaway CA, whose PEM is caFile. */
export async function startTlsFront(targetUrl: string): Promise<FrontServer & { caFile: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'shopdb-zabbix-tls-'));
  const openssl = (args: string[]) => {
    const result = spawnSync('/usr/bin/openssl', args, { cwd: dir, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${result.stderr}`);
  };
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=shopdb test zabbix CA',
  ]);
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  openssl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'san.cnf',
  ]);
  const server = createHttpsServer(
    { key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.pem')) },
    (req, res) => forward(targetUrl, req, res, false),
  );
  const port = await listen(server);
  return {
    url: `https://127.0.0.1:${port}${new URL(targetUrl).pathname}`,
    caFile: join(dir, 'ca.pem'),
    async close() {
      await close(server);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port that accepts connections and never answers: a hung web server, or a firewall that lets SYN through. */
export async function startBlackHole(): Promise<FrontServer & { connections: () => number }> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createNetServer((socket) => {
    count += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/api_jsonrpc.php`,
    connections: () => count,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

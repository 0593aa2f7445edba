// The l4-vs-l7 lab's backends and client. A backend is an HTTP/1.1 server on netlab's codec that
// answers "NAME METHOD PATH" and records, for every connection and request, what reached it: the peer
// address of the socket (who connected: the client, or a balancer), the address a PROXY header
// carried (a backend configured to require one, as nginx's `listen ... proxy_protocol`), and the
// request's path, cookie and X-Forwarded-For. Its accepted sockets go to the step's tap (the backend
// side of a capture). The client speaks HTTP/1.1 on one keep-alive connection from a fixed source
// address, so the backend can tell the client's address from a balancer's.

import { performance } from 'node:perf_hooks';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { TapRecorder } from '../../src/capture/index.ts';
import { HttpClientConnection, HttpServerConnection, type HttpServerRequest, type HttpServerResponse } from '../../src/http/index.ts';
import { describeProxyHeader, parseProxyHeader, stripMapped, type ProxyHeader } from '../../src/wire/index.ts';

/** One connection a backend accepted. */
export interface BackendConnection {
  /** The socket's peer, address:port. */
  readonly peer: string;
  /** performance.now() at accept. */
  readonly at: number;
  /** The PROXY header's verdict, on a backend that requires one. */
  proxy?: string;
  /** The client address:port the PROXY header carried. */
  proxyClient?: string;
  bytesIn: number;
}

/** One request a backend answered. */
export interface BackendRequest {
  readonly backend: string;
  readonly method: string;
  readonly path: string;
  readonly peer: string;
  readonly proxyClient?: string;
  readonly forwardedFor?: string;
  readonly cookie?: string;
  readonly at: number;
}

export interface LabBackend {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly connections: BackendConnection[];
  readonly requests: BackendRequest[];
  /** Where accepted sockets are tapped (set per step; undefined: not tapped). */
  tap: TapRecorder | undefined;
  close(): Promise<void>;
}

const headerOf = (req: HttpServerRequest, name: string): string | undefined => {
  const all = req.head.fields.filter((f) => f.name.toLowerCase() === name).map((f) => f.value);
  return all.length === 0 ? undefined : all.join(', ');
};

/** Starts a backend on address:0. With `requireProxy`, each connection must start with a PROXY header. */
export async function startBackend(name: string, address: string, options: { requireProxy?: boolean } = {}): Promise<LabBackend> {
  const connections: BackendConnection[] = [];
  const requests: BackendRequest[] = [];
  const sockets = new Set<Socket>();
  const conns = new Set<HttpServerConnection>();
  const handler = (conn: BackendConnection) => async (req: HttpServerRequest, res: HttpServerResponse) => {
    await req.body.text().catch(() => '');
    const forwardedFor = headerOf(req, 'x-forwarded-for');
    const cookie = headerOf(req, 'cookie');
    requests.push({
      backend: name,
      method: req.head.method,
      path: req.head.target,
      peer: conn.peer,
      ...(conn.proxyClient === undefined ? {} : { proxyClient: conn.proxyClient }),
      ...(forwardedFor === undefined ? {} : { forwardedFor }),
      ...(cookie === undefined ? {} : { cookie }),
      at: performance.now(),
    });
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Backend': name });
    res.end(`${name} ${req.head.method} ${req.head.target}\n`);
  };
  const serve = (socket: Socket, conn: BackendConnection, rest?: Buffer): void => {
    if (rest !== undefined && rest.length > 0) socket.unshift(rest);
    const http = new HttpServerConnection(socket, { handler: handler(conn), idleTimeoutMs: 5_000, headerTimeoutMs: 5_000 });
    conns.add(http);
    void http.done.then(() => conns.delete(http));
  };
  const me: LabBackend = {
    name,
    address,
    port: 0,
    connections,
    requests,
    tap: undefined,
    close: async () => {
      for (const c of conns) c.drain();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    me.tap?.tcp(socket);
    const conn: BackendConnection = { peer: `${stripMapped(socket.remoteAddress ?? '?')}:${socket.remotePort ?? 0}`, at: performance.now(), bytesIn: 0 };
    connections.push(conn);
    socket.on('data', (d: Buffer) => {
      conn.bytesIn += d.length;
    });
    if (options.requireProxy !== true) {
      serve(socket, conn);
      return;
    }
    // Read the PROXY header first; a connection without one is refused (closed), as a server
    // configured for the PROXY protocol must do.
    let got = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      got = Buffer.concat([got, d]);
      const v = parseProxyHeader(got);
      if (v.status === 'incomplete') return;
      socket.off('data', onData);
      socket.pause();
      if (v.status !== 'ok') {
        conn.proxy = v.status === 'absent' ? 'no PROXY header' : `invalid PROXY header: ${v.reason}`;
        socket.destroy();
        return;
      }
      const h: ProxyHeader = v.header;
      conn.proxy = describeProxyHeader(h);
      if (h.source !== undefined && h.command === 'proxy') conn.proxyClient = `${h.source}:${h.sourcePort ?? 0}`;
      serve(socket, conn, got.subarray(h.length));
      socket.resume();
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  return Object.assign(me, { port: (server.address() as AddressInfo).port });
}

/** A client connection from `from` (a 127.x address) to host:port, tapped on the client side. */
export async function clientConnection(from: string, host: string, port: number, tap?: TapRecorder): Promise<{ socket: Socket; http: HttpClientConnection }> {
  const socket = connect({ host, port, localAddress: from });
  tap?.tcp(socket, { role: 'client' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  return { socket, http: new HttpClientConnection(socket, { responseTimeoutMs: 5_000 }) };
}

export interface Reply {
  readonly status: number;
  readonly backend: string;
  readonly body: string;
  /** The Set-Cookie the answer carried (name=value only). */
  readonly setCookie?: string;
}

/** One GET on an open client connection. */
export async function get(http: HttpClientConnection, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  const fields = [{ name: 'Host', value: 'shop.netlab.test' }, ...Object.entries(headers).map(([n, v]) => ({ name: n, value: v }))];
  const res = await http.request({ method: 'GET', target: path, fields });
  const body = await res.body.text();
  const backend = res.head.fields.find((f) => f.name.toLowerCase() === 'x-backend')?.value ?? '(none)';
  const cookie = res.head.fields.find((f) => f.name.toLowerCase() === 'set-cookie')?.value.split(';')[0];
  return { status: res.head.status, backend, body, ...(cookie === undefined ? {} : { setCookie: cookie }) };
}

/** Closes a client connection and waits for the socket to close. */
export async function hangUp(c: { socket: Socket; http: HttpClientConnection }): Promise<void> {
  if (c.socket.destroyed) return;
  const closed = new Promise<void>((r) => c.socket.once('close', () => r()));
  c.socket.end();
  await closed;
}

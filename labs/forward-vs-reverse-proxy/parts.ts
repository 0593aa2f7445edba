// The forward-vs-reverse-proxy lab's parts: an origin server that records who connected to it and
// what headers came with the request, a TLS origin (netlab's PKI) whose raw TCP side can be tapped,
// and a client bound to a chosen loopback address speaking netlab's HTTP client (absolute-form,
// origin-form, and CONNECT followed by TLS inside the tunnel).

import { connect, createServer as netServer, type Server as NetServer, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as tlsServer, type Server as TlsServer } from 'node:tls';
import type { TapRecorder } from '../../src/capture/index.ts';
import { HttpClientConnection, HttpServer, type HttpServerRequest } from '../../src/http/index.ts';
import { type Leaf, SocketRelay, tapTls } from '../../src/tls/index.ts';

type HttpField = HttpServerRequest['head']['fields'][number];

export interface Seen {
  /** The TCP peer the origin saw. */
  readonly peer: string;
  readonly target: string;
  readonly fields: readonly HttpField[];
}

export function header(fields: readonly HttpField[], name: string): string | undefined {
  const all = fields.filter((f) => f.name.toLowerCase() === name).map((f) => f.value);
  return all.length === 0 ? undefined : all.join(', ');
}

/** A plain HTTP origin that answers "NAME saw PEER" and records each request. */
export class Origin {
  readonly seen: Seen[] = [];
  tap: TapRecorder | undefined;
  port = 0;
  private readonly server: HttpServer;

  constructor(
    readonly name: string,
    readonly address: string,
  ) {
    this.server = new HttpServer({
      idleTimeoutMs: 5_000,
      onConnection: (conn) => this.tap?.tcp(conn.socket),
      handler: async (req, res) => {
        await req.body.text().catch(() => '');
        const peer = req.connection.socket.remoteAddress ?? '?';
        this.seen.push({ peer, target: req.head.target, fields: req.head.fields });
        const text = `${this.name} saw ${peer}\n`;
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      },
    });
  }

  async listen(): Promise<void> {
    this.port = (await this.server.listen(0, this.address)).port;
  }

  close(): Promise<void> {
    return this.server.close(200);
  }
}

/**
 * A TLS origin: answers one HTTP/1.1 request per connection with the path it read, then closes. TLS
 * runs over a relay when tapped, so the capture holds the ciphertext (tap-transport.ts says why).
 */
export class TlsOrigin {
  tap: TapRecorder | undefined;
  port = 0;
  readonly paths: string[] = [];
  private readonly tls: TlsServer;
  private readonly server: NetServer;

  constructor(
    readonly address: string,
    leaf: Leaf,
  ) {
    this.tls = tlsServer({ key: leaf.keyPem, cert: leaf.chainPem, minVersion: 'TLSv1.3' }, (s) => {
      let head = '';
      s.setEncoding('latin1');
      s.on('data', (d: string) => {
        head += d;
        if (!head.includes('\r\n\r\n')) return;
        const path = head.split(' ')[1] ?? '/';
        this.paths.push(path);
        const text = `secret page ${path}\n`;
        s.end(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\nConnection: close\r\n\r\n${text}`);
      });
      s.on('error', () => undefined);
    });
    this.tls.on('tlsClientError', () => undefined);
    this.server = netServer((raw) => {
      raw.on('error', () => undefined);
      const tap = this.tap;
      if (tap === undefined) this.tls.emit('connection', raw);
      else tapTls(tap, raw, 'server', (relay) => this.tls.emit('connection', relay));
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, this.address, resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface Reply {
  readonly status: number;
  readonly fields: readonly HttpField[];
  readonly body: string;
}

async function socketFrom(from: string, to: { host: string; port: number }, tap: TapRecorder | undefined): Promise<Socket> {
  const socket = connect({ host: to.host, port: to.port, localAddress: from });
  tap?.tcp(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

/** One request on a fresh connection from `from`; the connection is closed after. */
export async function request(
  from: string,
  to: { host: string; port: number },
  target: string,
  fields: Record<string, string>,
  tap?: TapRecorder,
): Promise<Reply> {
  const conn = new HttpClientConnection(await socketFrom(from, to, tap), { responseTimeoutMs: 5_000 });
  try {
    const res = await conn.request({ method: 'GET', target, fields: { 'User-Agent': 'netlab-lab', ...fields } });
    return { status: res.head.status, fields: res.head.fields, body: await res.body.text() };
  } finally {
    await closeSocket(conn.socket);
  }
}

async function closeSocket(s: Socket): Promise<void> {
  if (s.destroyed) return;
  await new Promise<void>((resolve) => {
    s.once('close', () => resolve());
    s.end();
    setTimeout(() => {
      s.destroy();
      resolve();
    }, 500).unref();
  });
}

/**
 * CONNECT host:port through the proxy, then TLS to `servername` inside the tunnel and GET `path`.
 * Returns the proxy's answer to CONNECT and, when it was 200, the page read through TLS.
 */
export async function connectTls(
  from: string,
  proxy: { host: string; port: number },
  origin: { host: string; port: number; servername: string; ca: string },
  path: string,
  tap?: TapRecorder,
): Promise<{ connectStatus: number; page: string | undefined }> {
  const conn = new HttpClientConnection(await socketFrom(from, proxy, tap), { responseTimeoutMs: 5_000 });
  const authority = `${origin.host}:${origin.port}`;
  const res = await conn.request({ method: 'CONNECT', target: authority, fields: { Host: authority } });
  if (res.head.status !== 200) {
    await res.body.text();
    await closeSocket(conn.socket);
    return { connectStatus: res.head.status, page: undefined };
  }
  const { socket } = conn.takeOver();
  const page = await new Promise<string>((resolve, reject) => {
    // Over a relay, so the TLS bytes pass through the tapped socket's JavaScript side.
    const t = tlsConnect({ socket: new SocketRelay(socket) as unknown as Socket, servername: origin.servername, ca: origin.ca }, () => {
      t.write(`GET ${path} HTTP/1.1\r\nHost: ${origin.servername}\r\nConnection: close\r\n\r\n`);
    });
    let text = '';
    t.setEncoding('latin1');
    t.on('data', (d: string) => {
      text += d;
    });
    t.on('end', () => resolve(text));
    t.on('error', reject);
  });
  await closeSocket(socket);
  return { connectStatus: 200, page };
}

// Shared by the proxy tests: upstreams (netlab HttpServer) that echo what reached them, a tiny client
// on netlab's client connection, and a proxy started from a config object.

import { connect } from 'node:net';
import { HttpClientConnection, HttpServer, type HttpServerRequest, type HttpServerResponse } from '../../src/http/index.ts';
import { type ProxyOptions, type ReverseProxy, startProxy } from '../../src/proxy/index.ts';
import type { HttpField } from '../../src/wire/http.ts';

export interface Seen {
  readonly method: string;
  readonly target: string;
  readonly fields: readonly HttpField[];
  readonly body: string;
  readonly name: string;
}

export interface Upstream {
  readonly name: string;
  readonly port: number;
  readonly seen: Seen[];
  readonly server: HttpServer;
  /** Replace to change what it answers. */
  handler: (req: HttpServerRequest, res: HttpServerResponse, body: string) => void | Promise<void>;
  close: () => Promise<void>;
}

export function field(fields: readonly HttpField[], name: string): string | undefined {
  const all = fields.filter((f) => f.name.toLowerCase() === name.toLowerCase()).map((f) => f.value);
  return all.length === 0 ? undefined : all.join(', ');
}

/** An upstream that records each request and answers "NAME METHOD TARGET". */
export async function startUpstream(name: string, tls?: { key: string; cert: string }): Promise<Upstream> {
  const up: Partial<Upstream> & { seen: Seen[]; handler: Upstream['handler'] } = {
    seen: [],
    handler: (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Upstream': name });
      res.end(`${name} ${req.head.method} ${req.head.target}`);
    },
  };
  const server = new HttpServer({
    ...(tls === undefined ? {} : { tls }),
    idleTimeoutMs: 5000,
    handler: async (req, res) => {
      let body = '';
      try {
        body = await req.body.text();
      } catch {
        return;
      }
      up.seen.push({ method: req.head.method, target: req.head.target, fields: req.head.fields, body, name });
      await up.handler(req, res, body);
    },
  });
  const addr = await server.listen(0, '127.0.0.1');
  return Object.assign(up, { name, port: addr.port, server, close: () => server.close(500) }) as Upstream;
}

export interface Reply {
  readonly status: number;
  readonly fields: readonly HttpField[];
  readonly body: string;
}

/** One request on a fresh connection to 127.0.0.1:port. */
export async function send(port: number, method: string, target: string, fields: Record<string, string> | HttpField[] = {}, body?: string): Promise<Reply> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const conn = new HttpClientConnection(socket, { responseTimeoutMs: 10_000 });
  try {
    const list = Array.isArray(fields) ? fields : Object.entries(fields).map(([n, v]) => ({ name: n, value: v }));
    const withHost = list.some((f) => f.name.toLowerCase() === 'host') ? list : [{ name: 'Host', value: 'app.netlab.test' }, ...list];
    const res = await conn.request({ method, target, fields: withHost, ...(body === undefined ? {} : { body }) });
    return { status: res.head.status, fields: res.head.fields, body: await res.body.text() };
  } finally {
    conn.destroy();
  }
}

export function proxyWith(config: unknown, options: ProxyOptions = {}): Promise<ReverseProxy> {
  return startProxy(config, { graceMs: 1000, ...options });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A listener on 127.0.0.1 port 0. */
export const LISTENER = { name: 'web', address: '127.0.0.1', port: 0 } as const;

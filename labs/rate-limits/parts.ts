// The rate-limits-and-circuit-breakers lab's parts: backends (netlab HttpServers on 127.185.1.x) whose
// behaviour a step changes between requests (answer, fail with 500, hold each answer a while, hold
// until released), a TCP listener that accepts and never speaks (a TLS handshake that hangs), and a
// client sending one request per fresh connection from a chosen loopback address, timed.

import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TapRecorder } from '../../src/capture/index.ts';
import { HttpClientConnection, HttpServer, type HttpServerRequest, type HttpServerResponse } from '../../src/http/index.ts';

export const SITE = 'api.netlab.test';

export function header(fields: readonly { name: string; value: string }[], name: string): string | undefined {
  const n = name.toLowerCase();
  const all = fields.filter((f) => f.name.toLowerCase() === n).map((f) => f.value);
  return all.length === 0 ? undefined : all.join(', ');
}

export type BackendMode = 'ok' | 'fail' | 'hold';

/** A backend that counts the requests reaching it and answers as its mode says. */
export class Backend {
  port = 0;
  mode: BackendMode = 'ok';
  /** Milliseconds each answer is delayed (a fixed service time). */
  delayMs = 0;
  /** Requests that reached it. */
  hits = 0;
  /** When set, an answer also waits for this (after delayMs): the shedding step's burst gate. */
  gate: Promise<void> | undefined;
  /** Told of each request that reaches it. */
  onHit: (() => void) | undefined;
  private readonly held: (() => void)[] = [];
  private readonly server: HttpServer;

  constructor(
    readonly name: string,
    readonly address: string,
  ) {
    this.server = new HttpServer({ handler: (req, res) => this.handle(req, res), idleTimeoutMs: 10_000 });
  }

  async listen(): Promise<this> {
    this.port = (await this.server.listen(0, this.address)).port;
    return this;
  }

  /** Requests held now (mode hold). */
  get holding(): number {
    return this.held.length;
  }

  /** Answers every held request. */
  releaseAll(): void {
    for (const f of this.held.splice(0)) f();
  }

  private async handle(req: HttpServerRequest, res: HttpServerResponse): Promise<void> {
    try {
      await req.body.text();
    } catch {
      return;
    }
    this.hits++;
    this.onHit?.();
    const answer = (status: number, text: string): void => {
      res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text), 'X-Served-By': this.name });
      res.end(text);
    };
    if (this.mode === 'fail') return answer(500, `${this.name}: internal error\n`);
    if (this.mode === 'hold') {
      await new Promise<void>((resolve) => this.held.push(resolve));
      return answer(200, `${this.name}: done\n`);
    }
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.gate !== undefined) await this.gate;
    answer(200, `${this.name}: ${req.head.method} ${req.head.target} ok\n`);
  }

  async close(): Promise<void> {
    this.releaseAll();
    await this.server.close(200);
  }
}

/** Accepts TCP connections and never sends a byte: a TLS client waits for a ServerHello that never comes. */
export class SilentListener {
  port = 0;
  /** Connections accepted so far. */
  accepted = 0;
  readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(readonly address: string) {
    this.server = createServer((s) => {
      this.accepted++;
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, this.address, () => resolve());
    });
    const a = this.server.address();
    this.port = typeof a === 'object' && a !== null ? a.port : 0;
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export interface Reply {
  readonly status: number;
  readonly fields: readonly { name: string; value: string }[];
  readonly body: string;
  /** From connect to the last byte of the answer. */
  readonly ms: number;
}

export interface Target {
  readonly host: string;
  readonly port: number;
}

/** One request on a fresh connection from `from` to the proxy; the connection is closed after. */
export async function send(from: string, to: Target, method: string, path: string, fields: Record<string, string> = {}, tap?: TapRecorder): Promise<Reply> {
  const t0 = performance.now();
  const socket = connect({ host: to.host, port: to.port, localAddress: from });
  tap?.tcp(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const conn = new HttpClientConnection(socket, { responseTimeoutMs: 10_000 });
  try {
    const body = method === 'POST' ? '{"item":"book","qty":1}' : undefined;
    const res = await conn.request({
      method,
      target: path,
      fields: { Host: SITE, 'User-Agent': 'netlab-lab', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...fields },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.body.text();
    return { status: res.head.status, fields: res.head.fields, body: text, ms: performance.now() - t0 };
  } finally {
    await new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      socket.once('close', () => resolve());
      conn.close();
      setTimeout(() => {
        conn.destroy();
        resolve();
      }, 1000).unref();
    });
  }
}

/** The value at fraction q (0..1) of sorted numbers (nearest rank); NaN for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** One keep-alive connection from `from` to the proxy, one request at a time, opened again if closed. */
export class KeepAliveClient {
  private conn: HttpClientConnection | undefined;

  constructor(
    readonly from: string,
    private readonly to: Target,
    private readonly tap?: TapRecorder,
  ) {}

  private async open(): Promise<HttpClientConnection> {
    if (this.conn !== undefined && this.conn.state !== 'closed') return this.conn;
    const socket = connect({ host: this.to.host, port: this.to.port, localAddress: this.from });
    this.tap?.tcp(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    this.conn = new HttpClientConnection(socket, { responseTimeoutMs: 10_000 });
    return this.conn;
  }

  async get(path: string): Promise<Reply> {
    const t0 = performance.now();
    const conn = await this.open();
    const res = await conn.request({ method: 'GET', target: path, fields: { Host: SITE, 'User-Agent': 'netlab-lab' } });
    const body = await res.body.text();
    return { status: res.head.status, fields: res.head.fields, body, ms: performance.now() - t0 };
  }

  async close(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    if (c === undefined || c.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      c.socket.once('close', () => resolve());
      c.close();
      setTimeout(() => {
        c.destroy();
        resolve();
      }, 1000).unref();
    });
  }
}

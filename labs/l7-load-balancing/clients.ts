// The l7-load-balancing lab's clients: keep-alive HTTP/1.1 connections to the proxy from chosen
// loopback source addresses (127.70.2.N, ...), on netlab's own client connection, and a closed-loop
// load: W workers, each sending its next request when its previous answer is in, until a count is
// reached (bounded in count, and every request has a timeout).

import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TapRecorder } from '../../src/capture/index.ts';
import { HttpClientConnection } from '../../src/http/index.ts';
import { header } from './backends.ts';

export const SITE = 'shop.netlab.test';

export interface Reply {
  readonly status: number;
  /** X-Served-By: the backend that answered ('-' when the proxy answered itself). */
  readonly server: string;
  readonly requestId: string | undefined;
  readonly setCookie: string | undefined;
  readonly ms: number;
  readonly body: string;
}

export interface Target {
  readonly host: string;
  readonly port: number;
}

/** One client: one keep-alive connection from `from` to the proxy (opened again if the proxy closed it). */
export class LabClient {
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

  async get(path: string, fields: Record<string, string> = {}): Promise<Reply> {
    const conn = await this.open();
    const t0 = performance.now();
    const res = await conn.request({ method: 'GET', target: path, fields: { Host: SITE, 'User-Agent': 'netlab-lab', ...fields } });
    const body = await res.body.text();
    const f = res.head.fields;
    return {
      status: res.head.status,
      server: header(f, 'x-served-by') ?? '-',
      requestId: header(f, 'x-request-id'),
      setCookie: header(f, 'set-cookie'),
      ms: performance.now() - t0,
      body,
    };
  }

  /** Closes the connection and waits until the socket is gone. */
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

export interface LoadResult {
  readonly replies: Reply[];
  readonly elapsedMs: number;
  /** CPU time this process used during the run (user + system), ms. */
  readonly cpuMs: number;
}

/**
 * Sends `total` GETs of `path` with `workers` clients in a closed loop, client i from
 * `addresses[i % addresses.length]`.
 */
export async function closedLoop(to: Target, addresses: readonly string[], workers: number, total: number, path = '/'): Promise<LoadResult> {
  const clients = Array.from({ length: workers }, (_, i) => new LabClient(addresses[i % addresses.length], to));
  const replies: Reply[] = [];
  let issued = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let elapsedMs = 0;
  let cpu = { user: 0, system: 0 };
  try {
    await Promise.all(
      clients.map(async (c) => {
        while (issued < total) {
          issued++;
          replies.push(await c.get(path));
        }
      }),
    );
    elapsedMs = performance.now() - t0;
    cpu = process.cpuUsage(cpu0);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
  return { replies, elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Requests per backend name, in the order of `names`. */
export function countBy(replies: readonly Reply[], names: readonly string[]): number[] {
  return names.map((n) => replies.filter((r) => r.server === n).length);
}

/** The p-th percentile (0..100) of some numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

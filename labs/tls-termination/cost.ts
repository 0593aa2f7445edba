// The cost of TLS termination, measured on loopback: sequential GETs through netlab's proxy, either
// one new connection per request (a TCP, or TCP + TLS, handshake every time) or all on one keep-alive
// connection. Bounded in count and in time: a run stops at `maxRequests` or `maxMs`, whichever first.

import { connect as netConnect, type Socket } from 'node:net';
import { HttpClientConnection } from '../../src/http/index.ts';
import { tlsConnect } from '../../src/tls/index.ts';

export interface CostTarget {
  readonly host: string;
  readonly port: number;
  /** TLS to the proxy: the name to ask for and the CA to verify it with. */
  readonly tls?: { readonly servername: string; readonly ca: string };
  readonly localAddress: string;
}

export interface CostResult {
  readonly requests: number;
  readonly ms: number;
  readonly perSecond: number;
  /** Mean time from connect() to a usable connection (TCP, or TCP + TLS handshake), per connection. */
  readonly connectMs: number;
  readonly connections: number;
}

async function open(t: CostTarget): Promise<Socket> {
  if (t.tls !== undefined) {
    const c = await tlsConnect({ host: t.host, port: t.port, servername: t.tls.servername, ca: t.tls.ca, localAddress: t.localAddress });
    return c.socket;
  }
  const s = netConnect({ host: t.host, port: t.port, localAddress: t.localAddress });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  return s;
}

async function get(conn: HttpClientConnection, i: number, close: boolean): Promise<number> {
  const res = await conn.request({
    method: 'GET',
    target: `/cost?n=${i}`,
    fields: [{ name: 'Host', value: 'shop.netlab.test' }, ...(close ? [{ name: 'Connection', value: 'close' }] : [])],
  });
  await res.body.bytes();
  return res.head.status;
}

/** Runs requests one after another; throws when one is not answered 200. */
export async function measure(t: CostTarget, keepAlive: boolean, maxRequests: number, maxMs: number): Promise<CostResult> {
  const start = performance.now();
  let requests = 0;
  let connections = 0;
  let connectTotal = 0;
  let conn: HttpClientConnection | undefined;
  let socket: Socket | undefined;
  try {
    while (requests < maxRequests && performance.now() - start < maxMs) {
      if (conn === undefined || !keepAlive) {
        const t0 = performance.now();
        socket = await open(t);
        connectTotal += performance.now() - t0;
        connections++;
        conn = new HttpClientConnection(socket, { responseTimeoutMs: 5000 });
      }
      const status = await get(conn, requests, !keepAlive);
      if (status !== 200) throw new Error(`request ${requests + 1}: status ${status}`);
      requests++;
      if (!keepAlive) {
        socket?.destroy();
        conn = undefined;
      }
    }
  } finally {
    socket?.destroy();
  }
  const ms = performance.now() - start;
  return { requests, ms, perSecond: (requests * 1000) / ms, connectMs: connections === 0 ? 0 : connectTotal / connections, connections };
}

// Server-Sent Events through netlab's reverse proxy, read by a real SSE client (Node's fetch reading
// the body stream): each event reaches the client before the upstream writes the next one (chunked
// and close-delimited upstreams, a route with compression, a route with the cache), a stream that
// keeps sending outlives `idleMs` and `requestMs` while `streamIdleMs` cuts a silent one, the client
// leaving closes the upstream request, the upstream ending ends the client's stream, and Last-Event-ID
// reaches the upstream on a reconnect.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startProxy, type ReverseProxy } from '../../src/proxy/index.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

interface SseUpstream {
  readonly port: number;
  /** Each stream's request, in arrival order. */
  readonly requests: IncomingMessage[];
  /** The open streams' responses (one per request), to write events to. */
  readonly streams: ServerResponse[];
  /** Resolves when the nth request (0-based) has closed (client left or the proxy cut it). */
  closed(n: number): Promise<void>;
  /** Resolves when the nth stream has been opened. */
  opened(n: number): Promise<ServerResponse>;
}

/** A node:http upstream answering every request with an open text/event-stream (chunked). */
async function sseUpstream(extraHead: Record<string, string> = {}): Promise<SseUpstream> {
  const requests: IncomingMessage[] = [];
  const streams: ServerResponse[] = [];
  const closes: Promise<void>[] = [];
  const waiters: ((r: ServerResponse) => void)[] = [];
  const server: Server = createHttpServer((req, res) => {
    requests.push(req);
    closes.push(new Promise((resolve) => res.once('close', () => resolve())));
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', ...extraHead });
    res.flushHeaders();
    streams.push(res);
    for (const w of waiters.splice(0)) w(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no address');
  const opened = async (n: number): Promise<ServerResponse> => {
    while (streams.length <= n) await new Promise<ServerResponse>((r) => waiters.push(r));
    return streams[n];
  };
  return {
    port: a.port,
    requests,
    streams,
    opened,
    async closed(n) {
      await opened(n);
      await closes[n];
    },
  };
}

async function proxyTo(port: number, opts: { route?: Record<string, unknown>; timeouts?: Record<string, number>; cache?: boolean } = {}): Promise<number> {
  const p: ReverseProxy = await startProxy({
    listeners: [{ name: 'web', address: '127.0.0.1', port: 0 }],
    routes: [{ name: 'events', cluster: 'c', ...(opts.route ?? {}) }],
    clusters: [{ name: 'c', endpoints: [{ name: 'e1', address: '127.0.0.1', port }], ...(opts.timeouts === undefined ? {} : { timeouts: opts.timeouts }) }],
    ...(opts.cache === true ? { cache: { maxBytes: 1024 * 1024 } } : {}),
  });
  cleanup.push(() => p.close(200));
  return Number(new URL(p.listeners[0].url).port);
}

/** An SSE client: fetch, then the body read event by event (blank-line separated). */
async function subscribe(port: number, headers: Record<string, string> = {}) {
  const ac = new AbortController();
  const res = await fetch(`http://127.0.0.1:${port}/events`, { headers: { Accept: 'text/event-stream', ...headers }, signal: ac.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let buf = '';
  cleanup.push(async () => ac.abort());
  return {
    res,
    abort: () => ac.abort(),
    /** The next whole event's text, or undefined when the stream ended. */
    async next(): Promise<string | undefined> {
      for (;;) {
        const end = buf.indexOf('\n\n');
        if (end >= 0) {
          const ev = buf.slice(0, end);
          buf = buf.slice(end + 2);
          return ev;
        }
        const r = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (r.done) return undefined;
        buf += dec.decode(r.value, { stream: true });
      }
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Server-Sent Events through the proxy', () => {
  it('delivers a chunked stream event by event: each arrives before the upstream writes the next', async () => {
    const up = await sseUpstream();
    const c = await subscribe(await proxyTo(up.port));
    expect(c.res.status).toBe(200);
    expect(c.res.headers.get('content-type')).toBe('text/event-stream');
    const s = await up.opened(0);
    // The upstream writes event n+1 only after the client has read event n: a proxy that buffered
    // would never hand event 1 over and the test would time out.
    for (let i = 1; i <= 5; i++) {
      s.write(`id: ${i}\ndata: tick ${i}\n\n`);
      expect(await c.next()).toBe(`id: ${i}\ndata: tick ${i}`);
    }
    s.end();
    expect(await c.next()).toBeUndefined();
  });

  it('delivers a close-delimited stream (no Content-Length, no chunking) event by event', async () => {
    const sockets = new Set<Socket>();
    let upstream: Socket | undefined;
    let got: () => void = () => undefined;
    const connected = new Promise<void>((r) => {
      got = r;
    });
    const server = createNetServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n');
        upstream = s;
        got();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        }),
    );
    const a = server.address();
    if (a === null || typeof a === 'string') throw new Error('no address');
    const c = await subscribe(await proxyTo(a.port));
    await connected;
    for (let i = 1; i <= 3; i++) {
      upstream?.write(`data: raw ${i}\n\n`);
      expect(await c.next()).toBe(`data: raw ${i}`);
    }
    upstream?.end();
    expect(await c.next()).toBeUndefined();
  });

  it('is never compressed on a route with compression, and never held by the cache', async () => {
    const up = await sseUpstream({ 'Cache-Control': 'max-age=60' });
    const port = await proxyTo(up.port, { route: { cache: true, compression: { minSizeBytes: 0 } }, cache: true });
    const a = await subscribe(port, { 'Accept-Encoding': 'gzip, br' });
    const b = await subscribe(port, { 'Accept-Encoding': 'gzip, br' });
    expect(a.res.headers.get('content-encoding')).toBeNull();
    const [sa, sb] = [await up.opened(0), await up.opened(1)];
    expect(up.requests).toHaveLength(2);
    // A client that does not say Accept: text/event-stream (curl): the cache sees the stream's head,
    // drops that fetch and the request goes the streaming way.
    const plain = await fetch(`http://127.0.0.1:${port}/events`);
    const reader = (plain.body as ReadableStream<Uint8Array>).getReader();
    cleanup.push(async () => void reader.cancel().catch(() => undefined));
    await up.closed(2);
    const sc = await up.opened(3);
    sc.write('data: c1\n\n');
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: c1\n\n');
    expect(plain.headers.get('x-cache')).toBe('MISS');
    for (let i = 1; i <= 3; i++) {
      sa.write(`data: a${i}\n\n`);
      sb.write(`data: b${i}\n\n`);
      expect(await a.next()).toBe(`data: a${i}`);
      expect(await b.next()).toBe(`data: b${i}`);
    }
  });

  it('a stream that keeps sending outlives idleMs and requestMs; streamIdleMs cuts a silent one', async () => {
    const up = await sseUpstream();
    const port = await proxyTo(up.port, { timeouts: { idleMs: 40, requestMs: 120, streamIdleMs: 150 } });
    const c = await subscribe(port);
    const s = await up.opened(0);
    const started = Date.now();
    // Events 70 ms apart (each gap past idleMs) for well past requestMs.
    for (let i = 1; i <= 5; i++) {
      await sleep(70);
      s.write(`data: ${i}\n\n`);
      expect(await c.next()).toBe(`data: ${i}`);
    }
    expect(Date.now() - started).toBeGreaterThan(300);
    // Then silence: streamIdleMs closes both sides.
    const silentFrom = Date.now();
    expect(await c.next()).toBeUndefined();
    expect(Date.now() - silentFrom).toBeGreaterThanOrEqual(140);
    await up.closed(0);
  });

  it('a plain response keeps its idleMs and requestMs (only event streams are exempt)', async () => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('first\n');
      // Never ends, never writes again.
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    const a = server.address();
    if (a === null || typeof a === 'string') throw new Error('no address');
    const port = await proxyTo(a.port, { timeouts: { idleMs: 60, streamIdleMs: 10_000 } });
    const started = Date.now();
    const res = await fetch(`http://127.0.0.1:${port}/plain`);
    await expect(res.text()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('the client leaving closes the upstream request; the upstream ending ends the client stream', async () => {
    const up = await sseUpstream();
    const port = await proxyTo(up.port);
    const c = await subscribe(port);
    const s = await up.opened(0);
    s.write('data: hello\n\n');
    expect(await c.next()).toBe('data: hello');
    c.abort();
    await up.closed(0); // would hang if the proxy kept the upstream request open
    const d = await subscribe(port);
    const s2 = await up.opened(1);
    s2.end('data: last\n\n');
    expect(await d.next()).toBe('data: last');
    expect(await d.next()).toBeUndefined();
  });

  it('passes Last-Event-ID to the upstream on a reconnect', async () => {
    const up = await sseUpstream();
    const port = await proxyTo(up.port);
    const c = await subscribe(port);
    (await up.opened(0)).write('id: 41\ndata: x\n\n');
    expect(await c.next()).toBe('id: 41\ndata: x');
    c.abort();
    await up.closed(0);
    await subscribe(port, { 'Last-Event-ID': '41' });
    await up.opened(1);
    expect(up.requests[0].headers['last-event-id']).toBeUndefined();
    expect(up.requests[1].headers['last-event-id']).toBe('41');
    expect(up.requests[1].headers.accept).toBe('text/event-stream');
  });
});

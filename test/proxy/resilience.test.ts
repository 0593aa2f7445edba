// Retries, timeouts and dying upstreams: the client always gets an answer (502/503/504) or a cut
// response, never a hang. Upstreams are netlab HttpServers and plain `net` servers that misbehave.

import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReverseProxy } from '../../src/proxy/index.ts';
import { LISTENER, proxyWith, send, startUpstream, type Upstream } from './helpers.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A raw TCP server running `onSocket` for each connection. */
async function rawServer(onSocket: (s: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onSocket(s);
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
  return a.port;
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const a = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  if (a === null || typeof a === 'string') throw new Error('no address');
  return a.port;
}

async function up(name: string): Promise<Upstream> {
  const u = await startUpstream(name);
  cleanup.push(u.close);
  return u;
}

async function proxy(cluster: Record<string, unknown>): Promise<{ p: ReverseProxy; port: number }> {
  const p = await proxyWith({ listeners: [LISTENER], routes: [{ name: 'all', cluster: 'c' }], clusters: [{ name: 'c', ...cluster }] });
  cleanup.push(() => p.close(500));
  return { p, port: p.address().port };
}

describe('retries', () => {
  it('a GET that got 503 is retried on the other endpoint; a POST is not', async () => {
    const bad = await up('bad');
    bad.handler = (_q, res) => {
      res.writeHead(503, {});
      res.end('down');
    };
    const good = await up('good');
    const { p, port } = await proxy({
      endpoints: [
        { name: 'bad', address: '127.0.0.1', port: bad.port },
        { name: 'good', address: '127.0.0.1', port: good.port },
      ],
      policy: 'round_robin',
      retries: { attempts: 2, retryOn: ['503', 'connect_failure'], backoff: { baseMs: 1, maxMs: 5 } },
    });
    const gets = await Promise.all([0, 1, 2, 3].map(() => send(port, 'GET', '/g')));
    expect(gets.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(p.stats().retries).toBeGreaterThanOrEqual(1);
    const posts: number[] = [];
    for (let i = 0; i < 4; i++) posts.push((await send(port, 'POST', '/p', {}, 'x')).status);
    expect(posts.filter((s) => s === 503).length).toBe(2);
    expect(bad.seen.filter((s) => s.method === 'POST').length).toBe(2);
  });

  it('a connect failure is retried elsewhere, even for a POST (nothing reached the upstream)', async () => {
    const good = await up('good');
    const { port } = await proxy({
      endpoints: [
        { name: 'dead', address: '127.0.0.1', port: await deadPort() },
        { name: 'good', address: '127.0.0.1', port: good.port },
      ],
      retries: { attempts: 1, retryOn: ['connect_failure'], backoff: { baseMs: 1, maxMs: 2 } },
    });
    for (let i = 0; i < 4; i++) expect((await send(port, 'POST', '/p', {}, 'body')).status).toBe(200);
    expect(good.seen.every((s) => s.body === 'body')).toBe(true);
  });

  it('without retries a refused connection is 502; no endpoint at all is 503', async () => {
    const { p, port } = await proxy({
      endpoints: [{ name: 'dead', address: '127.0.0.1', port: await deadPort() }],
      outlierDetection: { consecutiveConnectFailures: 1, maxEjectionPercent: 100 },
    });
    const r = await send(port, 'GET', '/');
    expect(r.status).toBe(502);
    expect(r.body).toMatch(/dead/);
    const r2 = await send(port, 'GET', '/');
    expect(r2.status).toBe(503);
    expect(r2.body).toMatch(/no endpoint of cluster c/);
    expect(p.stats().clusters.c[0].state).toBe('ejected');
  });
});

describe('timeouts and dying upstreams', () => {
  it('504 when the response head does not come within headerMs', async () => {
    const port0 = await rawServer(() => undefined);
    const { port } = await proxy({ endpoints: [{ address: '127.0.0.1', port: port0 }], timeouts: { connectMs: 1000, headerMs: 150, idleMs: 1000 } });
    const t0 = Date.now();
    const r = await send(port, 'GET', '/slow');
    expect(r.status).toBe(504);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('504 when the whole request takes over requestMs (a trickling body)', async () => {
    const slow = await up('slow');
    slow.handler = async (_q, res) => {
      res.writeHead(200, {});
      for (let i = 0; i < 20; i++) {
        if (res.aborted) return;
        res.write('x');
        await new Promise((r) => setTimeout(r, 50));
      }
      res.end();
    };
    const { port } = await proxy({
      endpoints: [{ address: '127.0.0.1', port: slow.port }],
      timeouts: { connectMs: 1000, headerMs: 1000, idleMs: 1000, requestMs: 200 },
    });
    // The head went out already: the client sees a cut response (the body ends early), not a hang.
    await expect(send(port, 'GET', '/')).rejects.toThrow();
  });

  it('502 on a garbled response, on a close before any response, and a cut body on a close mid-body', async () => {
    const garbage = await rawServer((s) => s.once('data', () => s.end('HTTP/1.1 2OO OK\r\n\r\n')));
    const slam = await rawServer((s) => s.once('data', () => s.destroy()));
    const half = await rawServer((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-some')));
    const { port } = await proxy({
      endpoints: [
        { name: 'garbage', address: '127.0.0.1', port: garbage },
        { name: 'slam', address: '127.0.0.1', port: slam },
        { name: 'half', address: '127.0.0.1', port: half },
      ],
      policy: 'round_robin',
    });
    expect((await send(port, 'GET', '/1')).status).toBe(502);
    expect((await send(port, 'GET', '/2')).status).toBe(502);
    await expect(send(port, 'GET', '/3')).rejects.toThrow(/closed|ended/);
  });

  it('a keep-alive connection the upstream closed is replaced without the client noticing', async () => {
    const u = await up('u');
    const { port } = await proxy({ endpoints: [{ address: '127.0.0.1', port: u.port }] });
    expect((await send(port, 'GET', '/a')).status).toBe(200);
    for (const c of u.server.connections) c.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect((await send(port, 'GET', '/b')).status).toBe(200);
  });
});

describe('streaming and backpressure', () => {
  it('a large response streams: while the client does not read, the upstream is held back (no full buffering)', async () => {
    const big = await up('big');
    let written = 0;
    const total = 32 * 1024 * 1024;
    big.handler = async (_q, res) => {
      res.writeHead(200, { 'Content-Length': total });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      while (written < total && !res.aborted) {
        written += chunk.length;
        if (!res.write(chunk)) await res.drained();
      }
      res.end();
    };
    const { port } = await proxy({ endpoints: [{ address: '127.0.0.1', port: big.port }] });
    const { connect } = await import('node:net');
    const s = connect(port, '127.0.0.1');
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    s.pause();
    await new Promise((r) => setTimeout(r, 600));
    const heldAt = written;
    expect(heldAt).toBeLessThan(total / 2);
    let got = 0;
    s.on('data', (d: Buffer) => {
      got += d.length;
    });
    s.resume();
    while (got < total) await new Promise((r) => setTimeout(r, 20));
    expect(written).toBe(total);
    s.destroy();
  });

  // A FIN alone is a half-close (the client may still read the answer, as HAProxy assumes by default);
  // a reset means the client is gone.
  it('a client that resets its connection while the upstream is still working ends the upstream exchange', async () => {
    const slow = await up('slow');
    slow.handler = async (_q, res) => {
      await new Promise((r) => setTimeout(r, 1500));
      res.end('late');
    };
    const { port } = await proxy({ endpoints: [{ address: '127.0.0.1', port: slow.port }] });
    const { connect } = await import('node:net');
    const s = connect(port, '127.0.0.1', () => s.write('GET /x HTTP/1.1\r\nHost: x\r\n\r\n'));
    while (slow.seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    const [upConn] = [...slow.server.connections];
    expect(upConn.socket.readableEnded).toBe(false);
    s.resetAndDestroy();
    // The proxy closes its side of the upstream connection at once (long before the 1.5 s answer).
    const t0 = Date.now();
    while (!upConn.socket.readableEnded && Date.now() - t0 < 1000) await new Promise((r) => setTimeout(r, 10));
    expect(upConn.socket.readableEnded).toBe(true);
  });
});

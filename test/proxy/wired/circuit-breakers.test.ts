// Circuit breaking through a real proxy on loopback: the four cluster thresholds (requests, pending
// requests, connections, retries) answering 503 with X-Netlab-Overflow naming the one that overflowed,
// and per-endpoint breakers: a failing endpoint trips open, the balancer skips it, a half-open probe
// after openMs finds it well again and closes the breaker.

import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReverseProxy } from '../../../src/proxy/index.ts';
import { field, LISTENER, proxyWith, send, sleep, startUpstream, type Upstream } from '../helpers.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function upstream(name: string): Promise<Upstream> {
  const u = await startUpstream(name);
  cleanup.push(() => u.close());
  return u;
}

async function proxyFor(cluster: Record<string, unknown>, ups: Upstream[]): Promise<{ proxy: ReverseProxy; port: number }> {
  const proxy = await proxyWith({
    listeners: [LISTENER],
    routes: [{ name: 'all', match: { path: { prefix: '/' } }, cluster: 'app' }],
    clusters: [{ name: 'app', endpoints: ups.map((u) => ({ name: u.name, address: '127.0.0.1', port: u.port })), ...cluster }],
    metrics: {},
  });
  cleanup.push(() => proxy.close(200));
  return { proxy, port: proxy.address().port };
}

/** Makes the upstream hold every response until the returned function is called. */
function hold(u: Upstream): { held: () => number; releaseAll: () => void } {
  const waiting: (() => void)[] = [];
  u.handler = (_req, res) =>
    new Promise<void>((resolve) => {
      waiting.push(() => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('done');
        resolve();
      });
    });
  return { held: () => waiting.length, releaseAll: () => waiting.splice(0).forEach((f) => f()) };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(10);
  expect(cond()).toBe(true);
}

describe('cluster thresholds', () => {
  it('maxRequests: a request beyond it gets 503 with X-Netlab-Overflow: requests', async () => {
    const a = await upstream('a');
    const { proxy, port } = await proxyFor({ circuitBreakers: { maxRequests: 2 } }, [a]);
    const h = hold(a);
    const slow = [send(port, 'GET', '/1'), send(port, 'GET', '/2')];
    await until(() => h.held() === 2);
    const r = await send(port, 'GET', '/3');
    expect(r.status).toBe(503);
    expect(field(r.fields, 'x-netlab-overflow')).toBe('requests');
    h.releaseAll();
    expect((await Promise.all(slow)).map((x) => x.status)).toEqual([200, 200]);
    a.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('quick');
    };
    expect((await send(port, 'GET', '/4')).status).toBe(200);
    expect(await proxy.metricsText()).toMatch(/netlab_proxy_circuit_overflow_total\{cluster="app",resource="requests"\} 1/);
  });

  it('maxConnections: with every connection busy, a request that needs a new one gets 503 (connections)', async () => {
    const a = await upstream('a');
    const b = await upstream('b');
    const { port } = await proxyFor({ circuitBreakers: { maxConnections: 1 } }, [a, b]);
    const h = hold(a);
    const slow = send(port, 'GET', '/1'); // round robin: a, holding the cluster's only connection
    await until(() => h.held() === 1);
    const r = await send(port, 'GET', '/2'); // b has no connection and may not open one
    expect(r.status).toBe(503);
    expect(field(r.fields, 'x-netlab-overflow')).toBe('connections');
    expect(b.seen).toHaveLength(0);
    h.releaseAll();
    expect((await slow).status).toBe(200);
  });

  it('maxPendingRequests: requests waiting for a connection beyond it get 503 (pending)', async () => {
    // A TLS cluster whose endpoint accepts TCP but never answers the ClientHello: a request waits
    // for its connection (pending) until connectMs.
    const sockets = new Set<Socket>();
    const silent = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanup.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          silent.close(() => r());
        }),
    );
    const silentPort = (silent.address() as AddressInfo).port;
    const proxy = await proxyWith({
      listeners: [LISTENER],
      routes: [{ name: 'all', match: { path: { prefix: '/' } }, cluster: 'app' }],
      clusters: [
        {
          name: 'app',
          endpoints: [{ address: '127.0.0.1', port: silentPort }],
          tls: { verify: false },
          timeouts: { connectMs: 1500 },
          circuitBreakers: { maxPendingRequests: 1 },
        },
      ],
    });
    cleanup.push(() => proxy.close(200));
    const port = proxy.address().port;
    const first = send(port, 'GET', '/1');
    await until(() => sockets.size === 1);
    const second = await send(port, 'GET', '/2');
    expect(second.status).toBe(503);
    expect(field(second.fields, 'x-netlab-overflow')).toBe('pending');
    expect(sockets.size).toBe(1);
    expect((await first).status).toBe(504); // the handshake never finished within connectMs
  });

  it('maxRetries: 0 retries allowed means the 503 goes to the client without a retry', async () => {
    const a = await upstream('a');
    const b = await upstream('b');
    for (const u of [a, b])
      u.handler = (_req, res) => {
        res.writeHead(503, { 'Content-Type': 'text/plain' });
        res.end(`${u.name} busy`);
      };
    const retries = { attempts: 1, retryOn: ['503'], backoff: { baseMs: 1, maxMs: 2 } };
    const { proxy, port } = await proxyFor({ retries, circuitBreakers: { maxRetries: 0 } }, [a, b]);
    const r = await send(port, 'GET', '/x');
    expect(r.status).toBe(503);
    expect(a.seen.length + b.seen.length).toBe(1);
    expect(await proxy.metricsText()).toMatch(/netlab_proxy_circuit_overflow_total\{cluster="app",resource="retries"\} 1/);
    // The same cluster with retries allowed tries the other endpoint.
    const c = await upstream('c');
    const d = await upstream('d');
    for (const u of [c, d])
      u.handler = (_req, res) => {
        res.writeHead(503, { 'Content-Type': 'text/plain' });
        res.end('busy');
      };
    const other = await proxyFor({ retries, circuitBreakers: { maxRetries: 3 } }, [c, d]);
    expect((await send(other.port, 'GET', '/x')).status).toBe(503);
    expect(c.seen.length + d.seen.length).toBe(2);
  });
});

describe('endpoint breakers', () => {
  it('trip open after consecutive failures, are skipped while open, and close after a good probe', async () => {
    const good = await upstream('good');
    const bad = await upstream('bad');
    let badFails = true;
    bad.handler = (_req, res) => {
      res.writeHead(badFails ? 500 : 200, { 'Content-Type': 'text/plain' });
      res.end(badFails ? 'broken' : 'bad is well');
    };
    const { proxy, port } = await proxyFor({ circuitBreakers: { endpoint: { trip: { consecutiveFailures: 2 }, openMs: 400 } } }, [good, bad]);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(port, 'GET', `/a${i}`)).status);
    expect(statuses.sort()).toEqual([200, 200, 500, 500]); // round robin: bad failed twice and tripped
    expect(bad.seen).toHaveLength(2);
    for (let i = 0; i < 6; i++) expect((await send(port, 'GET', `/b${i}`)).status).toBe(200);
    expect(bad.seen).toHaveLength(2); // skipped while open
    expect(good.seen).toHaveLength(8);
    badFails = false;
    await sleep(450); // half-open: the next pick of bad is a probe
    const after: string[] = [];
    for (let i = 0; i < 4; i++) after.push((await send(port, 'GET', `/c${i}`)).body);
    expect(after.filter((b) => b === 'bad is well').length).toBe(2); // probe succeeded, closed, in rotation again
    const m = await proxy.metricsText();
    expect(m).toMatch(/netlab_proxy_breaker_transitions_total\{cluster="app",endpoint="bad",to="open"\} 1/);
    expect(m).toMatch(/netlab_proxy_breaker_transitions_total\{cluster="app",endpoint="bad",to="half-open"\} 1/);
    expect(m).toMatch(/netlab_proxy_breaker_transitions_total\{cluster="app",endpoint="bad",to="closed"\} 1/);
  });

  it('a client hanging up before the answer is not counted against the endpoint', async () => {
    const slow = await upstream('slow');
    const h = hold(slow);
    const { proxy, port } = await proxyFor({ circuitBreakers: { endpoint: { trip: { consecutiveFailures: 2 }, openMs: 60_000 } } }, [slow]);
    for (let i = 0; i < 3; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      await new Promise<void>((r) => s.once('connect', () => r()));
      s.write(`GET /gone${i} HTTP/1.1\r\nHost: app.netlab.test\r\n\r\n`);
      await until(() => h.held() === i + 1);
      s.destroy(); // the client leaves while the upstream is still working on it
      await sleep(50);
    }
    h.releaseAll();
    slow.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('still here');
    };
    const r = await send(port, 'GET', '/after');
    expect(r.status).toBe(200);
    expect(r.body).toBe('still here');
    expect(proxy.breakerStates('app')).toEqual({ slow: 'closed' });
  });

  it('with every endpoint open, answers 503 breaker-open without contacting any', async () => {
    const only = await upstream('only');
    only.handler = (_req, res) => {
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end('down');
    };
    const { port } = await proxyFor({ circuitBreakers: { endpoint: { trip: { consecutiveFailures: 1 }, openMs: 60_000 } } }, [only]);
    expect((await send(port, 'GET', '/1')).status).toBe(502);
    const r = await send(port, 'GET', '/2');
    expect(r.status).toBe(503);
    expect(field(r.fields, 'x-netlab-overflow')).toBe('breaker-open');
    expect(only.seen).toHaveLength(1);
  });
});

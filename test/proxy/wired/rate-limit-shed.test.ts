// Rate limits and load shedding through a real proxy on loopback: the five algorithms refuse the
// request past their limit with 429, Retry-After and the RateLimit / RateLimit-Policy fields; keys by
// client address, header and API key; shedding answers 503 when too many requests are in flight and
// when the event loop lags.

import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, type ReverseProxy, toProxyConfig } from '../../../src/proxy/index.ts';
import { field, LISTENER, proxyWith, send, sleep, startUpstream, type Upstream } from '../helpers.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(
  extra: Record<string, unknown>,
  routes: unknown[],
  listener: Record<string, unknown> = {},
): Promise<{ up: Upstream; proxy: ReverseProxy; port: number }> {
  const up = await startUpstream('a');
  cleanup.push(() => up.close());
  const proxy = await proxyWith({
    listeners: [{ ...LISTENER, ...listener }],
    routes,
    clusters: [{ name: 'app', endpoints: [{ address: '127.0.0.1', port: up.port }] }],
    ...extra,
  });
  cleanup.push(() => proxy.close(200));
  return { up, proxy, port: proxy.address().port };
}

const ALGORITHMS = ['token_bucket', 'leaky_bucket', 'fixed_window', 'sliding_log', 'sliding_window'] as const;

describe('rate limits through the proxy', () => {
  it('a token bucket of 3 a minute lets 3 through, then answers 429 with Retry-After and the RateLimit fields', async () => {
    const { up, port } = await setup({}, [
      { name: 'api', match: { path: { prefix: '/' } }, cluster: 'app', rateLimit: { algorithm: 'token_bucket', limit: 3, windowMs: 60_000 } },
    ]);
    for (let i = 0; i < 3; i++) {
      const r = await send(port, 'POST', '/orders', {}, 'x');
      expect(r.status).toBe(200);
      expect(field(r.fields, 'ratelimit-policy')).toBe('"api";q=3;w=60');
      expect(field(r.fields, 'ratelimit')).toBe(`"api";r=${2 - i};t=${20 * (i + 1)}`);
    }
    const denied = await send(port, 'POST', '/orders', {}, 'x');
    expect(denied.status).toBe(429);
    expect(Number(field(denied.fields, 'retry-after'))).toBe(20);
    expect(field(denied.fields, 'ratelimit')).toBe('"api";r=0;t=60');
    expect(field(denied.fields, 'ratelimit-policy')).toBe('"api";q=3;w=60');
    expect(denied.body).toContain('rate limit api');
    expect(up.seen).toHaveLength(3);
  });

  it('each of the five algorithms refuses the request past its limit, per header key', async () => {
    const routes = ALGORITHMS.map((a) => ({
      name: a,
      match: { path: { prefix: `/${a}` } },
      cluster: 'app',
      rateLimit: { algorithm: a, limit: 2, windowMs: 60_000, key: 'header:X-Tenant' },
    }));
    const { proxy, port } = await setup({ metrics: {} }, routes);
    for (const a of ALGORITHMS) {
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) codes.push((await send(port, 'GET', `/${a}`, { 'X-Tenant': 'blue' })).status);
      expect(codes, a).toEqual([200, 200, 429]);
      // Another tenant has its own allowance.
      expect((await send(port, 'GET', `/${a}`, { 'X-Tenant': 'green' })).status, a).toBe(200);
    }
    const m = await proxy.metricsText();
    expect(m).toMatch(/netlab_proxy_rate_limited_total\{policy="sliding_log",status="429"\} 1/);
  });

  it('keys by API key, refuses a request without one when missingKey is reject, and limits a whole listener', async () => {
    const { port } = await setup(
      {},
      [
        {
          name: 'keyed',
          match: { path: { prefix: '/keyed' } },
          cluster: 'app',
          rateLimit: { algorithm: 'fixed_window', limit: 1, windowMs: 60_000, key: 'api_key', missingKey: 'reject' },
        },
        { name: 'rest', match: { path: { prefix: '/' } }, cluster: 'app' },
      ],
      { rateLimit: { algorithm: 'sliding_window', limit: 6, windowMs: 60_000, policy: 'edge' } },
    );
    expect((await send(port, 'GET', '/keyed', { 'X-API-Key': 'k1' })).status).toBe(200);
    expect((await send(port, 'GET', '/keyed', { 'X-API-Key': 'k1' })).status).toBe(429);
    expect((await send(port, 'GET', '/keyed', { 'X-API-Key': 'k2' })).status).toBe(200);
    const missing = await send(port, 'GET', '/keyed');
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('x-api-key');
    // The listener's limit (6 by address) counted all of those (a 400 too); the 4 already taken leave 2.
    const ok = await send(port, 'GET', '/other');
    expect(ok.status).toBe(200);
    expect(field(ok.fields, 'ratelimit')).toMatch(/^"edge";r=1;/);
    expect((await send(port, 'GET', '/other')).status).toBe(200);
    const over = await send(port, 'GET', '/nothing-routes-here-but-limited');
    expect(over.status).toBe(429);
    expect(field(over.fields, 'ratelimit-policy')).toBe('"edge";q=6;w=60');
  });

  it('reports a bad rate limit with its key path', () => {
    const base = { listeners: [LISTENER], clusters: [{ name: 'app', endpoints: [{ address: '127.0.0.1', port: 1 }] }] };
    const bad = (rateLimit: unknown): string => {
      try {
        toProxyConfig({ ...base, routes: [{ name: 'r', cluster: 'app', rateLimit }] });
      } catch (e) {
        if (e instanceof ConfigError) return e.message;
        throw e;
      }
      throw new Error('no error');
    };
    expect(bad({ algorithm: 'leaky', limit: 1, windowMs: 10 })).toMatch(/routes\[0\]\.rateLimit\.algorithm: expected one of token_bucket/);
    expect(bad({ algorithm: 'fixed_window', limit: 0, windowMs: 10 })).toMatch(/routes\[0\]\.rateLimit\.limit/);
    expect(bad({ algorithm: 'fixed_window', limit: 1, windowMs: 10, key: 'cookie:x' })).toMatch(/rateLimit\.key: expected client_address, header:NAME/);
    // A rate for a window algorithm would be ignored: refused, naming the key.
    expect(bad({ algorithm: 'sliding_log', limit: 3, windowMs: 60_000, ratePerSecond: 1 })).toMatch(
      /routes\[0\]\.rateLimit\.ratePerSecond: ratePerSecond is for token_bucket and leaky_bucket only/,
    );
  });
});

describe('load shedding through the proxy', () => {
  it('answers 503 with Retry-After beyond maxConcurrent requests in flight, and admits again once they finish', async () => {
    const { up, proxy, port } = await setup({ loadShed: { maxConcurrent: 2, retryAfterS: 3 }, metrics: {} }, [
      { name: 'all', match: { path: { prefix: '/' } }, cluster: 'app' },
    ]);
    const held: (() => void)[] = [];
    up.handler = (_req, res) =>
      new Promise<void>((resolve) => {
        held.push(() => {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.end('late');
          resolve();
        });
      });
    const slow = [send(port, 'GET', '/1'), send(port, 'GET', '/2')];
    for (let i = 0; i < 100 && held.length < 2; i++) await sleep(10);
    expect(held).toHaveLength(2);
    const shed = await send(port, 'GET', '/3');
    expect(shed.status).toBe(503);
    expect(field(shed.fields, 'retry-after')).toBe('3');
    expect(field(shed.fields, 'x-netlab-shed')).toBe('concurrency');
    for (const h of held.splice(0)) h();
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
    up.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    };
    expect((await send(port, 'GET', '/4')).status).toBe(200);
    expect(await proxy.metricsText()).toMatch(/netlab_proxy_shed_total\{reason="concurrency"\} 1/);
    expect(up.seen).toHaveLength(3);
  });

  it('sheds every request while the event loop lags past lagHardMs', async () => {
    const { up, port } = await setup({ loadShed: { lagHardMs: 250, lagSampleMs: 20, lagWindowMs: 1000 } }, [
      { name: 'all', match: { path: { prefix: '/' } }, cluster: 'app' },
    ]);
    // Block the loop the proxy runs on for 600 ms: the lag sampler's timer fires that late.
    const until = performance.now() + 600;
    while (performance.now() < until) {
      /* busy */
    }
    await sleep(30);
    const shed = await send(port, 'GET', '/during');
    expect(shed.status).toBe(503);
    expect(field(shed.fields, 'x-netlab-shed')).toBe('event-loop-lag');
    // Once the slow sample leaves the window, requests go through again.
    await sleep(1100);
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      status = (await send(port, 'GET', '/after')).status;
      if (status !== 200) await sleep(100);
    }
    expect(status).toBe(200);
    expect(up.seen.map((s) => s.target)).toEqual(['/after']);
  });
});

// The proxy's RFC 9111 cache through a real proxy on loopback: HIT / MISS with Age, no-store and
// private never stored, revalidation with If-None-Match answered 304 (REVALIDATED), Vary keeping
// variants apart, stale-while-revalidate (STALE now, refreshed behind), collapsed forwarding (20
// concurrent clients, one upstream fetch), LRU eviction under maxBytes, and PURGE from allowed
// addresses only.

import { connect } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpClientConnection } from '../../../src/http/index.ts';
import type { ReverseProxy } from '../../../src/proxy/index.ts';
import { field, LISTENER, proxyWith, send, sleep, startUpstream, type Upstream } from '../helpers.ts';

let up: Upstream;
let proxy: ReverseProxy;
let port: number;
let served = 0;

async function start(purgeFrom?: string[]): Promise<void> {
  proxy = await proxyWith({
    listeners: [LISTENER],
    routes: [
      { name: 'zipped', match: { path: { prefix: '/zip' } }, cluster: 'app', cache: true, compression: { minSizeBytes: 100 } },
      { name: 'cached', match: { path: { prefix: '/' } }, cluster: 'app', cache: true },
    ],
    clusters: [{ name: 'app', endpoints: [{ address: '127.0.0.1', port: up.port }] }],
    cache: { maxBytes: 16_384, maxEntryBytes: 4096, ...(purgeFrom === undefined ? {} : { purgeFrom }) },
    metrics: {},
  });
  port = proxy.address().port;
}

beforeEach(async () => {
  served = 0;
  up = await startUpstream('a');
  up.handler = async (req, res) => {
    served++;
    const t = req.head.target;
    const inm = field(req.head.fields, 'if-none-match');
    const text = (body: string, headers: Record<string, string>, status = 200): void => {
      res.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
      res.end(body);
    };
    if (t === '/fresh') return text(`fresh #${served}`, { 'Cache-Control': 'max-age=60', ETag: '"e1"' });
    if (t === '/nostore') return text(`nostore #${served}`, { 'Cache-Control': 'no-store' });
    if (t === '/private') return text(`private #${served}`, { 'Cache-Control': 'private, max-age=60' });
    if (t === '/short') {
      if (inm === '"v1"') {
        res.writeHead(304, { ETag: '"v1"', 'Cache-Control': 'max-age=1' });
        return res.end();
      }
      return text(`short #${served}`, { 'Cache-Control': 'max-age=1', ETag: '"v1"' });
    }
    if (t === '/cookie') {
      if (inm === '"c1"') {
        res.writeHead(304, { ETag: '"c1"', 'Cache-Control': 'max-age=1', 'Set-Cookie': `session=client-${served}` });
        return res.end();
      }
      return text(`cookie #${served}`, { 'Cache-Control': 'max-age=1', ETag: '"c1"' });
    }
    if (t === '/vary') return text(`lang ${field(req.head.fields, 'accept-language')}`, { 'Cache-Control': 'max-age=60', Vary: 'Accept-Language' });
    if (t === '/swr') return text(`swr #${served}`, { 'Cache-Control': 'max-age=1, stale-while-revalidate=30' });
    if (t === '/slow') {
      await sleep(200);
      return text(`slow #${served}`, { 'Cache-Control': 'max-age=60' });
    }
    if (t === '/zip') return text('compressible text '.repeat(100), { 'Cache-Control': 'max-age=60', ETag: '"z1"' });
    if (t === '/zip/huge') return text('z'.repeat(10_000), { 'Cache-Control': 'max-age=60' });
    if (t === '/huge') return text('h'.repeat(10_000), { 'Cache-Control': 'max-age=60' });
    if (t.startsWith('/big/')) return text(t.padEnd(3000, '.'), { 'Cache-Control': 'max-age=60' });
    return text('?', {}, 404);
  };
});

afterEach(async () => {
  await proxy.close(200);
  await up.close();
});

describe('the proxy cache', () => {
  it('MISS then HIT with Age; a client validator that matches gets 304 from the cache', async () => {
    await start();
    const a = await send(port, 'GET', '/fresh');
    expect(field(a.fields, 'x-cache')).toBe('MISS');
    await sleep(1100);
    const b = await send(port, 'GET', '/fresh');
    expect(field(b.fields, 'x-cache')).toBe('HIT');
    expect(b.body).toBe(a.body);
    expect(Number(field(b.fields, 'age'))).toBeGreaterThanOrEqual(1);
    const c = await send(port, 'GET', '/fresh', { 'If-None-Match': '"e1"' });
    expect(c.status).toBe(304);
    expect(served).toBe(1);
    expect(await proxy.metricsText()).toMatch(/netlab_proxy_cache_total\{result="HIT"\} 2/);
  });

  it('never stores no-store or private responses', async () => {
    await start();
    for (const p of ['/nostore', '/private']) {
      const a = await send(port, 'GET', p);
      const b = await send(port, 'GET', p);
      expect(a.body).not.toBe(b.body);
      expect(field(b.fields, 'x-cache'), p).toBe('MISS');
    }
    expect(served).toBe(4);
  });

  it('revalidates a stale response with If-None-Match; the 304 refreshes it (REVALIDATED)', async () => {
    await start();
    const a = await send(port, 'GET', '/short');
    await sleep(1100);
    const b = await send(port, 'GET', '/short');
    expect(field(b.fields, 'x-cache')).toBe('REVALIDATED');
    expect(b.status).toBe(200);
    expect(b.body).toBe(a.body);
    expect(up.seen.map((s) => field(s.fields, 'if-none-match'))).toEqual([undefined, '"v1"']);
    expect(field((await send(port, 'GET', '/short')).fields, 'x-cache')).toBe('HIT');
  });

  it("never stores a Set-Cookie that came on a revalidation's 304 (it would go to every later client)", async () => {
    await start();
    await send(port, 'GET', '/cookie');
    await sleep(1100);
    const b = await send(port, 'GET', '/cookie');
    expect(field(b.fields, 'x-cache')).toBe('REVALIDATED');
    const c = await send(port, 'GET', '/cookie');
    expect(field(c.fields, 'x-cache')).toBe('HIT');
    expect(field(c.fields, 'set-cookie')).toBeUndefined();
    expect(served).toBe(2);
  });

  it('keeps Vary variants apart', async () => {
    await start();
    const en = await send(port, 'GET', '/vary', { 'Accept-Language': 'en' });
    const fr = await send(port, 'GET', '/vary', { 'Accept-Language': 'fr' });
    const en2 = await send(port, 'GET', '/vary', { 'Accept-Language': 'en' });
    expect([en.body, fr.body, en2.body]).toEqual(['lang en', 'lang fr', 'lang en']);
    expect(field(en2.fields, 'x-cache')).toBe('HIT');
    expect(served).toBe(2);
  });

  it('serves stale within stale-while-revalidate and refreshes it in the background', async () => {
    await start();
    const a = await send(port, 'GET', '/swr');
    await sleep(1100);
    const b = await send(port, 'GET', '/swr');
    expect(field(b.fields, 'x-cache')).toBe('STALE');
    expect(b.body).toBe(a.body);
    for (let i = 0; i < 100 && served < 2; i++) await sleep(10);
    expect(served).toBe(2);
    const c = await send(port, 'GET', '/swr');
    expect(field(c.fields, 'x-cache')).toBe('HIT');
    expect(c.body).toBe('swr #2');
  });

  it('collapses 20 concurrent requests for one URL into one upstream fetch', async () => {
    await start();
    const replies = await Promise.all(Array.from({ length: 20 }, () => send(port, 'GET', '/slow')));
    expect(served).toBe(1);
    expect(new Set(replies.map((r) => r.body))).toEqual(new Set(['slow #1']));
    expect(replies.filter((r) => field(r.fields, 'x-cache') === 'MISS')).toHaveLength(1);
  });

  it('evicts the least recently used responses beyond maxBytes', async () => {
    await start();
    for (let i = 1; i <= 4; i++) await send(port, 'GET', `/big/${i}`);
    await send(port, 'GET', '/big/1'); // used again: now the most recent
    for (let i = 5; i <= 6; i++) await send(port, 'GET', `/big/${i}`);
    expect(served).toBe(6);
    expect(field((await send(port, 'GET', '/big/1')).fields, 'x-cache')).toBe('HIT');
    expect(field((await send(port, 'GET', '/big/2')).fields, 'x-cache')).toBe('MISS'); // evicted
    expect(served).toBe(7);
  });

  it('a response above maxEntryBytes is fetched once and streamed to the client, not fetched again', async () => {
    await start();
    const r = await send(port, 'GET', '/huge');
    expect(r.status).toBe(200);
    expect(r.body).toBe('h'.repeat(10_000));
    expect(field(r.fields, 'x-cache')).toBe('MISS');
    expect(field(r.fields, 'content-length')).toBe('10000');
    expect(served).toBe(1);
    // On a route with compression the streamed body goes through the compressor too.
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', r));
    const conn = new HttpClientConnection(socket, { responseTimeoutMs: 5000 });
    try {
      const res = await conn.request({
        method: 'GET',
        target: '/zip/huge',
        fields: [
          { name: 'Host', value: 'app.netlab.test' },
          { name: 'Accept-Encoding', value: 'gzip' },
        ],
      });
      const parts: Buffer[] = [];
      for await (const c of res.body) parts.push(Buffer.from(c));
      expect(field(res.head.fields, 'content-encoding')).toBe('gzip');
      expect(gunzipSync(Buffer.concat(parts)).toString()).toBe('z'.repeat(10_000));
    } finally {
      conn.destroy();
    }
    expect(served).toBe(2);
  });

  it('compresses what it serves from the store for a route with compression, per client', async () => {
    await start();
    const plain = await send(port, 'GET', '/zip');
    expect(field(plain.fields, 'x-cache')).toBe('MISS');
    expect(field(plain.fields, 'content-encoding')).toBeUndefined();
    expect(plain.body).toBe('compressible text '.repeat(100));
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', r));
    const conn = new HttpClientConnection(socket, { responseTimeoutMs: 5000 });
    try {
      const res = await conn.request({
        method: 'GET',
        target: '/zip',
        fields: [
          { name: 'Host', value: 'app.netlab.test' },
          { name: 'Accept-Encoding', value: 'gzip' },
        ],
      });
      const parts: Buffer[] = [];
      for await (const c of res.body) parts.push(Buffer.from(c));
      expect(field(res.head.fields, 'x-cache')).toBe('HIT');
      expect(field(res.head.fields, 'content-encoding')).toBe('gzip');
      expect(field(res.head.fields, 'vary')).toBe('Accept-Encoding');
      expect(field(res.head.fields, 'etag')).toBe('W/"z1"');
      expect(gunzipSync(Buffer.concat(parts)).toString()).toBe(plain.body);
    } finally {
      conn.destroy();
    }
    expect(served).toBe(1);
  });

  it("a 304 from the store carries the compressed variant's weak ETag and Vary, as its 200 would", async () => {
    await start();
    await send(port, 'GET', '/zip');
    const nm = await send(port, 'GET', '/zip', { 'Accept-Encoding': 'gzip', 'If-None-Match': 'W/"z1"' });
    expect(nm.status).toBe(304);
    expect(field(nm.fields, 'x-cache')).toBe('HIT');
    expect(field(nm.fields, 'etag')).toBe('W/"z1"');
    expect(field(nm.fields, 'vary')).toBe('Accept-Encoding');
    expect(field(nm.fields, 'content-encoding')).toBeUndefined();
    expect(nm.body).toBe('');
    expect(served).toBe(1);
  });

  it('PURGE from an allowed address empties a URL', async () => {
    await start();
    await send(port, 'GET', '/fresh');
    const p = await send(port, 'PURGE', '/fresh');
    expect(p.status).toBe(200);
    expect(p.body).toContain('purged 1 response');
    expect(field((await send(port, 'GET', '/fresh')).fields, 'x-cache')).toBe('MISS');
    expect(served).toBe(2);
  });

  it('PURGE from an address not allowed is refused with 403', async () => {
    await start(['192.0.2.0/24']);
    await send(port, 'GET', '/fresh');
    expect((await send(port, 'PURGE', '/fresh')).status).toBe(403);
    expect(field((await send(port, 'GET', '/fresh')).fields, 'x-cache')).toBe('HIT');
  });
});

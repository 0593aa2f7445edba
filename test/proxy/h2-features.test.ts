// The proxy's features on HTTP/2 requests, which take the same pipeline as HTTP/1.1 ones: the cache
// (MISS then HIT, one upstream fetch), gzip compression of a compressible body, a route's rate limit
// (429 with Retry-After), the /metrics counters, and a retry to the next endpoint after a 503.

import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReverseProxy } from '../../src/proxy/index.ts';
import { closeSession, h2request, h2session } from './h2-helpers.ts';
import { proxyWith, startUpstream, type Upstream } from './helpers.ts';

let up: Upstream;
let bad: Upstream;
let proxy: ReverseProxy;

beforeAll(async () => {
  up = await startUpstream('u1');
  bad = await startUpstream('bad');
  bad.handler = (_req, res) => {
    res.writeHead(503, { 'Content-Type': 'text/plain' });
    res.end('down');
  };
  up.handler = (req, res) => {
    if (req.head.target === '/zip') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('compressible text '.repeat(200));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=60' });
    res.end(`u1 ${req.head.target} #${up.seen.length}`);
  };
  proxy = await proxyWith({
    listeners: [{ name: 'plain', address: '127.0.0.1', port: 0, protocols: ['h2c', 'http/1.1'] }],
    routes: [
      { name: 'zip', match: { path: { exact: '/zip' } }, cluster: 'c', compression: { minSizeBytes: 100 } },
      { name: 'cached', match: { path: { prefix: '/cached' } }, cluster: 'c', cache: true },
      {
        name: 'limited',
        match: { path: { prefix: '/limited' } },
        cluster: 'c',
        rateLimit: { algorithm: 'fixed_window', limit: 2, windowMs: 60_000 },
      },
      { name: 'retry', match: { path: { prefix: '/retry' } }, cluster: 'flaky' },
    ],
    clusters: [
      { name: 'c', endpoints: [{ name: 'u1', address: '127.0.0.1', port: up.port }] },
      {
        name: 'flaky',
        policy: 'round_robin',
        endpoints: [
          { name: 'bad', address: '127.0.0.1', port: bad.port },
          { name: 'good', address: '127.0.0.1', port: up.port },
        ],
        retries: { attempts: 2, retryOn: ['5xx'] },
      },
    ],
    cache: { maxBytes: 65_536 },
    metrics: {},
  });
});

afterAll(async () => {
  await proxy.close(500);
  await up.close();
  await bad.close();
});

describe('features over h2', () => {
  it('cache: MISS then HIT with one upstream fetch', async () => {
    up.seen.length = 0;
    const s = await h2session(proxy.address('plain').url);
    try {
      const a = await h2request(s, { ':path': '/cached/x' });
      const b = await h2request(s, { ':path': '/cached/x' });
      expect([a.headers['x-cache'], b.headers['x-cache']]).toEqual(['MISS', 'HIT']);
      expect(b.body).toBe(a.body);
      expect(up.seen).toHaveLength(1);
    } finally {
      await closeSession(s);
    }
  });

  it('compression: gzip when the client accepts it', async () => {
    const s = await h2session(proxy.address('plain').url);
    try {
      const r = await new Promise<{ enc: string | undefined; body: Buffer }>((resolve, reject) => {
        const st = s.request({ ':path': '/zip', 'accept-encoding': 'gzip' });
        const parts: Buffer[] = [];
        let enc: string | undefined;
        st.on('response', (h) => {
          enc = h['content-encoding'] as string | undefined;
        });
        st.on('data', (c: Buffer) => parts.push(c));
        st.on('end', () => resolve({ enc, body: Buffer.concat(parts) }));
        st.on('error', reject);
      });
      expect(r.enc).toBe('gzip');
      expect(gunzipSync(r.body).toString('utf8')).toBe('compressible text '.repeat(200));
    } finally {
      await closeSession(s);
    }
  });

  it('rate limit: the third request in the window gets 429 with Retry-After', async () => {
    const s = await h2session(proxy.address('plain').url);
    try {
      const st: number[] = [];
      for (let i = 0; i < 3; i++) st.push((await h2request(s, { ':path': '/limited' })).status);
      expect(st).toEqual([200, 200, 429]);
      const r = await h2request(s, { ':path': '/limited' });
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await closeSession(s);
    }
  });

  it('retries a 503 on the next endpoint, and /metrics counts the HTTP/2 requests', async () => {
    const s = await h2session(proxy.address('plain').url);
    try {
      const r = await h2request(s, { ':path': '/retry' });
      expect(r.status).toBe(200);
      expect(r.body).toMatch(/^u1 \/retry/);
      const m = await h2request(s, { ':path': '/metrics' });
      expect(m.status).toBe(200);
      expect(m.body).toMatch(/route="retry"/);
      expect(m.body).toMatch(/netlab_proxy_retries_total\{[^}]*cluster="flaky"[^}]*\} 1/);
    } finally {
      await closeSession(s);
    }
  });
});

// Clusters with `protocol: h2`: node:http2 upstreams reached with h2c prior knowledge (plain) and
// with h2 by ALPN (TLS), from an HTTP/1.1 client and from an HTTP/2 client; bodies streamed both
// ways (a request body over requestBufferBytes streams), trailers passed, one session per endpoint,
// and an endpoint that does not choose h2 by ALPN answered 502, never spoken to in HTTP/1.1.

import { writeFileSync } from 'node:fs';
import { createSecureServer, createServer, type Http2SecureServer, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReverseProxy } from '../../src/proxy/index.ts';
import { makePki, type TestPki, tempDir } from '../tls/helpers.ts';
import { closeSession, h2request, h2session } from './h2-helpers.ts';
import { field, proxyWith, send, startUpstream, type Upstream } from './helpers.ts';

interface Seen {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly bytes: number;
}

let pki: TestPki;
let dir: { dir: string; remove: () => void };
let plainH2: Http2Server;
let tlsH2: Http2SecureServer;
let h1only: Upstream;
let proxy: ReverseProxy;
const seen: Seen[] = [];

function h2handler(stream: ServerHttp2Stream, headers: Record<string, string | string[] | undefined>): void {
  let bytes = 0;
  stream.on('data', (c: Buffer) => {
    bytes += c.length;
  });
  stream.on('end', () => {
    seen.push({ headers, bytes });
    const path = String(headers[':path']);
    const trailers = path.startsWith('/trailers');
    stream.respond({ ':status': 200, 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] }, { waitForTrailers: trailers });
    if (trailers) stream.once('wantTrailers', () => stream.sendTrailers({ 'x-sum': 'ok' }));
    stream.end(`h2 ${headers[':method']} ${path} ${bytes}`);
  });
}

const port = (s: { address(): AddressInfo | string | null }): number => (s.address() as AddressInfo).port;

beforeAll(async () => {
  pki = makePki();
  dir = tempDir('netlab-h2-up-');
  const files: Record<string, string> = {};
  for (const [n, t] of [
    ['root.crt', pki.root.certPem],
    ['www.crt', pki.www.chainPem],
    ['www.key', pki.www.keyPem],
  ] as const) {
    files[n] = join(dir.dir, n);
    writeFileSync(files[n], t);
  }
  plainH2 = createServer();
  plainH2.on('stream', h2handler);
  tlsH2 = createSecureServer({ key: pki.www.keyPem, cert: pki.www.chainPem });
  tlsH2.on('stream', h2handler);
  await new Promise<void>((r) => plainH2.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => tlsH2.listen(0, '127.0.0.1', r));
  h1only = await startUpstream('h1', { key: pki.www.keyPem, cert: pki.www.chainPem });
  proxy = await proxyWith({
    listeners: [{ name: 'plain', address: '127.0.0.1', port: 0, protocols: ['h2c', 'http/1.1'] }],
    routes: [
      { name: 'tls', match: { path: { prefix: '/tls/' } }, cluster: 'tls' },
      { name: 'h1only', match: { path: { prefix: '/h1only/' } }, cluster: 'h1only' },
      { name: 'all', cluster: 'plain' },
    ],
    clusters: [
      { name: 'plain', protocol: 'h2', endpoints: [{ name: 'p1', address: '127.0.0.1', port: port(plainH2) }] },
      {
        name: 'tls',
        protocol: 'h2',
        endpoints: [{ name: 't1', address: '127.0.0.1', port: port(tlsH2) }],
        tls: { ca: files['root.crt'], serverName: 'www.netlab.test' },
      },
      {
        name: 'h1only',
        protocol: 'h2',
        endpoints: [{ name: 'o1', address: '127.0.0.1', port: h1only.port }],
        tls: { ca: files['root.crt'], serverName: 'www.netlab.test' },
      },
    ],
  });
});

afterAll(async () => {
  await proxy.close(500);
  await new Promise<void>((r) => plainH2.close(() => r()));
  await new Promise<void>((r) => tlsH2.close(() => r()));
  await h1only.close();
  dir.remove();
});

describe('HTTP/1.1 client -> h2 upstream', () => {
  it('h2c: the request becomes a stream with :authority from Host, the response comes back as HTTP/1.1', async () => {
    seen.length = 0;
    const r = await send(proxy.address('plain').port, 'GET', '/one', { Cookie: 'x=1' });
    expect(r.status).toBe(200);
    expect(r.body).toBe('h2 GET /one 0');
    expect(field(r.fields, 'via')).toBe('1.1 netlab');
    expect(r.fields.filter((f) => f.name.toLowerCase() === 'set-cookie').map((f) => f.value)).toEqual(['a=1', 'b=2']);
    expect(seen[0].headers[':authority']).toBe('app.netlab.test');
    expect(seen[0].headers[':scheme']).toBe('http');
    expect(seen[0].headers.via).toBe('1.1 netlab');
    expect(seen[0].headers.connection).toBeUndefined();
  });

  it('h2 by ALPN to a TLS endpoint', async () => {
    seen.length = 0;
    const r = await send(proxy.address('plain').port, 'POST', '/tls/x', {}, 'hello');
    expect(r.status).toBe(200);
    expect(r.body).toBe('h2 POST /tls/x 5');
    expect(seen[0].headers[':scheme']).toBe('https');
    expect(seen[0].headers['content-length']).toBe('5');
  });

  it('a TLS endpoint that does not choose h2 by ALPN gets no HTTP/1.1 request: 502', async () => {
    h1only.seen.length = 0;
    const r = await send(proxy.address('plain').port, 'GET', '/h1only/x');
    expect(r.status).toBe(502);
    expect(r.body).toContain('did not choose h2');
    expect(h1only.seen).toEqual([]);
  });
});

describe('h2 client -> h2 upstream', () => {
  it('streams a 3 MiB request body (over requestBufferBytes) and passes trailers to a client that sent TE: trailers', async () => {
    seen.length = 0;
    const s = await h2session(proxy.address('plain').url);
    try {
      const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
      const r = await h2request(s, { ':method': 'POST', ':path': '/trailers/big', te: 'trailers' }, big);
      expect(r.status).toBe(200);
      expect(r.body).toBe(`h2 POST /trailers/big ${big.length}`);
      expect(r.trailers['x-sum']).toBe('ok');
      expect(r.headers.via).toBe('2 netlab');
      expect(seen[0].bytes).toBe(big.length);
    } finally {
      await closeSession(s);
    }
  });

  it('runs many requests over one upstream session per endpoint', async () => {
    const s = await h2session(proxy.address('plain').url);
    try {
      const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => h2request(s, { ':path': `/n${i}` })));
      expect(rs.every((r, i) => r.status === 200 && r.body === `h2 GET /n${i} 0`)).toBe(true);
      expect(proxy.cluster('plain').h2?.sessionsOpened).toBe(1);
    } finally {
      await closeSession(s);
    }
  });
});

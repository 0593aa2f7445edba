// The HTTP/2 front of the proxy: h2c with prior knowledge and HTTP/1.1 on the same plain listener,
// h2 by ALPN (and http/1.1 fallback) on a TLS listener, requests going through the same pipeline as
// HTTP/1.1 ones (routing, forwarding fields, Via "2 netlab", X-Request-Id, access log), bodies and
// trailers streamed, limits (concurrent streams, header list size, idle timeout) and GOAWAY on close.

import { writeFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReverseProxy } from '../../src/proxy/index.ts';
import { makePki, type TestPki, tempDir } from '../tls/helpers.ts';
import { closeSession, h2request, h2session } from './h2-helpers.ts';
import { field, proxyWith, send, startUpstream, type Upstream } from './helpers.ts';

let pki: TestPki;
let dir: { dir: string; remove: () => void };
let up: Upstream;
let proxy: ReverseProxy;
const logLines: string[] = [];
const files: Record<string, string> = {};

beforeAll(async () => {
  pki = makePki();
  dir = tempDir('netlab-h2-front-');
  for (const [n, t] of [
    ['www.crt', pki.www.chainPem],
    ['www.key', pki.www.keyPem],
  ] as const) {
    files[n] = join(dir.dir, n);
    writeFileSync(files[n], t);
  }
  up = await startUpstream('u1');
  proxy = await proxyWith(
    {
      listeners: [
        { name: 'plain', address: '127.0.0.1', port: 0, protocols: ['h2c', 'http/1.1'] },
        { name: 'tls', address: '127.0.0.1', port: 0, protocols: ['h2', 'http/1.1'], tls: { cert: files['www.crt'], key: files['www.key'] } },
      ],
      routes: [{ name: 'all', cluster: 'c' }],
      clusters: [{ name: 'c', endpoints: [{ name: 'u1', address: '127.0.0.1', port: up.port }] }],
      accessLog: { format: 'json' },
    },
    { accessLog: (line) => logLines.push(line) },
  );
});

afterAll(async () => {
  await proxy.close(500);
  await up.close();
  dir.remove();
});

describe('h2c with prior knowledge', () => {
  it('forwards a GET through the same pipeline as HTTP/1.1: Host from :authority, Via 2 netlab, X-Forwarded-*', async () => {
    up.seen.length = 0;
    const s = await h2session(proxy.address('plain').url);
    try {
      const r = await h2request(s, { ':method': 'GET', ':path': '/a?x=1', ':authority': 'app.netlab.test', cookie: ['a=1', 'b=2'] });
      expect(r.status).toBe(200);
      expect(r.body).toBe('u1 GET /a?x=1');
      expect(r.headers.via).toBe('2 netlab');
      expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.headers.connection).toBeUndefined();
      const seen = up.seen[0];
      expect(field(seen.fields, 'host')).toBe('app.netlab.test');
      expect(field(seen.fields, 'via')).toBe('2 netlab');
      expect(field(seen.fields, 'x-forwarded-proto')).toBe('http');
      expect(field(seen.fields, 'x-forwarded-for')).toBe('127.0.0.1');
      // RFC 9113 §8.2.3: cookie fields split in HTTP/2 are one Cookie line in HTTP/1.1.
      expect(seen.fields.filter((f) => f.name.toLowerCase() === 'cookie').map((f) => f.value)).toEqual(['a=1; b=2']);
      const rec = JSON.parse(logLines[logLines.length - 1]) as Record<string, unknown>;
      expect(rec).toMatchObject({ method: 'GET', target: '/a?x=1', version: '2', status: 200, route: 'all', endpoint: 'u1' });
    } finally {
      await closeSession(s);
    }
  });

  it('streams a POST body with Content-Length and one without (chunked upstream)', async () => {
    up.seen.length = 0;
    const s = await h2session(proxy.address('plain').url);
    try {
      const big = 'x'.repeat(200_000);
      const a = await h2request(s, { ':method': 'POST', ':path': '/post', 'content-length': String(big.length) }, big);
      const b = await h2request(s, { ':method': 'POST', ':path': '/post2' }, 'hello');
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(up.seen.map((x) => [x.target, x.body.length])).toEqual([
        ['/post', 200_000],
        ['/post2', 5],
      ]);
      // A body up to requestBufferBytes is read whole first (as for HTTP/1.1), so it goes with a length.
      expect(field(up.seen[1].fields, 'content-length')).toBe('5');
    } finally {
      await closeSession(s);
    }
  });

  it('still speaks HTTP/1.1 on the same listener', async () => {
    const r = await send(proxy.address('plain').port, 'GET', '/h1');
    expect(r.status).toBe(200);
    expect(field(r.fields, 'via')).toBe('1.1 netlab');
  });

  it('many concurrent streams on one connection all complete', async () => {
    const s = await h2session(proxy.address('plain').url);
    try {
      const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => h2request(s, { ':path': `/m${i}` })));
      expect(rs.every((r, i) => r.status === 200 && r.body === `u1 GET /m${i}`)).toBe(true);
    } finally {
      await closeSession(s);
    }
  });
});

describe('h2 over TLS by ALPN', () => {
  it('negotiates h2 and forwards with X-Forwarded-Proto: https', async () => {
    up.seen.length = 0;
    const s = await h2session(proxy.address('tls').url, pki.root.certPem);
    try {
      expect(s.alpnProtocol).toBe('h2');
      const r = await h2request(s, { ':path': '/tls', ':authority': 'www.netlab.test' });
      expect(r.status).toBe(200);
      expect(field(up.seen[0].fields, 'x-forwarded-proto')).toBe('https');
    } finally {
      await closeSession(s);
    }
  });

  it('falls back to http/1.1 when the client offers only http/1.1', async () => {
    const port = proxy.address('tls').port;
    const text = await new Promise<string>((resolve, reject) => {
      const c = tlsConnect({ host: '127.0.0.1', port, servername: 'www.netlab.test', ca: pki.root.certPem, ALPNProtocols: ['http/1.1'] }, () => {
        expect(c.alpnProtocol).toBe('http/1.1');
        c.write('GET /fallback HTTP/1.1\r\nHost: www.netlab.test\r\nConnection: close\r\n\r\n');
      });
      let out = '';
      c.setEncoding('latin1');
      c.on('data', (d: string) => {
        out += d;
      });
      c.on('end', () => resolve(out));
      c.on('error', reject);
    });
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text).toContain('u1 GET /fallback');
  });
});

describe('responses over h2', () => {
  it('strips connection-specific fields of the upstream response and passes trailers when the client sent TE: trailers', async () => {
    const s = await h2session(proxy.address('plain').url);
    up.handler = (_req, res) => {
      res.writeHead(200, [
        { name: 'Content-Type', value: 'text/plain' },
        { name: 'Keep-Alive', value: 'timeout=5' },
        { name: 'Proxy-Connection', value: 'keep-alive' },
        { name: 'Set-Cookie', value: 'a=1' },
        { name: 'Set-Cookie', value: 'b=2' },
      ]);
      res.write('part1 ');
      res.end('part2', [{ name: 'X-Checksum', value: 'abc' }]);
    };
    try {
      const r = await h2request(s, { ':path': '/trailers', te: 'trailers' });
      expect(r.status).toBe(200);
      expect(r.body).toBe('part1 part2');
      expect(r.headers['keep-alive']).toBeUndefined();
      expect(r.headers['proxy-connection']).toBeUndefined();
      expect(r.headers['transfer-encoding']).toBeUndefined();
      expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      expect(r.trailers['x-checksum']).toBe('abc');
      const noTe = await h2request(s, { ':path': '/trailers' });
      expect(noTe.body).toBe('part1 part2');
      expect(noTe.trailers['x-checksum']).toBeUndefined();
    } finally {
      up.handler = (req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Upstream': 'u1' });
        res.end(`u1 ${req.head.method} ${req.head.target}`);
      };
      await closeSession(s);
    }
  });
});

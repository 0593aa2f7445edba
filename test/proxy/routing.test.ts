// Routing and header rules of the reverse proxy against real netlab upstreams.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReverseProxy } from '../../src/proxy/index.ts';
import { field, LISTENER, proxyWith, send, startUpstream, type Upstream } from './helpers.ts';

let a: Upstream;
let b: Upstream;
let proxy: ReverseProxy;
let port = 0;
const logLines: string[] = [];

beforeAll(async () => {
  a = await startUpstream('a');
  b = await startUpstream('b');
  proxy = await proxyWith(
    {
      listeners: [LISTENER],
      routes: [
        { name: 'healthz', match: { path: { exact: '/healthz' } }, respond: { status: 200, body: '{"status":"UP"}', contentType: 'application/json' } },
        { name: 'old', match: { path: { prefix: '/v0/' } }, redirect: { status: 301, path: '/api/' } },
        { name: 'canary', match: { path: { prefix: '/api/' }, headers: [{ name: 'X-Env', exact: 'canary' }] }, cluster: 'b' },
        {
          name: 'api',
          match: { host: ['api.netlab.test', '*.api.netlab.test'], path: { prefix: '/api/' }, method: ['GET', 'POST'] },
          rewrite: { prefix: '/v1/' },
          cluster: 'a',
        },
        { name: 'users', match: { path: { regex: '^/users/[0-9]+$' }, query: [{ name: 'debug', present: false }] }, cluster: 'b' },
        { name: 'debug', match: { query: [{ name: 'debug', exact: '1' }] }, respond: { status: 403, body: 'no debugging' } },
        { name: 'rest', match: { host: 'app.netlab.test' }, cluster: 'a' },
      ],
      clusters: [
        { name: 'a', endpoints: [{ name: 'a1', address: '127.0.0.1', port: a.port }] },
        { name: 'b', endpoints: [{ name: 'b1', address: '127.0.0.1', port: b.port }] },
      ],
      trustedProxies: ['10.0.0.0/8'],
      accessLog: { format: 'json' },
      metrics: { path: '/metrics' },
    },
    { accessLog: (l) => logLines.push(l) },
  );
  port = proxy.address().port;
});

afterAll(async () => {
  await proxy.close();
  await a.close();
  await b.close();
});

describe('routing table', () => {
  it('fixed response, redirect with the prefix replaced, header match, host wildcard + rewrite, regex + query, fallthrough, 404', async () => {
    const h = await send(port, 'GET', '/healthz');
    expect([h.status, h.body, field(h.fields, 'content-type')]).toEqual([200, '{"status":"UP"}', 'application/json']);
    const r = await send(port, 'GET', '/v0/items?x=1', { Host: 'app.netlab.test:8080' });
    expect(r.status).toBe(301);
    expect(field(r.fields, 'location')).toBe('http://app.netlab.test:8080/api/items?x=1');
    expect((await send(port, 'GET', '/api/x', { 'X-Env': 'canary' })).body).toBe('b GET /api/x');
    expect((await send(port, 'GET', '/api/x?q=2', { Host: 'eu.api.netlab.test' })).body).toBe('a GET /v1/x?q=2');
    expect((await send(port, 'GET', '/api/x', { Host: 'api.netlab.test' })).body).toBe('a GET /v1/x');
    // DELETE is not in the api route's methods: falls to a route that does not match this host -> 404.
    expect((await send(port, 'DELETE', '/api/x', { Host: 'api.netlab.test' })).status).toBe(404);
    expect((await send(port, 'GET', '/users/42')).body).toBe('b GET /users/42');
    expect((await send(port, 'GET', '/users/42?debug=1')).status).toBe(403);
    expect((await send(port, 'GET', '/users/abc')).body).toBe('a GET /users/abc');
    expect((await send(port, 'GET', '/x', { Host: 'other.test' })).status).toBe(404);
  });
});

describe('headers', () => {
  it('removes hop-by-hop fields and those named in Connection, re-frames the body, adds Via and a request id', async () => {
    const before = a.seen.length;
    const r = await send(
      port,
      'POST',
      '/echo',
      { Connection: 'keep-alive, X-Secret', 'X-Secret': 's', 'Keep-Alive': 'timeout=5', TE: 'trailers', 'Proxy-Authorization': 'Basic eA==', 'X-Kept': 'k' },
      'hello body',
    );
    expect(r.status).toBe(200);
    const seen = a.seen[before];
    const names = seen.fields.map((f) => f.name.toLowerCase());
    for (const n of ['x-secret', 'keep-alive', 'te', 'proxy-authorization']) expect(names, n).not.toContain(n);
    expect(field(seen.fields, 'x-kept')).toBe('k');
    expect(field(seen.fields, 'content-length')).toBe('10');
    expect(seen.body).toBe('hello body');
    expect(field(seen.fields, 'via')).toBe('1.1 netlab');
    expect(field(r.fields, 'via')).toBe('1.1 netlab');
    const id = field(seen.fields, 'x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(field(r.fields, 'x-request-id')).toBe(id);
    expect(field(r.fields, 'x-upstream')).toBe('a');
  });

  it('gives the client one X-Request-Id when the upstream echoes it back', async () => {
    const plain = a.handler;
    a.handler = (req, res) => {
      res.writeHead(200, { 'X-Request-Id': field(req.head.fields, 'x-request-id') ?? 'none', Via: '1.0 app' });
      res.end('echoed');
    };
    try {
      const r = await send(port, 'GET', '/echo-id');
      expect(r.fields.filter((f) => f.name.toLowerCase() === 'x-request-id')).toHaveLength(1);
      expect(field(r.fields, 'x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(field(r.fields, 'via')).toBe('1.0 app, 1.1 netlab');
    } finally {
      a.handler = plain;
    }
  });

  it('writes X-Forwarded-For/-Proto/-Host and Forwarded; an untrusted client cannot forge them', async () => {
    const before = a.seen.length;
    await send(port, 'GET', '/who', {
      'X-Forwarded-For': '6.6.6.6',
      Forwarded: 'for=6.6.6.6',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': 'evil.test',
      'X-Real-IP': '6.6.6.6',
      'X-Request-Id': 'forged',
    });
    const seen = a.seen[before];
    expect(field(seen.fields, 'x-forwarded-for')).toBe('127.0.0.1');
    expect(field(seen.fields, 'x-forwarded-proto')).toBe('http');
    expect(field(seen.fields, 'x-forwarded-host')).toBe('app.netlab.test');
    expect(field(seen.fields, 'forwarded')).toBe('for=127.0.0.1;by=127.0.0.1;host=app.netlab.test;proto=http');
    expect(field(seen.fields, 'x-real-ip')).toBeUndefined();
    expect(field(seen.fields, 'x-request-id')).not.toBe('forged');
    expect(JSON.stringify(seen.fields)).not.toContain('6.6.6.6');
  });

  it('streams a chunked response and its allowed trailers; strips forbidden trailer fields', async () => {
    a.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('part1 ');
      res.write('part2');
      res.end(undefined, { 'X-Checksum': 'abc', 'Content-Length': '99', 'Set-Cookie': 'x=1' });
    };
    const { connect } = await import('node:net');
    const raw = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write('GET /t HTTP/1.1\r\nHost: app.netlab.test\r\nTE: trailers\r\nConnection: close\r\n\r\n'));
      let text = '';
      s.on('data', (d) => {
        text += d.toString('latin1');
      });
      s.on('close', () => resolve(text));
    });
    a.handler = (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Upstream': 'a' });
      res.end(`a ${req.head.method} ${req.head.target}`);
    };
    expect(raw).toMatch(/transfer-encoding: chunked/i);
    expect(raw).toContain('part1 ');
    expect(raw).toContain('part2');
    expect(raw).toMatch(/\r\n0\r\nX-Checksum: abc\r\n\r\n$/);
    expect(raw.slice(raw.lastIndexOf('\r\n0\r\n'))).not.toMatch(/set-cookie|content-length/i);
  });

  it('logs each request as a JSON line', async () => {
    await send(port, 'GET', '/logged', { 'User-Agent': 'vitest' });
    const rec = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.target === '/logged');
    expect(rec).toMatchObject({ method: 'GET', status: 200, route: 'rest', cluster: 'a', endpoint: 'a1', client: '127.0.0.1', userAgent: 'vitest' });
  });
});

// The proxy with real tools and TLS: curl as the client (plain, and HTTPS with --resolve for SNI),
// TLS termination with SNI certificates from netlab's PKI, TLS to the upstream verified against the
// CA, and promtool checking the /metrics text.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReverseProxy } from '../../src/proxy/index.ts';
import { requireTool } from '../helpers/tools.ts';
import { makePki, run, type TestPki, tempDir } from '../tls/helpers.ts';
import { field, proxyWith, send, startUpstream, type Upstream } from './helpers.ts';

let pki: TestPki;
let dir: { dir: string; remove: () => void };
let plain: Upstream;
let secure: Upstream;
let proxy: ReverseProxy;
const files: Record<string, string> = {};

beforeAll(async () => {
  pki = makePki();
  dir = tempDir('netlab-proxy-tls-');
  const put = (name: string, text: string): string => {
    const p = join(dir.dir, name);
    writeFileSync(p, text);
    files[name] = p;
    return p;
  };
  put('www.crt', pki.www.chainPem);
  put('www.key', pki.www.keyPem);
  put('api.crt', pki.api.chainPem);
  put('api.key', pki.api.keyPem);
  put('root.crt', pki.root.certPem);
  plain = await startUpstream('plain');
  secure = await startUpstream('secure', { key: pki.www.keyPem, cert: pki.www.chainPem });
  proxy = await proxyWith({
    listeners: [
      { name: 'web', address: '127.0.0.1', port: 0 },
      {
        name: 'tls',
        address: '127.0.0.1',
        port: 0,
        tls: { cert: files['www.crt'], key: files['www.key'], sni: [{ host: 'api.netlab.test', cert: files['api.crt'], key: files['api.key'] }] },
      },
    ],
    routes: [
      { name: 'to-tls', match: { path: { prefix: '/secure/' } }, cluster: 'secure' },
      { name: 'all', cluster: 'plain' },
    ],
    clusters: [
      { name: 'plain', endpoints: [{ name: 'p1', address: '127.0.0.1', port: plain.port }] },
      { name: 'secure', endpoints: [{ name: 's1', address: '127.0.0.1', port: secure.port }], tls: { ca: files['root.crt'], serverName: 'www.netlab.test' } },
    ],
    metrics: { path: '/metrics' },
  });
});

afterAll(async () => {
  await proxy.close(500);
  await plain.close();
  await secure.close();
  dir.remove();
});

describe('TLS', () => {
  it('terminates TLS with the certificate the SNI names; the upstream sees plain HTTP with X-Forwarded-Proto: https', async () => {
    const { connect } = await import('node:tls');
    const port = proxy.address('tls').port;
    for (const [servername, expected] of [
      ['api.netlab.test', 'api.netlab.test'],
      ['www.netlab.test', 'www.netlab.test'],
    ] as const) {
      const text = await new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, servername, ca: pki.root.certPem }, () => {
          const san = s.getPeerCertificate().subjectaltname ?? '';
          expect(san).toContain(`DNS:${expected}`);
          s.write(`GET /hello HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`);
        });
        let t = '';
        s.on('data', (d: Buffer) => {
          t += d.toString('latin1');
        });
        s.on('end', () => resolve(t));
        s.on('error', reject);
      });
      expect(text).toMatch(/^HTTP\/1\.1 200/);
      expect(text).toContain('plain GET /hello');
    }
    const seen = plain.seen.filter((s) => s.target === '/hello');
    expect(seen.map((s) => field(s.fields, 'x-forwarded-proto'))).toEqual(['https', 'https']);
  });

  it('speaks TLS to an upstream, verified against the CA; a wrong name or an unknown CA is a 502', async () => {
    const r = await send(proxy.address('web').port, 'GET', '/secure/x');
    expect([r.status, r.body]).toEqual([200, 'secure GET /secure/x']);
    const bad = await proxyWith({
      listeners: [{ name: 'web', address: '127.0.0.1', port: 0 }],
      routes: [{ name: 'all', cluster: 's' }],
      clusters: [{ name: 's', endpoints: [{ address: '127.0.0.1', port: secure.port }], tls: { ca: files['root.crt'], serverName: 'api.netlab.test' } }],
    });
    try {
      const r2 = await send(bad.address().port, 'GET', '/');
      expect(r2.status).toBe(502);
      expect(r2.body).toMatch(/api\.netlab\.test/);
    } finally {
      await bad.close(200);
    }
  });
});

describe.skipIf(!requireTool('curl'))('curl through the proxy', () => {
  it('plain http://127.0.0.1:PORT/ and https with --resolve for SNI', async () => {
    const port = proxy.address('web').port;
    const r = await run('curl', ['-sS', '-i', '-H', 'Host: shop.netlab.test', `http://127.0.0.1:${port}/curl?a=1`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(r.stdout).toMatch(/via: 1\.1 netlab/i);
    expect(r.stdout).toContain('plain GET /curl?a=1');
    const tport = proxy.address('tls').port;
    const t = await run('curl', [
      '-sS',
      '--cacert',
      files['root.crt'],
      '--resolve',
      `api.netlab.test:${tport}:127.0.0.1`,
      '-w',
      '\\n%{http_code}',
      `https://api.netlab.test:${tport}/tls-curl`,
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toBe('plain GET /tls-curl\n200');
    const post = await run('curl', ['-sS', '--data-binary', 'posted-body', `http://127.0.0.1:${port}/post`]);
    expect(post.stdout).toBe('plain POST /post');
    expect(plain.seen.find((s) => s.target === '/post')?.body).toBe('posted-body');
  });
});

describe.skipIf(!requireTool('promtool'))('metrics', () => {
  it('/metrics has latency histograms by route, cluster, endpoint, method and status and health gauges; promtool accepts it', async () => {
    const port = proxy.address('web').port;
    await send(port, 'GET', '/m1');
    const m = await send(port, 'GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toMatch(/netlab_proxy_request_duration_seconds_bucket\{le="[^"]+",route="all",cluster="plain",endpoint="p1",method="GET",status="200"\}/);
    expect(m.body).toContain('netlab_proxy_endpoint_state{cluster="plain",endpoint="p1",state="healthy"} 1');
    expect(m.body).toContain('netlab_proxy_endpoint_up{cluster="secure",endpoint="s1"} 1');
    const check = await run('promtool', ['check', 'metrics'], { input: m.body });
    expect(check.code, `${check.stdout}${check.stderr}`).toBe(0);
  });
});

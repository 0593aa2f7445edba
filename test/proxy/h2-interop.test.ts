// The HTTP/2 front with real clients: curl --http2 over TLS (ALPN h2; curl's %{http_version} says 2),
// curl --http2-prior-knowledge for h2c, and h2load (nghttp2's load generator: 2 000 requests over 4
// connections, 10 streams each at a time) with every request succeeding. Missing tools skip the test
// with a printed reason locally and fail it under CI=true.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReverseProxy } from '../../src/proxy/index.ts';
import { requireTool } from '../helpers/tools.ts';
import { makePki, run, type TestPki, tempDir } from '../tls/helpers.ts';
import { field, proxyWith, startUpstream, type Upstream } from './helpers.ts';

let pki: TestPki;
let dir: { dir: string; remove: () => void };
let up: Upstream;
let proxy: ReverseProxy;
const files: Record<string, string> = {};

beforeAll(async () => {
  pki = makePki();
  dir = tempDir('netlab-h2-interop-');
  for (const [n, t] of [
    ['root.crt', pki.root.certPem],
    ['www.crt', pki.www.chainPem],
    ['www.key', pki.www.keyPem],
  ] as const) {
    files[n] = join(dir.dir, n);
    writeFileSync(files[n], t);
  }
  up = await startUpstream('u1');
  proxy = await proxyWith({
    listeners: [
      { name: 'plain', address: '127.0.0.1', port: 0, protocols: ['h2c', 'http/1.1'] },
      { name: 'tls', address: '127.0.0.1', port: 0, protocols: ['h2', 'http/1.1'], tls: { cert: files['www.crt'], key: files['www.key'] } },
    ],
    routes: [{ name: 'all', cluster: 'c' }],
    clusters: [{ name: 'c', endpoints: [{ name: 'u1', address: '127.0.0.1', port: up.port }] }],
  });
});

afterAll(async () => {
  await proxy.close(500);
  await up.close();
  dir.remove();
});

describe.skipIf(!requireTool('curl'))('curl', () => {
  it('--http2 over TLS negotiates h2 by ALPN (http_version 2) and gets the upstream body', async () => {
    const port = proxy.address('tls').port;
    const r = await run('curl', [
      '-sS',
      '--http2',
      '--cacert',
      files['root.crt'],
      '--resolve',
      `www.netlab.test:${port}:127.0.0.1`,
      '-D',
      '-',
      '-w',
      '\\nversion=%{http_version}',
      `https://www.netlab.test:${port}/curl-tls`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/2 200/);
    expect(r.stdout).toMatch(/^via: 2 netlab\r?$/m);
    expect(r.stdout).toContain('u1 GET /curl-tls');
    expect(r.stdout).toMatch(/version=2$/);
  });

  it('--http1.1 on the same TLS listener still gets HTTP/1.1', async () => {
    const port = proxy.address('tls').port;
    const r = await run('curl', [
      '-sS',
      '--http1.1',
      '--cacert',
      files['root.crt'],
      '--resolve',
      `www.netlab.test:${port}:127.0.0.1`,
      '-w',
      '\\nversion=%{http_version}',
      `https://www.netlab.test:${port}/h1`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/version=1\.1$/);
  });

  it('--http2-prior-knowledge speaks h2c; a POST body arrives whole', async () => {
    up.seen.length = 0;
    const port = proxy.address('plain').port;
    const r = await run('curl', ['-sS', '--http2-prior-knowledge', '-d', 'a=1&b=2', '-w', '\\nversion=%{http_version}', `http://127.0.0.1:${port}/curl-h2c`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('u1 POST /curl-h2c');
    expect(r.stdout).toMatch(/version=2$/);
    expect(up.seen[0].body).toBe('a=1&b=2');
    expect(field(up.seen[0].fields, 'via')).toBe('2 netlab');
  });
});

describe.skipIf(!requireTool('h2load'))('h2load', () => {
  function counts(text: string): { total: number; succeeded: number; failed: number; errored: number; s2xx: number } {
    const m = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(text);
    const s = /status codes: (\d+) 2xx/.exec(text);
    return { total: Number(m?.[1]), succeeded: Number(m?.[2]), failed: Number(m?.[3]), errored: Number(m?.[4]), s2xx: Number(s?.[1]) };
  }

  it('-n 2000 -c 4 -m 10 over TLS (ALPN h2): every request succeeds with 2xx', async () => {
    const port = proxy.address('tls').port;
    const r = await run('h2load', ['-n', '2000', '-c', '4', '-m', '10', '-t', '1', `https://127.0.0.1:${port}/load`], { timeoutMs: 60_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Application protocol: h2/);
    expect(counts(r.stdout)).toEqual({ total: 2000, succeeded: 2000, failed: 0, errored: 0, s2xx: 2000 });
  });

  it('-n 2000 -c 4 -m 10 over h2c (prior knowledge): every request succeeds with 2xx', async () => {
    const port = proxy.address('plain').port;
    const r = await run('h2load', ['-n', '2000', '-c', '4', '-m', '10', '-t', '1', `http://127.0.0.1:${port}/load`], { timeoutMs: 60_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(counts(r.stdout)).toEqual({ total: 2000, succeeded: 2000, failed: 0, errored: 0, s2xx: 2000 });
  });
});

// Compression through a real proxy on loopback: br or gzip chosen by Accept-Encoding q-values, Vary
// set, Content-Length dropped (chunked), never twice, never on no-transform, small bodies and other
// types left alone, HEAD and 204/304 untouched, a large body streamed (the client reads compressed
// bytes before the upstream has sent the rest), and curl --compressed reading what the proxy sends.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpClientConnection } from '../../../src/http/index.ts';
import type { ReverseProxy } from '../../../src/proxy/index.ts';
import { requireTool } from '../../helpers/tools.ts';
import { field, LISTENER, proxyWith, startUpstream, type Upstream } from '../helpers.ts';

const TEXT = 'netlab compresses text that repeats. '.repeat(200); // 7400 bytes

let up: Upstream;
let proxy: ReverseProxy;
let port: number;

beforeEach(async () => {
  up = await startUpstream('a');
  up.handler = (req, res) => {
    const t = req.head.target;
    if (t === '/text' || t === '/etag')
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(TEXT.length), ETag: '"v1"', Vary: 'Cookie' });
    else if (t === '/small') res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '20' });
    else if (t === '/png') res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': String(TEXT.length) });
    else if (t === '/no-transform')
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-transform', 'Content-Length': String(TEXT.length) });
    else if (t === '/encoded') {
      const gz = gzipSync(TEXT);
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip', 'Content-Length': String(gz.length) });
      res.end(gz);
      return;
    } else if (t === '/204') {
      res.writeHead(204, { 'Content-Type': 'text/plain' });
      res.end();
      return;
    } else if (t === '/304') {
      res.writeHead(304, { 'Content-Type': 'text/plain', ETag: '"v1"' });
      res.end();
      return;
    }
    res.end(t === '/small' ? 'x'.repeat(20) : TEXT);
  };
  proxy = await proxyWith({
    listeners: [LISTENER],
    routes: [{ name: 'site', match: { path: { prefix: '/' } }, cluster: 'app', compression: { minSizeBytes: 1024 } }],
    clusters: [{ name: 'app', endpoints: [{ address: '127.0.0.1', port: up.port }] }],
    metrics: {},
  });
  port = proxy.address().port;
});

afterEach(async () => {
  await proxy.close(200);
  await up.close();
});

/** A request whose body is read as raw bytes (not as text). */
async function raw(
  method: string,
  target: string,
  fields: Record<string, string>,
): Promise<{ status: number; fields: readonly { name: string; value: string }[]; body: Buffer }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => {
    socket.once('connect', r);
    socket.once('error', j);
  });
  const conn = new HttpClientConnection(socket, { responseTimeoutMs: 10_000 });
  try {
    const res = await conn.request({
      method,
      target,
      fields: [{ name: 'Host', value: 'app.netlab.test' }, ...Object.entries(fields).map(([name, value]) => ({ name, value }))],
    });
    const parts: Buffer[] = [];
    for await (const c of res.body) parts.push(Buffer.from(c));
    return { status: res.head.status, fields: res.head.fields, body: Buffer.concat(parts) };
  } finally {
    conn.destroy();
  }
}

describe('compression through the proxy', () => {
  it('picks the coding by q-value, drops Content-Length, sets Vary and weakens the ETag', async () => {
    const br = await raw('GET', '/text', { 'Accept-Encoding': 'gzip;q=0.5, br;q=0.9' });
    expect(field(br.fields, 'content-encoding')).toBe('br');
    expect(field(br.fields, 'content-length')).toBeUndefined();
    expect(field(br.fields, 'transfer-encoding')).toBe('chunked');
    expect(field(br.fields, 'vary')).toBe('Cookie, Accept-Encoding');
    expect(field(br.fields, 'etag')).toBe('W/"v1"');
    expect(brotliDecompressSync(br.body).toString()).toBe(TEXT);
    expect(br.body.length).toBeLessThan(TEXT.length / 10);

    const gz = await raw('GET', '/text', { 'Accept-Encoding': 'br;q=0, gzip' });
    expect(field(gz.fields, 'content-encoding')).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(TEXT);

    const star = await raw('GET', '/text', { 'Accept-Encoding': 'identity, *;q=0.2' });
    expect(field(star.fields, 'content-encoding')).toBe('br');

    const none = await raw('GET', '/text', {});
    expect(field(none.fields, 'content-encoding')).toBeUndefined();
    expect(field(none.fields, 'content-length')).toBe(String(TEXT.length));
    expect(field(none.fields, 'vary')).toBe('Cookie, Accept-Encoding');
    expect(none.body.toString()).toBe(TEXT);

    const refused = await raw('GET', '/text', { 'Accept-Encoding': 'gzip;q=0, br;q=0' });
    expect(field(refused.fields, 'content-encoding')).toBeUndefined();
    expect(refused.body.toString()).toBe(TEXT);
    expect(await proxy.metricsText()).toMatch(/netlab_proxy_compression_total\{outcome="br"\} 2/);
  });

  it('leaves alone what must not or need not be compressed', async () => {
    const ae = { 'Accept-Encoding': 'gzip, br' };
    const enc = await raw('GET', '/encoded', ae);
    expect(field(enc.fields, 'content-encoding')).toBe('gzip');
    expect(gunzipSync(enc.body).toString()).toBe(TEXT); // once, not twice
    for (const t of ['/no-transform', '/small', '/png']) {
      const r = await raw('GET', t, ae);
      expect(field(r.fields, 'content-encoding'), t).toBeUndefined();
      expect(field(r.fields, 'vary'), t).toBeUndefined();
      expect(Number(field(r.fields, 'content-length')), t).toBe(r.body.length);
    }
    const head = await raw('HEAD', '/text', ae);
    expect(field(head.fields, 'content-encoding')).toBeUndefined();
    expect(field(head.fields, 'content-length')).toBe(String(TEXT.length));
    expect(head.body.length).toBe(0);
    const r204 = await raw('GET', '/204', ae);
    expect(r204.status).toBe(204);
    expect(field(r204.fields, 'content-encoding')).toBeUndefined();
    const r304 = await raw('GET', '/304', ae);
    expect(r304.status).toBe(304);
    expect(field(r304.fields, 'content-encoding')).toBeUndefined();
    expect(r304.body.length).toBe(0);
  });

  it('streams: compressed bytes reach the client while the upstream still holds back the rest', async () => {
    const half = Buffer.from(randomBytes(384 * 1024).toString('base64')); // 512 KiB of text
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    up.handler = async (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write(half);
      await gate;
      res.end(half);
    };
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', r));
    const conn = new HttpClientConnection(socket, { responseTimeoutMs: 10_000 });
    try {
      const res = await conn.request({
        method: 'GET',
        target: '/stream',
        fields: [
          { name: 'Host', value: 'x' },
          { name: 'Accept-Encoding', value: 'gzip' },
        ],
      });
      expect(field(res.head.fields, 'content-encoding')).toBe('gzip');
      const parts: Buffer[] = [];
      let before = 0;
      for await (const c of res.body) {
        parts.push(Buffer.from(c));
        if (before === 0) {
          before = parts.reduce((n, p) => n + p.length, 0);
          release(); // the upstream sends its second half only once compressed bytes have arrived
        }
      }
      expect(before).toBeGreaterThan(0);
      expect(gunzipSync(Buffer.concat(parts)).equals(Buffer.concat([half, half]))).toBe(true);
    } finally {
      release();
      conn.destroy();
    }
  });

  describe.skipIf(!requireTool('curl'))('curl', () => {
    it('curl --compressed gets brotli or gzip and decodes the text the upstream sent', async () => {
      const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile('curl', ['-sS', '--compressed', '-D', '-', `http://127.0.0.1:${port}/text`], { maxBuffer: 1 << 20 }, (err, stdout, stderr) =>
          resolve({ code: err === null ? 0 : 1, stdout, stderr }),
        );
      });
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toMatch(/^content-encoding: (br|gzip)\r$/im);
      expect(out.stdout).toMatch(/^vary: Cookie, Accept-Encoding\r$/im);
      expect(out.stdout.endsWith(TEXT)).toBe(true);
    });
  });
});

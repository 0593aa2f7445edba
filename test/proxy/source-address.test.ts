// A cluster's sourceAddress: every upstream connection (the HTTP/1.1 pool, h2 sessions, HTTP health
// probes) leaves from that local address. The backends listen on 127.194.0.2 and record the peer
// address of every connection they accept; a bad value is a config error naming the key.

import { createServer as createH2Server, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/proxy/config.ts';
import type { ReverseProxy } from '../../src/proxy/index.ts';
import { HttpServer } from '../../src/http/index.ts';
import { LISTENER, proxyWith, send } from './helpers.ts';

const BACKEND = '127.194.0.2';
const SOURCE = '127.194.0.9';

let h1: HttpServer;
let h2: Http2Server;
let proxy: ReverseProxy;
const h1Peers: { address: string; agent: string }[] = [];
const h2Peers: string[] = [];

beforeAll(async () => {
  h1 = new HttpServer({
    idleTimeoutMs: 5000,
    handler: async (req, res) => {
      await req.body.text();
      const agent = req.head.fields.find((f) => f.name.toLowerCase() === 'user-agent')?.value ?? '';
      h1Peers.push({ address: req.connection.socket.remoteAddress ?? '?', agent });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('h1');
    },
  });
  const a = await h1.listen(0, BACKEND);
  h2 = createH2Server();
  h2.on('stream', (stream) => {
    h2Peers.push(stream.session?.socket?.remoteAddress ?? '?');
    stream.respond({ ':status': 200 });
    stream.end('h2');
  });
  await new Promise<void>((r) => h2.listen(0, BACKEND, () => r()));
  const h2port = (h2.address() as AddressInfo).port;
  proxy = await proxyWith({
    listeners: [LISTENER],
    routes: [
      { name: 'h2', match: { path: { prefix: '/h2' } }, cluster: 'h2app' },
      { name: 'h1', cluster: 'app' },
    ],
    clusters: [
      {
        name: 'app',
        sourceAddress: SOURCE,
        endpoints: [{ address: BACKEND, port: a.port }],
        healthCheck: { type: 'http', path: '/health', intervalMs: 50, timeoutMs: 1000, fall: 1, rise: 1 },
      },
      { name: 'h2app', protocol: 'h2', sourceAddress: SOURCE, endpoints: [{ address: BACKEND, port: h2port }] },
    ],
  });
});

afterAll(async () => {
  await proxy?.close();
  await h1?.close(500);
  await new Promise<void>((r) => (h2 ? h2.close(() => r()) : r()));
});

describe('cluster sourceAddress', () => {
  it('HTTP/1.1 requests and HTTP health probes reach the backend from the source address', async () => {
    const r = await send(proxy.address().port, 'GET', '/x');
    expect(r.status).toBe(200);
    const deadline = Date.now() + 3000;
    while (!h1Peers.some((p) => p.agent === 'netlab-health') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    const requests = h1Peers.filter((p) => p.agent !== 'netlab-health');
    const probes = h1Peers.filter((p) => p.agent === 'netlab-health');
    expect(requests.length).toBeGreaterThan(0);
    expect(probes.length).toBeGreaterThan(0);
    expect(new Set(h1Peers.map((p) => p.address))).toEqual(new Set([SOURCE]));
  });

  it('h2 upstream sessions leave from the source address', async () => {
    const r = await send(proxy.address().port, 'GET', '/h2/x');
    expect(r.status).toBe(200);
    expect(r.body).toBe('h2');
    expect(h2Peers).toEqual([SOURCE]);
  });
});

describe('sourceAddress in the config', () => {
  const base = (cluster: string): string =>
    `listeners: [{ name: web, address: 127.0.0.1, port: 8080 }]\nroutes: [{ name: r, cluster: app }]\nclusters:\n  - name: app\n    endpoints: [{ address: ${BACKEND}, port: 80 }]\n${cluster}`;
  const errorOf = (text: string): ConfigError => {
    try {
      parseConfig(text);
    } catch (e) {
      if (e instanceof ConfigError) return e;
      throw e;
    }
    throw new Error('expected a ConfigError, got none');
  };

  it('takes an address of the endpoints family', () => {
    expect(parseConfig(base(`    sourceAddress: ${SOURCE}\n`)).clusters[0].sourceAddress).toBe(SOURCE);
    expect(parseConfig(base('')).clusters[0].sourceAddress).toBeUndefined();
  });

  it('refuses a value that is not an IP address, naming the key', () => {
    const e = errorOf(base('    sourceAddress: not-an-ip\n'));
    expect(e.message).toMatch(/clusters\[0\]\.sourceAddress: expected an IP address/);
  });

  it('refuses an address of the other family', () => {
    const e = errorOf(base('    sourceAddress: "::1"\n'));
    expect(e.message).toMatch(/clusters\[0\]\.sourceAddress: sourceAddress ::1 is IPv6 but endpoints\[0\] \(127\.194\.0\.2\) is IPv4/);
  });
});

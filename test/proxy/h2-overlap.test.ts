// Ten concurrent streams on one HTTP/2 connection to the proxy must reach the upstream concurrently,
// whichever protocol the upstream speaks: an HTTP/1.1 upstream gets them on ten connections at once
// (the keep-alive pool opens one per request in flight, none queued behind another), an h2 upstream
// as ten streams in flight on one session. The upstream holds every request until it has ten in
// flight (or until a fallback of 3 s, which only stops a broken proxy from hanging the test): the
// assertion is on the overlap the upstream saw, not on any time. A proxy that serialised streams
// (one upstream connection, awaiting each stream, a lock per session) would show at most 1 or 2.

import { createServer, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReverseProxy } from '../../src/proxy/index.ts';
import { closeSession, h2request, h2session } from './h2-helpers.ts';
import { proxyWith, startUpstream, type Upstream } from './helpers.ts';

const N = 10;
const FALLBACK_MS = 3000;

/** Holds each request until `n` are in flight together (or the fallback fires); remembers the peak. */
class Gate {
  inFlight = 0;
  peak = 0;
  private waiting: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly n: number) {}

  enter(): Promise<void> {
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    const p = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.timer ??= setTimeout(() => this.open(), FALLBACK_MS);
    if (this.inFlight >= this.n) this.open();
    return p;
  }

  leave(): void {
    this.inFlight--;
  }

  private open(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiting.splice(0)) w();
  }

  reset(): void {
    this.open();
    this.inFlight = 0;
    this.peak = 0;
  }
}

const gate = new Gate(N);
let h1: Upstream;
let h2: Http2Server;
let proxy: ReverseProxy;

beforeAll(async () => {
  h1 = await startUpstream('h1');
  h1.handler = async (req, res) => {
    await gate.enter();
    gate.leave();
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(`h1 ${req.head.target}`);
  };
  h2 = createServer();
  h2.on('stream', (stream: ServerHttp2Stream, headers) => {
    stream.resume();
    void gate.enter().then(() => {
      gate.leave();
      if (stream.destroyed) return;
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end(`h2 ${headers[':path']}`);
    });
  });
  await new Promise<void>((resolve) => h2.listen(0, '127.191.0.1', resolve));
  proxy = await proxyWith({
    listeners: [{ name: 'plain', address: '127.191.0.1', port: 0, protocols: ['h2c', 'http/1.1'] }],
    routes: [
      { name: 'two', match: { path: { prefix: '/h2/' } }, cluster: 'up2' },
      { name: 'all', cluster: 'up1' },
    ],
    clusters: [
      { name: 'up1', endpoints: [{ name: 'u1', address: '127.0.0.1', port: h1.port }] },
      { name: 'up2', protocol: 'h2', endpoints: [{ name: 'u2', address: '127.191.0.1', port: (h2.address() as AddressInfo).port }] },
    ],
  });
});

afterAll(async () => {
  gate.reset();
  await proxy.close(500);
  await h1.close();
  await new Promise<void>((resolve) => h2.close(() => resolve()));
});

describe('ten concurrent streams through the h2 front reach the upstream concurrently', () => {
  for (const [upstream, prefix] of [
    ['HTTP/1.1', '/'],
    ['h2', '/h2/'],
  ] as const) {
    it(`${upstream} upstream: all ${N} requests in flight at the upstream at once`, async () => {
      gate.reset();
      const s = await h2session(`http://127.191.0.1:${proxy.address('plain').port}`);
      try {
        // Twice: once with a cold upstream pool (connections opened on demand), once warm.
        for (const round of [1, 2]) {
          gate.reset();
          const paths = Array.from({ length: N }, (_, i) => `${prefix}r${round}-${i}`);
          const replies = await Promise.all(paths.map((p) => h2request(s, { ':path': p, ':authority': 'app.netlab.test' })));
          expect(replies.map((r) => r.status)).toEqual(paths.map(() => 200));
          expect(replies.map((r) => r.body)).toEqual(paths.map((p) => `${upstream === 'h2' ? 'h2' : 'h1'} ${p}`));
          expect(gate.peak, `round ${round}: requests in flight at the upstream together`).toBe(N);
        }
      } finally {
        await closeSession(s);
      }
    });
  }
});

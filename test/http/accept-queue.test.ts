// HttpServer's maxConnections as HAProxy's maxconn: connections above it wait (paused) in a bounded
// first-in first-out queue and are served when a slot frees; a full queue or a wait past timeoutMs
// gets a 503 with Retry-After and Connection: close. Real sockets on 127.0.0.1.

import { afterEach, describe, expect, it } from 'vitest';
import type { AcceptQueueEvent } from '../../src/http/accept-queue.ts';
import { AcceptQueue } from '../../src/http/accept-queue.ts';
import type { HttpServer, HttpServerOptions } from '../../src/http/index.ts';
import { rawClient, type RawClient, sleep, startServer } from './helpers.ts';

const GET = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
const done = (t: string): boolean => /\r\n\r\n[\s\S]*\n$/.test(t) && t.includes('Content-Length');

let open: { server: HttpServer; clients: RawClient[] } | undefined;
afterEach(async () => {
  for (const c of open?.clients ?? []) c.destroy();
  await open?.server.close(100);
  open = undefined;
});

/** A server whose /slow answers after `slowMs`; the others at once. Every answer says when it was sent. */
async function slowServer(slowMs: number, extra: Partial<HttpServerOptions>): Promise<{ port: number; events: AcceptQueueEvent[] }> {
  const events: AcceptQueueEvent[] = [];
  const { server, port } = await startServer({
    handler: async (req, res) => {
      if (req.head.target === '/slow') await sleep(slowMs);
      res.end(`${req.head.target} at ${Math.round(performance.now())}\n`);
    },
    onQueue: (e) => events.push(e),
    ...extra,
  });
  open = { server, clients: [] };
  return { port, events };
}

async function client(port: number): Promise<RawClient> {
  const c = await rawClient(port);
  open?.clients.push(c);
  return c;
}

describe('HttpServer maxConnections: a queue, not a refusal', () => {
  it('N+1 slow requests with maxConnections N: the extra one waits and is served once the first finishes', async () => {
    const { port, events } = await slowServer(300, { maxConnections: 2 });
    const a = await client(port);
    a.write(GET('/slow'));
    await sleep(20);
    const b = await client(port);
    b.write(GET('/slow'));
    await sleep(20);
    const c = await client(port);
    c.write(GET('/fast'));
    await sleep(100);
    // Held, not refused and not answered: nothing read from it yet.
    expect(c.text()).toBe('');
    expect(open?.server.waiting).toBe(1);
    const [ta, , tc] = await Promise.all([a.waitFor(done), b.waitFor(done), c.waitFor(done)]);
    expect(ta).toMatch(/^HTTP\/1\.1 200 /);
    expect(tc).toMatch(/^HTTP\/1\.1 200 /);
    const at = (t: string): number => Number(/ at (\d+)\n$/.exec(t)?.[1]);
    // /fast would have taken no time: it was answered only after /slow on the first connection.
    expect(at(tc)).toBeGreaterThanOrEqual(at(ta));
    expect(open?.server.queueStats).toMatchObject({ queued: 1, servedAfterWait: 1, refusedFull: 0, refusedTimeout: 0 });
    expect(events.map((e) => e.type)).toEqual(['queued', 'dequeued']);
  });

  it('a full queue: 503 at once, with Retry-After and Connection: close', async () => {
    const { port, events } = await slowServer(400, { maxConnections: 1, queue: { maxQueued: 1, retryAfterS: 2 } });
    const a = await client(port);
    a.write(GET('/slow'));
    await sleep(20);
    const b = await client(port);
    b.write(GET('/fast'));
    await sleep(20);
    const t0 = performance.now();
    const c = await client(port);
    c.write(GET('/fast'));
    const tc = await c.waitFor(done);
    await c.closed;
    expect(performance.now() - t0).toBeLessThan(300);
    expect(tc).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(tc).toMatch(/\r\nRetry-After: 2\r\n/);
    expect(tc).toMatch(/\r\nConnection: close\r\n/);
    expect(tc).toContain('1 connections are being served and 1 are waiting');
    // The one that waited is served after the first.
    expect(await b.waitFor(done)).toMatch(/^HTTP\/1\.1 200 /);
    expect(open?.server.queueStats).toMatchObject({ queued: 1, servedAfterWait: 1, refusedFull: 1 });
    expect(events.filter((e) => e.type === 'refused')).toEqual([{ type: 'refused', reason: 'queue-full' }]);
  });

  it('a wait past timeoutMs: 503, and the connection leaves the queue', async () => {
    const { port } = await slowServer(600, { maxConnections: 1, queue: { timeoutMs: 100 } });
    const a = await client(port);
    a.write(GET('/slow'));
    await sleep(20);
    const t0 = performance.now();
    const b = await client(port);
    b.write(GET('/fast'));
    const tb = await b.waitFor(done);
    const waited = performance.now() - t0;
    expect(tb).toMatch(/^HTTP\/1\.1 503 /);
    expect(tb).toContain('no connection slot freed within 100 ms');
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(open?.server.waiting).toBe(0);
    expect(await a.waitFor(done)).toMatch(/^HTTP\/1\.1 200 /);
    expect(open?.server.queueStats).toMatchObject({ queued: 1, servedAfterWait: 0, refusedTimeout: 1 });
  });

  it('a client that gave up while waiting loses its turn when it comes; close() answers the ones still waiting', async () => {
    const { port } = await slowServer(300, { maxConnections: 1 });
    const a = await client(port);
    a.write(GET('/slow'));
    await sleep(20);
    const quitter = await client(port);
    quitter.write(GET('/fast'));
    const stayer = await client(port);
    stayer.write(GET('/fast'));
    await sleep(50);
    expect(open?.server.waiting).toBe(2);
    // Nothing is read from a waiting connection, so its close is seen when its turn comes: it ends at once.
    quitter.destroy();
    expect(await a.waitFor(done)).toMatch(/^HTTP\/1\.1 200 /);
    expect(await stayer.waitFor(done)).toMatch(/^HTTP\/1\.1 200 /);
    await stayer.closed;
    await sleep(20);
    const d = await client(port);
    d.write(GET('/slow'));
    await sleep(20);
    const e = await client(port);
    e.write(GET('/fast'));
    await sleep(50);
    expect(open?.server.waiting).toBe(1);
    const closing = open?.server.close(1000);
    expect(await e.waitFor(done)).toMatch(/^HTTP\/1\.1 503 [\s\S]*the server is closing/);
    // The one being served finishes its request first.
    expect(await d.waitFor(done)).toMatch(/^HTTP\/1\.1 200 /);
    await closing;
    expect(open?.server.queueStats).toMatchObject({ queued: 3, servedAfterWait: 2, refusedClosing: 1 });
  });

  it('refuses settings that make no sense, naming them', () => {
    expect(() => new AcceptQueue({ maxConnections: 0 }, () => undefined)).toThrow(/maxConnections must be an integer >= 1, got 0/);
    expect(() => new AcceptQueue({ maxConnections: 1, maxQueued: -1 }, () => undefined)).toThrow(/maxQueued must be an integer >= 0, got -1/);
    expect(() => new AcceptQueue({ maxConnections: 1, timeoutMs: 0.5 }, () => undefined)).toThrow(/queueTimeoutMs must be an integer >= 1, got 0.5/);
  });
});

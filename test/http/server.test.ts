import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/timer-clock.ts';
import type { HttpServer, HttpServerConnection } from '../../src/http/index.ts';
import { count, rawClient, sleep, startServer, type RawClient } from './helpers.ts';

const open: { server?: HttpServer; clients: RawClient[] } = { clients: [] };

afterEach(async () => {
  for (const c of open.clients.splice(0)) c.destroy();
  await open.server?.close(500);
  open.server = undefined;
});

async function serve(options: Parameters<typeof startServer>[0]): Promise<number> {
  const { server, port } = await startServer(options);
  open.server = server;
  return port;
}

async function client(port: number): Promise<RawClient> {
  const c = await rawClient(port);
  open.clients.push(c);
  return c;
}

describe('HttpServerConnection: pipelining', () => {
  it('answers pipelined requests in request order even when later handlers finish first', async () => {
    const port = await serve({
      handler: async (req, res) => {
        const delay = Number(new URL(req.head.target, 'http://x').searchParams.get('d'));
        await sleep(delay);
        res.end(`<${req.head.target}>`);
      },
    });
    const c = await client(port);
    c.write(['/a?d=120', '/b?d=0', '/c?d=40'].map((t) => `GET ${t} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    const text = await c.waitFor((t) => count(t, 'HTTP/1.1 200') === 3 && t.endsWith('>'));
    const order = [...text.matchAll(/<([^>]+)>/g)].map((m) => m[1]);
    expect(order).toEqual(['/a?d=120', '/b?d=0', '/c?d=40']);
  });

  it('a refusal comes after the responses owed for earlier requests, then the connection closes', async () => {
    const seen: string[] = [];
    const port = await serve({
      handler: async (req, res) => {
        seen.push(req.head.target);
        await sleep(30);
        res.end('ok');
      },
    });
    const c = await client(port);
    c.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.closed;
    expect(seen).toEqual(['/1']);
    expect(c.text()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nokHTTP\/1\.1 400 Bad Request\r\n[\s\S]*Connection: close\r\n[\s\S]*host-duplicate/);
    expect(count(c.text(), 'HTTP/1.1')).toBe(2);
  });
});

describe('HttpServerConnection: 100-continue', () => {
  it('sends 100 Continue when the handler starts reading, and only then gets the body', async () => {
    const port = await serve({ handler: async (req, res) => res.end(`got ${await req.body.text()}`) });
    const c = await client(port);
    c.write('POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    await c.waitFor((t) => t === 'HTTP/1.1 100 Continue\r\n\r\n');
    c.write('hello');
    const t = await c.waitFor((x) => x.endsWith('got hello'));
    expect(t).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  });

  it('sends no 100 when the handler answers without reading, and closes', async () => {
    const port = await serve({ handler: (_req, res) => res.writeHead(413).end('no') });
    const c = await client(port);
    c.write('POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    await c.closed;
    // Answered before any body byte: the connection closes, so a body sent late is never read as a request.
    expect(c.text()).toBe('HTTP/1.1 413 Content Too Large\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno');
  });
});

describe('HttpServerConnection: timeouts (manual clock)', () => {
  it('answers 408 and closes when the head does not arrive in time (slowloris)', async () => {
    const clock = new ManualClock();
    let conn: HttpServerConnection | undefined;
    const port = await serve({ clock, headerTimeoutMs: 5000, handler: (_q, r) => r.end('x'), onConnection: (k) => (conn = k) });
    const c = await client(port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    while (conn === undefined || clock.pending < 1) await sleep(5);
    await sleep(30);
    clock.advance(4999);
    expect(c.text()).toBe('');
    clock.advance(1);
    await c.closed;
    expect(c.text()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*Connection: close/);
  });

  it('closes an idle connection silently after the idle timeout, counted from the last response', async () => {
    const clock = new ManualClock();
    const port = await serve({ clock, idleTimeoutMs: 1000, handler: (_q, r) => r.end('x') });
    const c = await client(port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.waitFor((t) => t.endsWith('x'));
    await sleep(20);
    clock.advance(999);
    await sleep(20);
    expect(c.socket.destroyed || c.socket.readableEnded).toBe(false);
    clock.advance(1);
    await c.closed;
    expect(count(c.text(), 'HTTP/1.1')).toBe(1);
  });
});

describe('HttpServerConnection: slow bodies (manual clock)', () => {
  it('answers 408 when a request body stalls, and the handler sees the body fail', async () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    const port = await serve({
      clock,
      bodyTimeoutMs: 3000,
      handler: async (req, res) => {
        try {
          await req.body.bytes();
          res.end('unexpected');
        } catch (err) {
          errors.push(err);
        }
      },
    });
    const c = await client(port);
    c.write('POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    while (clock.pending < 1) await sleep(5);
    await sleep(30);
    clock.advance(2999);
    c.write('d');
    await sleep(30);
    clock.advance(2999);
    expect(c.text()).toBe('');
    clock.advance(1);
    await c.closed;
    expect(c.text()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*Connection: close[\s\S]*body-timeout/);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_TIMEOUT' });
  });

  it('sends 103 Early Hints before the final response', async () => {
    const port = await serve({
      handler: (_q, r) => {
        r.writeInterim(103, { Link: '</a.css>; rel=preload' });
        r.end('x');
      },
    });
    const c = await client(port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await c.waitFor((t) => t.endsWith('x'))).toBe(
      'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx',
    );
  });
});

describe('HttpServerConnection: backpressure', () => {
  it('stops reading while the socket cannot write, and finishes once the client reads', async () => {
    const total = 16 * 1024 * 1024;
    let conn: HttpServerConnection | undefined;
    const port = await serve({
      onConnection: (k) => (conn = k),
      handler: async (_req, res) => {
        res.writeHead(200, { 'Content-Length': total });
        const block = new Uint8Array(65536).fill(0x61);
        for (let sent = 0; sent < total; sent += block.length) {
          if (!res.write(block)) await res.drained();
        }
        res.end();
      },
    });
    const c = await client(port);
    c.socket.pause();
    c.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(300);
    expect(conn?.socket.isPaused(), 'reading paused while the write buffer is full').toBe(true);
    expect(conn?.socket.writableLength ?? 0).toBeLessThan(4 * 1024 * 1024);
    c.socket.resume();
    const text = await c.waitFor((t) => t.length >= total + 40, 20_000);
    expect(text.length).toBe('HTTP/1.1 200 OK\r\nContent-Length: 16777216\r\n\r\n'.length + total);
    await sleep(20);
    expect(conn?.socket.isPaused(), 'reading again').toBe(false);
  });

  it('stops reading a request body the handler has not read, above the high-water mark', async () => {
    let conn: HttpServerConnection | undefined;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const size = 4 * 1024 * 1024;
    const port = await serve({
      limits: { maxBodyBytes: size },
      bodyHighWaterBytes: 65536,
      onConnection: (k) => (conn = k),
      handler: async (req, res) => {
        await gate;
        res.end(String((await req.body.bytes()).length));
      },
    });
    const c = await client(port);
    c.write(`POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
    c.write(new Uint8Array(size));
    await sleep(300);
    expect(conn?.socket.isPaused()).toBe(true);
    release();
    const t = await c.waitFor((x) => x.endsWith(String(size)), 10_000);
    expect(t).toMatch(/^HTTP\/1\.1 200 OK/);
  });
});

describe('HttpServerResponse: framing', () => {
  it('HEAD gets the length and no body; the next pipelined request still parses', async () => {
    const port = await serve({ handler: (req, res) => res.end(req.head.method === 'HEAD' ? 'hello' : 'second') });
    const c = await client(port);
    c.write('HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const t = await c.waitFor((x) => x.endsWith('second'));
    expect(t).toBe('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond');
  });

  it('streams chunked on HTTP/1.1 and until close on HTTP/1.0', async () => {
    const port = await serve({
      handler: (_req, res) => {
        res.write('ab');
        res.end('cd', [{ name: 'X-Sum', value: '4' }]);
      },
    });
    const c = await client(port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await c.waitFor((x) => x.endsWith('\r\n\r\n') && x.includes('0\r\n'))).toBe(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\nX-Sum: 4\r\n\r\n',
    );
    const d = await client(port);
    d.write('GET / HTTP/1.0\r\n\r\n');
    await d.closed;
    expect(d.text()).toBe('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabcd');
  });

  it('a handler that throws gets a 500; one that fails mid-body gets its connection cut', async () => {
    const port = await serve({
      handler: async (req, res) => {
        if (req.head.target === '/throw') throw new Error('boom');
        res.writeHead(200, { 'Content-Length': 10 });
        res.write('part');
        await sleep(10);
        throw new Error('late boom');
      },
    });
    const a = await client(port);
    a.write('GET /throw HTTP/1.1\r\nHost: x\r\n\r\n');
    await a.closed;
    expect(a.text()).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
    const b = await client(port);
    b.write('GET /cut HTTP/1.1\r\nHost: x\r\n\r\n');
    await b.closed;
    expect(b.text()).toBe('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart');
  });
});

describe('HttpServerConnection: Upgrade, drain', () => {
  it('hands the socket over after 101, with the bytes that followed the request', async () => {
    const port = await serve({
      handler: (req, res) => {
        const { socket, rest } = req.connection.takeOver(res, { Upgrade: 'echo' });
        socket.write(rest);
        socket.on('data', (d: Buffer) => socket.write(d));
        socket.resume();
      },
    });
    const c = await client(port);
    c.write('GET /e HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\nearly');
    await c.waitFor((t) => t.endsWith('early'));
    c.write('+later');
    const t = await c.waitFor((x) => x.endsWith('+later'));
    expect(t).toBe('HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\nearly+later');
  });

  it('an Upgrade the handler declines: a plain response, then HTTP goes on', async () => {
    const port = await serve({ handler: (req, res) => res.end(req.head.target) });
    const c = await client(port);
    c.write('GET /u HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.closed;
    // RFC 9110 §7.8 lets the server ignore Upgrade; netlab then closes after the response, as the
    // client may already have sent bytes of the other protocol.
    expect(c.text()).toBe('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n/u');
  });

  it('close() lets a request in flight finish with Connection: close', async () => {
    const { server, port } = await startServer({
      handler: async (_q, r) => {
        await sleep(150);
        r.end('late');
      },
    });
    const c = await client(port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(30);
    await server.close(2000);
    await c.closed;
    expect(c.text()).toBe('HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nlate');
  });
});

describe('HttpServerResponse.flushHead', () => {
  it('sends the head (chunked) before any body byte; later writes follow as chunks; a second call does nothing', async () => {
    let write: (s: string) => void = () => undefined;
    let finish: () => void = () => undefined;
    const port = await serve({
      handler: (_req, res) =>
        new Promise<void>((resolve) => {
          res.writeHead(200, { 'Content-Type': 'text/event-stream' });
          res.flushHead();
          res.flushHead();
          write = (s) => res.write(s);
          finish = () => {
            res.end();
            resolve();
          };
        }),
    });
    const c = await client(port);
    c.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
    const head = await c.waitFor((t) => t.includes('\r\n\r\n'));
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Transfer-Encoding: chunked\r\n/);
    expect(head.endsWith('\r\n\r\n')).toBe(true); // the head alone, no body byte yet
    write('data: 1\n\n');
    await c.waitFor((t) => t.endsWith('9\r\ndata: 1\n\n\r\n'));
    finish();
    const all = await c.waitFor((t) => t.endsWith('0\r\n\r\n'));
    expect(count(all, 'HTTP/1.1 200')).toBe(1);
  });
});

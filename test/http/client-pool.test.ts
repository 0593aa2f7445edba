import { connect, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { HttpClientConnection, HttpConnectionPool, type HttpServer } from '../../src/http/index.ts';
import { fieldValue } from '../../src/wire/http.ts';
import { sleep, startServer } from './helpers.ts';

const cleanup: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function echoServer(extra: Partial<Parameters<typeof startServer>[0]> = {}): Promise<{ server: HttpServer; port: number; connections: () => number }> {
  let n = 0;
  const s = await startServer({
    onConnection: () => n++,
    handler: async (req, res) => {
      const body = await req.body.text();
      const delay = Number(fieldValue(req.head.fields, 'x-delay') ?? '0');
      if (delay > 0) await sleep(delay);
      const close = fieldValue(req.head.fields, 'x-close') === '1';
      res.writeHead(200, close ? { Connection: 'close' } : {});
      res.end(`${req.head.method} ${req.head.target} ${body} ${req.body.trailers.map((t) => `${t.name}=${t.value}`).join(',')}`.trim());
    },
    ...extra,
  });
  cleanup.push(() => s.server.close(500));
  return { ...s, connections: () => n };
}

function dial(port: number): Promise<HttpClientConnection> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(new HttpClientConnection(s)));
    s.once('error', reject);
    cleanup.push(() => {
      s.destroy();
    });
  });
}

async function* parts(...texts: string[]): AsyncIterable<Uint8Array> {
  for (const t of texts) {
    await sleep(1);
    yield new Uint8Array(Buffer.from(t));
  }
}

describe('HttpClientConnection', () => {
  it('sends GET, a Content-Length body and a chunked body on one kept-alive connection', async () => {
    const { port, connections } = await echoServer();
    const c = await dial(port);
    const r1 = await c.request({ method: 'GET', target: '/a', fields: { Host: 'x' } });
    expect(r1.head.status).toBe(200);
    expect(await r1.body.text()).toBe('GET /a');
    await sleep(1);
    expect(c.state).toBe('idle');
    const r2 = await c.request({ method: 'POST', target: '/b', fields: { Host: 'x' }, body: 'hello' });
    expect(await r2.body.text()).toBe('POST /b hello');
    await sleep(1);
    const r3 = await c.request({ method: 'PUT', target: '/c', fields: { Host: 'x' }, body: parts('ab', 'cd', 'ef') });
    expect(await r3.body.text()).toBe('PUT /c abcdef');
    expect(c.requestsServed).toBe(3);
    expect(connections()).toBe(1);
  });

  it('streams an iterable body with Content-Length when told its length, and breaks the exchange on a wrong one', async () => {
    const { port } = await echoServer();
    const c = await dial(port);
    const r = await c.request({ method: 'PUT', target: '/len', fields: { Host: 'x' }, body: parts('abc', 'de'), bodyLength: 5 });
    expect(await r.body.text()).toBe('PUT /len abcde');
    await sleep(1);
    const d = await dial(port);
    await expect(d.request({ method: 'PUT', target: '/bad', fields: { Host: 'x' }, body: parts('abc'), bodyLength: 5 })).rejects.toMatchObject({
      code: 'ERR_ARGUMENT',
    });
    expect(d.state).toBe('closed');
  });

  it('waits for 100 Continue before sending the body, and reports the interim response', async () => {
    const { port } = await echoServer();
    const c = await dial(port);
    const r = await c.request({ method: 'POST', target: '/up', fields: { Host: 'x' }, body: 'payload', expectContinue: true });
    expect(r.interim.map((h) => h.status)).toEqual([100]);
    expect(await r.body.text()).toBe('POST /up payload');
  });

  it('rejects a response that breaks the rules, and the connection is not reused', async () => {
    const raw: Server = createServer((s) => {
      s.once('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => raw.close(() => r())));
    const a = raw.address();
    const c = await dial(typeof a === 'object' && a !== null ? a.port : 0);
    await expect(c.request({ method: 'GET', target: '/', fields: { Host: 'x' } })).rejects.toMatchObject({ code: 'ERR_MALFORMED', message: /cl-duplicate/ });
    expect(c.state).toBe('closed');
  });

  it('a HEAD response has no body even with Content-Length', async () => {
    const { port } = await echoServer();
    const c = await dial(port);
    const r = await c.request({ method: 'HEAD', target: '/h', fields: { Host: 'x' } });
    expect(fieldValue(r.head.fields, 'content-length')).toBe('7'); // "HEAD /h"
    expect((await r.body.bytes()).length).toBe(0);
    await sleep(1);
    expect(c.state).toBe('idle');
  });
});

describe('HttpConnectionPool', () => {
  it('reuses one keep-alive connection for sequential requests', async () => {
    const { port, connections } = await echoServer();
    const pool = new HttpConnectionPool();
    cleanup.push(() => pool.close());
    const up = { host: '127.0.0.1', port };
    const reused: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await pool.request(up, { method: 'GET', target: `/${i}`, fields: { Host: 'x' } });
      expect(await r.body.text()).toBe(`GET /${i}`);
      reused.push(r.reused);
      await sleep(1);
    }
    expect(reused).toEqual([false, true, true, true, true]);
    expect(pool.connectionsOpened).toBe(1);
    expect(connections()).toBe(1);
    expect(pool.stats(up)).toEqual({ busy: 0, idle: 1, connecting: 0, waiting: 0 });
  });

  it('keeps each response body intact while other connections read into the same buffer (onread)', async () => {
    const { port } = await echoServer();
    const pool = new HttpConnectionPool();
    cleanup.push(() => pool.close());
    const up = { host: '127.0.0.1', port };
    // Eight exchanges at once on eight connections; no body is read until every response has come.
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => pool.request(up, { method: 'POST', target: `/${i}`, fields: { Host: 'x' }, body: `body-${i}` })),
    );
    await sleep(20);
    expect(pool.connectionsOpened).toBe(8);
    const texts = await Promise.all(responses.map((r) => r.body.text()));
    expect(texts).toEqual(Array.from({ length: 8 }, (_, i) => `POST /${i} body-${i}`));
    expect(responses.map((r) => Buffer.from(r.rawFields ?? []).toString('latin1'))).toEqual(responses.map(() => 'Content-Length: 14\r\n'));
  });

  it('never opens more than maxPerUpstream connections; others wait their turn', async () => {
    const { port, connections } = await echoServer();
    const pool = new HttpConnectionPool({ maxPerUpstream: 2 });
    cleanup.push(() => pool.close());
    const up = { host: '127.0.0.1', port };
    const all = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const r = await pool.request(up, { method: 'GET', target: `/${i}`, fields: { Host: 'x', 'X-Delay': '30' } });
        return r.body.text();
      }),
    );
    expect(all).toEqual(Array.from({ length: 6 }, (_, i) => `GET /${i}`));
    expect(pool.connectionsOpened).toBe(2);
    expect(connections()).toBe(2);
  });

  it('drops a connection the upstream closes and opens a fresh one', async () => {
    const { port, connections } = await echoServer();
    const pool = new HttpConnectionPool();
    cleanup.push(() => pool.close());
    const up = { host: '127.0.0.1', port };
    const r1 = await pool.request(up, { method: 'GET', target: '/1', fields: { Host: 'x', 'X-Close': '1' } });
    await r1.body.text();
    await sleep(20);
    expect(pool.stats(up).idle).toBe(0);
    const r2 = await pool.request(up, { method: 'GET', target: '/2', fields: { Host: 'x' } });
    expect(await r2.body.text()).toBe('GET /2');
    expect(r2.reused).toBe(false);
    expect(connections()).toBe(2);
  });

  it('closes idle connections after the idle timeout (manual clock)', async () => {
    const { port } = await echoServer();
    const clock = new ManualClock();
    const pool = new HttpConnectionPool({ clock, idleTimeoutMs: 1000 });
    cleanup.push(() => pool.close());
    const up = { host: '127.0.0.1', port };
    await (await pool.request(up, { method: 'GET', target: '/', fields: { Host: 'x' } })).body.text();
    await sleep(5);
    expect(pool.stats(up).idle).toBe(1);
    clock.advance(999);
    expect(pool.stats(up).idle).toBe(1);
    clock.advance(1);
    await sleep(20);
    expect(pool.stats(up).idle).toBe(0);
  });

  it('fails a lease when the upstream refuses the connection', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
      });
    });
    const pool = new HttpConnectionPool();
    cleanup.push(() => pool.close());
    await expect(pool.acquire({ host: '127.0.0.1', port })).rejects.toMatchObject({ code: 'ERR_IO' });
  });
});

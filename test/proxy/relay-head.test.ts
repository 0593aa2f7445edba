// The proxy relays an upstream's response head as its bytes came (hop-by-hop lines cut, its own lines
// added) when the head arrived in one read. The same head split over two reads takes the other path
// (parsed fields, serialized again): both must give the client the very same bytes. The upstream here
// is a plain socket writing exact bytes (odd casing, odd whitespace, duplicates, broken framing).

import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReverseProxy } from '../../src/proxy/index.ts';
import { relayFieldLines } from '../../src/proxy/headers.ts';
import { HttpParser, type HttpField } from '../../src/wire/http.ts';
import { LISTENER, proxyWith, sleep } from './helpers.ts';

/** Responses the upstream writes, by name (the request target is /one/NAME or /split/NAME). */
const RESPONSES: Record<string, string> = {
  hop: [
    'HTTP/1.1 200 OK',
    'Server: up',
    'Connection: keep-alive, X-Secret, x-other',
    'Keep-Alive: timeout=5',
    'X-Secret: 1',
    'X-Other: 2',
    'Proxy-Connection: keep-alive',
    'TE: trailers',
    'Trailer: X-T',
    'Upgrade: h2c',
    'Proxy-Authenticate: Basic',
    'set-cookie: a=1',
    'Cache-Control: no-cache',
    'SET-COOKIE: b=2',
    'x-Odd-CASE: v',
    'Content-Length: 2',
    '',
    'ok',
  ].join('\r\n'),
  spaces: [
    'HTTP/1.1 200 OK',
    'X-A:no-space',
    'X-B:   lots   ',
    'X-C:\t tab\t',
    'X-Empty:',
    'X-Empty2: ',
    'X-Plain: plain value',
    'Content-Length: 3',
    '',
    'abc',
  ].join('\r\n'),
  echo: ['HTTP/1.1 201 Created', 'Via: 1.1 inner', 'X-Request-Id: upstream-id', 'x-request-id: again', 'content-length:   1', '', 'x'].join('\r\n'),
  empty: ['HTTP/1.1 200 OK', 'Content-Length: 0', 'X-Last: 1', '', ''].join('\r\n'),
  http10: ['HTTP/1.0 200 OK', 'Content-Length: 2', 'Date: Mon, 07 Dec 2026 21:00:00 GMT', '', 'hi'].join('\r\n'),
  noreason: ['HTTP/1.1 200', 'Content-Length: 1', '', 'y'].join('\r\n'),
  custom: ['HTTP/1.1 299 Custom Thing', 'X-Dup: 1', 'X-Dup: 2', 'x-dup: 3', 'Content-Length: 1', '', 'z'].join('\r\n'),
  latin1: `HTTP/1.1 200 OK\r\nX-Name: caf\u00e9 cr\u00e8me\r\nContent-Length: 1\r\n\r\nq`,
  chunked: ['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', 'X-C: 1', '', '2', 'ok', '0', '', ''].join('\r\n'),
  obsfold: ['HTTP/1.1 200 OK', 'X-A: a', ' b', 'Content-Length: 1', '', 'x'].join('\r\n'),
  clte: ['HTTP/1.1 200 OK', 'Content-Length: 1', 'Transfer-Encoding: chunked', '', '1', 'x', '0', '', ''].join('\r\n'),
  cldup: ['HTTP/1.1 200 OK', 'Content-Length: 1', 'Content-Length: 1', '', 'x'].join('\r\n'),
  clbad: ['HTTP/1.1 200 OK', 'Content-Length: 1x', '', 'x'].join('\r\n'),
};

let upstream: Server;
let upPort = 0;
let proxy: ReverseProxy;
let port = 0;
const upSockets = new Set<Socket>();

/** Answers each request head on the connection with RESPONSES[name]: in one write, or split in two 40 ms apart. */
function serveRaw(socket: Socket): void {
  upSockets.add(socket);
  socket.on('close', () => upSockets.delete(socket));
  socket.on('error', () => undefined);
  let buf = '';
  let busy = Promise.resolve();
  socket.on('data', (chunk: Buffer) => {
    buf += chunk.toString('latin1');
    for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
      const target = buf.slice(0, buf.indexOf('\r\n')).split(' ')[1];
      buf = buf.slice(end + 4);
      const [, mode, name] = target.split('/');
      const bytes = Buffer.from(RESPONSES[name] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 'latin1');
      busy = busy.then(async () => {
        if (mode !== 'split') {
          socket.write(bytes);
          return;
        }
        // Inside the field section: the proxy's parser gets the head in two reads.
        const cut = bytes.indexOf('\r\n') + 6;
        socket.write(bytes.subarray(0, cut));
        await sleep(40);
        socket.write(bytes.subarray(cut));
      });
    }
  });
}

/** One request on a raw connection to the proxy; the response's bytes (head and body by Content-Length or chunked, or up to the close). */
async function rawExchange(request: string): Promise<string> {
  const s = connect(port, '127.0.0.1');
  try {
    let got = Buffer.alloc(0);
    return await new Promise<string>((resolve, reject) => {
      const done = (): boolean => {
        const text = got.toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        if (end < 0) return false;
        const cl = /\r\ncontent-length: *([0-9]+)/i.exec(text.slice(0, end));
        if (cl !== null && got.length >= end + 4 + Number(cl[1])) {
          resolve(text.slice(0, end + 4 + Number(cl[1])));
          return true;
        }
        if (/\r\ntransfer-encoding: chunked/i.test(text.slice(0, end)) && text.endsWith('\r\n0\r\n\r\n')) {
          resolve(text);
          return true;
        }
        return false;
      };
      s.on('data', (c: Buffer) => {
        got = Buffer.concat([got, c]);
        done();
      });
      s.on('end', () => {
        if (!done()) resolve(got.toString('latin1'));
      });
      s.on('error', reject);
      s.write(request);
    });
  } finally {
    s.destroy();
  }
}

const get = (mode: string, name: string, version = '1.1', extra = ''): Promise<string> =>
  rawExchange(`GET /${mode}/${name} HTTP/${version}\r\nHost: app.netlab.test\r\nX-Request-Id: fixed-id\r\n${extra}\r\n`);

beforeAll(async () => {
  upstream = createServer(serveRaw);
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const a = upstream.address();
  upPort = a !== null && typeof a !== 'string' ? a.port : 0;
  proxy = await proxyWith({
    listeners: [LISTENER],
    routes: [{ name: 'all', cluster: 'up' }],
    clusters: [{ name: 'up', endpoints: [{ name: 'u1', address: '127.0.0.1', port: upPort }] }],
    // The client's X-Request-Id is kept (a trusted peer), so both paths' answers can be compared whole.
    trustedProxies: ['127.0.0.0/8'],
  });
  port = proxy.address().port;
});

afterAll(async () => {
  await proxy.close();
  for (const s of upSockets) s.destroy();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

describe('relayed response head', () => {
  it('cuts the hop-by-hop lines and those Connection names, keeps the rest as received, adds Via, the request id and Content-Length', async () => {
    const r = await get('one', 'hop');
    expect(r).toBe(
      [
        'HTTP/1.1 200 OK',
        'Server: up',
        'set-cookie: a=1',
        'Cache-Control: no-cache',
        'SET-COOKIE: b=2',
        'x-Odd-CASE: v',
        'Via: 1.1 netlab',
        'X-Request-Id: fixed-id',
        'Content-Length: 2',
        '',
        'ok',
      ].join('\r\n'),
    );
  });

  it('writes a line with other whitespace around its value as "name: value"', async () => {
    const r = await get('one', 'spaces');
    expect(r.split('\r\n').slice(0, 7)).toEqual([
      'HTTP/1.1 200 OK',
      'X-A: no-space',
      'X-B: lots',
      'X-C: tab',
      'X-Empty: ',
      'X-Empty2: ',
      'X-Plain: plain value',
    ]);
  });

  it("keeps the upstream's Via before its own, gives the client one request id, and relays obs-text bytes as they came", async () => {
    expect(await get('one', 'echo')).toBe(
      ['HTTP/1.1 201 Created', 'Via: 1.1 inner', 'Via: 1.1 netlab', 'X-Request-Id: fixed-id', 'Content-Length: 1', '', 'x'].join('\r\n'),
    );
    expect(await get('one', 'latin1')).toContain('\r\nX-Name: caf\u00e9 cr\u00e8me\r\n');
  });

  it('refuses a response with broken framing or obs-fold with 502, as before', async () => {
    for (const name of ['obsfold', 'clte', 'cldup', 'clbad']) {
      const r = await get('one', name);
      expect(r.startsWith('HTTP/1.1 502 '), `${name}: ${r}`).toBe(true);
      expect(r).toContain('netlab proxy: u1: bad response');
    }
  });

  it('gives the same bytes as the head parsed and serialized again (the head split over two reads)', async () => {
    for (const name of Object.keys(RESPONSES)) {
      for (const [version, extra] of [
        ['1.1', ''],
        ['1.0', ''],
        ['1.0', 'Connection: keep-alive\r\n'],
        ['1.1', 'Connection: close\r\n'],
      ]) {
        const one = await get('one', name, version, extra);
        const split = await get('split', name, version, extra);
        expect(one, `${name} HTTP/${version} ${extra}`).toBe(split);
        expect(one.startsWith('HTTP/1.1 '), one).toBe(true);
      }
    }
  });
});

describe('relayFieldLines', () => {
  const parse = (text: string): { raw: Uint8Array | undefined; fields: readonly HttpField[] } => {
    const p = new HttpParser({ role: 'response', keepRawHead: true });
    const ev = p.push(Buffer.from(text, 'latin1')).find((e) => e.type === 'head');
    if (ev?.type !== 'head') throw new Error('no head');
    return { raw: ev.raw, fields: ev.head.fields };
  };
  const text = (parts: readonly (Uint8Array | string)[] | undefined): string =>
    (parts ?? []).map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('latin1'))).join('');

  it('hands out the field section of a head that came in one push, and none for one that came in two', () => {
    const head = 'HTTP/1.1 200 OK\r\nA: 1\r\nB:2\r\n\r\n';
    expect(Buffer.from(parse(head).raw ?? []).toString('latin1')).toBe('A: 1\r\nB:2\r\n');
    const p = new HttpParser({ role: 'response', keepRawHead: true });
    const bytes = Buffer.from(head, 'latin1');
    expect(p.push(bytes.subarray(0, 20))).toEqual([]);
    const ev = p.push(bytes.subarray(20)).find((e) => e.type === 'head');
    expect(ev?.type === 'head' && ev.raw === undefined).toBe(true);
    // Without keepRawHead the event has no raw at all.
    const plain = new HttpParser({ role: 'response' }).push(bytes)[0];
    expect(plain.type === 'head' && !('raw' in plain)).toBe(true);
  });

  it('cuts hop-by-hop, Connection-named and `also` names in any case, keeps runs of lines as views of the bytes', () => {
    const { raw, fields } = parse(
      'HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nconnection: X-Gone\r\nx-GONE: 3\r\nC:  4 \r\nTRANSFER-ENCODING: chunked\r\nD: 5\r\nX-Request-Id: u\r\n\r\n0\r\n\r\n',
    );
    if (raw === undefined) throw new Error('no raw');
    const parts = relayFieldLines(raw, fields, new Set(['x-request-id', 'content-length']));
    expect(text(parts)).toBe('A: 1\r\nB: 2\r\nC: 4\r\nD: 5\r\n');
    // A: and B: come as one view of the received bytes; C is rewritten; D is a view again.
    expect(parts?.map((p) => (typeof p === 'string' ? 'text' : 'bytes'))).toEqual(['bytes', 'text', 'bytes']);
  });

  it('refuses bytes that are not the lines of the fields', () => {
    const { raw, fields } = parse('HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n');
    if (raw === undefined) throw new Error('no raw');
    expect(relayFieldLines(raw.subarray(0, raw.length - 4), fields)).toBeUndefined();
    expect(relayFieldLines(raw, fields.slice(1))).toBeUndefined();
  });
});

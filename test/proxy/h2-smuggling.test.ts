// HTTP/2 request smuggling through the proxy, each case sent as raw frames (HPACK literals, no
// Huffman) so that what nghttp2 and node:http2 clients refuse to send can be sent anyway. Every
// case must be refused (RST_STREAM PROTOCOL_ERROR, GOAWAY, or a 400) without a byte of it reaching
// the upstream. Each case names the layer that refuses it: "nghttp2" (the HTTP messaging checks of
// the library under node:http2, before any JavaScript sees the stream) or "netlab" (src/proxy/h2-map.ts
// and the DATA accounting in src/proxy/h2-front.ts). The unit tests at the end run netlab's checks on
// their own, so each holds even where nghttp2 would let the request through.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { h2RequestHead } from '../../src/proxy/h2-map.ts';
import { huffmanEncode } from '../../src/wire/hpack.ts';
import type { ReverseProxy } from '../../src/proxy/index.ts';
import { FLAG, FRAME, frame, getHeaders, hpack, rawExchange } from './h2-helpers.ts';
import { proxyWith, startUpstream, type Upstream } from './helpers.ts';

let up: Upstream;
let proxy: ReverseProxy;
const refused: string[] = [];

beforeAll(async () => {
  up = await startUpstream('u1');
  proxy = await proxyWith(
    {
      listeners: [{ name: 'plain', address: '127.0.0.1', port: 0, protocols: ['h2c', 'http/1.1'] }],
      routes: [{ name: 'all', cluster: 'c' }],
      clusters: [{ name: 'c', endpoints: [{ name: 'u1', address: '127.0.0.1', port: up.port }] }],
    },
    { onEvent: (e) => (e.type === 'h2-refused' ? refused.push(e.reason) : undefined) },
  );
});

afterAll(async () => {
  await proxy.close(500);
  await up.close();
});

const PROTOCOL_ERROR = 1;

function headers(fields: [string, string][], endStream = true): Buffer {
  return frame(FRAME.HEADERS, FLAG.END_HEADERS | (endStream ? FLAG.END_STREAM : 0), 1, hpack(fields));
}

/** `by`: the layer expected to refuse; netlab's refusals are reported as h2-refused events, nghttp2's are not. */
async function expectRefused(
  frames: Buffer[],
  by: 'nghttp2' | 'netlab',
): Promise<{ rstCode: number | undefined; goawayCode: number | undefined; status: number | undefined }> {
  up.seen.length = 0;
  refused.length = 0;
  const r = await rawExchange(proxy.address('plain').port, frames);
  if (by === 'netlab') expect(refused).toHaveLength(1);
  else expect(refused).toEqual([]);
  const refusedSomehow = r.rstCode === PROTOCOL_ERROR || r.goawayCode === PROTOCOL_ERROR || r.status === 400;
  expect(refusedSomehow, `frames back: ${r.frames.map((f) => f.type).join(',')}`).toBe(true);
  expect(up.seen).toEqual([]);
  return r;
}

describe('a good raw request is answered (the harness itself works)', () => {
  it('GET with literal fields gets 200 from the upstream', async () => {
    up.seen.length = 0;
    const r = await rawExchange(proxy.address('plain').port, [headers(getHeaders('/ok'))]);
    expect(r.status).toBe(200);
    expect(up.seen.map((s) => s.target)).toEqual(['/ok']);
  });
});

describe('smuggling attempts are refused on the wire', () => {
  it('Content-Length larger than the DATA sent (refused by: nghttp2)', async () => {
    await expectRefused(
      [headers([...getHeaders('/cl'), ['content-length', '10']], false), frame(FRAME.DATA, FLAG.END_STREAM, 1, Buffer.from('abc'))],
      'nghttp2',
    );
  });

  it('Content-Length smaller than the DATA sent (refused by: nghttp2)', async () => {
    await expectRefused(
      [headers([...getHeaders('/cl'), ['content-length', '2']], false), frame(FRAME.DATA, FLAG.END_STREAM, 1, Buffer.from('abcdef'))],
      'nghttp2',
    );
  });

  // A regular field whose value has CR, LF, NUL or leading/trailing whitespace is malformed (RFC 9113
  // §8.2.1). nghttp2 flags it, but node:http2 (Node 20) tells nghttp2 to drop the field and go on; netlab's
  // guard (src/proxy/h2-guard.ts) decodes the header block itself before nghttp2 reads it and the front
  // resets the stream with PROTOCOL_ERROR.
  for (const [what, value] of [
    ['CR LF', 'b\r\nTransfer-Encoding: chunked'],
    ['NUL', 'b\0c'],
    ['leading whitespace', ' padded'],
    ['trailing whitespace', 'padded\t'],
    ['a lone CR', 'a\rb'],
  ] as const) {
    it(`${what} inside a field value (refused by: netlab)`, async () => {
      const r = await expectRefused([headers([...getHeaders('/bad-value'), ['x-a', value]])], 'netlab');
      expect(r.rstCode).toBe(PROTOCOL_ERROR);
      expect(refused[0]).toContain('RFC 9113 §8.2.1');
    });
  }

  it('CR LF in a Huffman-coded value, in a CONTINUATION frame, after a dynamic-table entry (refused by: netlab)', async () => {
    // Stream 1 (refused) first adds "x-ok: fine" to the dynamic table; the bad value is Huffman-coded
    // and sits in a CONTINUATION frame; a literal referring to the table entry comes after it.
    const first = Buffer.concat([hpack(getHeaders('/huff')), Buffer.from([0x40, 0x04]), Buffer.from('x-ok'), Buffer.from([0x04]), Buffer.from('fine')]);
    const code = huffmanEncode('v\r\nx-evil: 1');
    const second = Buffer.concat([Buffer.from([0x00, 0x03]), Buffer.from('x-h'), Buffer.from([0x80 | code.length]), code, Buffer.from([0xbe])]);
    await expectRefused([frame(FRAME.HEADERS, FLAG.END_STREAM, 1, first), frame(9, FLAG.END_HEADERS, 1, second)], 'netlab');
  });

  it('a good request after a refused one on the same connection is answered', async () => {
    up.seen.length = 0;
    const bad = headers([...getHeaders('/bad'), ['x-a', ' b']]);
    const good = frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 3, hpack(getHeaders('/after')));
    const r = await rawExchange(proxy.address('plain').port, [bad, good], 1500, 3);
    expect(r.status).toBe(200);
    expect(r.frames.some((f) => f.type === FRAME.RST_STREAM && f.stream === 1 && f.payload.readUInt32BE(0) === PROTOCOL_ERROR)).toBe(true);
    expect(up.seen.map((x) => x.target)).toEqual(['/after']);
  });

  it('an upper-case field name (refused by: nghttp2)', async () => {
    await expectRefused([headers([...getHeaders('/uc'), ['X-Upper', 'v']])], 'nghttp2');
  });

  for (const [name, value] of [
    ['connection', 'keep-alive'],
    ['keep-alive', 'timeout=5'],
    ['proxy-connection', 'keep-alive'],
    ['transfer-encoding', 'chunked'],
    ['upgrade', 'websocket'],
    ['te', 'gzip'],
  ] as const) {
    it(`connection-specific field ${name}: ${value} (refused by: nghttp2)`, async () => {
      await expectRefused([headers([...getHeaders('/hop'), [name, value]])], 'nghttp2');
    });
  }

  it('a pseudo-header after a regular field (refused by: nghttp2)', async () => {
    await expectRefused(
      [
        headers([
          [':method', 'GET'],
          [':scheme', 'http'],
          ['x-a', 'b'],
          [':path', '/late'],
        ]),
      ],
      'nghttp2',
    );
  });

  it('an unknown pseudo-header (refused by: nghttp2)', async () => {
    await expectRefused([headers([...getHeaders('/unk'), [':foo', 'bar']])], 'nghttp2');
  });

  it('an empty :path, and * for GET (refused by: nghttp2)', async () => {
    await expectRefused([headers(getHeaders(''))], 'nghttp2');
    await expectRefused([headers(getHeaders('*'))], 'nghttp2');
  });

  it(':path not in origin form (refused by: nghttp2)', async () => {
    await expectRefused([headers(getHeaders('http://evil.test/x'))], 'nghttp2');
  });

  it(':authority and Host that differ (refused by: netlab)', async () => {
    await expectRefused([headers([...getHeaders('/host', 'app.netlab.test'), ['host', 'admin.netlab.test']])], 'netlab');
  });

  it('Content-Length on a HEADERS frame that ends the stream (refused by: nghttp2)', async () => {
    await expectRefused([headers([...getHeaders('/cl0'), ['content-length', '5']], true)], 'nghttp2');
  });
});

describe('netlab checks on their own (h2-map.ts), whatever nghttp2 did before them', () => {
  const base = ['method', ':method', 'GET', ':scheme', 'http', ':authority', 'a.test', ':path', '/'].slice(1);
  const check = (extra: string[], endStream = true) => h2RequestHead([...base, ...extra], { endStream, maxHeaderListBytes: 16384 });

  it('accepts a plain request and maps it to an HTTP/2 head', () => {
    const r = check(['cookie', 'a=1', 'cookie', 'b=2', 'accept', '*/*']);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.head).toMatchObject({ method: 'GET', target: '/', version: '2', authority: 'a.test', framing: { kind: 'none' } });
    expect(r.head.fields).toEqual([
      { name: 'accept', value: '*/*' },
      { name: 'cookie', value: 'a=1; b=2' },
    ]);
  });

  it.each([
    [['x-a', 'b\r\nc'], 'CR, LF or NUL'],
    [['x-a', 'b\0'], 'CR, LF or NUL'],
    [['x-a', ' b'], 'whitespace'],
    [['X-A', 'b'], 'lower-case token'],
    [['connection', 'close'], 'connection-specific'],
    [['transfer-encoding', 'chunked'], 'connection-specific'],
    [['te', 'gzip'], 'TE'],
    [['host', 'b.test'], 'differ'],
    [[':path', '/again'], 'after a regular field'],
  ])('refuses %j (%s)', (extra, words) => {
    const r = check(['x-first', '1', ...extra]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(words);
  });

  it('refuses an unknown pseudo-header, a non-origin :path and * outside OPTIONS', () => {
    expect(
      h2RequestHead([':method', 'GET', ':scheme', 'http', ':path', '/', ':protocol', 'websocket'], { endStream: true, maxHeaderListBytes: 16384 }).ok,
    ).toBe(false);
    expect(h2RequestHead([':method', 'GET', ':scheme', 'http', ':path', 'x'], { endStream: true, maxHeaderListBytes: 16384 }).ok).toBe(false);
    expect(h2RequestHead([':method', 'GET', ':scheme', 'http', ':path', '*'], { endStream: true, maxHeaderListBytes: 16384 }).ok).toBe(false);
    expect(h2RequestHead([':method', 'OPTIONS', ':scheme', 'http', ':path', '*'], { endStream: true, maxHeaderListBytes: 16384 }).ok).toBe(true);
  });

  it('answers 431 for a header list over the bound', () => {
    const r = h2RequestHead([...base, 'x-big', 'v'.repeat(400)], { endStream: true, maxHeaderListBytes: 300 });
    expect(r).toMatchObject({ ok: false, status: 431 });
  });

  it('refuses Content-Length with END_STREAM on HEADERS, and two different Content-Lengths', () => {
    expect(check(['content-length', '3']).ok).toBe(false);
    expect(check(['content-length', '3', 'content-length', '4'], false).ok).toBe(false);
    expect(check(['content-length', '3'], false)).toMatchObject({ ok: true, head: { framing: { kind: 'length', length: 3 } } });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeChunk,
  encodeChunkedBody,
  encodeLastChunk,
  HttpParser,
  latin1Bytes,
  serializeRequestHead,
  serializeResponseHead,
  type HttpEvent,
  type HttpField,
  type HttpLimits,
  type HttpParserRole,
  type HttpRequestHead,
  type HttpResponseHead,
} from '../../src/wire/http.ts';
import { CORPUS, CORPUS_LIMITS } from '../http/corpus.ts';

/** Events with adjacent data joined, so differently split inputs compare equal. */
type Flat = { type: string; [k: string]: unknown };

function flatten(events: HttpEvent[]): Flat[] {
  const out: Flat[] = [];
  for (const ev of events) {
    if (ev.type === 'data') {
      const last = out[out.length - 1];
      const text = Buffer.from(ev.bytes).toString('latin1');
      if (last !== undefined && last.type === 'data') last.text = (last.text as string) + text;
      else out.push({ type: 'data', text });
    } else out.push(JSON.parse(JSON.stringify(ev)) as Flat);
  }
  return out;
}

function parseChunks(chunks: Uint8Array[], role: HttpParserRole = 'request', limits?: Partial<HttpLimits>, methods: string[] = [], finish = false): Flat[] {
  const p = new HttpParser({ role, limits });
  for (const m of methods) p.expectResponse(m);
  const events: HttpEvent[] = [];
  for (const c of chunks) events.push(...p.push(c));
  if (finish) events.push(...p.finish());
  return flatten(events);
}

function parseAll(text: string, role: HttpParserRole = 'request', limits?: Partial<HttpLimits>, methods: string[] = []): Flat[] {
  return parseChunks([latin1Bytes(text)], role, limits, methods);
}

function heads(events: Flat[]): Record<string, unknown>[] {
  return events.filter((e) => e.type === 'head').map((e) => e.head as Record<string, unknown>);
}

function verdictOf(events: Flat[]): { code: string; status: number; offset: number } | undefined {
  const e = events.find((x) => x.type === 'error');
  return e === undefined ? undefined : (e.verdict as { code: string; status: number; offset: number });
}

describe('HttpParser: the RFC 9112 request-target forms (§3.2 examples)', () => {
  it('origin-form', () => {
    const [h] = heads(parseAll('GET /where?q=now HTTP/1.1\r\nHost: www.example.org\r\n\r\n'));
    expect(h).toMatchObject({ method: 'GET', target: '/where?q=now', targetForm: 'origin', version: '1.1', authority: 'www.example.org', keepAlive: true });
  });
  it('absolute-form: the authority comes from the target, not Host', () => {
    const [h] = heads(parseAll('GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1\r\nHost: other\r\n\r\n'));
    expect(h).toMatchObject({ targetForm: 'absolute', authority: 'www.example.org' });
  });
  it('authority-form for CONNECT, then the parser pauses', () => {
    const p = new HttpParser({ role: 'request' });
    const ev = flatten(p.push(latin1Bytes('CONNECT www.example.com:80 HTTP/1.1\r\nHost: www.example.com:80\r\n\r\nTUNNEL BYTES')));
    expect(heads(ev)[0]).toMatchObject({ targetForm: 'authority', authority: 'www.example.com:80' });
    expect(ev.map((e) => e.type)).toEqual(['head', 'end', 'paused']);
    expect(p.state).toBe('paused');
    expect(Buffer.from(p.detach()).toString()).toBe('TUNNEL BYTES');
  });
  it('asterisk-form for OPTIONS', () => {
    expect(heads(parseAll('OPTIONS * HTTP/1.1\r\nHost: www.example.org:8001\r\n\r\n'))[0]).toMatchObject({ targetForm: 'asterisk' });
  });
});

describe('HttpParser: bodies', () => {
  it('decodes the chunked example body with extensions and trailers', () => {
    const ev = parseAll(
      'POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4;a=b\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n',
    );
    expect(ev.filter((e) => e.type === 'data').map((e) => e.text)).toEqual(['Wikipedia in\r\n\r\nchunks.']);
    expect(ev.find((e) => e.type === 'trailers')).toEqual({ type: 'trailers', fields: [{ name: 'Expires', value: 'never' }] });
    expect(ev[ev.length - 1].type).toBe('end');
  });

  it('keeps field order and raw name case', () => {
    const [h] = heads(parseAll('GET / HTTP/1.1\r\nhOsT: a\r\nX-B:  two words \t\r\nx-a: 1\r\n\r\n'));
    expect(h.fields).toEqual([
      { name: 'hOsT', value: 'a' },
      { name: 'X-B', value: 'two words' },
      { name: 'x-a', value: '1' },
    ]);
  });

  it('parses pipelined requests in order', () => {
    const ev = parseAll('GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(heads(ev).map((h) => h.target)).toEqual(['/1', '/2', '/3']);
    expect(ev.filter((e) => e.type === 'end')).toHaveLength(3);
  });

  it('HTTP/1.0: keep-alive only when asked; Expect ignored', () => {
    expect(heads(parseAll('GET / HTTP/1.0\r\n\r\n'))[0]).toMatchObject({ keepAlive: false });
    expect(heads(parseAll('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'))[0]).toMatchObject({ keepAlive: true });
    expect(heads(parseAll('POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n'))[0]).toMatchObject({ expectContinue: false });
    expect(heads(parseAll('POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 0\r\n\r\n'))[0]).toMatchObject({ expectContinue: true });
  });

  it('ignores what follows a request with Connection: close', () => {
    const p = new HttpParser({ role: 'request' });
    const ev = flatten(p.push(latin1Bytes('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n')));
    expect(heads(ev)).toHaveLength(1);
    expect(p.state).toBe('done');
    expect(p.push(latin1Bytes('GET /3 HTTP/1.1\r\n'))).toEqual([]);
  });

  it('Upgrade: pauses after the request; resume() goes on with HTTP when the server declines', () => {
    const p = new HttpParser({ role: 'request' });
    const ev = flatten(
      p.push(latin1Bytes('GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n')),
    );
    expect(heads(ev)[0]).toMatchObject({ upgrade: ['websocket'] });
    expect(ev[ev.length - 1]).toEqual({ type: 'paused', reason: 'upgrade' });
    expect(heads(flatten(p.resume()))[0]).toMatchObject({ target: '/next' });
  });
});

describe('HttpParser: responses (RFC 9112 §6.3)', () => {
  it('HEAD, 204 and 304 have no body whatever the fields say', () => {
    const ev = parseAll(
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n',
      'response',
      undefined,
      ['HEAD', 'GET', 'GET'],
    );
    expect(heads(ev).map((h) => h.status)).toEqual([200, 204, 304]);
    expect(ev.some((e) => e.type === 'data')).toBe(false);
  });

  it('1xx responses come before the final one for the same request', () => {
    const ev = parseAll(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
      'response',
      undefined,
      ['POST', 'HEAD'],
    );
    expect(heads(ev).map((h) => [h.status, h.requestMethod])).toEqual([
      [100, 'POST'],
      [103, 'POST'],
      [200, 'POST'],
      [200, 'HEAD'],
    ]);
  });

  it('a body without length runs until close; finish() ends it', () => {
    const ev = parseChunks([latin1Bytes('HTTP/1.0 200 OK\r\n\r\nall of'), latin1Bytes(' this')], 'response', undefined, ['GET'], true);
    expect(ev.map((e) => e.type)).toEqual(['head', 'data', 'end']);
    expect(ev[1].text).toBe('all of this');
    expect(heads(ev)[0]).toMatchObject({ keepAlive: false, framing: { kind: 'close' } });
  });

  it('101 pauses; detach() hands over the bytes after it', () => {
    const p = new HttpParser({ role: 'response' });
    p.expectResponse('GET');
    const ev = flatten(p.push(latin1Bytes('HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x05hello')));
    expect(ev.map((e) => e.type)).toEqual(['head', 'end', 'paused']);
    expect(Buffer.from(p.detach()).toString('latin1')).toBe('\x81\x05hello');
  });

  it('a bad response gets 502 verdicts', () => {
    expect(verdictOf(parseAll('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 'response'))).toMatchObject({
      code: 'cl-duplicate',
      status: 502,
    });
    expect(verdictOf(parseAll('HTTP/1.1 2000 OK\r\n\r\n', 'response'))).toMatchObject({ code: 'status-line-invalid', status: 502 });
    expect(verdictOf(parseAll('HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n', 'response'))).toMatchObject({ code: 'obs-fold', status: 502 });
  });

  it('response framing the client refuses (a proxy answers 502 and drops the connection)', () => {
    const cases: [string, string][] = [
      ['HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 'cl-with-te'],
      ['HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'te-http10'],
      ['HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\n', 'cl-invalid'],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n', 'chunk-size-invalid'],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n', 'chunk-data-crlf-missing'],
      ['HTTP/1.1 200 OK\r\nX-A : b\r\nContent-Length: 0\r\n\r\n', 'space-before-colon'],
      ['HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n', 'bare-cr'],
    ];
    for (const [text, code] of cases) expect(verdictOf(parseAll(text, 'response')), code).toMatchObject({ code, status: 502 });
  });

  it('keep-alive in responses: 1.1 unless close, 1.0 only when asked and delimited', () => {
    const k = (t: string): unknown => heads(parseAll(t, 'response', undefined, ['GET']))[0]?.keepAlive;
    expect(k('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')).toBe(true);
    expect(k('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')).toBe(false);
    expect(k('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n')).toBe(true);
    expect(k('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n')).toBe(false);
    expect(k('HTTP/1.1 200 OK\r\n\r\n')).toBe(false);
  });

  it('a connection closed mid-body is an incomplete message', () => {
    const ev = parseChunks([latin1Bytes('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc')], 'response', undefined, ['GET'], true);
    expect(verdictOf(ev)).toMatchObject({ code: 'incomplete-message' });
  });
});

describe('HttpParser: limits and refusal', () => {
  it('414, 431 and 413 with the configured bounds', () => {
    expect(verdictOf(parseAll(`GET /${'a'.repeat(100)} HTTP/1.1\r\n`, 'request', { maxStartLineBytes: 50 }))).toMatchObject({ status: 414 });
    expect(verdictOf(parseAll('GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n', 'request', { maxHeaderCount: 2 }))).toMatchObject({
      status: 431,
      code: 'too-many-fields',
    });
    expect(verdictOf(parseAll(`GET / HTTP/1.1\r\nHost: a\r\nA: ${'x'.repeat(100)}`, 'request', { maxHeaderBytes: 64 }))).toMatchObject({ status: 431 });
    expect(verdictOf(parseAll('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n', 'request', { maxBodyBytes: 10 }))).toMatchObject({ status: 413 });
    expect(
      verdictOf(parseAll('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\n', 'request', { maxBodyBytes: 10 })),
    ).toMatchObject({ status: 413 });
  });

  it('refuses all input after a verdict, however much more comes', () => {
    const p = new HttpParser({ role: 'request' });
    const ev = p.push(latin1Bytes('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'));
    expect(ev.map((e) => e.type)).toEqual(['error']);
    expect(p.state).toBe('failed');
    expect(p.push(latin1Bytes('GET / HTTP/1.1\r\nHost: a\r\n\r\n'))).toEqual([]);
    expect(p.verdict?.code).toBe('host-duplicate');
  });

  it('gives every corpus case the verdict the corpus expects', () => {
    for (const c of CORPUS) {
      const ev = parseAll(c.raw.replaceAll('{path}', '/p'), 'request', CORPUS_LIMITS);
      const v = verdictOf(ev);
      if (c.expect.refuse && c.expect.code !== 'expectation') expect(v, c.id).toMatchObject({ code: c.expect.code, status: c.expect.status });
      else if (c.expect.refuse) expect(heads(ev)[0]?.unsupportedExpectation, c.id).toBeDefined();
      else expect(v, c.id).toBeUndefined();
    }
  });
});

describe('HttpParser: streaming (the same events however the bytes are split)', () => {
  const samples = [
    'POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4;a="q\\"x"\r\nWiki\r\n5\r\npedia\r\n0\r\nT: 1\r\n\r\nGET /y HTTP/1.1\r\nHost: h\r\n\r\n',
    '\r\nPUT /z HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789',
    ...CORPUS.map((c) => c.raw.replaceAll('{path}', '/p')),
  ];

  it('split once at every byte boundary (every 61st in the few samples over 2 KB)', () => {
    for (const s of samples) {
      const bytes = latin1Bytes(s);
      const whole = parseChunks([bytes]);
      const step = bytes.length > 2048 ? 61 : 1;
      for (let i = 1; i < bytes.length; i += step) {
        expect(parseChunks([bytes.subarray(0, i), bytes.subarray(i)]), `${JSON.stringify(s.slice(0, 40))} split at ${i}`).toEqual(whole);
      }
    }
  });

  it('one byte at a time', () => {
    for (const s of samples) {
      const bytes = latin1Bytes(s);
      const singles = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
      expect(parseChunks(singles), JSON.stringify(s.slice(0, 40))).toEqual(parseChunks([bytes]));
    }
  });
});

const tokenArb = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
const valueArb = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e\t]{0,20}[\x21-\x7e])?$/);
const pathArb = fc.stringMatching(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]{0,30}(\?[A-Za-z0-9=&/?]{0,10})?$/);
const RESERVED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade', 'te', 'trailer', 'keep-alive']);
const fieldArb = fc.record({ name: tokenArb, value: valueArb }).filter((f) => !RESERVED.has(f.name.toLowerCase().replace(/_/g, '-')) && !f.name.includes('_'));

describe('round trip: serialize, parse in random pieces (fast-check)', () => {
  it('requests with Content-Length or chunked bodies come back identical', () => {
    fc.assert(
      fc.property(
        tokenArb,
        pathArb,
        fc.array(fieldArb, { maxLength: 8 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fieldArb, { maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
        (method, target, extra, body, chunked, chunkSize, trailers, cuts) => {
          const fields: HttpField[] = [{ name: 'Host', value: 'example.test' }, ...extra];
          fields.push(chunked ? { name: 'Transfer-Encoding', value: 'chunked' } : { name: 'Content-Length', value: String(body.length) });
          const head = serializeRequestHead({ method, target, fields });
          const wire = Buffer.concat([head, chunked ? encodeChunkedBody(body, chunkSize, trailers) : body]);
          const chunks: Uint8Array[] = [];
          let at = 0;
          for (let i = 0; at < wire.length; i++) {
            const n = cuts[i % cuts.length];
            chunks.push(wire.subarray(at, at + n));
            at += n;
          }
          const ev = parseChunks(chunks);
          const h = heads(ev)[0] as unknown as HttpRequestHead;
          expect(verdictOf(ev)).toBeUndefined();
          expect(h.method).toBe(method);
          expect(h.target).toBe(target);
          expect(h.fields).toEqual(fields);
          const data = ev
            .filter((e) => e.type === 'data')
            .map((e) => e.text as string)
            .join('');
          expect(data).toBe(Buffer.from(body).toString('latin1'));
          const tr = ev.find((e) => e.type === 'trailers');
          if (chunked && trailers.length > 0) expect(tr?.fields).toEqual(trailers);
          expect(ev[ev.length - 1].type).toBe('end');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('responses round trip too', () => {
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 599 }), fc.array(fieldArb, { maxLength: 6 }), fc.uint8Array({ maxLength: 200 }), (status, extra, body) => {
        const bodyless = status === 204 || status === 304;
        const fields = [...extra, { name: 'Content-Length', value: String(bodyless ? 0 : body.length) }];
        const wire = Buffer.concat([serializeResponseHead({ status, fields }), bodyless ? new Uint8Array(0) : body]);
        const ev = parseChunks([wire], 'response', undefined, ['GET']);
        const h = heads(ev)[0] as unknown as HttpResponseHead;
        expect(h.status).toBe(status);
        expect(h.fields).toEqual(fields);
        const data = ev
          .filter((e) => e.type === 'data')
          .map((e) => e.text as string)
          .join('');
        expect(data).toBe(bodyless ? '' : Buffer.from(body).toString('latin1'));
      }),
      { numRuns: 200 },
    );
  });
});

describe('serializer refuses what the parser would refuse', () => {
  it('bad names, values, targets, chunks', () => {
    expect(() => serializeRequestHead({ method: 'GET', target: '/', fields: [{ name: 'Bad Name', value: 'x' }] })).toThrow(/not a token/);
    expect(() => serializeRequestHead({ method: 'GET', target: '/', fields: [{ name: 'X', value: 'a\r\nInjected: 1' }] })).toThrow(/0xd/);
    expect(() => serializeRequestHead({ method: 'GET', target: '/a b', fields: [] })).toThrow(/whitespace/);
    expect(() => serializeRequestHead({ method: 'G T', target: '/', fields: [] })).toThrow(/method/);
    expect(() => serializeResponseHead({ status: 99, fields: [] })).toThrow(/100..599/);
    expect(() => encodeChunk(new Uint8Array(0))).toThrow(/last chunk/);
    expect(Buffer.from(encodeChunk(latin1Bytes('abc'), [{ name: 'n', value: 'a b' }])).toString()).toBe('3;n="a b"\r\nabc\r\n');
    expect(Buffer.from(encodeLastChunk([{ name: 'T', value: 'v' }])).toString()).toBe('0\r\nT: v\r\n\r\n');
  });
});

describe('malformed input is reported, never thrown', () => {
  it('random bytes in random pieces: no throw, at most one verdict and nothing after it', () => {
    const alphabet = fc.constantFrom(...'GET /HTP1.\r\n: \t0123456789abcdefxX;="\\,chunkedContent-LengthTransfer-EncodingHost\x00\x7f\xff'.split(''));
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom<HttpParserRole>('request', 'response'),
        (chars, cuts, role) => {
          const bytes = latin1Bytes(chars.join(''));
          const p = new HttpParser({ role, limits: { maxHeaderBytes: 200, maxStartLineBytes: 100, maxBodyBytes: 1000 } });
          const events: HttpEvent[] = [];
          let at = 0;
          for (let i = 0; at < bytes.length; i++) {
            const n = cuts[i % cuts.length];
            if (p.state === 'paused') events.push(...p.resume());
            events.push(...p.push(bytes.subarray(at, at + n)));
            at += n;
          }
          if (p.state !== 'paused' && p.state !== 'detached') events.push(...p.finish());
          const errors = events.filter((e) => e.type === 'error');
          expect(errors.length).toBeLessThanOrEqual(1);
          if (errors.length === 1) {
            expect(events[events.length - 1].type).toBe('error');
            expect(p.state).toBe('failed');
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

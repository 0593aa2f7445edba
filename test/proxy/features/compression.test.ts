// Accept-Encoding negotiation tables (RFC 9110 §12.5.3), the proxy's compression rules, the header
// changes, and bodies round-tripped through node:zlib's gzip and brotli.

import { Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  addVary,
  type Coding,
  compressedHeaders,
  compressionDecision,
  createCompressor,
  createDecompressor,
  negotiateEncoding,
  parseAcceptEncoding,
} from '../../../src/proxy/features/compression.ts';

describe('Accept-Encoding negotiation', () => {
  const table: [string | undefined, Coding | undefined, boolean][] = [
    [undefined, undefined, true],
    ['', undefined, true],
    ['gzip', 'gzip', true],
    ['gzip, br', 'br', true],
    ['gzip, deflate, br, zstd', 'br', true],
    ['gzip;q=1.0, br;q=0.5', 'gzip', true],
    ['br;q=0, gzip;q=0.001', 'gzip', true],
    ['*', 'br', true],
    ['*;q=0.5, gzip', 'gzip', true],
    ['*;q=0.5, br;q=0.2', 'gzip', true],
    ['*;q=0', undefined, false],
    ['*;q=0, identity', undefined, true],
    ['identity;q=0', undefined, false],
    ['identity', undefined, true],
    ['deflate', undefined, true],
    ['x-gzip', 'gzip', true],
    ['GZIP ; Q=0.8', 'gzip', true],
    ['gzip;q=1.5', undefined, true],
    ['gzip,,br', 'br', true],
    ['br;q=0.', undefined, true],
  ];
  it.each(table)('%j → %s (identity acceptable: %s)', (value, coding, identity) => {
    expect(negotiateEncoding(value)).toEqual({ coding, identityAcceptable: identity });
  });

  it('honours the offer list and its order', () => {
    expect(negotiateEncoding('gzip, br', ['gzip'])).toEqual({ coding: 'gzip', identityAcceptable: true });
    expect(negotiateEncoding('gzip, br', ['gzip', 'br']).coding).toBe('gzip');
  });

  it('reports members that break the grammar, keeping the rest', () => {
    const a = parseAcceptEncoding(['gzip;q=0.1234, br', 'deflate;level=3', 'g zip', 'identity;q=1.000']);
    expect(a.entries).toEqual([
      { coding: 'br', q: 1 },
      { coding: 'identity', q: 1 },
    ]);
    expect(a.problems).toEqual([
      '"gzip;q=0.1234": q=0.1234 is not a qvalue (0 to 1, three decimals at most)',
      '"deflate;level=3": parameter "level=3" is not a weight (q=)',
      '"g zip": "g zip" is not a coding name',
    ]);
  });
});

describe('compression rules', () => {
  const base = {
    method: 'GET',
    status: 200,
    requestHeaders: { 'accept-encoding': 'gzip, br' },
    responseHeaders: { 'content-type': 'text/html; charset=utf-8', 'content-length': '5000' },
  };
  const decide = (patch: { method?: string; status?: number; req?: object; res?: object }) =>
    compressionDecision(
      {
        method: patch.method ?? base.method,
        status: patch.status ?? base.status,
        requestHeaders: { ...base.requestHeaders, ...patch.req },
        responseHeaders: { ...base.responseHeaders, ...patch.res },
      },
      { minSize: 1024 },
    );

  it('compresses an eligible response with the negotiated coding', () => {
    expect(decide({})).toEqual({ compress: true, coding: 'br', vary: true });
    expect(decide({ req: { 'accept-encoding': 'gzip' }, res: { 'content-type': 'application/json' } })).toEqual({ compress: true, coding: 'gzip', vary: true });
    expect(decide({ res: { 'content-length': undefined } })).toMatchObject({ compress: true }); // unknown length (chunked)
  });

  it.each([
    [{ method: 'HEAD' }, 'no-body', false],
    [{ status: 204 }, 'no-body', false],
    [{ status: 304 }, 'no-body', false],
    [{ status: 206 }, 'partial-content', false],
    [{ res: { 'content-range': 'bytes 0-99/5000' } }, 'partial-content', false],
    [{ res: { 'content-encoding': 'gzip' } }, 'already-encoded', false],
    [{ res: { 'cache-control': 'public, no-transform' } }, 'no-transform', false],
    [{ req: { 'cache-control': 'no-transform' } }, 'no-transform', false],
    [{ res: { 'content-type': 'image/png' } }, 'type-not-listed', false],
    [{ res: { 'content-type': undefined } }, 'type-not-listed', false],
    [{ res: { 'content-length': '1023' } }, 'too-small', false],
    [{ req: { 'accept-encoding': 'identity' } }, 'not-accepted', true],
    [{ req: { 'accept-encoding': undefined } }, 'not-accepted', true],
  ] as const)('%j → not compressed (%s), Vary %s', (patch, reason, vary) => {
    expect(decide(patch)).toEqual({ compress: false, reason, vary });
  });

  it('compresses identity-encoded responses and a body of exactly the minimum', () => {
    expect(decide({ res: { 'content-encoding': 'identity', 'content-length': '1024' } })).toMatchObject({ compress: true });
  });

  it('refuses bad options', () => {
    expect(() => compressionDecision({ ...base }, { minSize: -1 })).toThrow(/minSize/);
    expect(() => compressionDecision({ ...base }, { codings: ['zstd' as Coding] })).toThrow(/unknown coding "zstd"/);
    expect(() => compressionDecision({ ...base }, { types: ['html'] })).toThrow(/"html" is not type\/subtype/);
  });
});

describe('header changes', () => {
  it('adds Vary once, keeps *', () => {
    expect(addVary(undefined)).toBe('Accept-Encoding');
    expect(addVary('Origin')).toBe('Origin, Accept-Encoding');
    expect(addVary('origin, accept-encoding')).toBe('origin, accept-encoding');
    expect(addVary('*')).toBe('*');
    expect(addVary(['Origin', 'Cookie'])).toBe('Origin, Cookie, Accept-Encoding');
  });

  it('sets Content-Encoding, drops Content-Length, weakens a strong ETag', () => {
    const h = { 'content-type': 'text/html', 'content-length': '5000', etag: '"abc"', vary: 'Origin' };
    expect(compressedHeaders(h, { compress: true, coding: 'gzip', vary: true })).toEqual({
      'content-type': 'text/html',
      etag: 'W/"abc"',
      vary: 'Origin, Accept-Encoding',
      'content-encoding': 'gzip',
    });
    expect(compressedHeaders({ etag: 'W/"x"' }, { compress: true, coding: 'br', vary: true }).etag).toBe('W/"x"');
    expect(compressedHeaders(h, { compress: false, reason: 'not-accepted', vary: true })).toEqual({ ...h, vary: 'Origin, Accept-Encoding' });
    expect(compressedHeaders(h, { compress: false, reason: 'too-small', vary: false })).toEqual(h);
  });
});

describe('streaming compressors', () => {
  const body = Buffer.from('<p>netlab compresses this line.</p>\n'.repeat(2000));
  async function through(chunks: Buffer[], t: Transform): Promise<Buffer> {
    const out: Buffer[] = [];
    const sink = new Writable({
      write(c: Buffer, _enc, done) {
        out.push(c);
        done();
      },
    });
    await pipeline(Readable.from(chunks), t, sink);
    return Buffer.concat(out);
  }
  const chunks = (): Buffer[] => Array.from({ length: 10 }, (_, i) => body.subarray(i * 7200, (i + 1) * 7200));

  it.each(['gzip', 'br'] as const)('%s: a body in chunks round-trips, and is much smaller on the wire', async (coding) => {
    const packed = await through(chunks(), createCompressor(coding, { sizeHint: body.length }));
    expect(packed.length).toBeLessThan(body.length / 20);
    const plain = coding === 'gzip' ? gunzipSync(packed) : brotliDecompressSync(packed);
    expect(plain.equals(body)).toBe(true);
    expect((await through([packed], createDecompressor(coding))).equals(body)).toBe(true);
  });

  it('refuses levels out of range', () => {
    expect(() => createCompressor('gzip', { level: 10 })).toThrow(/gzip level/);
    expect(() => createCompressor('br', { level: 12 })).toThrow(/brotli quality/);
  });
});

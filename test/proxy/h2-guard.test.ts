// The field-value guard on its own (src/proxy/h2-guard.ts): client bytes fed in any chunking (down to
// one byte at a time) mark the streams whose header block holds a malformed value; padded and
// prioritised HEADERS, CONTINUATION and trailers are read; DATA is skipped; a block the HPACK decoder
// cannot read stops the checking with the reason (nghttp2 then ends the connection itself).

import { describe, expect, it } from 'vitest';
import { H2FieldGuard } from '../../src/proxy/h2-guard.ts';
import { FLAG, FRAME, frame, getHeaders, hpack, PREFACE } from './h2-helpers.ts';

const PADDED = 0x8;
const PRIORITY = 0x20;
const CONTINUATION = 0x9;

function feedAll(bytes: Buffer, step: number): H2FieldGuard {
  const g = new H2FieldGuard();
  for (let i = 0; i < bytes.length; i += step) g.feed(bytes.subarray(i, i + step));
  return g;
}

describe('H2FieldGuard', () => {
  const block = (path: string, extra: [string, string][] = []): Buffer => hpack([...getHeaders(path), ...extra]);
  const bytes = Buffer.concat([
    PREFACE,
    frame(FRAME.SETTINGS, 0, 0),
    frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, block('/a')),
    frame(FRAME.DATA, 0, 1, Buffer.from('x-a: \r\n not a header block')),
    frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 1, hpack([['x-trailer', 'bad\0']])),
    // Padded (3 bytes of padding) and prioritised (5 bytes) HEADERS with a bad value.
    frame(
      FRAME.HEADERS,
      FLAG.END_HEADERS | FLAG.END_STREAM | PADDED | PRIORITY,
      3,
      Buffer.concat([Buffer.from([3]), Buffer.alloc(5), block('/b', [['x-b', ' lead']]), Buffer.alloc(3)]),
    ),
    // A good block split over HEADERS and CONTINUATION.
    frame(FRAME.HEADERS, FLAG.END_STREAM, 5, block('/c').subarray(0, 7)),
    frame(CONTINUATION, FLAG.END_HEADERS, 5, block('/c').subarray(7)),
    // A bad one split the same way.
    frame(FRAME.HEADERS, FLAG.END_STREAM, 7, block('/d', [['x-d', 'v\n']]).subarray(0, 30)),
    frame(CONTINUATION, FLAG.END_HEADERS, 7, block('/d', [['x-d', 'v\n']]).subarray(30)),
  ]);

  for (const step of [1, 7, 100, bytes.length]) {
    it(`marks streams 1 (trailers), 3 and 7, chunks of ${step} bytes`, () => {
      const g = feedAll(bytes, step);
      expect(g.stopReason).toBeUndefined();
      expect([...g.bad.keys()]).toEqual([1, 3, 7]);
      expect(g.bad.get(3)).toContain('RFC 9113 §8.2.1');
    });
  }

  it('stops, with the reason, at a header block it cannot decode', () => {
    const g = feedAll(Buffer.concat([PREFACE, frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, Buffer.from([0x80]))]), 5);
    expect(g.stopReason).toContain('index 0');
    expect(g.bad.size).toBe(0);
  });

  it('stops at a CONTINUATION outside a header block', () => {
    const g = feedAll(Buffer.concat([PREFACE, frame(CONTINUATION, FLAG.END_HEADERS, 1, block('/x'))]), 64);
    expect(g.stopReason).toContain('CONTINUATION');
  });
});

// The hash functions against published vectors and an independent BigInt FNV-1a 64.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { avalanche53, fnv1a32, fnv1a64, fnv1a64Hex, fnv1a64Parts, hashFunction, HASH_NAMES, murmur3 } from '../../src/balance/index.ts';

function fnv64Reference(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

describe('hashes', () => {
  it('FNV-1a matches the published vectors', () => {
    expect(fnv1a64Hex('')).toBe('cbf29ce484222325');
    expect(fnv1a64Hex('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64Hex('foobar')).toBe('85944171f73967e8');
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('FNV-1a 64 in two halves equals the BigInt computation on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const [hi, lo] = fnv1a64Parts(b);
        const ref = fnv64Reference(b);
        expect((BigInt(hi) << 32n) | BigInt(lo)).toBe(ref);
        expect(fnv1a64(b)).toBe(Number(ref >> 11n));
      }),
      { numRuns: 300 },
    );
  });

  it('a string hashes as its UTF-8 bytes (the ASCII fast path included)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (str) => {
        const bytes = new TextEncoder().encode(str);
        expect(fnv1a32(str)).toBe(fnv1a32(bytes));
        expect(fnv1a64Parts(str)).toEqual(fnv1a64Parts(bytes));
        expect(murmur3(str, 7)).toBe(murmur3(bytes, 7));
      }),
      { numRuns: 300 },
    );
    expect(fnv1a64Hex('é')).toBe(fnv1a64Hex(new Uint8Array([0xc3, 0xa9])));
  });

  it('MurmurHash3 x86_32 matches the published vectors, tails of 1 to 3 bytes included', () => {
    expect(murmur3('', 0)).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
    expect(murmur3('', 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3('hello', 0)).toBe(0x248bfa47);
    expect(murmur3('The quick brown fox jumps over the lazy dog', 0)).toBe(0x2e4ff723);
    expect(murmur3(new Uint8Array([0x21, 0x43, 0x65, 0x87]), 0)).toBe(0xf55b516b);
    expect(murmur3(new Uint8Array([0x21, 0x43, 0x65]), 0)).toBe(0x7e4a8634);
    expect(murmur3(new Uint8Array([0x21, 0x43]), 0)).toBe(0xa0f7b07a);
    expect(murmur3(new Uint8Array([0x21]), 0)).toBe(0x72661cf4);
  });

  it('placement hashes spread keys that differ only in the last byte over the whole range', () => {
    for (const name of HASH_NAMES) {
      const h = hashFunction(name);
      const top = name === 'fnv1a64' ? 2 ** 53 : 2 ** 32;
      const buckets = new Array<number>(8).fill(0);
      for (let i = 0; i < 8000; i++) buckets[Math.floor((h(`node#${i}`) / top) * 8)]++;
      for (const b of buckets) expect(b, `${name}: ${buckets.join(',')}`).toBeGreaterThan(850);
    }
    // Without the finaliser, FNV-1a 64's top bits barely move: the reason avalanche53 exists.
    const raw = new Set<number>();
    for (let i = 0; i < 100; i++) raw.add(Math.floor(fnv1a64(`node#${i}`) / 2 ** 45));
    expect(raw.size).toBeLessThan(10);
    expect(avalanche53(0, 0)).not.toBe(avalanche53(0, 1));
  });
});

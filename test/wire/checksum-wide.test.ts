// The 32-bit fast path of the internet checksum must give exactly what the textbook 16-bit loop
// gives, for every alignment of the bytes in memory, every offset and every length.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldSum, internetChecksum, onesSum } from '../../src/wire/checksum.ts';

/** RFC 1071 section 4.1, word by word. */
function reference(b: Uint8Array, offset: number, length: number): number {
  let sum = 0;
  for (let i = 0; i + 1 < length; i += 2) sum += (b[offset + i] << 8) | b[offset + i + 1];
  if (length % 2 === 1) sum += b[offset + length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

describe('internet checksum over 32-bit loads', () => {
  it('equals the 16-bit loop for random bytes, memory alignments, offsets and lengths', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000 }), fc.nat(7), fc.nat(40), fc.nat(3000), (data, shift, offsetSeed, lengthSeed) => {
        // Place the bytes at `shift` inside a larger buffer so the view's byteOffset varies.
        const backing = new Uint8Array(data.length + 8);
        const b = backing.subarray(shift, shift + data.length);
        b.set(data);
        const offset = data.length === 0 ? 0 : offsetSeed % (data.length + 1);
        const length = data.length - offset === 0 ? 0 : lengthSeed % (data.length - offset + 1);
        expect(internetChecksum(b, offset, length)).toBe(reference(b, offset, length));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps negative zero: all-0xff words sum to 0xffff, all-zero data to 0', () => {
    for (const len of [128, 129, 130, 131, 1500, 4096]) {
      if (len % 2 === 0) expect(foldSum(onesSum(new Uint8Array(len).fill(0xff)))).toBe(0xffff);
      expect(foldSum(onesSum(new Uint8Array(len)))).toBe(0);
      expect(internetChecksum(new Uint8Array(len).fill(0xff))).toBe(reference(new Uint8Array(len).fill(0xff), 0, len));
    }
  });

  it('chains with an initial sum (pseudo-header first) like the 16-bit loop', () => {
    const b = Uint8Array.from({ length: 1001 }, (_, i) => (i * 131 + 7) & 0xff);
    const initial = 0x1234 + 0xabcd + 17 + 1001;
    let ref = initial;
    for (let i = 0; i + 1 < b.length; i += 2) ref += (b[i] << 8) | b[i + 1];
    ref += b[1000] << 8;
    expect(foldSum(onesSum(b, 0, b.length, initial))).toBe(foldSum(ref));
  });

  it('works on Node Buffers from the shared pool (odd byteOffset)', () => {
    const buf = Buffer.from(Array.from({ length: 777 }, (_, i) => (i * 7) & 0xff));
    expect(internetChecksum(buf, 3, 700)).toBe(reference(buf, 3, 700));
  });
});

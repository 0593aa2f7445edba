// CRC-32 (IEEE 802.3) and the Ethernet FCS byte order, on the standard check value and a real frame.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, fcsBytes, readFcs } from '../../src/wire/crc32.ts';

/** icmp-many-types-pcapplusplus.pcapng frame 1 (60 bytes) and its FCS as captured. */
const FRAME = Uint8Array.from([
  0x01, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x00, 0x00, 0x65, 0x10, 0x22, 0x1b, 0x08, 0x00, 0x45, 0x00, 0x00, 0x1c, 0x5f, 0x01, 0x00, 0x00, 0x80, 0x01, 0xdb, 0xda,
  0x0a, 0x01, 0x16, 0x02, 0xe0, 0x00, 0x00, 0x02, 0x0a, 0x00, 0xf5, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
]);
const FCS_ON_WIRE = Uint8Array.from([0x54, 0xae, 0x33, 0xe8]);

/** Bitwise reference CRC-32 (reflected, polynomial 0xEDB88320). */
function reference(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('CRC-32', () => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it("reproduces a real frame's FCS, least significant byte first on the wire", () => {
    expect(fcsBytes(FRAME)).toEqual(FCS_ON_WIRE);
    expect(crc32(FRAME)).toBe(0xe833ae54);
    const withFcs = new Uint8Array([...FRAME, ...FCS_ON_WIRE]);
    expect(readFcs(withFcs, 60)).toBe(crc32(withFcs, 0, 60));
  });

  it('leaves the CRC-32 residue over a frame followed by its FCS', () => {
    const withFcs = new Uint8Array([...FRAME, ...FCS_ON_WIRE]);
    // The CRC register after data + FCS is the fixed residue 0xC704DD7B (0x2144DF1C after the final xor).
    expect(crc32(withFcs)).toBe(0x2144df1c);
  });

  it('agrees with a bitwise reference on random data, offsets and lengths', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(16), (data, skip) => {
        const off = Math.min(skip, data.length);
        expect(crc32(data, off)).toBe(reference(data.subarray(off)));
        expect(fcsBytes(data, off)).toEqual(Uint8Array.of(...[0, 8, 16, 24].map((s) => (reference(data.subarray(off)) >>> s) & 0xff)));
      }),
      { numRuns: 300 },
    );
  });
});

// The Internet checksum (RFC 1071), pseudo-headers and the RFC 1624 incremental update, checked on
// the RFCs' own examples, real headers and random data against a plain reference.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  foldSum,
  incrementalUpdate,
  incrementalUpdate16,
  internetChecksum,
  ipv4PseudoSum,
  ipv6PseudoSum,
  onesSum,
  pseudoHeaderSum,
  transportChecksum,
  verifiesTo,
} from '../../src/wire/checksum.ts';

const hex = (h: string): Uint8Array => Uint8Array.from(h.replace(/\s+/g, '').match(/../g) ?? [], (x) => parseInt(x, 16));

/** A plain RFC 1071 reference: 16-bit words, end-around carry after every addition. */
function reference(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) {
    s += (b[i] << 8) | (i + 1 < b.length ? b[i + 1] : 0);
    s = (s & 0xffff) + (s >>> 16);
  }
  return ~s & 0xffff;
}

describe('Internet checksum', () => {
  it('matches the RFC 1071 section 3 example (sum ddf2)', () => {
    const b = hex('0001 f203 f4f5 f6f7');
    expect(foldSum(onesSum(b))).toBe(0xddf2);
    expect(internetChecksum(b)).toBe(0x220d);
  });

  it('computes and verifies a real IPv4 header checksum (tcp-good-checksum-zeek.pcap)', () => {
    const header = hex('4500 0028 0001 0000 4006 7ccd 7f00 0001 7f00 0001');
    expect(verifiesTo(header, 0, 20)).toBe(true);
    const zeroed = header.slice();
    zeroed[10] = 0;
    zeroed[11] = 0;
    expect(internetChecksum(zeroed)).toBe(0x7ccd);
    expect(internetChecksum(header)).toBe(0);
  });

  it('pads an odd trailing byte with zero on the right', () => {
    expect(internetChecksum(hex('01'))).toBe(~0x0100 & 0xffff);
    expect(internetChecksum(hex('0102 03'))).toBe(reference(hex('0102 0300')));
  });

  it('honours offset, length and a chained initial sum', () => {
    const b = hex('ffff 1234 5678 9abc def0 ffff');
    expect(internetChecksum(b, 2, 8)).toBe(reference(b.subarray(2, 10)));
    const whole = internetChecksum(b.subarray(2, 10));
    const chained = internetChecksum(b, 6, 4, onesSum(b, 2, 4));
    expect(chained).toBe(whole);
  });

  it('agrees with the reference on random data of any length and alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(7), (data, skip) => {
        const off = Math.min(skip, data.length);
        expect(internetChecksum(data, off)).toBe(reference(data.subarray(off)));
      }),
      { numRuns: 500 },
    );
  });

  it('stays exact on large all-0xff inputs (many carries)', () => {
    const big = new Uint8Array(1 << 20).fill(0xff);
    expect(internetChecksum(big)).toBe(reference(big));
  });

  it('an all-zero segment whose checksum field is zero does not verify', () => {
    expect(verifiesTo(new Uint8Array(8), 0, 8)).toBe(false);
  });
});

describe('pseudo-headers', () => {
  it('checks a real UDP/IPv6 datagram (ipv6-ext-headers frame 6)', () => {
    const src = hex('2a01 0e35 8bd9 8bb0 a0a7 ea9c 74e8 d397');
    const dst = hex('2001 4b98 0dc0 0041 0216 3eff fece 1902');
    const seg = hex('a611 002a 0012 6889 6162 6364 6566 6768 696a');
    expect(verifiesTo(seg, 0, seg.length, ipv6PseudoSum(src, dst, 17, seg.length))).toBe(true);
    const zeroed = seg.slice();
    zeroed[6] = 0;
    zeroed[7] = 0;
    expect(transportChecksum({ version: 6, src, dst }, 17, zeroed)).toBe(0x6889);
  });

  it('checks a real TCP/IPv4 segment (tcp-good-checksum-zeek.pcap)', () => {
    const ip = { version: 4 as const, src: hex('7f000001'), dst: hex('7f000001') };
    const seg = hex('7530 0050 0000 0000 0000 0000 5002 2000 1c60 0000');
    expect(verifiesTo(seg, 0, seg.length, pseudoHeaderSum(ip, 6, seg.length))).toBe(true);
    expect(verifiesTo(seg, 0, seg.length, ipv4PseudoSum(ip.src, ip.dst, 6, seg.length))).toBe(true);
  });

  it('carries lengths past 16 bits (IPv6 jumbograms)', () => {
    const z = new Uint8Array(16);
    expect(foldSum(ipv6PseudoSum(z, z, 0, 0x10000))).toBe(1);
    expect(foldSum(ipv4PseudoSum(new Uint8Array(4), new Uint8Array(4), 0, 0x10001))).toBe(2);
  });
});

describe('incremental update (RFC 1624)', () => {
  it("gives eqn. 3's answer on the RFC's example", () => {
    expect(incrementalUpdate16(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });

  it('matches a full recomputation when an address changes (NAT)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.uint8Array({ minLength: 4, maxLength: 4 }), (header, addr) => {
        const h = header.slice();
        h[10] = 0;
        h[11] = 0;
        const ck = internetChecksum(h);
        h[10] = ck >>> 8;
        h[11] = ck & 0xff;
        const updated = incrementalUpdate(ck, h.slice(12, 16), addr);
        const h2 = h.slice();
        h2.set(addr, 12);
        h2[10] = updated >>> 8;
        h2[11] = updated & 0xff;
        expect(verifiesTo(h2, 0, 20)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects ranges of different or odd lengths', () => {
    expect(() => incrementalUpdate(0, new Uint8Array(4), new Uint8Array(2))).toThrow(RangeError);
    expect(() => incrementalUpdate(0, new Uint8Array(3), new Uint8Array(3))).toThrow(RangeError);
  });
});

// The one module for address text: tshark's forms out, strict parsing in, and the two agree.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv4, formatIpv4Number, formatIpv6, formatMac, parseIpv4, parseIpv6, parseIpv6OrThrow, parseMac } from '../../src/wire/address-text.ts';

describe('address text', () => {
  it('prints IPv6 as RFC 5952 and IPv4-mapped with its IPv4 tail', () => {
    expect(formatIpv6(parseIpv6('2001:0db8:0000:0000:0000:0000:0000:0001') as Uint8Array)).toBe('2001:db8::1');
    expect(formatIpv6(parseIpv6('2001:db8:0:0:1:0:0:1') as Uint8Array)).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(parseIpv6('2001:db8:0:1:1:1:1:1') as Uint8Array)).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIpv6(parseIpv6('::ffff:192.0.2.1') as Uint8Array)).toBe('::ffff:192.0.2.1');
    expect(formatIpv6(new Uint8Array(16))).toBe('::');
  });

  it('refuses text that is not an address', () => {
    for (const t of ['1.2.3', '1.2.3.256', '01.2.3.4444', ' 1.2.3.4', '1.2.3.4.']) expect(parseIpv4(t), t).toBeUndefined();
    for (const t of ['1::2::3', '12345::', 'fe80::1%eth0', '1:2:3:4:5:6:7:8:9', '::g']) expect(parseIpv6(t), t).toBeUndefined();
    for (const t of ['aa:bb:cc:dd:ee', 'aa:bb:cc:dd:ee:fg']) expect(parseMac(t), t).toBeUndefined();
    expect(() => parseIpv6OrThrow('1::2::3')).toThrow(/not an IPv6 address: '1::2::3'/);
  });

  it('round-trips every address through text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        expect(parseIpv6(formatIpv6(b))).toEqual(b);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
        expect(parseIpv4(formatIpv4(b))).toEqual(b);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => {
        expect(parseMac(formatMac(b))).toEqual(b);
      }),
    );
    expect(formatIpv4Number(0xc0a8010a)).toBe('192.168.1.10');
  });
});

// IPv6 and its extension headers: real packets decoded and re-emitted byte for byte, the chain bound,
// unknown next headers, fragments, every truncation, random headers through encode/decode.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifiesTo, ipv6PseudoSum } from '../../src/wire/checksum.ts';
import { decode } from '../../src/wire/decode.ts';
import { encode, payload } from '../../src/wire/encode.ts';
import { ethernet } from '../../src/wire/ethernet.ts';
import { ipv6, type Ipv6, parseIpv6Address } from '../../src/wire/ipv6.ts';
import {
  ipv6DestOptions,
  ipv6Fragment,
  ipv6HopByHop,
  ipv6Option,
  ipv6Routing,
  MAX_IPV6_EXT_HEADERS,
  type Ipv6DestOptions,
  type Ipv6Fragment,
  type Ipv6HopByHop,
  type Ipv6Routing,
} from '../../src/wire/ipv6-ext.ts';
import { rawIp } from '../../src/wire/raw-ip.ts';
import { udp } from '../../src/wire/udp.ts';

const b = (...x: number[]): Uint8Array => Uint8Array.from(x);

/** ipv6-ext-headers-pcapplusplus.pcapng frame 5: hop-by-hop (router alert, PadN) then an MLDv2 report. */
const HOPOPTS_MLD = b(
  0x33,
  0x33,
  0x00,
  0x00,
  0x00,
  0x16,
  0x00,
  0x12,
  0x3f,
  0x97,
  0x92,
  0x01,
  0x86,
  0xdd,
  0x60,
  0x00,
  0x00,
  0x00,
  0x00,
  0x24,
  0x00,
  0x01,
  0xfe,
  0x80,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x9c,
  0x09,
  0xb4,
  0x16,
  0x07,
  0x68,
  0xff,
  0x42,
  0xff,
  0x02,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x16,
  0x3a,
  0x00,
  0x05,
  0x02,
  0x00,
  0x00,
  0x01,
  0x00,
  0x8f,
  0x00,
  0x19,
  0x3c,
  0x00,
  0x00,
  0x00,
  0x01,
  0x04,
  0x00,
  0x00,
  0x00,
  0xff,
  0x02,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x01,
  0x00,
  0x03,
);

/** ipv6-ext-headers-pcapplusplus.pcapng frame 6: destination options (unknown option 11, PadN) then UDP. */
const DSTOPTS_UDP = b(
  0xf4,
  0xca,
  0xe5,
  0x4d,
  0x1f,
  0x41,
  0x00,
  0x1e,
  0x8c,
  0x76,
  0x29,
  0xb6,
  0x86,
  0xdd,
  0x60,
  0x00,
  0x00,
  0x00,
  0x00,
  0x1a,
  0x3c,
  0x40,
  0x2a,
  0x01,
  0x0e,
  0x35,
  0x8b,
  0xd9,
  0x8b,
  0xb0,
  0xa0,
  0xa7,
  0xea,
  0x9c,
  0x74,
  0xe8,
  0xd3,
  0x97,
  0x20,
  0x01,
  0x4b,
  0x98,
  0x0d,
  0xc0,
  0x00,
  0x41,
  0x02,
  0x16,
  0x3e,
  0xff,
  0xfe,
  0xce,
  0x19,
  0x02,
  0x11,
  0x00,
  0x0b,
  0x01,
  0x09,
  0x01,
  0x01,
  0x00,
  0xa6,
  0x11,
  0x00,
  0x2a,
  0x00,
  0x12,
  0x68,
  0x89,
  0x61,
  0x62,
  0x63,
  0x64,
  0x65,
  0x66,
  0x67,
  0x68,
  0x69,
  0x6a,
);

describe('IPv6', () => {
  it('decodes hop-by-hop options and re-emits the frame', () => {
    const d = decode(HOPOPTS_MLD, 1);
    expect(d.layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv6', 'ipv6-hopopts', 'icmpv6']);
    const ip = d.layers[1].value as Ipv6;
    expect(ip).toMatchObject({ version: 6, trafficClass: 0, flowLabel: 0, payloadLength: 36, nextHeader: 0, hopLimit: 1 });
    const hbh = d.layers[2].value as Ipv6HopByHop;
    expect(hbh.nextHeader).toBe(58);
    expect(hbh.options.map((o) => [o.kind, o.length])).toEqual([
      ['router-alert', 4],
      ['padn', 2],
    ]);
    const again = encode([
      ethernet({ src: '00:12:3f:97:92:01', dst: '33:33:00:00:00:16' }),
      ipv6({ src: 'fe80::9c09:b416:768:ff42', dst: 'ff02::16', hopLimit: 1 }),
      ipv6HopByHop({ options: [ipv6Option.routerAlert(0)], nextHeader: 58 }),
      payload(HOPOPTS_MLD.subarray(62)),
    ]);
    expect(again).toEqual(HOPOPTS_MLD);
  });

  it('decodes destination options with an unknown option kept raw, then UDP with a good checksum', () => {
    const d = decode(DSTOPTS_UDP, 1);
    expect(d.layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv6', 'ipv6-dstopts', 'udp', 'data']);
    const opts = (d.layers[2].value as Ipv6DestOptions).options;
    expect(opts.map((o) => [o.kind, o.type, Array.from(o.data)])).toEqual([
      ['unknown', 11, [9]],
      ['padn', 1, [0]],
    ]);
    const ip = d.layers[1].value as Ipv6;
    const seg = DSTOPTS_UDP.subarray(62);
    expect(verifiesTo(seg, 0, seg.length, ipv6PseudoSum(ip.src, ip.dst, 17, seg.length))).toBe(true);
    const again = encode([
      ethernet({ src: '00:1e:8c:76:29:b6', dst: 'f4:ca:e5:4d:1f:41' }),
      ipv6({ src: ip.src, dst: ip.dst }),
      ipv6DestOptions({ options: [ipv6Option.raw(11, b(9))] }),
      udp({ sport: 42513, dport: 42 }),
      payload('abcdefghij'),
    ]);
    expect(again).toEqual(DSTOPTS_UDP);
  });

  it('builds and decodes a routing header and a fragment header', () => {
    const frame = encode([
      rawIp(),
      ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }),
      ipv6Routing({ addresses: ['2001:db8::a', '2001:db8::b'] }),
      ipv6Fragment({ id: 0xf88eb466, fragmentOffset: 181, more: true, nextHeader: 17 }),
      payload(new Uint8Array(16)),
    ]);
    const d = decode(frame, 101);
    expect(d.layers.map((l) => l.kind)).toEqual(['raw', 'ipv6', 'ipv6-routing', 'ipv6-fragment', 'data']);
    const r = d.layers[2].value as Ipv6Routing;
    expect(r).toMatchObject({ routingType: 0, segmentsLeft: 2, hdrExtLen: 4, length: 40 });
    expect(r.addresses?.map((a) => Array.from(a))).toEqual([Array.from(parseIpv6Address('2001:db8::a')), Array.from(parseIpv6Address('2001:db8::b'))]);
    expect(d.layers[3].value as Ipv6Fragment).toEqual({ nextHeader: 17, reserved: 0, fragmentOffset: 181, reservedBits: 0, more: true, id: 0xf88eb466 });
    // An atomic fragment (offset 0, no more) carries a whole UDP datagram.
    const atomic = encode([rawIp(), ipv6({ src: '::1', dst: '::1' }), ipv6Fragment({ id: 1 }), udp({ sport: 1, dport: 2 })]);
    expect(decode(atomic, 101).layers.map((l) => l.kind)).toEqual(['raw', 'ipv6', 'ipv6-fragment', 'udp']);
  });

  it('stops cleanly at an unknown or "no next header" value, and bounds the chain', () => {
    const unknown = encode([rawIp(), ipv6({ src: '::1', dst: '::2', nextHeader: 253 }), payload('xyz')]);
    expect(decode(unknown, 101).layers.map((l) => l.kind)).toEqual(['raw', 'ipv6', 'data']);
    const none = encode([rawIp(), ipv6({ src: '::1', dst: '::2' })]);
    expect(none[6]).toBe(59);
    expect(decode(none, 101).layers.map((l) => l.kind)).toEqual(['raw', 'ipv6']);
    // Hop-by-hop anywhere but first is not accepted.
    const late = encode([rawIp(), ipv6({ src: '::1', dst: '::2' }), ipv6DestOptions({ nextHeader: 0 }), ipv6HopByHop({ nextHeader: 59 })]);
    expect(decode(late, 101).layers.map((l) => l.kind)).toEqual(['raw', 'ipv6', 'ipv6-dstopts', 'data']);
    const chain = Array.from({ length: 40 }, () => ipv6DestOptions());
    const deep = encode([rawIp(), ipv6({ src: '::1', dst: '::2' }), ...chain]);
    const d = decode(deep, 101);
    expect(d.layers.filter((l) => l.kind === 'ipv6-dstopts' && l.length > 0).length).toBe(MAX_IPV6_EXT_HEADERS);
    expect(d.malformed.some((m) => m.reason.includes('extension headers'))).toBe(true);
  });

  it('ends the payload at 40 + Payload Length (link padding is not payload)', () => {
    const frame = encode([
      ethernet({ src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02', pad: true }),
      ipv6({ src: '::1', dst: '::2', nextHeader: 253 }),
      payload('ab'),
    ]);
    expect(frame.length).toBe(60);
    const d = decode(frame, 1);
    expect(d.layers[1].payloadEnd).toBe(14 + 42);
    expect(d.layers[2]).toMatchObject({ kind: 'data', length: 2 });
  });

  it('a bogus version leaves the bytes as data', () => {
    const frame = encode([rawIp(), ipv6({ src: '::1', dst: '::2', version: 0, nextHeader: 59 })]);
    const d = decode(frame, 229);
    expect(d.layers.map((l) => l.kind)).toEqual(['ipv6', 'data']);
    expect(d.malformed[0]).toEqual({ layer: 'ipv6', offset: 0, reason: 'Bogus IPv6 version (0)' });
  });

  it('every prefix of real packets decodes without throwing or reading past the end', () => {
    for (const frame of [HOPOPTS_MLD, DSTOPTS_UDP]) {
      for (let n = 0; n <= frame.length; n++) {
        const d = decode(frame.subarray(0, n), 1);
        for (const l of d.layers) expect(l.offset + l.length).toBeLessThanOrEqual(n);
        if (n > 14 && n < 54) expect(d.malformed.some((m) => m.layer === 'ipv6')).toBe(true);
      }
    }
  });

  it('random headers survive encode/decode', () => {
    const addr = fc.uint8Array({ minLength: 16, maxLength: 16 });
    fc.assert(
      fc.property(
        addr,
        addr,
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xfffff }),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 64 }),
        (src, dst, tc, flow, hlim, data) => {
          const frame = encode([rawIp(), ipv6({ src, dst, trafficClass: tc, flowLabel: flow, hopLimit: hlim, nextHeader: 253 }), payload(data)]);
          const ip = decode(frame, 101).layers[1].value as Ipv6;
          expect(ip).toEqual({
            version: 6,
            trafficClass: tc,
            dscp: tc >>> 2,
            ecn: tc & 3,
            flowLabel: flow,
            payloadLength: data.length,
            nextHeader: 253,
            hopLimit: hlim,
            src,
            dst,
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('parses address text and rejects bad text', () => {
    expect(Array.from(parseIpv6Address('::ffff:1.2.3.4').subarray(10))).toEqual([0xff, 0xff, 1, 2, 3, 4]);
    expect(() => parseIpv6Address('2001:db8::g')).toThrow(RangeError);
  });
});

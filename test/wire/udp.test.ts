// UDP: one real datagram both ways, and the checksum traps (options in the IPv4 header, a computed
// 0 sent as 0xFFFF, zero checksums over IPv4 and IPv6, recomputation over a filled field), padding
// that is never payload, truncation, and random field values through encode/decode.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CapturedPacket } from '../../src/capture/types.ts';
import { DissectState } from '../../src/dissect/context.ts';
import { dissect } from '../../src/dissect/dissect.ts';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { decode } from '../../src/wire/decode.ts';
import { encode, payload } from '../../src/wire/encode.ts';
import { ethernet } from '../../src/wire/ethernet.ts';
import { ipv4 } from '../../src/wire/ipv4.ts';
import { ipv6 } from '../../src/wire/ipv6.ts';
import type { DecodedLayer } from '../../src/wire/layer.ts';
import { decodeUdp, udp, type Udp } from '../../src/wire/udp.ts';

const bytes = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** dns-a-ns-mx-aaaa-pcapplusplus.pcap frame 1: a DNS response over UDP/IPv4, checksum correct. */
const DNS_RESPONSE = bytes(
  '52540012345652550a0002020800450001a604240000401186649c9a46160a00020f0035ef7601927dd2026481800001000300060009057961686f6f03636f6d00000f0001c00c000f0001000000bb00190001046d74613503616d30087961686f6f646e73036e657400c00c000f0001000000bb00090001046d746137c02ec00c000f0001000000bb00090001046d746136c02ec00c0002000100013e490006036e7334c00cc00c0002000100013e490006036e7336c00cc00c0002000100013e490006036e7332c00cc00c0002000100013e490006036e7333c00cc00c0002000100013e490006036e7331c00cc00c0002000100013e490006036e7335c00cc0be0001000100115b6d000444b48310c09a000100010011f4720004448eff10c09a001c00010000025a001020014998014000000000000000001002c0ac000100010011e9c70004cb54dd35c0ac001c00010000071000102406860000b8fe030000000000001003c0760001000100124de10004628a0b9dc0d0000100010011fadf000477a0f77cc08800010001000239cd00047965908bc088001c0001000000bb001024062000010800040000000000001006',
);

const ETH = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };

function udpOf(layers: readonly DecodedLayer[]): DecodedLayer<string, Udp> {
  const l = layers.find((x) => x.kind === 'udp');
  if (l === undefined) throw new Error('no udp layer');
  return l as DecodedLayer<string, Udp>;
}

function packet(data: Uint8Array, linkType = 1): CapturedPacket {
  return {
    number: 1,
    interfaceId: 0,
    iface: { linkType, snapLength: 262144, tsResolution: 1e6, fcsLength: 0, container: 'pcap' },
    tsSec: 1_600_000_000,
    tsNsec: 0,
    data,
    origLength: data.length,
    comments: [],
    warnings: [],
  };
}

describe('udp: a real datagram', () => {
  it('decodes the header, verifies the checksum and hands the payload on', () => {
    const { layers, malformed } = decode(DNS_RESPONSE, 1);
    expect(malformed).toEqual([]);
    expect(layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv4', 'udp', 'dns']);
    const u = udpOf(layers);
    expect(u.value).toMatchObject({ srcPort: 53, dstPort: 61302, length: 402, checksum: 0x7dd2, checksumStatus: 'good', payloadLength: 394 });
    expect(u.offset).toBe(34);
    expect([u.payloadOffset, u.payloadEnd]).toEqual([42, 34 + 402]);
  });

  it('re-emits the same bytes from the decoded fields', () => {
    const u = udpOf(decode(DNS_RESPONSE, 1).layers).value;
    const out = encode([
      ethernet({ src: '52:55:0a:00:02:02', dst: '52:54:00:12:34:56' }),
      ipv4({ src: '156.154.70.22', dst: '10.0.2.15', id: 0x0424, ttl: 64 }),
      udp({ sport: u.srcPort, dport: u.dstPort }),
      payload(DNS_RESPONSE.subarray(42)),
    ]);
    expect(hexOf(out)).toBe(hexOf(DNS_RESPONSE));
  });

  it('decodes every prefix of the frame without throwing', () => {
    for (let n = 0; n <= DNS_RESPONSE.length; n++) {
      const r = decode(DNS_RESPONSE.subarray(0, n), 1);
      expect(r.layers.length).toBeGreaterThan(0);
      if (n > 34 && n < 42) expect(udpOf(r.layers).malformed.length).toBe(1);
    }
  });
});

describe('udp: checksum traps', () => {
  it('uses only the addresses of an IPv4 header with options for the pseudo-header', () => {
    const plain = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1, dport: 2 }), payload('abc')]);
    const withOptions = encode([
      ipv4({ src: '10.0.0.1', dst: '10.0.0.2', options: [Uint8Array.of(0x94, 0x04, 0x00, 0x00)] }),
      udp({ sport: 1, dport: 2 }),
      payload('abc'),
    ]);
    expect(hexOf(withOptions.subarray(24))).toBe(hexOf(plain.subarray(20)));
    const u = udpOf(decode(withOptions, 228).layers);
    expect(u.value.checksumStatus).toBe('good');
  });

  it('sends a computed checksum of 0 as 0xFFFF', () => {
    // Find a payload whose checksum computes to 0: the sum of everything else must be 0xffff.
    const base = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1, dport: 2 }), payload(Uint8Array.of(0, 0))]);
    const c = (base[26] << 8) | base[27];
    // Adding the current checksum value as a payload word makes the remaining sum 0xffff.
    const fixed = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1, dport: 2 }), payload(Uint8Array.of(c >> 8, c & 0xff))]);
    expect((fixed[26] << 8) | fixed[27]).toBe(0xffff);
    expect(udpOf(decode(fixed, 228).layers).value.checksumStatus).toBe('good');
  });

  it('reports a zero checksum over IPv4 as not present (status 3, as tshark)', () => {
    const frame = encode([ethernet(ETH), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1000, dport: 2000, checksum: 0 }), payload('hi')]);
    expect(udpOf(decode(frame, 1).layers).value.checksumStatus).toBe('not-present');
    const d = dissect(packet(frame));
    expect(fieldText(d, 'udp.checksum')).toBe('0x0000');
    expect(fieldText(d, 'udp.checksum.status')).toBe('3');
    expect(d.columns.info).toBe('1000 \u2192 2000 Len=2');
  });

  it('reports a zero checksum over IPv6 as illegal (status 4) and marks the Info column', () => {
    const frame = encode([ethernet(ETH), ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }), udp({ sport: 1000, dport: 2000, checksum: 0 }), payload('hi')]);
    expect(udpOf(decode(frame, 1).layers).value.checksumStatus).toBe('illegal');
    const d = dissect(packet(frame));
    expect(fieldText(d, 'udp.checksum.status')).toBe('4');
    expect(d.columns.info).toBe('1000 \u2192 2000 Len=2 [ILLEGAL CHECKSUM (0)]');
  });

  it('recomputes a checksum field that already holds a value (sum taken with the field zeroed)', () => {
    const frame = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 7, dport: 9 }), payload('data')]);
    const u = udpOf(decode(frame, 228).layers).value;
    // Corrupt the field, decode: bad, and the value it should hold is the original.
    const broken = Uint8Array.from(frame);
    broken[26] ^= 0x5a;
    const v = udpOf(decode(broken, 228).layers).value;
    expect(v.checksumStatus).toBe('bad');
    expect(v.checksumComputed).toBe(u.checksum);
  });

  it('uses a checksum given explicitly as is, even a wrong one', () => {
    const frame = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 7, dport: 9, checksum: 0x1234 }), payload('data')]);
    expect((frame[26] << 8) | frame[27]).toBe(0x1234);
    const d = dissect(packet(frame, 228));
    expect(fieldText(d, 'udp.checksum.status')).toBe('0');
    expect(d.columns.info).toContain('[UDP CHECKSUM INCORRECT]');
  });

  it('does not verify a datagram the capture cut short', () => {
    const frame = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 7, dport: 9 }), payload('0123456789')]);
    const cut = frame.subarray(0, frame.length - 4);
    const u = udpOf(decode(cut, 228).layers);
    expect(u.value.checksumStatus).toBe('unverified');
    expect(u.malformed).toEqual([]);
  });
});

describe('udp: lengths', () => {
  it('ends the payload at the Length field: Ethernet padding is never payload', () => {
    const frame = encode([ethernet({ ...ETH, pad: true }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1, dport: 2 }), payload('x')]);
    expect(frame.length).toBe(60);
    const u = udpOf(decode(frame, 1).layers);
    expect(u.payloadEnd).toBe(14 + 20 + 9);
    const d = dissect(packet(frame));
    expect(fieldText(d, 'udp.payload')).toBe('78');
  });

  it('bounds a Length that runs past the IP payload, and says so', () => {
    const frame = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1, dport: 2, length: 500 }), payload('abcd')]);
    const u = udpOf(decode(frame, 228).layers);
    expect(u.payloadEnd).toBe(frame.length);
    expect(u.value.badLength).toBe('long');
    expect(u.malformed).toEqual([]);
    expect(u.value.checksumStatus).toBe('unverified');
  });

  it('stops at a Length under 8', () => {
    const frame = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1, dport: 2, length: 4 }), payload('abcd')]);
    const u = udpOf(decode(frame, 228).layers);
    expect(u.value.badLength).toBe('short');
    expect(dissect(packet(frame, 228)).columns.info).toBe('1 \u2192 2 [BAD UDP LENGTH 4 < 8]');
  });
});

describe('udp: streams', () => {
  it('numbers conversations in order of first sight, both directions alike', () => {
    const state = new DissectState();
    const a = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 5000, dport: 53 }), payload('q')]);
    const b = encode([ipv4({ src: '10.0.0.2', dst: '10.0.0.1' }), udp({ sport: 53, dport: 5000 }), payload('r')]);
    const c = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.3' }), udp({ sport: 5000, dport: 53 }), payload('q')]);
    const streams = [a, b, c].map((f) => fieldText(dissect(packet(f, 228), state), 'udp.stream'));
    expect(streams).toEqual(['0', '0', '1']);
  });
});

describe('udp: property', () => {
  it('random ports, payloads and addresses survive encode/decode with a good checksum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 0, max: 65535 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.boolean(),
        (sport, dport, data, v6) => {
          const ip = v6 ? ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }) : ipv4({ src: '192.0.2.1', dst: '198.51.100.2' });
          const frame = encode([ip, udp({ sport, dport }), payload(data)]);
          const u = udpOf(decode(frame, v6 ? 229 : 228).layers);
          expect(u.value).toMatchObject({ srcPort: sport, dstPort: dport, length: 8 + data.length, checksumStatus: 'good' });
          expect(u.value.checksum).not.toBe(0);
        },
      ),
    );
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        const step = decodeUdp({ frame: b, layers: [], options: { fcsLength: 0, verifyChecksums: true } }, 0, b.length);
        expect(step.payloadEnd).toBeLessThanOrEqual(b.length);
      }),
    );
  });
});

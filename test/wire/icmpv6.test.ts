// ICMPv6: real echo, neighbour advertisement and router advertisement (with its options) both ways,
// errors quoting an IPv6 packet as layers, checksum over the IPv6 pseudo-header, and what tshark
// prints for them.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CapturedPacket } from '../../src/capture/types.ts';
import { dissect } from '../../src/dissect/dissect.ts';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { decode } from '../../src/wire/decode.ts';
import { encode, payload } from '../../src/wire/encode.ts';
import { ethernet } from '../../src/wire/ethernet.ts';
import { decodeIcmpv6, icmpv6, parseIpv6, type Icmpv6 } from '../../src/wire/icmpv6.ts';
import { encodeNdOptions, parseNdOptions } from '../../src/wire/icmpv6-options.ts';
import { ipv6 } from '../../src/wire/ipv6.ts';
import type { DecodedLayer } from '../../src/wire/layer.ts';
import { udp } from '../../src/wire/udp.ts';

const bytes = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** icmpv6-echo-pcapplusplus.pcap frame 1. */
const ECHO = bytes(
  '00155d70fc2e00155da5c4c586dd600d2ce300403a40fe8000000000000002155dfffea5c4c5fe80000000000000dd05dae074bc734180007a4c00180014bdcecb6200000000f3a1090000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637',
);
/** icmpv6-nd-solicit-advert-pcapplusplus.pcap frame 2: neighbour advertisement (router, override) with a target link-layer address. */
const NA = bytes(
  '333300000001c20054f5000086dd6e00000000203afffe80000000000000c00054fffef50000ff02000000000000000000000000000188009abba0000000fe80000000000000c00054fffef500000201c20054f50000',
);
/** icmpv6-ra-mld-tcpdump.pcap frame 1: router advertisement with prefix, RDNSS, DNSSL, MTU, SLLA, advertisement interval, home agent options. */
const RA = bytes(
  '333300000001b09928c8d66c86dd6000000000b03afffe80000000000000b29928fffec8d66cff020000000000000000000000000001860024014020000f0000000000000000030448c000278d0000093a8000000000222233334444555566000000000000001905000000000005abcd000000000000000000000000efef123456780000000000000000000000011f07000000000005076578616d706c6503636f6d00076578616d706c65036f72670004646f6d3104646f6d3203746c64000000000000000005010000000000640101b09928c8d66c070100000000138808010000c351000f',
);

function icmpv6Of(layers: readonly DecodedLayer[], i = 0): DecodedLayer<string, Icmpv6> {
  return layers.filter((l) => l.kind === 'icmpv6')[i] as DecodedLayer<string, Icmpv6>;
}

function packet(data: Uint8Array): CapturedPacket {
  return {
    number: 1,
    interfaceId: 0,
    iface: { linkType: 1, snapLength: 262144, tsResolution: 1e6, fcsLength: 0, container: 'pcap' },
    tsSec: 1_600_000_000,
    tsNsec: 0,
    data,
    origLength: data.length,
    comments: [],
    warnings: [],
  };
}

const ETH = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };

describe('icmpv6: real messages', () => {
  it('echo request: decodes, verifies over the pseudo-header and re-emits byte for byte', () => {
    const { layers, malformed } = decode(ECHO, 1);
    expect(malformed).toEqual([]);
    expect(layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv6', 'icmpv6', 'data']);
    const v = icmpv6Of(layers).value;
    expect(v).toMatchObject({ type: 128, code: 0, checksum: 0x7a4c, checksumStatus: 'good', id: 0x18, seq: 20 });
    const out = encode([
      ethernet({ src: '00:15:5d:a5:c4:c5', dst: '00:15:5d:70:fc:2e' }),
      ipv6({ src: 'fe80::215:5dff:fea5:c4c5', dst: 'fe80::dd05:dae0:74bc:7341', flowLabel: 0xd2ce3, hopLimit: 64 }),
      icmpv6({ type: 128, id: 0x18, seq: 20 }),
      payload(ECHO.subarray(62)),
    ]);
    expect(hexOf(out)).toBe(hexOf(ECHO));
    const d = dissect(packet(ECHO));
    expect(fieldText(d, 'icmpv6.echo.identifier')).toBe('0x0018');
    expect(d.columns.info).toBe('Echo (ping) request id=0x0018, seq=20, hop limit=64');
  });

  it('neighbour advertisement: flags, target and its link-layer address option', () => {
    const v = icmpv6Of(decode(NA, 1).layers).value;
    expect(v).toMatchObject({ type: 136, naFlags: 0xa0000000, checksumStatus: 'good' });
    expect(v.ndOptions?.[0]).toMatchObject({ kind: 'target-link-addr', length: 1 });
    const out = encode([
      ethernet({ src: 'c2:00:54:f5:00:00', dst: '33:33:00:00:00:01' }),
      ipv6({ src: 'fe80::c000:54ff:fef5:0', dst: 'ff02::1', trafficClass: 0xe0, hopLimit: 255 }),
      icmpv6({ type: 136, router: true, override: true, target: 'fe80::c000:54ff:fef5:0', ndOptions: [{ targetLinkAddr: NA.subarray(80, 86) }] }),
    ]);
    expect(hexOf(out)).toBe(hexOf(NA));
    const d = dissect(packet(NA));
    expect(d.columns.info).toBe('Neighbor Advertisement fe80::c000:54ff:fef5:0 (rtr, ovr) is at c2:00:54:f5:00:00');
    expect(fieldText(d, 'icmpv6.opt.linkaddr')).toBe('c2:00:54:f5:00:00');
    expect(fieldText(d, 'icmpv6.nd.na.flag')).toBe('0xa0000000');
  });

  it('router advertisement: every option decoded as tshark shows it', () => {
    const v = icmpv6Of(decode(RA, 1).layers).value;
    expect(v.ndOptions?.map((o) => o.kind)).toEqual(['prefix-info', 'rdnss', 'dnssl', 'mtu', 'source-link-addr', 'advertisement-interval', 'home-agent-info']);
    const d = dissect(packet(RA));
    expect(fieldText(d, 'icmpv6.opt.prefix')).toBe('2222:3333:4444:5555:6600::');
    expect(fieldText(d, 'icmpv6.opt.rdnss')).toBe('abcd::efef,1234:5678::1');
    expect(fieldText(d, 'icmpv6.opt.dnssl')).toBe('example.com,example.org,dom1.dom2.tld');
    expect(fieldText(d, 'icmpv6.nd.ra.flag')).toBe('0x20');
    expect(fieldText(d, 'icmpv6.opt.type')).toBe('3,25,31,5,1,7,8');
    expect(d.columns.info).toBe('Router Advertisement from b0:99:28:c8:d6:6c');
  });

  it('decodes every prefix of the frames without throwing', () => {
    for (const f of [ECHO, NA, RA]) for (let n = 0; n <= f.length; n++) expect(() => decode(f.subarray(0, n), 1)).not.toThrow();
  });
});

describe('icmpv6: errors quote the packet as layers', () => {
  it('port unreachable quoting IPv6/UDP', () => {
    const quoted = encode([ipv6({ src: '2001:db8::2', dst: '2001:db8::9' }), udp({ sport: 1111, dport: 7777 }), payload('abcdefgh')]);
    const f = encode([ethernet(ETH), ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }), icmpv6({ type: 1, code: 4 }), payload(quoted)]);
    const r = decode(f, 1);
    expect(r.layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv6', 'icmpv6', 'ipv6', 'udp', 'data']);
    expect(icmpv6Of(r.layers).value).toMatchObject({ isError: true, checksumStatus: 'good' });
    const d = dissect(packet(f));
    expect(d.columns).toMatchObject({ src: '2001:db8::1', info: 'Destination Unreachable (Port unreachable)' });
  });

  it('hands a quoted packet that is not IPv6 on as data', () => {
    const f = encode([ethernet(ETH), ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }), icmpv6({ type: 2, mtu: 1280 }), payload(new Uint8Array(8))]);
    expect(decode(f, 1).layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv6', 'icmpv6', 'data']);
  });
});

describe('icmpv6: checksum', () => {
  it('a wrong checksum is reported with the value it should hold', () => {
    const good = encode([ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }), icmpv6({ type: 128, id: 1, seq: 2 }), payload('aaaa')]);
    const bad = encode([ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }), icmpv6({ type: 128, id: 1, seq: 2, checksum: 0x1234 }), payload('aaaa')]);
    const v = icmpv6Of(decode(bad, 229).layers).value;
    expect(v.checksumStatus).toBe('bad');
    expect(v.checksumComputed).toBe((good[42] << 8) | good[43]);
  });
});

describe('icmpv6: ND options', () => {
  it('stops at a zero-length option instead of looping', () => {
    const r = parseNdOptions(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0), 0, 8);
    expect(r.options).toEqual([]);
    expect(r.malformed[0].reason).toMatch(/length 0/);
  });

  it('round-trips the builder forms', () => {
    const b = encodeNdOptions([{ sourceLinkAddr: Uint8Array.of(1, 2, 3, 4, 5, 6) }, { mtu: 1500 }, { prefix: parseIpv6('2001:db8::'), prefixLength: 64 }]);
    const r = parseNdOptions(b, 0, b.length);
    expect(r.options.map((o) => o.kind)).toEqual(['source-link-addr', 'mtu', 'prefix-info']);
    expect(r.options[2]).toMatchObject({ prefixLength: 64, flags: 0xc0, validLifetime: 2592000, preferredLifetime: 604800 });
  });
});

describe('icmpv6: property', () => {
  it('random echo identifiers, sequences and data survive with a good checksum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 0, max: 65535 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.boolean(),
        (id, seq, data, reply) => {
          const f = encode([ipv6({ src: 'fe80::1', dst: 'fe80::2' }), icmpv6({ type: reply ? 129 : 128, id, seq }), payload(data)]);
          expect(icmpv6Of(decode(f, 229).layers).value).toMatchObject({ id, seq, checksumStatus: 'good' });
        },
      ),
    );
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (b) => {
        const step = decodeIcmpv6({ frame: b, layers: [], options: { fcsLength: 0, verifyChecksums: true } }, 0, b.length);
        expect(step.payloadEnd).toBeLessThanOrEqual(b.length);
      }),
    );
  });
});

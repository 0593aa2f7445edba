// Ethernet II, VLAN tags, SLL/SLL2 and null/loopback: real frames decoded and re-emitted byte for
// byte, the padding and FCS traps, every truncation, and random headers through encode/decode.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, readFcs } from '../../src/wire/crc32.ts';
import { decode } from '../../src/wire/decode.ts';
import { encode, payload } from '../../src/wire/encode.ts';
import { ETHERTYPE, ethernet, type Ethernet, parseMac, vlan, type Vlan } from '../../src/wire/ethernet.ts';
import { arp } from '../../src/wire/arp.ts';
import { ipv4, type Ipv4 } from '../../src/wire/ipv4.ts';
import { nullFamily, nullLoopback, type NullLoopback } from '../../src/wire/null-loopback.ts';
import { sll, sll2, type Sll, type Sll2 } from '../../src/wire/sll.ts';
import { udp } from '../../src/wire/udp.ts';
import type { CapturedPacket } from '../../src/capture/types.ts';
import { DissectState } from '../../src/dissect/context.ts';
import { walkFields } from '../../src/dissect/field.ts';
import { LINK_MAPPERS } from '../../src/dissect/protocols/link-mappers.ts';

const b = (...x: number[]): Uint8Array => Uint8Array.from(x);
const hex = (h: string): Uint8Array => Uint8Array.from(h.replace(/\s+/g, '').match(/../g) ?? [], (x) => parseInt(x, 16));

/** icmp-many-types-pcapplusplus.pcapng frame 1: IGMP-ish ICMP to 224.0.0.2, padded to 60, with a valid FCS. */
const FRAME_WITH_FCS = b(
  0x01,
  0x00,
  0x5e,
  0x00,
  0x00,
  0x02,
  0x00,
  0x00,
  0x65,
  0x10,
  0x22,
  0x1b,
  0x08,
  0x00,
  0x45,
  0x00,
  0x00,
  0x1c,
  0x5f,
  0x01,
  0x00,
  0x00,
  0x80,
  0x01,
  0xdb,
  0xda,
  0x0a,
  0x01,
  0x16,
  0x02,
  0xe0,
  0x00,
  0x00,
  0x02,
  0x0a,
  0x00,
  0xf5,
  0xff,
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
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x54,
  0xae,
  0x33,
  0xe8,
);

/** vlan-arp-request-pcapplusplus.pcap: two stacked 802.1Q tags carrying an ARP request. */
const VLAN_ARP = b(
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xca,
  0x03,
  0x0d,
  0xb4,
  0x00,
  0x1c,
  0x81,
  0x00,
  0xb2,
  0x9a,
  0x81,
  0x00,
  0x40,
  0xc8,
  0x08,
  0x06,
  0x00,
  0x01,
  0x08,
  0x00,
  0x06,
  0x04,
  0x00,
  0x01,
  0xca,
  0x03,
  0x0d,
  0xb4,
  0x00,
  0x1c,
  0xc0,
  0xa8,
  0x02,
  0xc8,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0xc0,
  0xa8,
  0x02,
  0xfe,
);

/** sll-arp-gratuitous-zeek.pcap frame 5: Linux cooked v1, an ARP announcement padded with zeros. */
const SLL_ARP = b(
  0x00,
  0x01,
  0x00,
  0x01,
  0x00,
  0x06,
  0x00,
  0x50,
  0x56,
  0x8b,
  0x3f,
  0x0d,
  0x00,
  0x00,
  0x08,
  0x06,
  0x00,
  0x01,
  0x08,
  0x00,
  0x06,
  0x04,
  0x00,
  0x01,
  0x00,
  0x50,
  0x56,
  0x8b,
  0x3f,
  0x0d,
  0xc0,
  0xa8,
  0x16,
  0x51,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0xc0,
  0xa8,
  0x16,
  0x51,
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
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
);

/** sll2-tcp-pcapplusplus.pcap: the 20-byte SLL2 header (then IPv4/TCP). */
const SLL2_HEADER = hex('0800 0000 00000014 0001 04 06 d2cfc25015ea 0000');

describe('Ethernet II', () => {
  it('decodes a real frame with its FCS when the capture says there is one, and re-emits it', () => {
    const d = decode(FRAME_WITH_FCS, 1, { fcsLength: 4 });
    const eth = d.layers[0];
    const e = eth.value as Ethernet;
    expect(eth.kind).toBe('ethernet');
    expect(e.type).toBe(0x0800);
    expect(e.fcs).toBe(0xe833ae54);
    expect(e.fcsStatus).toBe('good');
    expect(eth.payloadEnd).toBe(60);
    // IPv4 total length 28: the 18 bytes of padding are neither IPv4 payload nor ICMP.
    const ip = d.layers[1];
    expect(ip.kind).toBe('ipv4');
    expect(ip.payloadEnd).toBe(14 + 28);
    const again = encode([
      ethernet({ src: e.src, dst: e.dst, pad: true, fcs: true }),
      ipv4({ src: (ip.value as Ipv4).src, dst: (ip.value as Ipv4).dst, id: 0x5f01, ttl: 128, protocol: 1 }),
      payload(FRAME_WITH_FCS.subarray(34, 42)),
    ]);
    expect(again).toEqual(FRAME_WITH_FCS);
  });

  it('never guesses an FCS: without fcsLength the last 4 bytes are just trailer', () => {
    const d = decode(FRAME_WITH_FCS, 1);
    const e = d.layers[0].value as Ethernet;
    expect(e.fcs).toBeUndefined();
    expect(d.layers[0].payloadEnd).toBe(64);
    expect(d.layers[1].payloadEnd).toBe(42);
  });

  it('reports a bad FCS, and an FCS set on purpose is used as given', () => {
    const bad = FRAME_WITH_FCS.slice();
    bad[63] ^= 0xff;
    expect((decode(bad, 1, { fcsLength: 4 }).layers[0].value as Ethernet).fcsStatus).toBe('bad');
    const frame = encode([ethernet({ src: '00:00:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff', type: 0x88b5, fcs: 0xdeadbeef }), payload('x')]);
    expect(readFcs(frame, frame.length - 4)).toBe(0xdeadbeef);
    expect((decode(frame, 1, { fcsLength: 4, verifyChecksums: false }).layers[0].value as Ethernet).fcsStatus).toBe('unverified');
  });

  it('fills the EtherType from the inner layer and pads to 60 bytes only when asked', () => {
    const inner = [ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 253 }), payload('hi')];
    const frame = encode([ethernet({ src: 'aa:bb:cc:dd:ee:ff', dst: '11:22:33:44:55:66' }), ...inner]);
    expect(frame.length).toBe(14 + 22);
    expect((frame[12] << 8) | frame[13]).toBe(ETHERTYPE.IPV4);
    const padded = encode([ethernet({ src: 'aa:bb:cc:dd:ee:ff', dst: '11:22:33:44:55:66', pad: true }), ...inner]);
    expect(padded.length).toBe(60);
    const d = decode(padded, 1);
    expect(d.layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv4', 'data']);
    expect(d.layers[2].length).toBe(2);
  });

  it('refuses to guess an EtherType it cannot know', () => {
    expect(() => encode([ethernet({ src: 'aa:bb:cc:dd:ee:ff', dst: '11:22:33:44:55:66' }), payload('x')])).toThrow(/type option/);
  });

  it('parses MAC addresses and rejects bad ones', () => {
    expect(parseMac('AA-BB-CC-00-11-22')).toEqual(b(0xaa, 0xbb, 0xcc, 0x00, 0x11, 0x22));
    expect(() => parseMac('aa:bb:cc')).toThrow(RangeError);
  });

  it('random headers survive encode/decode', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.integer({ min: 1501, max: 0xffff }),
        fc.uint8Array({ maxLength: 64 }),
        (src, dst, type, data) => {
          const frame = encode([ethernet({ src, dst, type, fcs: true }), payload(data)]);
          const d = decode(frame, 1, { fcsLength: 4 });
          const e = d.layers[0].value as Ethernet;
          expect(e.src).toEqual(src);
          expect(e.dst).toEqual(dst);
          expect(e.type).toBe(type);
          expect(e.fcsStatus).toBe('good');
          expect(e.fcs).toBe(crc32(frame, 0, frame.length - 4));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('VLAN tags', () => {
  it('decodes two stacked 802.1Q tags and re-emits the frame', () => {
    const d = decode(VLAN_ARP, 1);
    expect(d.layers.map((l) => l.kind)).toEqual(['ethernet', 'vlan', 'vlan', 'arp']);
    const outer = d.layers[1].value as Vlan;
    const inner = d.layers[2].value as Vlan;
    expect(outer).toMatchObject({ tpid: 0x8100, pcp: 5, dei: true, id: 666, type: 0x8100 });
    expect(inner).toMatchObject({ tpid: 0x8100, pcp: 2, dei: false, id: 200, type: 0x0806 });
    const again = encode([
      ethernet({ src: 'ca:03:0d:b4:00:1c', dst: 'ff:ff:ff:ff:ff:ff' }),
      vlan({ id: 666, pcp: 5, dei: true }),
      vlan({ id: 200, pcp: 2 }),
      arp({ senderMac: 'ca:03:0d:b4:00:1c', senderIp: '192.168.2.200', targetIp: '192.168.2.254' }),
    ]);
    expect(again).toEqual(VLAN_ARP);
  });

  it('builds QinQ: an 802.1ad S-tag (0x88a8) outside an 802.1Q C-tag', () => {
    const frame = encode([
      ethernet({ src: '00:10:94:00:00:14', dst: '00:10:94:00:00:0c' }),
      vlan({ id: 30, tpid: 0x88a8 }),
      vlan({ id: 100 }),
      ipv4({ src: '192.85.1.22', dst: '192.85.1.14', protocol: 253, ttl: 255 }),
    ]);
    expect(Array.from(frame.subarray(12, 22))).toEqual([0x88, 0xa8, 0x00, 0x1e, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00]);
    const d = decode(frame, 1);
    expect(d.layers.map((l) => [l.kind, (l.value as { tpid?: number }).tpid])).toEqual([
      ['ethernet', undefined],
      ['vlan', 0x88a8],
      ['vlan', 0x8100],
      ['ipv4', undefined],
    ]);
  });

  it('decodes tags to any depth the decode loop allows, without looping', () => {
    const tags = Array.from({ length: 100 }, (_, i) => vlan({ id: i + 1 }));
    const frame = encode([ethernet({ src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02' }), ...tags, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 253 })]);
    const d = decode(frame, 1);
    expect(d.layers.length).toBeLessThanOrEqual(65);
    expect(d.layers.filter((l) => l.kind === 'vlan').length).toBeGreaterThan(50);
  });

  it('random tags survive encode/decode', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 7 }), fc.boolean(), fc.constantFrom(0x8100, 0x88a8), (id, pcp, dei, tpid) => {
        const frame = encode([
          ethernet({ src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02' }),
          vlan({ id, pcp, dei, tpid }),
          arp({ senderMac: '00:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2' }),
        ]);
        const v = decode(frame, 1).layers[1].value as Vlan;
        expect(v).toEqual({ tpid, pcp, dei, id, type: 0x0806 });
      }),
      { numRuns: 200 },
    );
  });
});

describe('Linux cooked captures', () => {
  it('decodes SLL (v1) and re-emits it; the zero padding stays outside the ARP packet', () => {
    const d = decode(SLL_ARP, 113);
    expect(d.layers.map((l) => l.kind)).toEqual(['sll', 'arp']);
    const s = d.layers[0].value as Sll;
    expect(s).toMatchObject({ packetType: 1, hatype: 1, halen: 6, protocol: 0x0806 });
    expect(d.layers[1].payloadEnd).toBe(16 + 28);
    const again = encode([
      sll({ packetType: 1, address: '00:50:56:8b:3f:0d' }),
      arp({ senderMac: '00:50:56:8b:3f:0d', senderIp: '192.168.22.81' }),
      payload(new Uint8Array(18)),
    ]);
    expect(again).toEqual(SLL_ARP);
  });

  it('decodes SLL2 and re-emits its header', () => {
    const frame = encode([sll2({ ifindex: 20, packetType: 4, address: 'd2:cf:c2:50:15:ea', protocol: 0x0800 }), payload(new Uint8Array(0))]);
    expect(frame).toEqual(SLL2_HEADER);
    const s = decode(hex('0800 0000 00000014 0001 04 06 d2cfc25015ea 0000 4500'), 276).layers[0].value as Sll2;
    expect(s).toMatchObject({ protocol: 0x0800, ifindex: 20, hatype: 1, packetType: 4, halen: 6 });
  });
});

describe('null/loopback', () => {
  it('reads the family in either byte order, as Wireshark does', () => {
    expect(nullFamily(0x00000002)).toBe(2); // 02 00 00 00 (little-endian host)
    expect(nullFamily(0x02000000)).toBe(2); // 00 00 00 02 (big-endian host)
    expect(nullFamily(0x0000001e)).toBe(30);
    expect(nullFamily(0x1e000000)).toBe(30);
    expect(nullFamily(0x0008000f)).toBe(0x0f000800); // an EtherType, byte-swapped (Wireshark shows Type 0x0800)
  });

  it('builds and decodes both byte orders', () => {
    for (const byteOrder of ['le', 'be'] as const) {
      const frame = encode([nullLoopback({ byteOrder }), ipv4({ src: '127.0.0.1', dst: '127.0.0.1', protocol: 253 })]);
      const d = decode(frame, 0);
      expect(d.layers.map((l) => l.kind)).toEqual(['null', 'ipv4']);
      expect((d.layers[0].value as NullLoopback).family).toBe(2);
    }
  });
});

describe('truncated frames', () => {
  const frames: [string, Uint8Array, number, number][] = [
    ['ethernet + FCS', FRAME_WITH_FCS, 1, 4],
    ['vlan + arp', VLAN_ARP, 1, 0],
    ['sll + arp', SLL_ARP, 113, 0],
  ];
  for (const [name, frame, linkType, fcsLength] of frames) {
    it(`every prefix of ${name} decodes without throwing`, () => {
      for (let n = 0; n <= frame.length; n++) {
        const d = decode(frame.subarray(0, n), linkType, { fcsLength });
        for (const l of d.layers) {
          expect(l.offset + l.length).toBeLessThanOrEqual(n);
        }
      }
    });
  }

  it('a frame shorter than an Ethernet header is reported, with its offset', () => {
    const d = decode(VLAN_ARP.subarray(0, 9), 1);
    expect(d.malformed[0]).toMatchObject({ layer: 'eth', offset: 0 });
  });
});

/** The link-layer fields of a frame as netlab's mappers name them: name -> shows, in tree order. */
function linkFields(frame: Uint8Array, fcsLength = 0, linkType = 1): Map<string, string[]> {
  const packet: CapturedPacket = {
    number: 1,
    interfaceId: 0,
    iface: { linkType, snapLength: 65535, tsResolution: 1e6, fcsLength, container: 'pcapng' },
    tsSec: 0,
    tsNsec: 0,
    data: frame,
    origLength: frame.length,
    comments: [],
    warnings: [],
  };
  const d = decode(frame, linkType, { fcsLength });
  const state = new DissectState();
  const out = new Map<string, string[]>();
  d.layers.forEach((layer, index) => {
    const mapper = LINK_MAPPERS[layer.kind];
    if (mapper === undefined) return;
    for (const node of mapper(layer, { frame, packet, layers: d.layers, index, state, inIcmpError: false })) {
      for (const f of walkFields(node.fields)) out.set(f.name, [...(out.get(f.name) ?? []), f.show]);
    }
  });
  return out;
}

describe('Ethernet padding, trailer and FCS as tshark 4.0 shows them', () => {
  // A 42-byte Ethernet/IPv4/UDP frame, then whatever follows the IPv4 datagram.
  const base = encode([
    ethernet({ src: '66:77:88:99:aa:bb', dst: '00:11:22:33:44:55' }),
    ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
    udp({ sport: 53, dport: 53 }),
  ]);
  const withTail = (tail: string): Uint8Array => new Uint8Array([...base, ...hex(tail)]);
  const zeros = (n: number): string => '00'.repeat(n);
  const show = (m: Map<string, string[]>, n: string): string => (m.get(n) ?? []).join(',');

  it('zeros up to 60 bytes are padding', () => {
    const m = linkFields(withTail(zeros(18)));
    expect([show(m, 'eth.padding'), show(m, 'eth.trailer'), show(m, 'eth.fcs')]).toEqual([zeros(18), '', '']);
  });

  it('padding that is not all zeros is a trailer, with an expert note', () => {
    const m = linkFields(withTail('000001' + zeros(15)));
    expect([show(m, 'eth.padding'), show(m, 'eth.trailer')]).toEqual(['', '000001' + zeros(15)]);
    expect(show(m, '_ws.expert.message')).toMatch(/^Didn't find padding of zeros/);
  });

  it('a frame of 64 bytes or more with 4 bytes left shows them as an [unverified] FCS (display heuristic)', () => {
    const m = linkFields(withTail(zeros(18) + 'aabbccdd'));
    expect([show(m, 'eth.padding'), show(m, 'eth.trailer'), show(m, 'eth.fcs'), show(m, 'eth.fcs.status')]).toEqual([zeros(18), '', '0xaabbccdd', '2']);
    const m65 = linkFields(withTail(zeros(19) + 'aabbccdd'));
    expect([show(m65, 'eth.trailer'), show(m65, 'eth.fcs')]).toEqual(['00', '0xaabbccdd']);
  });

  it('a short frame keeps its trailer as trailer; padding needs a 60-byte frame', () => {
    expect(show(linkFields(withTail('0000')), 'eth.trailer')).toBe('0000');
    expect(show(linkFields(withTail('0000')), 'eth.padding')).toBe('');
  });

  it('with the FCS known from the capture, the last 4 bytes are the FCS whatever the length', () => {
    const m = linkFields(withTail('11223344'), 4);
    expect([show(m, 'eth.padding'), show(m, 'eth.trailer'), show(m, 'eth.fcs')]).toEqual(['', '', '0x11223344']);
  });

  it('behind a VLAN tag the tag owns padding and trailer, Ethernet the known FCS', () => {
    const tagged = encode([
      ethernet({ src: '66:77:88:99:aa:bb', dst: '00:11:22:33:44:55' }),
      vlan({ id: 100, pcp: 1 }),
      ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
      udp({ sport: 53, dport: 53 }),
    ]);
    const frame = new Uint8Array([...tagged, ...hex(zeros(14) + 'aabbccdd')]);
    const m = linkFields(frame, 4);
    expect([show(m, 'eth.padding'), show(m, 'vlan.trailer'), show(m, 'eth.fcs')]).toEqual([zeros(10), '00000000', '0xaabbccdd']);
  });
});

// VXLAN: a frame carried over UDP 4789 decodes into its inner Ethernet frame, flags and VNI as
// tshark shows them, and random values survive encode/decode. No shared capture holds VXLAN; the
// literal below was built with these builders and checked with tshark 4.0 (every checksum correct,
// frame.protocols eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:icmp:data).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CapturedPacket } from '../../src/capture/types.ts';
import { dissect } from '../../src/dissect/dissect.ts';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { decode } from '../../src/wire/decode.ts';
import { encode, payload } from '../../src/wire/encode.ts';
import { ethernet } from '../../src/wire/ethernet.ts';
import { icmp } from '../../src/wire/icmp.ts';
import { ipv4 } from '../../src/wire/ipv4.ts';
import type { DecodedLayer } from '../../src/wire/layer.ts';
import { udp } from '../../src/wire/udp.ts';
import { decodeVxlan, vxlan, type Vxlan } from '../../src/wire/vxlan.ts';

const bytes = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Loopback VXLAN (VNI 42) carrying an ICMP echo request between two virtual hosts. */
const FRAME = bytes(
  '020000000002020000000001080045000053000000004011' +
    '7c977f0000017f0000029c4012b5003f12740800000000002a00020000000102020000000101080045000021000000004001f788c0a80101c0a801020800b42b0001000168656c6c6f',
);

const outer = () => [ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }), ipv4({ src: '127.0.0.1', dst: '127.0.0.2' })];
const inner = () => [
  ethernet({ src: '02:00:00:00:01:01', dst: '02:00:00:00:01:02' }),
  ipv4({ src: '192.168.1.1', dst: '192.168.1.2' }),
  icmp({ type: 8, id: 1, seq: 1 }),
  payload('hello'),
];

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

describe('vxlan', () => {
  it('decodes into the inner Ethernet frame and re-emits byte for byte', () => {
    const { layers, malformed } = decode(FRAME, 1);
    expect(malformed).toEqual([]);
    expect(layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'icmp', 'data']);
    const v = (layers[3] as DecodedLayer<string, Vxlan>).value;
    expect(v).toEqual({ flags: 0x0800, groupPolicy: 0, vni: 42, reserved8: 0 });
    const out = encode([...outer(), udp({ sport: 40000, dport: 4789 }), vxlan({ vni: 42 }), ...inner()]);
    expect(hexOf(out)).toBe(hexOf(FRAME));
  });

  it('shows the fields and the inner frame as tshark does', () => {
    const d = dissect(packet(FRAME));
    expect(fieldText(d, 'vxlan.flags')).toBe('0x0800');
    expect(fieldText(d, 'vxlan.flag_i')).toBe('1');
    expect(fieldText(d, 'vxlan.vni')).toBe('42');
    expect(fieldText(d, 'udp.checksum.status')).toBe('1');
    expect(fieldText(d, 'frame.protocols')).toBe('eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:icmp:data');
    expect(d.columns).toMatchObject({ src: '192.168.1.1', dst: '192.168.1.2', protocol: 'ICMP' });
  });

  it('keeps flags, group policy and reserved bits set on purpose', () => {
    const f = encode([...outer(), udp({ sport: 40000, dport: 4789 }), vxlan({ vni: 0xabcdef, flags: 0x8848, groupPolicy: 0x1234, reserved8: 7 }), ...inner()]);
    const d = dissect(packet(f));
    expect([fieldText(d, 'vxlan.flags'), fieldText(d, 'vxlan.gbp'), fieldText(d, 'vxlan.vni'), fieldText(d, 'vxlan.reserved8')]).toEqual([
      '0x8848',
      '4660',
      '11259375',
      '7',
    ]);
  });

  it('reports a truncated header and decodes every prefix without throwing', () => {
    const step = decodeVxlan({ frame: FRAME, layers: [], options: { fcsLength: 0, verifyChecksums: true } }, 42, 46);
    expect(step.layer.malformed[0].reason).toMatch(/truncated/);
    for (let n = 0; n <= FRAME.length; n++) expect(() => decode(FRAME.subarray(0, n), 1)).not.toThrow();
  });

  it('shares a frame with DNS as Wireshark does: the lower port is tried first', () => {
    // A DNS stub that picks random source ports sends from 4789 one query in 64,512: it is DNS (53 is
    // lower), as tshark shows it; VXLAN from a port above 4789 stays VXLAN, and DNS from 53 to 4789 is DNS; mDNS (5353) to 4789 is VXLAN.
    const query = Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x77, 0x77, 4, 0x74, 0x65, 0x73, 0x74, 0, 0, 1, 0, 1]);
    const kinds = (sport: number, dport: number, body: Uint8Array) =>
      decode(encode([...outer(), udp({ sport, dport }), payload(body)]), 1).layers.map((l) => l.kind)[3];
    expect(kinds(4789, 53, query)).toBe('dns');
    expect(kinds(53, 4789, query)).toBe('dns');
    expect(kinds(4789, 5353, query)).toBe('vxlan');
    expect(kinds(5355, 4789, FRAME.subarray(50))).toBe('vxlan');
    expect(kinds(60000, 4789, FRAME.subarray(50))).toBe('vxlan');
    const d = dissect(packet(encode([...outer(), udp({ sport: 4789, dport: 53 }), payload(query)])));
    expect([fieldText(d, 'frame.protocols'), fieldText(d, 'dns.flags.response')]).toEqual(['eth:ethertype:ip:udp:dns', '0']);
  });

  it('random VNIs and flags survive encode/decode', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), fc.integer({ min: 0, max: 0xffff }), (vni, flags) => {
        const f = encode([...outer(), udp({ sport: 1, dport: 4789 }), vxlan({ vni, flags }), ...inner()]);
        const v = decode(f, 1).layers.find((l) => l.kind === 'vxlan') as DecodedLayer<string, Vxlan>;
        expect(v.value).toMatchObject({ vni, flags });
      }),
    );
  });
});

// IPv4: real packets (a TCP SYN, options of several kinds) decoded and re-emitted byte for byte, the
// padding trap, checksums set wrong on purpose, TCP/UDP over IPv4 with options checksummed through
// the pseudo-header contract, bogus headers, every truncation, random headers through encode/decode.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { transportChecksum, verifiesTo, ipv4PseudoSum } from '../../src/wire/checksum.ts';
import { decode } from '../../src/wire/decode.ts';
import { encode, nearestSpec, payload, type LayerSpec } from '../../src/wire/encode.ts';
import { ethernet } from '../../src/wire/ethernet.ts';
import { ipv4, type Ipv4, type Ipv4Spec, parseIpv4Address } from '../../src/wire/ipv4.ts';
import { ipv4Option, type Ipv4Option } from '../../src/wire/ipv4-options.ts';
import { rawIp } from '../../src/wire/raw-ip.ts';
import { tcp, type Tcp } from '../../src/wire/tcp.ts';
import { udp, type Udp } from '../../src/wire/udp.ts';

const b = (...x: number[]): Uint8Array => Uint8Array.from(x);
const ipOf = (frame: Uint8Array, linkType = 1): Ipv4 => decode(frame, linkType).layers.find((l) => l.kind === 'ipv4')?.value as Ipv4;

/** tcp-good-checksum-zeek.pcap: a TCP SYN 127.0.0.1:30000 -> 127.0.0.1:80. */
const TCP_SYN = b(
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x08,
  0x00,
  0x45,
  0x00,
  0x00,
  0x28,
  0x00,
  0x01,
  0x00,
  0x00,
  0x40,
  0x06,
  0x7c,
  0xcd,
  0x7f,
  0x00,
  0x00,
  0x01,
  0x7f,
  0x00,
  0x00,
  0x01,
  0x75,
  0x30,
  0x00,
  0x50,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x50,
  0x02,
  0x20,
  0x00,
  0x1c,
  0x60,
  0x00,
  0x00,
);

/** ipv4-options-pcapplusplus.pcap frame 3: IGMPv3 query with a router alert option, padded to 60. */
const IGMP_RA = b(
  0x01,
  0x00,
  0x5e,
  0x00,
  0x00,
  0x01,
  0xc4,
  0x12,
  0xf5,
  0xff,
  0x72,
  0xe8,
  0x08,
  0x00,
  0x46,
  0x00,
  0x00,
  0x24,
  0x00,
  0x00,
  0x40,
  0x00,
  0x01,
  0x02,
  0xfa,
  0x48,
  0x0a,
  0x00,
  0x00,
  0x8a,
  0xe0,
  0x00,
  0x00,
  0x01,
  0x94,
  0x04,
  0x00,
  0x00,
  0x11,
  0x0a,
  0xec,
  0x78,
  0x00,
  0x00,
  0x00,
  0x00,
  0x02,
  0x7d,
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

/** ipv4-options-pcapplusplus.pcap frame 5: ICMP echo with a timestamp option (flag 1: address + time). */
const ICMP_TS = b(
  0x08,
  0x00,
  0x27,
  0x19,
  0x1c,
  0x78,
  0xc4,
  0x12,
  0xf5,
  0xff,
  0x72,
  0xe8,
  0x08,
  0x00,
  0x4e,
  0x00,
  0x00,
  0x78,
  0x1f,
  0x85,
  0x00,
  0x00,
  0x40,
  0x01,
  0x02,
  0xc0,
  0x0a,
  0x00,
  0x00,
  0x8a,
  0x0a,
  0x00,
  0x00,
  0x06,
  0x44,
  0x24,
  0x1d,
  0x01,
  0x0a,
  0x00,
  0x00,
  0x06,
  0x04,
  0x2c,
  0xb0,
  0xa4,
  0x0a,
  0x00,
  0x00,
  0x8a,
  0x04,
  0x9a,
  0x7e,
  0x36,
  0x0a,
  0x00,
  0x00,
  0x8a,
  0x04,
  0x9a,
  0x7e,
  0x36,
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
  0xa1,
  0x28,
  0x08,
  0xb2,
  0x00,
  0x01,
  0x95,
  0x94,
  0xac,
  0x58,
  0x1f,
  0x34,
  0x0a,
  0x00,
  0x08,
  0x09,
  0x0a,
  0x0b,
  0x0c,
  0x0d,
  0x0e,
  0x0f,
  0x10,
  0x11,
  0x12,
  0x13,
  0x14,
  0x15,
  0x16,
  0x17,
  0x18,
  0x19,
  0x1a,
  0x1b,
  0x1c,
  0x1d,
  0x1e,
  0x1f,
  0x20,
  0x21,
  0x22,
  0x23,
  0x24,
  0x25,
  0x26,
  0x27,
  0x28,
  0x29,
  0x2a,
  0x2b,
  0x2c,
  0x2d,
  0x2e,
  0x2f,
  0x30,
  0x31,
  0x32,
  0x33,
  0x34,
  0x35,
  0x36,
  0x37,
);

/** ipv4-options-pcapplusplus.pcap frame 6: ICMP with NOP + strict source route. */
const ICMP_SSRR = b(
  0xc4,
  0x12,
  0xf5,
  0xff,
  0x72,
  0xe8,
  0x08,
  0x00,
  0x27,
  0x19,
  0x1c,
  0x78,
  0x08,
  0x00,
  0x47,
  0x00,
  0x00,
  0x24,
  0x33,
  0x4c,
  0x00,
  0x00,
  0x40,
  0x01,
  0x28,
  0x71,
  0x0a,
  0x00,
  0x00,
  0x06,
  0x0a,
  0x00,
  0x00,
  0x8a,
  0x01,
  0x89,
  0x07,
  0x04,
  0x00,
  0x00,
  0x00,
  0x00,
  0x08,
  0x00,
  0x5d,
  0x07,
  0x9a,
  0xf6,
  0x00,
  0x02,
);

describe('IPv4', () => {
  it('decodes a real TCP SYN and re-emits it; TCP checksums over the pseudo-header from ipv4()', () => {
    const d = decode(TCP_SYN, 1);
    expect(d.layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv4', 'tcp']);
    const ip = d.layers[1].value as Ipv4;
    expect(ip).toMatchObject({
      version: 4,
      ihl: 5,
      totalLength: 40,
      id: 1,
      ttl: 64,
      protocol: 6,
      checksum: 0x7ccd,
      checksumStatus: 'good',
      df: false,
      mf: false,
      fragmentOffset: 0,
    });
    const again = encode([
      ethernet({ src: '00:00:00:00:00:00', dst: 'ff:ff:ff:ff:ff:ff' }),
      ipv4({ src: '127.0.0.1', dst: '127.0.0.1', id: 1 }),
      tcp({ sport: 30000, dport: 80, flags: 'S', window: 8192 }),
    ]);
    expect(again).toEqual(TCP_SYN);
  });

  it('trims Ethernet padding: the payload ends at Total Length (real IGMP query with router alert)', () => {
    const d = decode(IGMP_RA, 1);
    const layer = d.layers[1];
    const ip = layer.value as Ipv4;
    expect(ip.ihl).toBe(6);
    expect(ip.options.map((o) => o.kind)).toEqual(['router-alert']);
    expect(layer.payloadOffset).toBe(14 + 24);
    expect(layer.payloadEnd).toBe(14 + 36);
    expect(d.layers[2]).toMatchObject({ kind: 'data', offset: 38, length: 12 });
    const again = encode([
      ethernet({ src: 'c4:12:f5:ff:72:e8', dst: '01:00:5e:00:00:01', pad: true }),
      ipv4({ src: '10.0.0.138', dst: '224.0.0.1', df: true, ttl: 1, protocol: 2, options: [ipv4Option.routerAlert(0)] }),
      payload(IGMP_RA.subarray(38, 50)),
    ]);
    expect(again).toEqual(IGMP_RA);
  });

  it('parses a timestamp option with addresses and re-emits the options as they came', () => {
    const ip = ipOf(ICMP_TS);
    const ts = ip.options[0] as Extract<Ipv4Option, { kind: 'timestamp' }>;
    expect(ts).toMatchObject({ kind: 'timestamp', type: 68, length: 36, pointer: 29, overflow: 0, flag: 1 });
    expect(ts.entries.map((e) => [Array.from(e.address ?? []).join('.'), e.timestamp])).toEqual([
      ['10.0.0.6', 70037668],
      ['10.0.0.138', 77233718],
      ['10.0.0.138', 77233718],
      ['0.0.0.0', 0],
    ]);
    const again = encode([
      ethernet({ src: 'c4:12:f5:ff:72:e8', dst: '08:00:27:19:1c:78' }),
      ipv4({ src: ip.src, dst: ip.dst, id: ip.id, ttl: ip.ttl, protocol: 1, options: ip.optionsBytes }),
      payload(ICMP_TS.subarray(14 + 56)),
    ]);
    expect(again).toEqual(ICMP_TS);
  });

  it('parses NOP and a strict source route; builds the same option bytes', () => {
    const ip = ipOf(ICMP_SSRR);
    expect(ip.options.map((o) => o.kind)).toEqual(['nop', 'route']);
    const route = ip.options[1] as Extract<Ipv4Option, { kind: 'route' }>;
    expect(route).toMatchObject({ type: 137, length: 7, pointer: 4 });
    expect(route.addresses.map((a) => Array.from(a))).toEqual([[0, 0, 0, 0]]);
    const again = encode([
      ethernet({ src: '08:00:27:19:1c:78', dst: 'c4:12:f5:ff:72:e8' }),
      ipv4({ src: '10.0.0.6', dst: '10.0.0.138', id: 0x334c, protocol: 1, options: [ipv4Option.nop(), ipv4Option.strictSourceRoute([new Uint8Array(4)])] }),
      payload(ICMP_SSRR.subarray(42)),
    ]);
    expect(again).toEqual(ICMP_SSRR);
  });

  it('keeps an unknown option raw, and stops at an option whose length does not fit', () => {
    const frame = encode([rawIp(), ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 253, options: [ipv4Option.raw(0x9e, b(1, 2))] })]);
    const ip = ipOf(frame, 101);
    expect(ip.options[0]).toMatchObject({ kind: 'unknown', type: 0x9e, length: 4 });
    const bad = frame.slice();
    bad[21] = 9; // option length 9 in a 4-byte options area
    const d = decode(bad, 101);
    expect(d.malformed).toEqual([{ layer: 'ipv4', offset: 21, reason: 'IPv4 option 158 length 9 does not fit in the 4 option bytes left' }]);
  });

  it('UDP and TCP over IPv4 with options checksum over the pseudo-header the spec exposes', () => {
    const ipSpec = ipv4({ src: '192.0.2.1', dst: '198.51.100.7', options: [ipv4Option.nop(), ipv4Option.routerAlert()] });
    const u = encode([rawIp(), ipSpec, udp({ sport: 5353, dport: 53 }), payload('netlab')]);
    const ip = ipOf(u, 101);
    expect(ip.ihl).toBe(7);
    const seg = u.subarray(28);
    expect(verifiesTo(seg, 0, seg.length, ipv4PseudoSum(ip.src, ip.dst, 17, seg.length))).toBe(true);
    expect((decode(u, 101).layers[2].value as Udp).checksumStatus).toBe('good');
    const t = encode([
      rawIp(),
      ipv4({ src: '192.0.2.1', dst: '198.51.100.7', options: [ipv4Option.timestamp(2)] }),
      tcp({ sport: 1, dport: 2, flags: 'PA' }),
      payload('hi'),
    ]);
    expect((decode(t, 101).layers[2].value as Tcp).checksumStatus).toBe('good');
    // The contract: what an inner builder sees of the IP layer.
    const seen: LayerSpec[] = [];
    const probe: LayerSpec = {
      kind: 'probe',
      emit(p, ctx) {
        seen.push(...ctx.outer);
        return p;
      },
    };
    encode([ipv4({ src: '192.0.2.1', dst: '198.51.100.7', protocol: 253 }), probe]);
    const outer = nearestSpec<Ipv4Spec>(seen, 'ipv4', 'ipv6');
    expect(outer).toMatchObject({ version: 4, src: parseIpv4Address('192.0.2.1'), dst: parseIpv4Address('198.51.100.7') });
    expect(transportChecksum(outer!, 17, new Uint8Array(8))).toBeTypeOf('number');
  });

  it('fills what is unset and uses what is set, even when wrong', () => {
    const good = encode([rawIp(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1, dport: 2 })]);
    expect(ipOf(good, 101)).toMatchObject({ protocol: 17, totalLength: 28, ihl: 5, checksumStatus: 'good', ttl: 64 });
    const wrong = encode([
      rawIp(),
      ipv4({ src: '10.0.0.1', dst: '10.0.0.2', checksum: 0x1234, ttl: 0, totalLength: 1000, protocol: 99 }),
      udp({ sport: 1, dport: 2 }),
    ]);
    expect(ipOf(wrong, 101)).toMatchObject({ checksum: 0x1234, checksumStatus: 'bad', ttl: 0, totalLength: 1000, protocol: 99 });
    const recomputed = encode([rawIp(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2', checksum: 'recompute' }), udp({ sport: 1, dport: 2 })]);
    expect(recomputed).toEqual(good);
    const evil = ipOf(encode([rawIp(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2', reserved: true, df: true, protocol: 253 })]), 101);
    expect(evil).toMatchObject({ flags: 0b110, reserved: true, df: true, mf: false });
  });

  it('hands a fragment on as data, and a whole datagram to its protocol', () => {
    const frag = encode([rawIp(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2', mf: true, id: 7 }), udp({ sport: 1, dport: 2 }), payload(new Uint8Array(8))]);
    expect(decode(frag, 101).layers.map((l) => l.kind)).toEqual(['raw', 'ipv4', 'data']);
    const later = encode([rawIp(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2', fragmentOffset: 3, protocol: 17 }), payload(new Uint8Array(8))]);
    expect(ipOf(later, 101).fragmentOffset).toBe(3);
    expect(decode(later, 101).layers.map((l) => l.kind)).toEqual(['raw', 'ipv4', 'data']);
  });

  it('reports bogus header lengths and versions as Wireshark does, without reading further', () => {
    const base = encode([rawIp(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17 }), payload(new Uint8Array(8))]);
    const ihl = base.slice();
    ihl[0] = 0x44;
    expect(decode(ihl, 228).malformed[0]).toEqual({ layer: 'ipv4', offset: 0, reason: 'Bogus IP header length (16, must be at least 20)' });
    const len = base.slice();
    len[3] = 12;
    expect(decode(len, 228).malformed[0].reason).toBe('Bogus IP length (12, less than header length 20)');
    const v3 = base.slice();
    v3[0] = 0x35;
    expect(decode(v3, 228).malformed[0].reason).toBe('Bogus IPv4 version (3, must be 4)');
    // Total Length 0 (segmentation offload): the datagram is what the frame holds.
    const tso = base.slice();
    tso[2] = 0;
    tso[3] = 0;
    const d = decode(tso, 228);
    expect(d.layers[0].payloadEnd).toBe(28);
  });

  it('every prefix of real packets decodes without throwing or reading past the end', () => {
    for (const frame of [TCP_SYN, IGMP_RA, ICMP_TS, ICMP_SSRR]) {
      for (let n = 0; n <= frame.length; n++) {
        const d = decode(frame.subarray(0, n), 1);
        for (const l of d.layers) expect(l.offset + l.length).toBeLessThanOrEqual(n);
        if (n > 14 && n < 34) expect(d.malformed.some((m) => m.layer === 'ipv4')).toBe(true);
      }
    }
  });

  it('random headers survive encode/decode', () => {
    const addr = fc.uint8Array({ minLength: 4, maxLength: 4 });
    fc.assert(
      fc.property(
        addr,
        addr,
        fc.record({
          ttl: fc.integer({ min: 0, max: 255 }),
          id: fc.integer({ min: 0, max: 0xffff }),
          dscp: fc.integer({ min: 0, max: 63 }),
          ecn: fc.integer({ min: 0, max: 3 }),
          df: fc.boolean(),
          protocol: fc.integer({ min: 0, max: 255 }),
          slots: fc.integer({ min: 0, max: 9 }),
        }),
        fc.uint8Array({ maxLength: 40 }),
        (src, dst, r, data) => {
          const options = r.slots > 0 ? [ipv4Option.recordRoute(r.slots)] : undefined;
          const frame = encode([
            rawIp(),
            ipv4({ src, dst, ttl: r.ttl, id: r.id, dscp: r.dscp, ecn: r.ecn, df: r.df, protocol: r.protocol, options }),
            payload(data),
          ]);
          const d = decode(frame, 101);
          const ip = d.layers[1].value as Ipv4;
          expect(ip).toMatchObject({
            src,
            dst,
            ttl: r.ttl,
            id: r.id,
            dscp: r.dscp,
            ecn: r.ecn,
            df: r.df,
            protocol: r.protocol,
            checksumStatus: 'good',
            totalLength: frame.length,
          });
          expect(ip.options.filter((o) => o.kind === 'route').length).toBe(r.slots > 0 ? 1 : 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

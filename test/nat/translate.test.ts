// Packet rewriting: every checksum updated incrementally equals a full recomputation (property test
// over random TCP/UDP/ICMP datagrams and random mappings), and ICMP errors rewritten inside decode
// with every checksum good.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode, ethernet, icmp, internetChecksum, ipv4, payload, tcp, transportChecksum, udp, type DecodedLayer } from '../../src/wire/index.ts';
import { ipv4ToBytes } from '../../src/netsim/host-addr.ts';
import { rewriteEndpoint, rewriteIcmpError } from '../../src/nat/translate.ts';

const ETH = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
const word = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];

function checksumStatuses(frame: Uint8Array): string[] {
  const out: string[] = [];
  const walk = (ls: readonly DecodedLayer[]): void => {
    for (const l of ls) {
      const v = l.value as { checksumStatus?: string };
      if (v !== null && typeof v === 'object' && typeof v.checksumStatus === 'string') out.push(`${l.kind}:${v.checksumStatus}`);
    }
  };
  walk(decode(frame, 1).layers);
  return out;
}

/** The checksums recomputed from scratch: [ip, transport or icmp]. */
function fullChecksums(frame: Uint8Array): [number, number] {
  const ip = 14;
  const ihl = (frame[ip] & 15) * 4;
  const copy = Uint8Array.from(frame);
  copy[ip + 10] = copy[ip + 11] = 0;
  const ipcs = internetChecksum(copy, ip, ihl);
  const proto = frame[ip + 9];
  const l4 = ip + ihl;
  const end = ip + word(frame, ip + 2);
  const csAt = proto === 6 ? l4 + 16 : proto === 17 ? l4 + 6 : l4 + 2;
  copy[csAt] = copy[csAt + 1] = 0;
  let cs: number;
  if (proto === 1) cs = internetChecksum(copy, l4, end - l4);
  else {
    cs = transportChecksum({ version: 4, src: copy.subarray(ip + 12, ip + 16), dst: copy.subarray(ip + 16, ip + 20) }, proto, copy, l4, end - l4);
    if (proto === 17 && cs === 0) cs = 0xffff;
  }
  return [ipcs, cs];
}

const addrArb = fc.integer({ min: 1, max: 0xffffffff });
const portArb = fc.integer({ min: 0, max: 65535 });
const dataArb = fc.uint8Array({ maxLength: 64 });

const packetArb = fc.record({
  proto: fc.constantFrom('tcp', 'udp', 'icmp'),
  src: addrArb,
  dst: addrArb,
  sport: portArb,
  dport: portArb,
  data: dataArb,
  ttl: fc.integer({ min: 1, max: 255 }),
  id: portArb,
  flags: fc.constantFrom('S', 'SA', 'A', 'PA', 'FA', 'R'),
});

type Packet = typeof packetArb extends fc.Arbitrary<infer T> ? T : never;

function build(p: Packet): Uint8Array {
  const l4 =
    p.proto === 'tcp'
      ? tcp({ sport: p.sport, dport: p.dport, flags: p.flags, seq: p.id * 7919 })
      : p.proto === 'udp'
        ? udp({ sport: p.sport, dport: p.dport })
        : icmp({ type: 8, id: p.sport, seq: p.dport });
  return encode([ethernet(ETH), ipv4({ src: ipv4ToBytes(p.src), dst: ipv4ToBytes(p.dst), ttl: p.ttl, id: p.id }), l4, payload(p.data)]);
}

describe('incremental checksums (RFC 1624)', () => {
  it('equal a full recomputation for random datagrams and mappings, either side rewritten', () => {
    fc.assert(
      fc.property(packetArb, addrArb, portArb, fc.boolean(), (p, newAddr, newPort, source) => {
        const frame = build(p);
        rewriteEndpoint(frame, 14, source, newAddr, newPort);
        const [ipcs, cs] = fullChecksums(frame);
        expect(word(frame, 24)).toBe(ipcs);
        const l4 = 14 + 20;
        const csAt = p.proto === 'tcp' ? l4 + 16 : p.proto === 'udp' ? l4 + 6 : l4 + 2;
        expect(word(frame, csAt)).toBe(cs);
        // The fields moved: address, then the port or the echo identifier.
        expect(frame.subarray(source ? 26 : 30, source ? 30 : 34)).toEqual(ipv4ToBytes(newAddr));
        const portAt = p.proto === 'icmp' ? l4 + 4 : source ? l4 : l4 + 2;
        expect(word(frame, portAt)).toBe(newPort);
        expect(checksumStatuses(frame).every((s) => s.endsWith(':good'))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('leaves a UDP datagram without a checksum without one', () => {
    const frame = encode([
      ethernet(ETH),
      ipv4({ src: '192.168.1.2', dst: '151.101.65.69' }),
      udp({ sport: 1234, dport: 53, checksum: 0 }),
      payload(new Uint8Array([1, 2, 3])),
    ]);
    rewriteEndpoint(frame, 14, true, 0xcb007105, 50001);
    expect(word(frame, 14 + 20 + 6)).toBe(0);
    expect(word(frame, 24)).toBe(fullChecksums(frame)[0]);
  });

  it('keeps the 1:1 case (port -1) to the address and the checksums over it', () => {
    const frame = encode([ethernet(ETH), ipv4({ src: '192.168.1.2', dst: '142.250.195.100' }), tcp({ sport: 1234, dport: 443, flags: 'S' })]);
    rewriteEndpoint(frame, 14, true, 0xcb007106, -1);
    expect(word(frame, 34)).toBe(1234);
    expect(checksumStatuses(frame)).toEqual(['ipv4:good', 'tcp:good']);
  });
});

describe('ICMP errors rewritten inside (RFC 5508)', () => {
  function errorAbout(inner: Uint8Array, from: string, to: string, type = 3, code = 3): Uint8Array {
    return encode([ethernet(ETH), ipv4({ src: from, dst: to }), icmp({ type, code }), payload(inner)]);
  }

  it('port unreachable from outside about a translated UDP datagram: every checksum good after', () => {
    fc.assert(
      fc.property(portArb, portArb, dataArb, addrArb, portArb, fc.constantFrom(3, 11), (ext, rport, data, insideAddr, insidePort, type) => {
        // What went out: 203.0.113.5:ext -> 151.101.65.69:rport (whole datagram quoted).
        const sent = encode([ipv4({ src: '203.0.113.5', dst: '151.101.65.69', ttl: 1 }), udp({ sport: ext, dport: rport }), payload(data)]);
        const frame = errorAbout(sent, '151.101.65.69', '203.0.113.5', type, 0);
        expect(rewriteIcmpError(frame, 14, false, insideAddr, true, insideAddr, insidePort)).toBe(true);
        const statuses = checksumStatuses(frame);
        expect(statuses).toEqual(['ipv4:good', 'icmp:good', 'ipv4:good', 'udp:good']);
        expect(frame.subarray(30, 34)).toEqual(ipv4ToBytes(insideAddr));
        expect(frame.subarray(14 + 28 + 12, 14 + 28 + 16)).toEqual(ipv4ToBytes(insideAddr));
        expect(word(frame, 14 + 28 + 20)).toBe(insidePort);
      }),
      { numRuns: 200 },
    );
  });

  it('TCP and echo quotes (8 bytes, as RFC 792 asks) keep the ICMP and quoted IPv4 checksums good', () => {
    const syn = encode([ipv4({ src: '203.0.113.5', dst: '142.250.195.100' }), tcp({ sport: 50001, dport: 443, flags: 'S' })]);
    const f1 = errorAbout(syn.subarray(0, 28), '10.9.9.9', '203.0.113.5', 11, 0);
    expect(rewriteIcmpError(f1, 14, false, 0xc0a80102, true, 0xc0a80102, 1234)).toBe(true);
    const s1 = checksumStatuses(f1);
    expect(s1.slice(0, 3)).toEqual(['ipv4:good', 'icmp:good', 'ipv4:good']);
    expect(word(f1, 14 + 28 + 20)).toBe(1234);
    const echo = encode([ipv4({ src: '203.0.113.5', dst: '142.250.195.100' }), icmp({ type: 8, id: 7, seq: 1 }), payload(new Uint8Array(8).fill(9))]);
    const f2 = errorAbout(echo, '10.9.9.9', '203.0.113.5', 3, 1);
    expect(rewriteIcmpError(f2, 14, false, 0xc0a80103, true, 0xc0a80103, 4242)).toBe(true);
    // The decoder leaves a quoted ICMP message's checksum unverified: sum it here (the whole echo is quoted).
    expect(checksumStatuses(f2)).toEqual(['ipv4:good', 'icmp:good', 'ipv4:good', 'icmp:unverified']);
    expect(internetChecksum(f2, 14 + 28 + 20, f2.length - (14 + 28 + 20))).toBe(0);
    expect(word(f2, 14 + 28 + 20 + 4)).toBe(4242);
  });

  it('refuses a quote too short to hold the quoted header', () => {
    const f = errorAbout(new Uint8Array(12), '10.9.9.9', '203.0.113.5');
    const before = Uint8Array.from(f);
    expect(rewriteIcmpError(f, 14, false, 1, true, 1, 1)).toBe(false);
    expect(f).toEqual(before);
  });
});

// The translator on crafted frames and a ManualClock: the RFC 4787 behaviours on the same traffic,
// allocation (preservation, range, parity, random, hold), exhaustion and quotas with counters,
// timeouts and TCP state (RFC 5382), unsolicited SYN, static forwards, 1:1, hairpinning, ICMP query
// identifiers and errors (RFC 5508), and the table's events.

import { describe, expect, it } from 'vitest';
import { decode, encode, ethernet, icmp, ipv4, payload, tcp, udp, type DecodedLayer } from '../../src/wire/index.ts';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { seededRandom } from '../../src/base/random.ts';
import { NAT_VERDICT, Nat, type NatOptions } from '../../src/nat/nat.ts';
import type { NatBehaviour, NatEvent } from '../../src/nat/types.ts';

const ETH = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
const PUB = '203.0.113.5';

function nat(options: Partial<NatOptions> = {}): { n: Nat; clock: ManualClock } {
  const clock = new ManualClock(0);
  const n = new Nat({ publicAddress: PUB, inside: '192.168.1.0/24', clock, random: seededRandom('nat'), ...options });
  return { n, clock };
}

function udpFrame(src: string, sport: number, dst: string, dport: number): Uint8Array {
  return encode([ethernet(ETH), ipv4({ src, dst }), udp({ sport, dport }), payload(new Uint8Array([1, 2, 3, 4, 5]))]);
}
function tcpFrame(src: string, sport: number, dst: string, dport: number, flags: string): Uint8Array {
  return encode([ethernet(ETH), ipv4({ src, dst }), tcp({ sport, dport, flags, seq: 1000 })]);
}
const word = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];
const ipText = (b: Uint8Array, at: number): string => [...b.subarray(at, at + 4)].join('.');
/** "src:sport > dst:dport" of a TCP/UDP frame. */
const flow = (f: Uint8Array): string => `${ipText(f, 26)}:${word(f, 34)} > ${ipText(f, 30)}:${word(f, 36)}`;

function statuses(frame: Uint8Array): string[] {
  return decode(frame, 1)
    .layers.map((l: DecodedLayer) => (l.value as { checksumStatus?: string } | null)?.checksumStatus)
    .filter((s): s is string => typeof s === 'string');
}

/** Sends UDP from 192.168.1.2:4000 to `dst`, returns the public port used (-1 if refused). */
function out(n: Nat, dst: string, dport: number, src = '192.168.1.2', sport = 4000): number {
  const f = udpFrame(src, sport, dst, dport);
  return n.outbound(f, 14) === NAT_VERDICT.TRANSLATED ? word(f, 34) : -1;
}
/** A UDP datagram from outside to the public port: where it went inside, or the verdict. */
function into(n: Nat, src: string, sport: number, port: number): string {
  const f = udpFrame(src, sport, PUB, port);
  const v = n.inbound(f, 14);
  return v === NAT_VERDICT.TRANSLATED ? `${ipText(f, 30)}:${word(f, 36)}` : v === NAT_VERDICT.DROP ? `drop ${n.lastRefusal}` : 'pass';
}

describe('RFC 4787 behaviours on the same traffic', () => {
  const kinds: [string, NatBehaviour, NatBehaviour][] = [
    ['full cone', 'endpoint-independent', 'endpoint-independent'],
    ['restricted cone', 'endpoint-independent', 'address-dependent'],
    ['port restricted cone', 'endpoint-independent', 'address-and-port-dependent'],
    ['address-dependent mapping', 'address-dependent', 'address-and-port-dependent'],
    ['symmetric', 'address-and-port-dependent', 'address-and-port-dependent'],
  ];
  const expected: Record<string, { samePortA2: boolean; samePortB: boolean; inbound: [string, string, string] }> = {
    'full cone': { samePortA2: true, samePortB: true, inbound: ['192.168.1.2:4000', '192.168.1.2:4000', '192.168.1.2:4000'] },
    'restricted cone': { samePortA2: true, samePortB: true, inbound: ['192.168.1.2:4000', '192.168.1.2:4000', 'drop filtered'] },
    'port restricted cone': { samePortA2: true, samePortB: true, inbound: ['192.168.1.2:4000', 'drop filtered', 'drop filtered'] },
    'address-dependent mapping': { samePortA2: true, samePortB: false, inbound: ['192.168.1.2:4000', 'drop filtered', 'drop filtered'] },
    symmetric: { samePortA2: false, samePortB: false, inbound: ['192.168.1.2:4000', 'drop filtered', 'drop filtered'] },
  };
  for (const [name, mapping, filtering] of kinds) {
    it(`${name}: mapping ${mapping}, filtering ${filtering}`, () => {
      const { n } = nat({ mapping, filtering });
      const pA = out(n, '198.51.100.1', 3478);
      const pA2 = out(n, '198.51.100.1', 3479);
      const pB = out(n, '198.51.100.2', 3478);
      const e = expected[name];
      expect(pA).toBe(4000); // preserved
      expect(pA2 === pA).toBe(e.samePortA2);
      expect(pB === pA).toBe(e.samePortB);
      expect(new Set([pA, pA2, pB]).size).toBe(1 + (e.samePortA2 ? 0 : 1) + (e.samePortB ? 0 : e.samePortA2 ? 1 : 1));
      expect([into(n, '198.51.100.1', 3478, pA), into(n, '198.51.100.1', 9999, pA), into(n, '198.51.100.3', 3478, pA)]).toEqual(e.inbound);
      expect(n.counters.refusedFiltered).toBe(e.inbound.filter((x) => x.startsWith('drop')).length);
    });
  }
});

describe('port allocation', () => {
  it('keeps the inside port, else takes the range in order with the parity kept (REQ-4)', () => {
    const { n } = nat({ ports: { min: 50001, max: 50010 } });
    expect(out(n, '198.51.100.1', 53, '192.168.1.2', 4001)).toBe(4001);
    // The same inside port from another host: 4001 is taken, so the first odd port of the range.
    expect(out(n, '198.51.100.1', 53, '192.168.1.3', 4001)).toBe(50001);
    expect(out(n, '198.51.100.1', 53, '192.168.1.4', 4001)).toBe(50003);
    expect(out(n, '198.51.100.1', 53, '192.168.1.5', 4000)).toBe(4000);
    expect(out(n, '198.51.100.1', 53, '192.168.1.6', 4000)).toBe(50004);
  });

  it('random allocation (RFC 6056 algorithm 1) and hashed (algorithm 3) stay in the range, distinct, parity kept', () => {
    for (const allocation of ['random', 'hashed'] as const) {
      const { n } = nat({ ports: { min: 20000, max: 29999, preserve: false, allocation } });
      const ports = Array.from({ length: 200 }, (_, i) => out(n, '198.51.100.1', 53, '192.168.1.2', 1000 + 2 * i));
      expect(new Set(ports).size).toBe(200);
      expect(ports.every((p) => p >= 20000 && p <= 29999 && p % 2 === 0)).toBe(true);
      if (allocation === 'random') expect(ports).not.toEqual([...ports].sort((a, b) => a - b)); // not handed out in order
    }
    // Algorithm 3: one destination's ports follow each other, another destination starts elsewhere.
    const { n } = nat({ ports: { min: 20000, max: 29999, preserve: false, parity: false, allocation: 'hashed' } });
    const a1 = out(n, '198.51.100.1', 53, '192.168.1.2', 1000);
    const a2 = out(n, '198.51.100.1', 53, '192.168.1.2', 1001);
    const b1 = out(n, '198.51.100.77', 4444, '192.168.1.2', 1002);
    expect(a2).toBe(a1 + 1);
    expect(Math.abs(b1 - a1)).toBeGreaterThan(2);
  });

  it('drops new flows when the pool runs out, counts them, keeps every existing mapping', () => {
    const { n } = nat({ ports: { min: 50001, max: 50004, preserve: false, parity: false } });
    const events: NatEvent[] = [];
    n.table.onEvent((e) => events.push(e));
    const got = [1, 2, 3, 4, 5, 6].map((i) => out(n, '198.51.100.1', 53, '192.168.1.2', 4000 + i));
    expect(got).toEqual([50001, 50002, 50003, 50004, -1, -1]);
    expect(n.lastRefusal).toBe('pool-exhausted');
    expect(n.counters.refusedPoolExhausted).toBe(2);
    expect(events.filter((e) => e.type === 'refused').map((e) => (e.type === 'refused' ? `${e.reason} ${e.source}:${e.sourcePort}` : ''))).toEqual([
      'pool-exhausted 192.168.1.2:4005',
      'pool-exhausted 192.168.1.2:4006',
    ]);
    // Existing flows still go both ways.
    expect(out(n, '198.51.100.1', 53, '192.168.1.2', 4001)).toBe(50001);
    expect(into(n, '198.51.100.1', 53, 50004)).toBe('192.168.1.2:4004');
    expect(n.table.size).toBe(4);
  });

  it('tells the caller to send ICMP unreachable when configured', () => {
    const { n } = nat({ ports: { min: 50001, max: 50001, preserve: false, parity: false }, unreachableOnRefusal: true });
    expect(out(n, '198.51.100.1', 53)).toBe(50001);
    const f = udpFrame('192.168.1.3', 5000, '198.51.100.1', 53);
    expect(n.outbound(f, 14)).toBe(NAT_VERDICT.DROP_UNREACHABLE);
  });

  it('enforces a per-host quota (RFC 6888) without touching other hosts', () => {
    const { n } = nat({ perHostQuota: 2 });
    expect([1, 2, 3].map((i) => out(n, '198.51.100.1', 53, '192.168.1.2', 4000 + i))).toEqual([4001, 4002, -1]);
    expect(n.lastRefusal).toBe('quota-exceeded');
    expect(out(n, '198.51.100.1', 53, '192.168.1.3', 4003)).toBe(4003);
    expect(n.counters.refusedQuota).toBe(1);
    expect(n.table.mappingsOf(0xc0a80102)).toBe(2);
  });

  it('holds a freed port back for the hold time', () => {
    const { n, clock } = nat({ ports: { min: 50001, max: 50002, preserve: false, parity: false, holdMs: 60_000 } });
    expect(out(n, '198.51.100.1', 53, '192.168.1.2', 4001)).toBe(50001);
    expect(out(n, '198.51.100.1', 53, '192.168.1.2', 4002)).toBe(50002);
    clock.advance(300_000); // both expire (UDP 5 min)
    n.table.sweep();
    expect(n.table.size).toBe(0);
    expect(out(n, '198.51.100.1', 53, '192.168.1.2', 4003)).toBe(-1);
    clock.advance(60_000);
    expect(out(n, '198.51.100.1', 53, '192.168.1.2', 4003)).toBe(50001);
  });
});

describe('timeouts and state', () => {
  it('UDP: 5 min by default, refreshed by outbound traffic only', () => {
    const { n, clock } = nat();
    const events: string[] = [];
    n.table.onEvent((e) => events.push(e.type));
    const p = out(n, '198.51.100.1', 53);
    clock.advance(200_000);
    expect(into(n, '198.51.100.1', 53, p)).toBe('192.168.1.2:4000'); // does not refresh
    clock.advance(100_000);
    expect(into(n, '198.51.100.1', 53, p)).toBe('pass'); // expired: 300 s after the last outbound
    // A new mapping: port 4000 is held for 2 minutes after its mapping went, so the range's first even port.
    const p2 = out(n, '198.51.100.1', 53);
    expect(p2).toBe(1024);
    clock.advance(299_000);
    expect(out(n, '198.51.100.1', 53)).toBe(p2); // refreshes
    clock.advance(299_000);
    expect(into(n, '198.51.100.1', 53, p2)).toBe('192.168.1.2:4000');
    clock.advance(10_000); // the sweep timer runs
    expect(n.table.size).toBe(0);
    expect(events.filter((e) => e === 'expired').length).toBe(2);
    expect(events[0]).toBe('created');
  });

  it('refuses a UDP timeout under 2 minutes (RFC 4787 REQ-5)', () => {
    expect(() => nat({ timeouts: { udp: 60_000 } })).toThrow(/under the 2 minutes RFC 4787 REQ-5 requires/);
  });

  it('TCP: transitory 4 min until SYN both ways, established 2 h 4 min, transitory again after FIN both ways or RST', () => {
    const { n, clock } = nat();
    const send = (flags: string): void => void n.outbound(tcpFrame('192.168.1.2', 1234, '142.250.195.100', 443, flags), 14);
    const recv = (flags: string): number => n.inbound(tcpFrame('142.250.195.100', 443, PUB, n.table.entries()[0]?.outsidePort ?? 1234, flags), 14);
    const row = (): string => {
      const e = n.table.entries()[0];
      return e === undefined ? 'gone' : `${e.state} ${(e.expiresAt - clock.now()) / 1000}`;
    };
    send('S');
    expect(row()).toBe('syn-sent 240');
    expect(recv('SA')).toBe(NAT_VERDICT.TRANSLATED);
    expect(row()).toBe('established 7440');
    clock.advance(7_000_000);
    send('A');
    expect(row()).toBe('established 7440');
    send('FA');
    expect(row()).toBe('fin-wait 240');
    recv('FA');
    expect(row()).toBe('closed 240');
    clock.advance(240_000);
    expect(recv('A')).toBe(NAT_VERDICT.PASS);
    send('S');
    recv('R');
    expect(row()).toBe('closed 240');
  });

  it('an unsolicited inbound SYN is dropped without an answer and counted (RFC 5382 REQ-4)', () => {
    const { n } = nat();
    const f = tcpFrame('198.51.100.9', 5555, PUB, 22, 'S');
    expect(n.inbound(f, 14)).toBe(NAT_VERDICT.DROP);
    expect(n.lastRefusal).toBe('unsolicited-syn');
    expect(n.counters.unsolicitedSyn).toBe(1);
    // A stray ACK to a port with no mapping is left to the router (which owns the address).
    expect(n.inbound(tcpFrame('198.51.100.9', 5555, PUB, 22, 'A'), 14)).toBe(NAT_VERDICT.PASS);
  });
});

describe('forwards, 1:1, hairpinning', () => {
  it('a static forward (DNAT) takes inbound flows from anyone, and its replies leave from the forwarded port', () => {
    const { n } = nat({ staticForwards: [{ protocol: 'tcp', publicPort: 8080, insideAddress: '192.168.1.10', insidePort: 80 }] });
    const syn = tcpFrame('198.51.100.7', 40000, PUB, 8080, 'S');
    expect(n.inbound(syn, 14)).toBe(NAT_VERDICT.TRANSLATED);
    expect(flow(syn)).toBe('198.51.100.7:40000 > 192.168.1.10:80');
    expect(statuses(syn)).toEqual(['good', 'good']);
    const synAck = tcpFrame('192.168.1.10', 80, '198.51.100.7', 40000, 'SA');
    expect(n.outbound(synAck, 14)).toBe(NAT_VERDICT.TRANSLATED);
    expect(flow(synAck)).toBe('203.0.113.5:8080 > 198.51.100.7:40000');
    expect(n.table.format()).toMatch(/tcp +192\.168\.1\.10:80 +<-> +203\.0\.113\.5:8080 +<-> +198\.51\.100\.7:40000 +established/);
    expect(() => nat({ staticForwards: [{ protocol: 'tcp', publicPort: 0, insideAddress: '192.168.1.10', insidePort: 80 }] })).toThrow(
      /publicPort must be 1\.\.65535, got 0/,
    );
  });

  it('lists a static forward with no session yet', () => {
    const { n } = nat({ staticForwards: [{ protocol: 'udp', publicPort: 5353, insideAddress: '192.168.1.10', insidePort: 53 }] });
    expect(n.table.format().split('\n')[1]).toMatch(/^udp +192\.168\.1\.10:53 +<-> +203\.0\.113\.5:5353 +<-> +\*:\* +static +never$/);
  });

  it('1:1 NAT rewrites only the address, every protocol, both ways', () => {
    const { n } = nat({ oneToOne: [{ inside: '192.168.1.20', public: '203.0.113.20' }] });
    const f = udpFrame('192.168.1.20', 4000, '198.51.100.1', 53);
    expect(n.outbound(f, 14)).toBe(NAT_VERDICT.TRANSLATED);
    expect(flow(f)).toBe('203.0.113.20:4000 > 198.51.100.1:53');
    const back = tcpFrame('198.51.100.1', 22, '203.0.113.20', 2222, 'S');
    expect(n.inbound(back, 14)).toBe(NAT_VERDICT.TRANSLATED);
    expect(flow(back)).toBe('198.51.100.1:22 > 192.168.1.20:2222');
    expect([...statuses(f), ...statuses(back)]).toEqual(['good', 'good', 'good', 'good']);
    expect(n.table.size).toBe(0);
  });

  it('hairpins an inside host to another through the public address, with the external source (REQ-9)', () => {
    const { n } = nat({ filtering: 'endpoint-independent' });
    const p3 = out(n, '198.51.100.1', 3478, '192.168.1.3', 2345);
    const f = udpFrame('192.168.1.2', 1234, PUB, p3);
    expect(n.hairpin(f, 14)).toBe(NAT_VERDICT.TRANSLATED);
    expect(flow(f)).toBe(`203.0.113.5:1234 > 192.168.1.3:2345`);
    expect(statuses(f)).toEqual(['good', 'good']);
    expect(n.counters.hairpinned).toBe(1);
    const off = nat({ filtering: 'endpoint-independent', hairpinning: false }).n;
    const q = out(off, '198.51.100.1', 3478, '192.168.1.3', 2345);
    const refused: string[] = [];
    off.table.onEvent((e) => e.type === 'refused' && refused.push(`${e.reason} ${e.source}:${e.sourcePort} > ${e.destination}:${e.destinationPort}`));
    expect(off.hairpin(udpFrame('192.168.1.2', 1234, PUB, q), 14)).toBe(NAT_VERDICT.DROP);
    expect(off.lastRefusal).toBe('hairpin-off');
    // Filtering applies to hairpinned traffic: the target mapping never sent to the sender's public endpoint.
    const pr = nat({ filtering: 'address-and-port-dependent' }).n;
    const r = out(pr, '198.51.100.1', 3478, '192.168.1.3', 2345);
    pr.table.onEvent((e) => e.type === 'refused' && refused.push(`${e.reason} ${e.source} > ${e.destination}:${e.destinationPort}`));
    expect(pr.hairpin(udpFrame('192.168.1.2', 1234, PUB, r), 14)).toBe(NAT_VERDICT.DROP);
    expect(pr.lastRefusal).toBe('filtered');
    expect(refused).toEqual([`hairpin-off 192.168.1.2:1234 > ${PUB}:${q}`, `filtered ${PUB} > ${PUB}:${r}`]);
  });
});

describe('ICMP (RFC 5508)', () => {
  it('translates echo identifiers and matches the reply by identifier', () => {
    const { n } = nat({ icmpIds: { preserve: false, min: 100, max: 200 } });
    const req = encode([ethernet(ETH), ipv4({ src: '192.168.1.2', dst: '142.250.195.100' }), icmp({ type: 8, id: 7, seq: 1 }), payload(new Uint8Array(16))]);
    expect(n.outbound(req, 14)).toBe(NAT_VERDICT.TRANSLATED);
    expect(word(req, 34 + 4)).toBe(100);
    expect(statuses(req)).toEqual(['good', 'good']);
    const rep = encode([ethernet(ETH), ipv4({ src: '142.250.195.100', dst: PUB }), icmp({ type: 0, id: 100, seq: 1 }), payload(new Uint8Array(16))]);
    expect(n.inbound(rep, 14)).toBe(NAT_VERDICT.TRANSLATED);
    expect(ipText(rep, 30)).toBe('192.168.1.2');
    expect(word(rep, 34 + 4)).toBe(7);
    expect(statuses(rep)).toEqual(['good', 'good']);
  });

  it('rewrites an ICMP error about a translated flow inside: embedded header and every checksum', () => {
    const { n } = nat({ ports: { min: 50001, max: 50100, preserve: false } });
    const sent = udpFrame('192.168.1.2', 1234, '151.101.65.69', 53);
    expect(n.outbound(sent, 14)).toBe(NAT_VERDICT.TRANSLATED);
    // The server's port unreachable quotes the datagram as it arrived (public source).
    const err = encode([ethernet(ETH), ipv4({ src: '151.101.65.69', dst: PUB }), icmp({ type: 3, code: 3 }), payload(sent.subarray(14))]);
    expect(n.inbound(err, 14)).toBe(NAT_VERDICT.TRANSLATED);
    expect(statuses(err)).toEqual(['good', 'good', 'good', 'good']);
    const d = decode(err, 1).layers;
    const inner = d.filter((l) => l.kind === 'ipv4')[1].value as { src: Uint8Array };
    expect([...inner.src].join('.')).toBe('192.168.1.2');
    expect(ipText(err, 30)).toBe('192.168.1.2');
    expect(word(err, 14 + 20 + 8 + 20)).toBe(1234);
    expect(n.counters.icmpErrorsTranslated).toBe(1);
    // An inside host's error about an inbound datagram leaves with the public address inside and out.
    const inbound = udpFrame('151.101.65.69', 53, PUB, word(sent, 34));
    expect(n.inbound(inbound, 14)).toBe(NAT_VERDICT.TRANSLATED);
    const err2 = encode([ethernet(ETH), ipv4({ src: '192.168.1.2', dst: '151.101.65.69' }), icmp({ type: 3, code: 3 }), payload(inbound.subarray(14))]);
    expect(n.outbound(err2, 14)).toBe(NAT_VERDICT.TRANSLATED);
    expect(statuses(err2)).toEqual(['good', 'good', 'good', 'good']);
    expect(ipText(err2, 26)).toBe(PUB);
    expect(ipText(err2, 14 + 28 + 16)).toBe(PUB);
    expect(word(err2, 14 + 28 + 20 + 2)).toBe(word(sent, 34));
    // An error about no flow of ours is left alone.
    const stray = encode([
      ethernet(ETH),
      ipv4({ src: '151.101.65.69', dst: PUB }),
      icmp({ type: 3, code: 3 }),
      payload(udpFrame(PUB, 9, '151.101.65.69', 53).subarray(14)),
    ]);
    expect(n.inbound(stray, 14)).toBe(NAT_VERDICT.PASS);
  });
});

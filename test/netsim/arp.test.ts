import { afterEach, describe, expect, it } from 'vitest';
import { ARP_OPCODE_VALUE, decode, encode, ethernet, arp, isGratuitousArp, type Arp } from '../../src/wire/index.ts';
import { ArpCache } from '../../src/netsim/arp-cache.ts';
import { ipv4Number } from '../../src/netsim/host-addr.ts';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { Host } from '../../src/netsim/host.ts';
import { memoryLink } from '../../src/netsim/port.ts';
import { rawEnd, settle, type RawEnd } from './host-testbed.ts';

const H1_MAC = '02:00:00:00:00:01';
const PEER_MAC = '02:00:00:00:00:99';

function arpOf(frame: Uint8Array): Arp | undefined {
  const l = decode(frame, 1).layers.find((x) => x.kind === 'arp');
  return l?.value as Arp | undefined;
}

function ipText(b: Uint8Array): string {
  return [...b].join('.');
}

/** h1 on 10.0.0.1/24 with the other end of its link held by the test. */
function hostWithRawPeer(clock: ManualClock, arpSettings = {}): { h: Host; peer: RawEnd } {
  const [a, b] = memoryLink('h1-eth0', 'peer');
  const h = new Host({ name: 'h1', clock, arp: arpSettings });
  h.addInterface({ name: 'eth0', port: a, mac: H1_MAC, address: '10.0.0.1/24', announce: false });
  return { h, peer: rawEnd(b) };
}

function arpRequest(senderMac: string, senderIp: string, targetIp: string, dst = 'ff:ff:ff:ff:ff:ff'): Uint8Array {
  return encode([ethernet({ src: senderMac, dst, pad: true }), arp({ op: 'request', senderMac, senderIp, targetIp })]);
}

const open: Host[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

describe('ARP cache', () => {
  it('ages entries out after its timeout, on the injected clock', () => {
    const clock = new ManualClock();
    const c = new ArpCache({ clock, timeoutMs: 30_000 });
    c.set(ipv4Number('10.0.0.2'), Uint8Array.of(2, 0, 0, 0, 0, 2));
    clock.advance(29_999);
    expect(c.lookup(ipv4Number('10.0.0.2'))).toEqual(Uint8Array.of(2, 0, 0, 0, 0, 2));
    clock.advance(1);
    expect(c.lookup(ipv4Number('10.0.0.2'))).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('never holds more than maxEntries, evicting the least recently learnt (counted)', () => {
    const clock = new ManualClock();
    const c = new ArpCache({ clock, maxEntries: 16 });
    for (let i = 0; i < 1000; i++) c.set(0x0a000000 + i, Uint8Array.of(2, 0, 0, 0, i >> 8, i & 0xff));
    expect(c.size).toBe(16);
    expect(c.evictions).toBe(1000 - 16);
    expect(c.has(0x0a000000 + 999)).toBe(true);
    expect(c.has(0x0a000000)).toBe(false);
  });

  it('refresh() only updates entries it has (RFC 826 merge)', () => {
    const c = new ArpCache({ clock: new ManualClock() });
    expect(c.refresh(1, new Uint8Array(6))).toBe(false);
    expect(c.size).toBe(0);
  });

  it('rejects bad settings with a message naming them', () => {
    expect(() => new ArpCache({ clock: new ManualClock(), timeoutMs: 0 })).toThrow(/timeout/);
    expect(() => new ArpCache({ clock: new ManualClock(), maxEntries: 0 })).toThrow(/size/);
  });
});

describe('ARP on a host interface', () => {
  it('answers a request for its own address with a unicast reply, and learns the asker', async () => {
    const clock = new ManualClock();
    const { h, peer } = hostWithRawPeer(clock);
    open.push(h);
    peer.send(arpRequest(PEER_MAC, '10.0.0.99', '10.0.0.1'));
    await settle();
    expect(peer.received).toHaveLength(1);
    const reply = peer.received[0];
    expect(reply.length).toBe(60); // padded to the Ethernet minimum
    const a = arpOf(reply) as Arp;
    expect(a.opcode).toBe(ARP_OPCODE_VALUE.REPLY);
    expect(ipText(a.senderProto)).toBe('10.0.0.1');
    expect(ipText(a.targetProto)).toBe('10.0.0.99');
    expect([...reply.subarray(0, 6)]).toEqual([2, 0, 0, 0, 0, 0x99]);
    expect(h.arpTable()).toMatch(/10\.0\.0\.99\s+02:00:00:00:00:99\s+eth0\s+reachable/);
  });

  it('ignores requests for other addresses and does not learn from them', async () => {
    const { h, peer } = hostWithRawPeer(new ManualClock());
    open.push(h);
    peer.send(arpRequest(PEER_MAC, '10.0.0.99', '10.0.0.7'));
    await settle();
    expect(peer.received).toHaveLength(0);
    expect(h.interface('eth0').cache.size).toBe(0);
  });

  it('counts a conflict when another MAC claims its address, and learns nothing', async () => {
    const { h, peer } = hostWithRawPeer(new ManualClock());
    open.push(h);
    peer.send(arpRequest(PEER_MAC, '10.0.0.1', '10.0.0.1'));
    await settle();
    expect(h.interface('eth0').stats.arpConflicts).toBe(1);
    expect(h.interface('eth0').cache.size).toBe(0);
  });

  it('refreshes a known sender from a gratuitous ARP (a MAC change), but learns no stranger from one', async () => {
    const { h, peer } = hostWithRawPeer(new ManualClock());
    open.push(h);
    peer.send(arpRequest(PEER_MAC, '10.0.0.99', '10.0.0.1'));
    peer.send(arpRequest('02:00:00:00:00:55', '10.0.0.55', '10.0.0.55'));
    await settle();
    peer.send(arpRequest('02:00:00:00:00:aa', '10.0.0.99', '10.0.0.99'));
    await settle();
    const cache = h.interface('eth0').cache;
    expect(cache.lookup(ipv4Number('10.0.0.99'))).toEqual(Uint8Array.of(2, 0, 0, 0, 0, 0xaa));
    expect(cache.has(ipv4Number('10.0.0.55'))).toBe(false);
  });

  it('ignores frames for another MAC (what a switch floods) and counts them', async () => {
    const { h, peer } = hostWithRawPeer(new ManualClock());
    open.push(h);
    peer.send(arpRequest(PEER_MAC, '10.0.0.99', '10.0.0.1', '02:00:00:00:00:42'));
    await settle();
    expect(peer.received).toHaveLength(0);
    expect(h.interface('eth0').stats.rxIgnored).toBe(1);
  });

  it('counts truncated and non-Ethernet/IPv4 ARP packets as errors without throwing', async () => {
    const { h, peer } = hostWithRawPeer(new ManualClock());
    open.push(h);
    const good = arpRequest(PEER_MAC, '10.0.0.99', '10.0.0.1');
    peer.send(good.subarray(0, 30));
    const wrongHw = good.slice();
    wrongHw[15] = 6; // hardware type 6 (IEEE 802)
    peer.send(wrongHw);
    peer.send(new Uint8Array(5));
    await settle();
    expect(h.interface('eth0').stats.rxErrors).toBe(3);
    expect(peer.received).toHaveLength(0);
  });

  it('queues datagrams while resolving, sends them once the reply comes', async () => {
    const clock = new ManualClock();
    const { h, peer } = hostWithRawPeer(clock);
    open.push(h);
    const s = h.udpSocket();
    s.send('one', 9, '10.0.0.99');
    s.send('two', 9, '10.0.0.99');
    await settle();
    expect(peer.received).toHaveLength(1);
    const req = arpOf(peer.received[0]) as Arp;
    expect(req.opcode).toBe(ARP_OPCODE_VALUE.REQUEST);
    expect(ipText(req.targetProto)).toBe('10.0.0.99');
    expect(h.interface('eth0').queuedFrames).toBe(2);
    expect(h.arpTable()).toMatch(/10\.0\.0\.99\s+\(incomplete\)/);
    peer.send(
      encode([
        ethernet({ src: PEER_MAC, dst: H1_MAC, pad: true }),
        arp({ op: 'reply', senderMac: PEER_MAC, senderIp: '10.0.0.99', targetMac: H1_MAC, targetIp: '10.0.0.1' }),
      ]),
    );
    await settle();
    expect(peer.received).toHaveLength(3);
    const payloads = peer.received.slice(1).map((f) => new TextDecoder().decode(f.subarray(42, 45)));
    expect(payloads).toEqual(['one', 'two']);
    expect([...peer.received[1].subarray(0, 6)]).toEqual([2, 0, 0, 0, 0, 0x99]);
    expect(h.interface('eth0').queuedFrames).toBe(0);
  });

  it('retries every retryMs, then fails: the local sender hears EHOSTUNREACH', async () => {
    const clock = new ManualClock();
    const { h, peer } = hostWithRawPeer(clock, { retryMs: 1000, tries: 3 });
    open.push(h);
    const s = h.udpSocket();
    s.send('hello', 9, '10.0.0.50');
    await settle();
    expect(peer.received).toHaveLength(1);
    clock.advance(999);
    await settle();
    expect(peer.received).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(peer.received).toHaveLength(2);
    clock.advance(1000);
    await settle();
    expect(peer.received).toHaveLength(3);
    expect(s.lastError).toBeUndefined();
    clock.advance(1000);
    await settle();
    expect(peer.received).toHaveLength(3); // three tries, then no more
    expect(peer.received.every((f) => arpOf(f)?.opcode === ARP_OPCODE_VALUE.REQUEST)).toBe(true);
    expect(s.lastError?.code).toBe('EHOSTUNREACH');
    expect(s.lastError?.report.from).toBe(ipv4Number('10.0.0.1'));
    expect(h.interface('eth0').stats.arpFailures).toBe(1);
    expect(h.interface('eth0').pendingCount).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('bounds the queue per address and the number of pending addresses, counting drops', async () => {
    const clock = new ManualClock();
    const { h, peer } = hostWithRawPeer(clock, { queuePerAddress: 4, maxPending: 8 });
    open.push(h);
    const s = h.udpSocket();
    for (let i = 0; i < 100; i++) s.send('x', 9, '10.0.0.50');
    const iface = h.interface('eth0');
    expect(iface.queuedFrames).toBe(4);
    expect(iface.stats.arpQueueDrops).toBe(96);
    // A flood of unknown destinations: at most maxPending resolutions at once.
    for (let i = 0; i < 10_000; i++) s.send('y', 9, `10.0.0.${2 + (i % 250)}`);
    expect(iface.pendingCount).toBeLessThanOrEqual(8);
    expect(iface.queuedFrames).toBeLessThanOrEqual(8 * 4);
    await settle();
    expect(peer.received.length).toBeLessThanOrEqual(8);
  });

  it('sends a gratuitous ARP on address change, and the connected route follows', async () => {
    const { h, peer } = hostWithRawPeer(new ManualClock());
    open.push(h);
    h.setAddress('eth0', '10.0.5.7/24');
    await settle();
    expect(peer.received).toHaveLength(1);
    const g = arpOf(peer.received[0]) as Arp;
    expect(isGratuitousArp(g)).toBe(true);
    expect(ipText(g.senderProto)).toBe('10.0.5.7');
    expect([...peer.received[0].subarray(0, 6)]).toEqual([255, 255, 255, 255, 255, 255]);
    expect(h.routeTable()).toMatch(/^10\.0\.5\.0\s+0\.0\.0\.0\s+255\.255\.255\.0\s+U\s+0\s+eth0$/m);
    expect(h.routeTable()).not.toMatch(/10\.0\.0\.0/);
  });

  it('announces a new interface with a gratuitous ARP unless told not to', async () => {
    const [a, b] = memoryLink('h-eth0', 'peer');
    const peer = rawEnd(b);
    const h = new Host({ name: 'h', clock: new ManualClock() });
    open.push(h);
    h.addInterface({ name: 'eth0', port: a, mac: H1_MAC, address: '192.168.1.10/24' });
    await settle();
    expect(peer.received).toHaveLength(1);
    expect(isGratuitousArp(arpOf(peer.received[0]) as Arp)).toBe(true);
  });

  it('rejects a multicast MAC and bad ARP settings with clear errors', () => {
    const [a] = memoryLink('x', 'y');
    const h = new Host({ name: 'h', clock: new ManualClock() });
    open.push(h);
    expect(() => h.addInterface({ name: 'eth0', port: a, mac: '01:00:5e:00:00:01', address: '10.0.0.1/24' })).toThrow(/multicast/);
    const h2 = new Host({ name: 'h2', clock: new ManualClock(), arp: { tries: 0 } });
    open.push(h2);
    expect(() => h2.addInterface({ name: 'eth0', port: a, mac: H1_MAC, address: '10.0.0.1/24' })).toThrow(/tries/);
    expect(() => h.addInterface({ name: 'eth1', port: a, mac: H1_MAC, address: '10.0.0.300/24' })).toThrow(/not an IPv4 address/);
  });
});

// The floating address in the virtual network: the higher priority takes it, the standby takes over
// after interval × threshold (+ skew) when the master goes dark and announces it with a gratuitous ARP
// that moves the client's ARP entry and the switch's MAC table; RESIGN hands over at once; split brain
// (heartbeats lost both ways) makes two holders until the heartbeats return; preemption on and off.

import { afterEach, describe, expect, it } from 'vitest';
import { Host, LabNet, Switch, VirtualFloatingIp, ipv4Number, macText } from '../../src/netsim/index.ts';

const VIP = '10.0.0.100';
const MAC = { c1: '02:00:00:00:00:02', lb1: '02:00:00:00:00:11', lb2: '02:00:00:00:00:12' } as const;
const ADDR = { c1: '10.0.0.2', lb1: '10.0.0.11', lb2: '10.0.0.12' } as const;
const INTERVAL = 100;

let net: LabNet | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

function build(o: { prio1?: number; prio2?: number; preempt1?: boolean; preempt2?: boolean; start1?: boolean } = {}) {
  const n = new LabNet({ start: { sec: 1_700_000_000, nsec: 0 } });
  net = n;
  const sw = n.node(new Switch({ name: 'sw1', clock: n.clock }));
  const hosts = (['c1', 'lb1', 'lb2'] as const).map((name, i) => {
    const [h, s] = n.link(`${name}-sw1`, `${name}-eth0`, `sw1-p${i + 1}`);
    sw.addPort(s);
    const host = n.node(new Host({ name, clock: n.clock, arp: { cacheTimeoutMs: 3_600_000 } }));
    host.addInterface({ name: 'eth0', port: h, mac: MAC[name], address: `${ADDR[name]}/24`, announce: false });
    return host;
  });
  const [c1, lb1h, lb2h] = hosts;
  const log: string[] = [];
  const vip = (host: Host, priority: number, instance: number, preempt: boolean, peer: string): VirtualFloatingIp =>
    new VirtualFloatingIp({
      host,
      vip: VIP,
      priority,
      instance,
      preempt,
      intervalMs: INTERVAL,
      threshold: 3,
      peers: [peer],
      onState: (s, why, at) => log.push(`${at.toFixed(1)} ${host.name} ${s} (${why})`),
    });
  const lb1 = vip(lb1h, o.prio1 ?? 200, 1, o.preempt1 ?? true, ADDR.lb2);
  const lb2 = vip(lb2h, o.prio2 ?? 100, 2, o.preempt2 ?? true, ADDR.lb1);
  return { n, sw, c1, lb1h, lb2h, lb1, lb2, log };
}

const cachedMac = (h: Host, ip: string): string => {
  const m = h.interface('eth0').cache.lookup(ipv4Number(ip));
  return m === undefined ? '(none)' : macText(m);
};
const portOf = (sw: Switch, mac: string): string | undefined => sw.macTable.entries(0).find((e) => e.mac === mac)?.port;

/** Gratuitous ARPs for the VIP among frames (ARP, sender IP = target IP = VIP): "sender MAC, sent from". */
function gratuitous(frames: LabNet['frames']): string[] {
  const ip = (f: Uint8Array, o: number): string => [...f.subarray(o, o + 4)].join('.');
  return frames
    .filter((w) => w.frame[12] === 0x08 && w.frame[13] === 0x06 && ip(w.frame, 28) === VIP && ip(w.frame, 38) === VIP)
    .map((w) => `${macText(w.frame.subarray(22, 28))} ${w.from}`);
}

describe('VirtualFloatingIp', () => {
  it('the higher priority holds the address; the standby takes over after interval x threshold, announced by a gratuitous ARP', async () => {
    const { n, sw, c1, lb1, lb2, log } = build();
    expect(lb2.masterDownMs).toBeCloseTo(300 + (156 * 100) / 256, 6);
    lb1.start();
    lb2.start();
    await n.wait(1000);
    expect([lb1.state, lb2.state]).toEqual(['master', 'backup']);
    expect([lb1.holding, lb2.holding]).toEqual([true, false]);
    expect(lb2.received.adverts).toBeGreaterThanOrEqual(6);
    const first = await n.run(c1.ping(VIP, { count: 1 }));
    expect(first.replies.length).toBe(1);
    expect(cachedMac(c1, VIP)).toBe(MAC.lb1);
    expect(portOf(sw, MAC.lb1)).toBe('sw1-p2');

    // lb1 dies: silent, and its switch port goes dark.
    const mark = n.frames.length;
    const t0 = n.clock.now();
    lb1.crash();
    sw.setPortUp('sw1-p2', false);
    await n.runUntil(() => lb2.holding, 5000, 'lb2 to take the address');
    const took = n.clock.now() - t0;
    // Its timer was armed at the last ADVERT it heard, at most one interval before the crash.
    expect(took).toBeGreaterThan(lb2.masterDownMs - INTERVAL);
    expect(took).toBeLessThanOrEqual(lb2.masterDownMs + 1);
    expect(log.some((l) => /lb2 master \(no ADVERT for 361 ms\)/.test(l))).toBe(true);
    await n.wait(5);
    const g = gratuitous(n.since(mark));
    expect(g).toEqual([`${MAC.lb2} lb2-eth0`, `${MAC.lb2} sw1-p1`]);
    expect(cachedMac(c1, VIP)).toBe(MAC.lb2); // updated without asking
    expect(portOf(sw, MAC.lb2)).toBe('sw1-p3');
    const askedBefore = c1.interface('eth0').stats.arpRequestsSent;
    const after = await n.run(c1.ping(VIP, { count: 1 }));
    expect(after.replies.map((r) => r.from)).toEqual([VIP]);
    expect(c1.interface('eth0').stats.arpRequestsSent).toBe(askedBefore);
    lb2.stop();
  });

  it('RESIGN on a clean stop hands over at once, not after the timeout', async () => {
    const { n, lb1, lb2 } = build();
    lb1.start();
    lb2.start();
    await n.wait(1000);
    const t0 = n.clock.now();
    lb1.stop();
    expect(lb1.holding).toBe(false);
    await n.runUntil(() => lb2.holding, 5000, 'lb2 to take the address');
    expect(n.clock.now() - t0).toBeLessThan(10);
    expect(lb2.received.resigns).toBe(1);
    lb2.stop();
  });

  it('split brain: heartbeats lost both ways make two holders; the client follows the last announcement; when they return the lower steps down', async () => {
    const { n, c1, lb1h, lb1, lb2, log } = build();
    lb1.start();
    lb2.start();
    await n.wait(1000);
    await n.run(c1.ping(VIP, { count: 1 }));
    lb1.deafened = true;
    lb2.deafened = true;
    await n.wait(1000);
    expect([lb1.state, lb2.state, lb1.holding, lb2.holding]).toEqual(['master', 'master', true, true]);
    expect(cachedMac(c1, VIP)).toBe(MAC.lb2); // the last gratuitous ARP won
    expect(lb1h.interface('eth0').stats.arpConflicts).toBeGreaterThanOrEqual(1); // lb1 heard lb2 claim its address
    lb1.deafened = false;
    lb2.deafened = false;
    await n.wait(500);
    expect([lb1.state, lb2.state, lb1.holding, lb2.holding]).toEqual(['master', 'backup', true, false]);
    expect(log.some((l) => /lb2 backup \(instance 1 is master with priority 200\)/.test(l))).toBe(true);
    // lb1 heard lb2's ADVERT while master and announced the address again: the client is back with it.
    expect(
      log.some((l) => /lb1 master \(.*announced it again\)/.test(l)),
      log.join('\n'),
    ).toBe(true);
    expect(cachedMac(c1, VIP)).toBe(MAC.lb1);
    const r = await n.run(c1.ping(VIP, { count: 1 }));
    expect(r.replies.length).toBe(1);
    lb1.stop();
    lb2.stop();
  });

  it('preemption: a higher priority that comes back takes over when preempt is on, and waits when it is off', async () => {
    for (const preempt of [true, false]) {
      const { n, lb1, lb2 } = build({ prio1: 100, prio2: 200, preempt2: preempt });
      lb1.start();
      await n.wait(1000);
      expect(lb1.holding).toBe(true);
      lb2.start();
      await n.wait(1000);
      expect([lb1.holding, lb2.holding], `preempt ${preempt}`).toEqual(preempt ? [false, true] : [true, false]);
      lb1.stop();
      lb2.stop();
      await n.close();
      net = undefined;
    }
  });

  it('a secondary address is answered for like the primary, and not once removed', async () => {
    const { n, c1, lb2h } = build();
    lb2h.addSecondaryAddress('eth0', VIP, false);
    expect(lb2h.interface('eth0').secondary).toEqual([VIP]);
    const r = await n.run(c1.ping(VIP, { count: 1 }));
    expect(r.replies.map((x) => x.from)).toEqual([VIP]);
    expect(cachedMac(c1, VIP)).toBe(MAC.lb2); // learnt from lb2's ARP reply for the secondary address
    expect(lb2h.removeSecondaryAddress('eth0', VIP)).toBe(true);
    expect(lb2h.removeSecondaryAddress('eth0', VIP)).toBe(false);
    const gone = await n.run(c1.ping(VIP, { count: 1, timeoutMs: 500 }));
    expect(gone.replies).toHaveLength(0); // lb2 drops what is no longer for one of its addresses
    expect(() => lb2h.interface('eth0').announce(ipv4Number(VIP))).toThrow(/cannot announce 10\.0\.0\.100: not one of its addresses/);
    expect(() => lb2h.addSecondaryAddress('eth0', '0.0.0.0')).toThrow(/cannot be a secondary address/);
  });

  it('refuses bad settings with a clear error', () => {
    const { lb1h } = build();
    expect(() => new VirtualFloatingIp({ host: lb1h, vip: VIP, priority: 255, instance: 1, peers: [] })).toThrow(/priority must be 1\.\.254, got 255/);
    expect(() => new VirtualFloatingIp({ host: lb1h, vip: VIP, priority: 9, instance: 1, threshold: 0, peers: [] })).toThrow(/threshold/);
    expect(() => new VirtualFloatingIp({ host: lb1h, iface: 'eth9', vip: VIP, priority: 9, instance: 1, peers: [] })).toThrow(/no interface eth9/);
  });
});

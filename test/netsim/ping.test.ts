import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { Host } from '../../src/netsim/host.ts';
import { echoData, rttStats } from '../../src/netsim/ping.ts';
import { memoryLink } from '../../src/netsim/port.ts';
import { settle, twoRouters } from './host-testbed.ts';

function lan(clock?: ManualClock, arp?: { retryMs?: number; tries?: number }): { a: Host; b: Host; close: () => Promise<void> } {
  const [pa, pb] = memoryLink('a-eth0', 'b-eth0');
  const a = new Host({ name: 'a', clock, arp });
  const b = new Host({ name: 'b', clock, arp });
  a.addInterface({ name: 'eth0', port: pa, mac: '02:00:00:00:00:01', address: '10.0.0.1/24', announce: false });
  b.addInterface({ name: 'eth0', port: pb, mac: '02:00:00:00:00:02', address: '10.0.0.2/24', announce: false });
  return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.map((c) => c()));
  cleanup = [];
});

describe('ping', () => {
  it("prints each reply's time with the precision iputils uses", async () => {
    const { replyTime } = await import('../../src/netsim/ping.ts');
    expect([0, 0.608, 0.9995, 1.614, 9.994, 9.995, 11.578, 99.94, 99.95, 830.608].map(replyTime)).toEqual([
      '0.000',
      '0.608',
      '0.999',
      '1.61',
      '9.99',
      '10.0',
      '11.6',
      '99.9',
      '100',
      '831',
    ]);
  });

  it('prints what iputils ping prints, on a manual clock exactly', async () => {
    const clock = new ManualClock();
    const n = lan(clock);
    cleanup.push(n.close);
    const run = n.a.ping('10.0.0.2', { count: 2, intervalMs: 1000 });
    await settle();
    clock.advance(1000);
    await settle();
    const r = await run;
    expect(r.text()).toBe(
      [
        'PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.',
        '64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.000 ms',
        '64 bytes from 10.0.0.2: icmp_seq=2 ttl=64 time=0.000 ms',
        '',
        '--- 10.0.0.2 ping statistics ---',
        '2 packets transmitted, 2 received, 0% packet loss, time 1000ms',
        'rtt min/avg/max/mdev = 0.000/0.000/0.000/0.000 ms',
      ].join('\n'),
    );
    expect(clock.pending).toBe(0);
  });

  it('counts sequence numbers, RTTs and TTLs across two routers', async () => {
    const t = twoRouters();
    cleanup.push(t.close);
    const r = await t.h1.ping('10.0.3.20', { count: 3, intervalMs: 5, timeoutMs: 2000, size: 100 });
    expect(r.replies.map((x) => x.seq)).toEqual([1, 2, 3]);
    expect(r.replies.every((x) => x.ttl === 62 && x.bytes === 108 && x.rttMs >= 0)).toBe(true);
    expect(r.stats).toMatchObject({ transmitted: 3, received: 3, errors: 0, lossPercent: 0 });
    expect(r.stats.rtt?.min).toBeLessThanOrEqual(r.stats.rtt?.max ?? -1);
    expect(r.lines[0]).toBe('PING 10.0.3.20 (10.0.3.20) 100(128) bytes of data.');
    expect(r.text()).toMatch(/^3 packets transmitted, 3 received, 0% packet loss, time \d+ms$/m);
  });

  it('reports Destination Host Unreachable from itself when ARP gets no answer', async () => {
    const n = lan(undefined, { retryMs: 20, tries: 2 });
    cleanup.push(n.close);
    const r = await n.a.ping('10.0.0.77', { count: 2, intervalMs: 5, timeoutMs: 1000 });
    expect(r.errors.map((e) => `${e.from} ${e.seq} ${e.message}`)).toEqual([
      '10.0.0.1 1 Destination Host Unreachable',
      '10.0.0.1 2 Destination Host Unreachable',
    ]);
    expect(r.text()).toMatch(/^From 10\.0\.0\.1 icmp_seq=1 Destination Host Unreachable$/m);
    expect(r.text()).toMatch(/^2 packets transmitted, 0 received, \+2 errors, 100% packet loss, time \d+ms$/m);
    expect(r.text()).not.toMatch(/rtt min/);
  });

  it('shows TTL exceeded from the router where the TTL ran out', async () => {
    const t = twoRouters();
    cleanup.push(t.close);
    const r = await t.h1.ping('10.0.3.20', { count: 1, ttl: 2, timeoutMs: 2000 });
    expect(r.lines[1]).toBe('From 10.0.2.2 icmp_seq=1 Time to live exceeded');
  });

  it('counts loss when replies never come back (no route home), with no errors', async () => {
    const t = twoRouters();
    cleanup.push(t.close);
    t.h2.routes.remove('default');
    const r = await t.h1.ping('10.0.3.20', { count: 3, intervalMs: 5, timeoutMs: 100 });
    expect(r.stats).toMatchObject({ transmitted: 3, received: 0, errors: 0, lossPercent: 100 });
    expect(t.h2.stats.icmpEchoRepliesSent).toBe(3);
    expect(t.h2.stats.ipNoRoute).toBe(3);
  });

  it('rejects bad options and an address with no route, saying which', async () => {
    const n = lan();
    cleanup.push(n.close);
    await expect(n.a.ping('10.0.0.2', { count: 0 })).rejects.toThrow(/^EINVAL: ping 10\.0\.0\.2: count must be 1 to 65535, got 0$/);
    await expect(n.a.ping('10.0.0.2', { ttl: 300 })).rejects.toThrow(/ttl must be 1 to 255/);
    await expect(n.a.ping('10.0.0')).rejects.toThrow(/not an IPv4 address/);
    await expect(n.a.ping('192.0.2.1', { count: 1 })).rejects.toThrow(/^ENETUNREACH: ping 192\.0\.2\.1: a has no route to 192\.0\.2\.1 \(/);
  });

  it('computes min/avg/max/mdev as ping does, and fills echo data like Linux ping', () => {
    const s = rttStats([1, 2, 3, 4]);
    expect(s?.avg).toBe(2.5);
    expect(s?.mdev).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(rttStats([])).toBeUndefined();
    const d = echoData(56, 1234.5);
    expect(d.length).toBe(56);
    expect([...d.subarray(8, 12)]).toEqual([8, 9, 10, 11]);
    expect(new DataView(d.buffer).getUint32(0, true)).toBe(1);
    expect(new DataView(d.buffer).getUint32(4, true)).toBe(234500);
  });
});

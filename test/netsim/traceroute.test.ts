import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { twoRouters, type TwoRouters } from './host-testbed.ts';

let t: TwoRouters | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('traceroute through two routers', () => {
  it('shows each hop and ends on port unreachable from the destination (exact text on a manual clock)', async () => {
    const clock = new ManualClock();
    t = twoRouters({ clock });
    const r = await t.h1.traceroute('10.0.3.20');
    expect(r.text()).toBe(
      [
        'traceroute to 10.0.3.20 (10.0.3.20), 30 hops max, 60 byte packets',
        ' 1  10.0.1.1  0.000 ms  0.000 ms  0.000 ms',
        ' 2  10.0.2.2  0.000 ms  0.000 ms  0.000 ms',
        ' 3  10.0.3.20  0.000 ms  0.000 ms  0.000 ms',
      ].join('\n'),
    );
    expect(r.reached).toBe(true);
    expect(r.hops.map((h) => h.probes.map((p) => `${p.icmpType}/${p.icmpCode}`).join(' '))).toEqual(['11/0 11/0 11/0', '11/0 11/0 11/0', '3/3 3/3 3/3']);
    expect(clock.pending).toBe(0);
    // Probes went to 33434, 33435, ... with TTL 1,1,1,2,2,2,3,3,3 (the first link carries them all).
    expect(t.h2.stats.udpNoPort).toBe(3);
    expect(t.r1.stats.ipTtlExceeded).toBe(3);
    expect(t.r2.stats.ipTtlExceeded).toBe(3);
  });

  it('with ICMP echo probes ends on the echo reply', async () => {
    t = twoRouters();
    const r = await t.h1.traceroute('10.0.3.20', { method: 'icmp', probes: 2, timeoutMs: 2000 });
    expect(r.hops.map((h) => h.probes.map((p) => p.from).join(','))).toEqual(['10.0.1.1,10.0.1.1', '10.0.2.2,10.0.2.2', '10.0.3.20,10.0.3.20']);
    expect(r.hops[2].probes.every((p) => p.icmpType === 0)).toBe(true);
    expect(r.reached).toBe(true);
  });

  it('prints * for hops that do not answer, and gives up at maxHops', async () => {
    t = twoRouters();
    t.r2.routes.remove('default'); // r2's time exceeded and h2's answers cannot come home
    const r = await t.h1.traceroute('10.0.3.20', { maxHops: 4, timeoutMs: 20 });
    expect(r.lines.slice(1)).toEqual([
      expect.stringMatching(/^ 1 {2}10\.0\.1\.1 {2}[\d.]+ ms {2}[\d.]+ ms {2}[\d.]+ ms$/),
      ' 2  * * *',
      ' 3  * * *',
      ' 4  * * *',
    ]);
    expect(r.reached).toBe(false);
  });

  it('stops at a network unreachable (!N)', async () => {
    t = twoRouters();
    const r = await t.h1.traceroute('10.9.9.9', { timeoutMs: 2000 });
    expect(r.hops).toHaveLength(1);
    expect(r.lines[1]).toMatch(/^ 1 {2}10\.0\.1\.1 {2}[\d.]+ ms !N {2}[\d.]+ ms !N {2}[\d.]+ ms !N$/);
    expect(r.reached).toBe(false);
  });

  it('rejects bad options with the reason', async () => {
    t = twoRouters();
    await expect(t.h1.traceroute('10.0.3.20', { maxHops: 0 })).rejects.toThrow(/EINVAL: traceroute 10\.0\.3\.20: maxHops must be 1 to 255/);
    await expect(t.h1.traceroute('10.0.3.20', { packetLength: 10 })).rejects.toThrow(/packetLength must be 28 to 65535/);
    await expect(t.h1.traceroute('10.0.3.20', { firstPort: 65530 })).rejects.toThrow(/firstPort/);
    await expect(t.h1.traceroute('192.0.2.')).rejects.toThrow(/not an IPv4 address/);
  });
});

// A topology of 2,000 hosts on one switch: every host announces itself with a gratuitous ARP, which
// the switch floods to the 1,999 other ports: 4 million frames. Sent at once they sat in the links'
// queues together (2.4 GB of heap); paced by the switch (TX_PER_TURN a turn, a bounded backlog)
// the heap stays flat. A resource test: bounded time and memory, no speed target.

import { describe, expect, it } from 'vitest';
import { MAX_BACKLOG, TX_PER_TURN } from '../../src/netsim/switch.ts';
import { checkTopology, type TopologySpec } from '../../src/netsim/topology-spec.ts';
import { Topology } from '../../src/netsim/topology.ts';

function star(n: number): TopologySpec {
  return checkTopology({
    name: 'star',
    linkType: 'memory',
    links: Array.from({ length: n }, (_, i) => ({ name: `l${i}` })),
    switches: [{ name: 'sw', ports: Array.from({ length: n }, (_, i) => ({ name: `p${i}`, link: `l${i}` })) }],
    hosts: Array.from({ length: n }, (_, i) => ({
      name: `h${i}`,
      interfaces: [{ name: 'eth0', link: `l${i}`, address: `10.${(i + 10) >> 16}.${((i + 10) >> 8) & 0xff}.${(i + 10) & 0xff}/8` }],
    })),
  });
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const heap = (): number => process.memoryUsage().heapUsed;

describe('a switch with thousands of hosts', () => {
  it('2,000 hosts: heap stays bounded while the 4 million flooded frames drain (sampled for 6 s)', async () => {
    const spec = star(2000);
    const before = heap();
    let peak = 0;
    let maxBacklog = 0;
    const topo = await Topology.fromSpec(spec);
    const sw = topo.switches.get('sw');
    if (sw === undefined) throw new Error('no switch');
    const sample = setInterval(() => {
      peak = Math.max(peak, heap() - before);
      maxBacklog = Math.max(maxBacklog, sw.backlogSize);
    }, 10);
    try {
      const end = Date.now() + 6000;
      while (Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      peak = Math.max(peak, heap() - before);
      let tx = 0;
      for (const p of sw.portNames) tx += sw.counters(p).txFrames;
      // Generous: the unpaced switch had reached gigabytes by now. 2,000 hosts, their links and
      // tables take some tens of MB.
      expect(peak).toBeLessThan(300 * 1024 * 1024);
      // Work got done (at least a few turns' worth), and never more than the budget waits in flight.
      expect(tx).toBeGreaterThan(4 * TX_PER_TURN);
      expect(maxBacklog).toBeLessThanOrEqual(MAX_BACKLOG);
      expect(maxBacklog).toBeGreaterThan(0);
    } finally {
      clearInterval(sample);
      await topo.close();
    }
  }, 30_000);

  it('300 hosts: every gratuitous ARP reaches every other host, exactly once, within a bounded heap', async () => {
    const n = 300;
    const before = heap();
    const topo = await Topology.fromSpec(star(n));
    const sw = topo.switches.get('sw');
    if (sw === undefined) throw new Error('no switch');
    let peak = 0;
    try {
      for (;;) {
        await tick();
        await tick();
        peak = Math.max(peak, heap() - before);
        if (sw.backlogSize === 0) break;
        await sw.idle();
      }
      let tx = 0;
      let rx = 0;
      for (const p of sw.portNames) {
        tx += sw.counters(p).txFrames;
        rx += sw.counters(p).rxFrames;
      }
      expect(rx).toBe(n);
      expect(tx).toBe(n * (n - 1));
      expect(peak).toBeLessThan(150 * 1024 * 1024);
    } finally {
      await topo.close();
    }
  }, 30_000);
});

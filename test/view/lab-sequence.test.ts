// The sequence diagram of each lab step (src/view/lab-sequence.ts): a real LabNet (two hosts on a
// switch, h1 pings h2) heard while a step runs gives one arrow per frame a host sent (the switch's
// forwarded copies are not arrows), in time order, with the capture view's labels, the layer tree
// and the bytes; frames go to the step running then; a step keeps its last MAX_STEP_ARROWS.
import { describe, expect, it } from 'vitest';
import { Host, LabNet, Switch } from '../../src/netsim/index.ts';
import { LabSequences } from '../../src/view/lab-sequence.ts';
import { MAX_STEP_ARROWS, mergeSequence, type StepSequenceJson } from '../../src/view/lab-types.ts';

/** Two hosts on a switch. */
function smallLan(): { net: LabNet; h1: Host; h2: Host } {
  const net = new LabNet({ start: { sec: 1_700_000_000, nsec: 0 }, name: 'lan' });
  const sw = net.node(new Switch({ name: 'sw1', clock: net.clock }));
  const hosts = [1, 2].map((n) => {
    const [hostSide, switchSide] = net.link(`h${n}-sw1`, `h${n}-eth0`, `sw1-p${n}`);
    sw.addPort(switchSide);
    const h = net.node(new Host({ name: `h${n}`, clock: net.clock }));
    h.addInterface({ name: 'eth0', port: hostSide, mac: `02:00:00:00:00:0${n}`, address: `192.168.9.${n}/24`, announce: false });
    return h;
  });
  return { net, h1: hosts[0], h2: hosts[1] };
}

const step = (position: number) => ({ type: 'item' as const, kind: 'step' as const, position, total: 3, title: `step ${position}`, text: '' });

describe('the sequence diagram of a lab step', () => {
  it('draws an ARP request and reply and a ping between the hosts, not the switch', async () => {
    const fresh: StepSequenceJson[] = [];
    const seq = new LabSequences((s) => fresh.push(s));
    try {
      seq.event({ type: 'lab', name: 'lan', title: 'a LAN', duration: '1 min', outDir: '.' });
      // A frame before any step belongs to no diagram.
      seq.event(step(0));
      const { net, h1 } = smallLan();
      const result = await net.run(h1.ping('192.168.9.2', { count: 1 }));
      expect(result.text()).toMatch(/1 received/);
      // ARP request, reply, echo request, reply: 4 frames sent by hosts, 8 link crossings.
      expect(net.frames.length).toBe(8);
      seq.flush();
      expect(fresh).toHaveLength(1);
      const [s] = seq.snapshots();
      expect(s.lab).toBe(0);
      expect(s.position).toBe(0);
      expect(s.total).toBe(4);
      expect(s.hosts).toEqual(['h1', 'broadcast', 'h2']);
      const rows = s.arrows.map((a) => `${s.hosts[a.from]} -> ${s.hosts[a.to]} ${a.protocol}: ${a.label}`);
      expect(rows).toEqual([
        'h1 -> broadcast ARP: Who has 192.168.9.2? Tell 192.168.9.1',
        'h2 -> h1 ARP: 192.168.9.2 is at 02:00:00:00:00:02',
        // Cut to LABEL_MAX as the capture view cuts them; the Info column whole on the arrow.
        expect.stringMatching(/^h1 -> h2 ICMP: Echo \(ping\) request id=0x[0-9a-f]{4}, seq=1\/256, t\u2026$/),
        expect.stringMatching(/^h2 -> h1 ICMP: Echo \(ping\) reply id=0x[0-9a-f]{4}, seq=1\/256, ttl\u2026$/),
      ]);
      const [request, , ping] = s.arrows;
      expect(ping.info).toMatch(/^Echo \(ping\) request\s+id=0x[0-9a-f]{4}, seq=1\/256, ttl=64$/);
      expect(request.index).toBe(0);
      expect(request.link).toBe('h1-sw1: h1-eth0 -> sw1-p1');
      expect(request.hex.slice(0, 24)).toBe('ffffffffffff020000000001');
      expect(request.tree[0]).toMatch(/^Frame 1: 60 bytes on wire/);
      expect(request.tree).toContain('Address Resolution Protocol (request)');
      expect(ping.tree.some((l) => l.startsWith('Internet Protocol Version 4, Src: 192.168.9.1, Dst: 192.168.9.2'))).toBe(true);
      expect(Number.parseFloat(ping.time)).toBeGreaterThanOrEqual(Number.parseFloat(request.time));
      // Nothing new: no event.
      seq.flush();
      expect(fresh).toHaveLength(1);
      net.close();
    } finally {
      seq.close();
    }
  });

  it('gives frames to the step running and keeps the last MAX_STEP_ARROWS of a step', async () => {
    const seq = new LabSequences();
    try {
      seq.event({ type: 'lab', name: 'lan', title: 'a LAN', duration: '1 min', outDir: '.' });
      seq.event(step(0));
      const { net, h1 } = smallLan();
      await net.run(h1.ping('192.168.9.2', { count: 1 }));
      seq.event({ type: 'item-end', state: 'done' });
      seq.event(step(1));
      await net.run(h1.ping('192.168.9.2', { count: 300, intervalMs: 1 }));
      net.close();
      const [first, second] = seq.snapshots(0);
      expect(first.total).toBe(4);
      // h1 knows h2's MAC now: no ARP in the second step, 600 echo frames, the last 500 kept.
      expect(second.position).toBe(1);
      expect(second.total).toBe(600);
      expect(second.arrows).toHaveLength(MAX_STEP_ARROWS);
      expect(second.arrows[0].index).toBe(100);
      expect(second.arrows.every((a) => a.protocol === 'ICMP')).toBe(true);
      expect(second.arrows.at(-1)?.label).toMatch(/reply.*seq=300\//);
      expect(seq.snapshots(1)).toEqual([]);
    } finally {
      seq.close();
    }
  });

  it('merges the page copy with new arrows, without doubles, bounded', () => {
    const arrow = (index: number) => ({ index, time: '0.000 ms', from: 0, to: 1, label: `a${index}`, protocol: 'ARP', info: '', link: 'l', hex: '', tree: [] });
    const a = mergeSequence(undefined, { lab: 0, position: 2, hosts: ['h1', 'h2'], arrows: [0, 1, 2].map(arrow), total: 3 });
    const b = mergeSequence(a, { lab: 0, position: 2, hosts: ['h1', 'h2', 'h3'], arrows: [1, 2, 3].map(arrow), total: 4 });
    expect(b.arrows.map((x) => x.index)).toEqual([0, 1, 2, 3]);
    expect(b.hosts).toEqual(['h1', 'h2', 'h3']);
    const many = Array.from({ length: MAX_STEP_ARROWS + 20 }, (_, i) => arrow(i + 4));
    const c = mergeSequence(b, { lab: 0, position: 2, hosts: b.hosts, arrows: many, total: MAX_STEP_ARROWS + 24 });
    expect(c.arrows).toHaveLength(MAX_STEP_ARROWS);
    expect(c.arrows[0].index).toBe(24);
    expect(c.total).toBe(MAX_STEP_ARROWS + 24);
  });
});

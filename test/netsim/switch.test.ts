// The learning switch: learning, forwarding, flooding (broadcast, multicast, unknown unicast), never
// back out of the ingress port, ageing, access and trunk ports with 802.1Q tags, counters, the MAC
// table bound, and hosts pinging through it.

import { describe, expect, it } from 'vitest';
import { memoryLink } from '../../src/netsim/port.ts';
import { Switch, type SwitchEvent } from '../../src/netsim/switch.ts';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { Host } from '../../src/netsim/host.ts';
import { decode, encode, ethernet, payload, vlan as vlanTag } from '../../src/wire/index.ts';
import { rawEnd, settle, type RawEnd } from './host-testbed.ts';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const C = '02:00:00:00:00:0c';

function frame(src: string, dst: string, body = 'hello'): Uint8Array {
  return encode([ethernet({ src, dst, type: 0x88b5 }), payload(new TextEncoder().encode(body.padEnd(46, '.')))]);
}

/** A switch with `n` access ports (VLAN 1 unless given), each joined to a raw end the test holds. */
function rig(n: number, opts: { clock?: ManualClock; vlans?: number[]; agingMs?: number; maxMacEntries?: number } = {}) {
  const sw = new Switch({ name: 'sw1', clock: opts.clock, agingMs: opts.agingMs, maxMacEntries: opts.maxMacEntries });
  const ends: RawEnd[] = [];
  for (let i = 1; i <= n; i++) {
    const [hostSide, swSide] = memoryLink(`h${i}-eth0`, `sw1-p${i}`);
    sw.addPort(swSide, { mode: 'access', vlan: opts.vlans?.[i - 1] ?? 1 });
    ends.push(rawEnd(hostSide));
  }
  const events: SwitchEvent[] = [];
  sw.onEvent((e) => events.push(e));
  return { sw, ends, events };
}

describe('learning switch', () => {
  it('floods an unknown destination, learns the source, then forwards to one port only', async () => {
    const { sw, ends, events } = rig(3);
    ends[0].send(frame(A, B));
    await settle();
    expect(ends[0].received).toHaveLength(0); // never back out of the ingress port
    expect(ends[1].received).toHaveLength(1);
    expect(ends[2].received).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'flooded', why: 'unknown unicast', learned: 'new', inPort: 'sw1-p1', outPorts: ['sw1-p2', 'sw1-p3'] });
    // B answers: A is known now, so only port 1 gets it, and B is learned on port 2.
    ends[1].send(frame(B, A));
    await settle();
    expect(ends[0].received).toHaveLength(1);
    expect(ends[2].received).toHaveLength(1);
    expect(events[1]).toMatchObject({ kind: 'forwarded', outPorts: ['sw1-p1'] });
    ends[0].send(frame(A, B));
    await settle();
    expect(ends[1].received).toHaveLength(2);
    expect(ends[2].received).toHaveLength(1);
    const table = sw.formatMacTable();
    expect(table).toMatch(/^Vlan\s+Mac Address\s+Type\s+Port\s+Age/);
    expect(table).toContain(`1     ${A}  DYNAMIC  sw1-p1`);
    expect(table).toContain(`1     ${B}  DYNAMIC  sw1-p2`);
    expect(table).toContain('Total Mac Addresses: 2');
    expect(sw.counters('sw1-p1')).toMatchObject({ rxFrames: 2, txFrames: 1, flooded: 1 });
    await sw.close();
  });

  it('floods broadcast and multicast even when the destination was seen as a source', async () => {
    const { sw, ends, events } = rig(3);
    ends[0].send(frame(A, 'ff:ff:ff:ff:ff:ff'));
    ends[1].send(frame(B, '01:00:5e:00:00:fb'));
    await settle();
    expect(events.map((e) => e.why)).toEqual(['broadcast', 'multicast']);
    expect(ends[2].received).toHaveLength(2);
    expect(ends[0].received).toHaveLength(1);
    expect(ends[1].received).toHaveLength(1);
    await sw.close();
  });

  it('filters a frame whose destination lives on the port it came in on', async () => {
    const { sw, ends, events } = rig(2);
    ends[0].send(frame(B, A)); // B learned on port 1 (as if B sat behind a hub on that port)
    ends[0].send(frame(A, B));
    await settle();
    expect(events[1]).toMatchObject({ kind: 'filtered', outPorts: [] });
    expect(ends[1].received).toHaveLength(1);
    expect(sw.counters('sw1-p1').filtered).toBe(1);
    await sw.close();
  });

  it('drops a frame with a group source address instead of learning it', async () => {
    const { sw, ends } = rig(2);
    ends[0].send(frame('03:00:00:00:00:01', B));
    await settle();
    expect(ends[1].received).toHaveLength(0);
    expect(sw.counters('sw1-p1').drops['group-source']).toBe(1);
    expect(sw.macTable.size).toBe(0);
    await sw.close();
  });

  it('ages entries out: after the ageing time a known address is flooded again', async () => {
    const clock = new ManualClock();
    const { sw, ends, events } = rig(3, { clock, agingMs: 10_000 });
    ends[1].send(frame(B, A));
    await settle();
    clock.advance(9_000);
    ends[0].send(frame(A, B));
    await settle();
    expect(events[1].kind).toBe('forwarded');
    expect(sw.formatMacTable()).toContain(`${B}  DYNAMIC  sw1-p2  9s`);
    clock.advance(10_000); // B silent for 19 s, A for 10 s
    expect(sw.macTable.entries(clock.now())).toHaveLength(0);
    ends[2].send(frame(C, B));
    await settle();
    expect(events[2]).toMatchObject({ kind: 'flooded', why: 'unknown unicast' });
    expect(sw.tableCounters.aged).toBeGreaterThanOrEqual(1);
    await sw.close();
  });

  it('notices a station that moved to another port', async () => {
    const { sw, ends, events } = rig(3);
    ends[0].send(frame(A, 'ff:ff:ff:ff:ff:ff'));
    ends[2].send(frame(A, 'ff:ff:ff:ff:ff:ff'));
    ends[1].send(frame(B, A));
    await settle();
    expect(events[1].learned).toBe('moved');
    expect(events[2]).toMatchObject({ kind: 'forwarded', outPorts: ['sw1-p3'] });
    expect(sw.tableCounters.moved).toBe(1);
    await sw.close();
  });

  it('keeps VLANs apart on access ports', async () => {
    const { sw, ends } = rig(4, { vlans: [10, 10, 20, 20] });
    ends[0].send(frame(A, 'ff:ff:ff:ff:ff:ff'));
    await settle();
    expect(ends.map((e) => e.received.length)).toEqual([0, 1, 0, 0]);
    ends[2].send(frame(C, 'ff:ff:ff:ff:ff:ff'));
    await settle();
    expect(ends.map((e) => e.received.length)).toEqual([0, 1, 0, 1]);
    // The same MAC may live in two VLANs at once.
    ends[3].send(frame(A, C));
    await settle();
    expect(sw.macTable.entries(0).map((e) => `${e.vlan} ${e.mac} ${e.port}`)).toEqual([`10 ${A} sw1-p1`, `20 ${A} sw1-p4`, `20 ${C} sw1-p3`]);
    await sw.close();
  });

  it('tags frames on a trunk (native VLAN untagged) and untags them on access ports, padding to 60 bytes', async () => {
    const sw = new Switch({ name: 'sw1' });
    const [h1, s1] = memoryLink('h1-eth0', 'sw1-p1');
    const [t1, s2] = memoryLink('sw2-p9', 'sw1-p2');
    const [h3, s3] = memoryLink('h3-eth0', 'sw1-p3');
    sw.addPort(s1, { mode: 'access', vlan: 10 });
    sw.addPort(s2, { mode: 'trunk', allowed: [10, 20], native: 1 });
    sw.addPort(s3, { mode: 'access', vlan: 1 });
    const e1 = rawEnd(h1);
    const trunk = rawEnd(t1);
    const e3 = rawEnd(h3);
    const short = encode([ethernet({ src: A, dst: 'ff:ff:ff:ff:ff:ff', type: 0x88b5 }), payload(new Uint8Array(46))]); // 60 bytes
    e1.send(short);
    await settle();
    expect(trunk.received).toHaveLength(1);
    const tagged = decode(trunk.received[0], 1);
    expect(trunk.received[0].length).toBe(64);
    const tag = tagged.layers.find((l) => l.kind === 'vlan');
    expect(tag?.value).toMatchObject({ id: 10 });
    expect(e3.received).toHaveLength(0);
    // A frame tagged 10 from the trunk reaches VLAN 10 untagged, padded back to 60 bytes.
    const fromTrunk = encode([ethernet({ src: B, dst: A }), vlanTag({ id: 10, type: 0x88b5 }), payload(new Uint8Array(10))]);
    trunk.send(fromTrunk);
    await settle();
    expect(e1.received).toHaveLength(1);
    expect(e1.received[0].length).toBe(60);
    expect(((e1.received[0][12] << 8) | e1.received[0][13]).toString(16)).toBe('88b5');
    // Untagged on the trunk = native VLAN 1 = port 3, untagged there.
    trunk.send(frame(C, 'ff:ff:ff:ff:ff:ff'));
    await settle();
    expect(e3.received).toHaveLength(1);
    expect(e1.received).toHaveLength(1);
    // VLAN 30 is not allowed on the trunk: dropped and counted.
    trunk.send(encode([ethernet({ src: C, dst: A }), vlanTag({ id: 30, type: 0x88b5 }), payload(new Uint8Array(46))]));
    await settle();
    expect(sw.counters('sw1-p2').drops['vlan-not-allowed']).toBe(1);
    expect(sw.formatCounters()).toContain('trunk 10,20 native 1');
    await sw.close();
  });

  it('keeps the MAC table within its bound when flooded with random source addresses', async () => {
    const { sw, ends } = rig(2, { maxMacEntries: 64 });
    const mac = new Uint8Array(6);
    for (let i = 0; i < 5000; i++) {
      const f = frame(A, B);
      mac[0] = 0x02;
      mac[1] = 0x99; // never equal to A or B
      mac[3] = (i >> 16) & 0xff;
      mac[4] = (i >> 8) & 0xff;
      mac[5] = i & 0xff;
      f.set(mac, 6);
      ends[0].send(f);
    }
    await settle(50);
    expect(sw.macTable.size).toBe(64);
    expect(sw.tableCounters.refusedFull).toBe(5000 - 64);
    // Every frame was still delivered (by flooding): a full table costs bandwidth, not connectivity.
    expect(ends[1].received).toHaveLength(5000);
    await sw.close();
  });

  it('carries ARP and ping between two hosts and learns both', async () => {
    const sw = new Switch({ name: 'sw1' });
    const hosts: Host[] = [];
    for (const [i, ip] of ['10.0.0.1/24', '10.0.0.2/24'].entries()) {
      const [hp, sp] = memoryLink(`h${i + 1}-eth0`, `sw1-p${i + 1}`);
      sw.addPort(sp);
      const h = new Host({ name: `h${i + 1}` });
      h.addInterface({ name: 'eth0', port: hp, mac: i === 0 ? A : B, address: ip, announce: false });
      hosts.push(h);
    }
    const result = await hosts[0].ping('10.0.0.2', { count: 2, intervalMs: 10 });
    expect(result.stats.received).toBe(2);
    expect(sw.macTable.entries(performance.now()).map((e) => e.mac)).toEqual([A, B]);
    await Promise.all([...hosts.map((h) => h.close()), sw.close()]);
  });

  it('refuses bad port settings with the reason', () => {
    const sw = new Switch({ name: 'sw1' });
    const [, p] = memoryLink('x', 'sw1-p1');
    expect(() => sw.addPort(p, { mode: 'access', vlan: 4095 })).toThrow(/VLAN ID is 1 to 4094, got 4095/);
    expect(() => sw.counters('nope')).toThrow(/has no port nope/);
  });
});

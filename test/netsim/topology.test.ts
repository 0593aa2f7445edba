// Topologies: the declarative file (every wrong key named), a network built from it that carries
// ping across a switch and a router, seeded impairments, and taps that tshark reads with the
// interfaces named in the IDBs and the direction of each frame.

import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseTopology, TopologyError, type TopologySpec } from '../../src/netsim/topology-spec.ts';
import { Topology } from '../../src/netsim/topology.ts';
import { NetTap } from '../../src/netsim/tap.ts';
import { impair } from '../../src/netsim/impairment.ts';
import { memoryLink } from '../../src/netsim/port.ts';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { requireTool } from '../helpers/tools.ts';
import { rawEnd, settle } from './host-testbed.ts';

const dir = mkdtempSync(join(tmpdir(), 'netlab-topo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const example = readFileSync(new URL('../../topologies/two-lans.json', import.meta.url), 'utf8');

function memorySpec(): TopologySpec {
  const spec = parseTopology(example);
  return { ...spec, linkType: 'memory', links: spec.links.map((l) => ({ ...l, impair: undefined })) };
}

function errorOf(json: unknown): TopologyError {
  try {
    parseTopology(JSON.stringify(json));
  } catch (e) {
    if (e instanceof TopologyError) return e;
    throw e;
  }
  throw new Error('no error');
}

const one = (iface: Record<string, unknown>) => ({
  name: 't',
  links: [{ name: 'l1' }],
  switches: [{ name: 'sw', ports: [{ name: 'p1', link: 'l1' }] }],
  hosts: [{ name: 'h', interfaces: [{ name: 'eth0', link: 'l1', address: '10.0.0.1/24', ...iface }] }],
});

describe('topology file', () => {
  it('reads the example', () => {
    const spec = parseTopology(example);
    expect(spec.name).toBe('two-lans');
    expect(spec.linkType).toBe('vxlan');
    expect(spec.links.map((l) => l.name)).toEqual(['h1-sw1', 'h2-sw1', 'sw1-r1', 'r1-h3']);
    expect(spec.links[3].impair).toEqual({ drop: 0.2, delayMs: 5, seed: 7 });
  });

  it('names the key that is wrong', () => {
    expect(errorOf(one({ address: '10.0.0.300/24' })).key).toBe('hosts[0].interfaces[0].address');
    expect(errorOf(one({ mac: '01:00:5e:00:00:01' })).message).toMatch(/hosts\[0\]\.interfaces\[0\]\.mac: .*group \(multicast\)/);
    expect(errorOf(one({ colour: 'red' })).message).toBe('hosts[0].interfaces[0].colour: unknown key (allowed: name, link, address, mac, ipv6)');
    expect(errorOf(one({ link: 'l2' })).message).toMatch(/^hosts\[0\]\.interfaces\[0\]\.link: no link named l2/);
    expect(errorOf({ ...one({}), linkType: 'ethernet' }).key).toBe('linkType');
    expect(errorOf({ ...one({}), links: [{ name: 'l1', impair: { drop: 2 } }] }).message).toMatch(
      /^links\[0\]\.impair: impairment drop must be a probability from 0 to 1, got 2/,
    );
    expect(errorOf({ ...one({}), links: [{ name: 'l1' }, { name: 'l9' }] }).message).toMatch(/^links\[1\]: link l9 has 0 ends/);
    expect(errorOf({ ...one({}), switches: [{ name: 'sw', ports: [{ name: 'p1', link: 'l1', vlan: 5000 }] }] }).key).toBe('switches[0].ports[0].vlan');
    expect(errorOf({ ...one({}), switches: [{ name: 'h', ports: [{ name: 'p1', link: 'l1' }] }] }).message).toMatch(/there is already a node named h/);
    expect(() => parseTopology('{ "name": ', 'lab.json')).toThrow(/^lab\.json: not valid JSON/);
  });
});

describe('a topology built from the file', () => {
  it('carries ping across the switch and the router, and prints its tables', async () => {
    const topo = await Topology.fromSpec(memorySpec());
    try {
      const h1 = topo.host('h1');
      const local = await h1.ping('10.0.1.20', { count: 1, intervalMs: 0 });
      expect(local.stats.received).toBe(1);
      const remote = await h1.ping('10.0.2.30', { count: 2, intervalMs: 10 });
      expect(remote.stats.received).toBe(2);
      const tables = topo.formatTables();
      expect(tables).toContain('sw1: MAC table');
      expect(tables).toMatch(/1\s+02:00:00:00:01:10\s+DYNAMIC\s+sw1-p1/);
      expect(tables).toMatch(/1\s+02:00:00:00:01:01\s+DYNAMIC\s+sw1-p3/);
      expect(tables).toContain('h1: ARP table');
      expect(topo.formatLinks()).toMatch(/r1-h3\s+h3-eth0 <-> r1-eth1\s+4/);
    } finally {
      await topo.close();
    }
  });

  it('refuses a VXLAN topology without a VXLAN link factory', async () => {
    await expect(Topology.fromSpec(parseTopology(example))).rejects.toThrow(/linkType "vxlan" needs a VXLAN link factory/);
  });
});

describe('impairments', () => {
  async function lossy(seed: string, n: number, opts: { drop?: number; duplicate?: number }) {
    const [a, b] = memoryLink('a', 'b');
    const port = impair(a, { ...opts, seed });
    const end = rawEnd(b);
    for (let i = 0; i < n; i++) port.send(Uint8Array.of(i & 0xff, i >> 8));
    await settle();
    const got = end.received.map((f) => f[0] | (f[1] << 8));
    await port.close();
    return { got, counters: { ...port.counters } };
  }

  it('loses the same frames for the same seed, and about the asked share', async () => {
    const one = await lossy('s1', 1000, { drop: 0.1 });
    const again = await lossy('s1', 1000, { drop: 0.1 });
    const other = await lossy('s2', 1000, { drop: 0.1 });
    expect(again.got).toEqual(one.got);
    expect(other.got).not.toEqual(one.got);
    expect(one.counters.dropped + one.got.length).toBe(1000);
    expect(one.counters.dropped).toBeGreaterThan(60);
    expect(one.counters.dropped).toBeLessThan(140);
  });

  it('duplicates frames', async () => {
    const r = await lossy('d', 100, { duplicate: 1 });
    expect(r.got).toHaveLength(200);
    expect(r.counters.duplicated).toBe(100);
  });

  it('delays frames on the topology clock, with jitter that can reorder them', async () => {
    const clock = new ManualClock();
    const [a, b] = memoryLink('a', 'b');
    const port = impair(a, { delayMs: 10, jitterMs: 20, seed: 'j' }, clock);
    const end = rawEnd(b);
    for (let i = 0; i < 20; i++) port.send(Uint8Array.of(i));
    await settle();
    expect(end.received).toHaveLength(0);
    clock.advance(9.9);
    await settle();
    expect(end.received).toHaveLength(0);
    clock.advance(20.2);
    await settle();
    const order = end.received.map((f) => f[0]);
    expect(order).toHaveLength(20);
    expect(order).not.toEqual([...order].sort((x, y) => x - y));
    await port.close();
  });

  it('names a bad setting', () => {
    const [a] = memoryLink('a', 'b');
    expect(() => impair(a, { jitterMs: -1 })).toThrow(/impairment jitterMs must be 0 or more milliseconds, got -1/);
  });
});

describe.skipIf(!requireTool('tshark'))('taps', () => {
  it('write one pcapng interface per tapped link, with directions, that tshark reads cleanly', async () => {
    const path = join(dir, 'two-lans.pcapng');
    const tap = NetTap.toFile(path);
    const topo = await Topology.fromSpec(memorySpec(), { tap });
    try {
      const r = await topo.host('h2').ping('10.0.2.30', { count: 1, intervalMs: 0 });
      expect(r.stats.received).toBe(1);
    } finally {
      await topo.close();
      await tap.close();
    }
    expect(tap.interfaces).toEqual(['h1-sw1', 'h2-sw1', 'sw1-r1', 'r1-h3']);
    const rows = execFileSync(
      'tshark',
      [
        '-r',
        path,
        '-T',
        'fields',
        '-E',
        'separator=|',
        '-e',
        'frame.interface_name',
        '-e',
        'frame.packet_flags_direction',
        '-e',
        'frame.protocols',
        '-e',
        '_ws.malformed',
        '-e',
        '_ws.expert',
      ],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n');
    expect(rows.length).toBe(tap.frames);
    for (const row of rows) expect(row.split('|')[3]).toBe('');
    // h2's ping request leaves h2 (inbound at the switch side is not tapped: each link is seen at its a end).
    const names = new Set(rows.map((r) => r.split('|')[0]));
    expect(names).toEqual(new Set(['h1-sw1', 'h2-sw1', 'sw1-r1', 'r1-h3']));
    expect(rows.some((r) => /^h2-sw1\|0x00000002\|eth:ethertype:ip:icmp/.test(r))).toBe(true);
    expect(rows.some((r) => /^r1-h3\|0x00000001\|eth:ethertype:ip:icmp/.test(r))).toBe(true);
    // h1 hears the broadcast ARP for h2's gateway on its link (flooded by the switch), inbound.
    expect(rows.some((r) => /^h1-sw1\|0x00000001\|eth:ethertype:arp/.test(r))).toBe(true);
  });
});

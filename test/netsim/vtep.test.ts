// VXLAN links on loopback: hosts, a switch and a router talking through VTEPs (one per node, port
// 4789), datagrams that do not fit counted by reason, and the loopback traffic as tcpdump sees it,
// decoded by tshark as VXLAN with no settings.

import { afterEach, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Vtep, VXLAN_PORT } from '../../src/netsim/vtep.ts';
import { loopbackVxlanLinks } from '../../src/netsim/vxlan-links.ts';
import { Topology } from '../../src/netsim/topology.ts';
import { parseTopology } from '../../src/netsim/topology-spec.ts';
import { encode, ethernet, payload, vxlan } from '../../src/wire/index.ts';
import { requireRoot, requireTool } from '../helpers/tools.ts';
import { startTcpdump } from '../helpers/tcpdump.ts';
import { rawEnd } from './host-testbed.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const SPEC = parseTopology(
  JSON.stringify({
    name: 'vx',
    links: [{ name: 'h1-sw1' }, { name: 'h2-sw1' }, { name: 'sw1-r1' }, { name: 'r1-h3' }],
    switches: [
      {
        name: 'sw1',
        ports: [
          { name: 'p1', link: 'h1-sw1' },
          { name: 'p2', link: 'h2-sw1' },
          { name: 'p3', link: 'sw1-r1' },
        ],
      },
    ],
    hosts: [
      { name: 'h1', gateway: '10.8.1.1', interfaces: [{ name: 'eth0', link: 'h1-sw1', address: '10.8.1.10/24', mac: '02:00:00:08:01:10', ipv6: true }] },
      { name: 'h2', gateway: '10.8.1.1', interfaces: [{ name: 'eth0', link: 'h2-sw1', address: '10.8.1.20/24', mac: '02:00:00:08:01:20', ipv6: true }] },
      { name: 'h3', gateway: '10.8.2.1', interfaces: [{ name: 'eth0', link: 'r1-h3', address: '10.8.2.30/24', mac: '02:00:00:08:02:30' }] },
    ],
    routers: [
      {
        name: 'r1',
        interfaces: [
          { name: 'eth0', link: 'sw1-r1', address: '10.8.1.1/24', mac: '02:00:00:08:01:01' },
          { name: 'eth1', link: 'r1-h3', address: '10.8.2.1/24', mac: '02:00:00:08:02:01' },
        ],
      },
    ],
  }),
);

async function start() {
  const links = loopbackVxlanLinks();
  const topo = await Topology.fromSpec(SPEC, { links });
  closers.push(
    () => links.close(),
    () => topo.close(),
  );
  return { links, topo };
}

describe('VXLAN links', () => {
  it('carry ping across a switch and a router, IPv4 and IPv6, one VTEP per node on port 4789', async () => {
    const { links, topo } = await start();
    const local = await topo.host('h1').ping('10.8.1.20', { count: 2, intervalMs: 20 });
    expect(local.stats.received).toBe(2);
    const remote = await topo.host('h1').ping('10.8.2.30', { count: 2, intervalMs: 20 });
    expect(remote.stats.received).toBe(2);
    expect(remote.replies.map((r) => r.ttl)).toEqual([63, 63]);
    const six = await topo.host('h2').ping6(`${topo.host('h1').ipv6('eth0').addressText}%eth0`, { count: 1 });
    expect(six.stats.received).toBe(1);
    expect([...links.vteps.keys()].sort()).toEqual(['h1', 'h2', 'h3', 'r1', 'sw1']);
    const addresses = new Set<string>();
    for (const v of links.vteps.values()) {
      expect(v.localPort).toBe(VXLAN_PORT);
      expect(v.localAddress).toMatch(/^127\.77\.\d+\.\d+$/);
      addresses.add(v.localAddress);
      expect(v.counters.drops).toEqual({ short: 0, 'no-vni-flag': 0, 'unknown-vni': 0, 'wrong-source': 0 });
    }
    expect(addresses.size).toBe(5);
    const sw = links.vteps.get('sw1')!;
    expect(sw.counters.framesIn).toBeGreaterThanOrEqual(8);
    expect(sw.counters.framesOut).toBeGreaterThanOrEqual(8);
  });

  it('counts datagrams that do not fit, by reason, and delivers none of them', async () => {
    const vtep = await Vtep.open({ address: '127.0.0.1' });
    closers.push(() => vtep.close());
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => peer.close(() => r())));
    const port = vtep.port({ name: 'p', vni: 7, remote: { address: '127.0.0.1', port: peer.address().port } });
    const end = rawEnd(port);
    const frame = encode([ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', type: 0x88b5 }), payload(new Uint8Array(46))]);
    const send = (bytes: Uint8Array, from = peer): Promise<void> => new Promise((r) => from.send(bytes, vtep.localPort, '127.0.0.1', () => r()));
    await send(Uint8Array.of(8, 0, 0, 0)); // short
    await send(encode([vxlan({ vni: 7, flags: 0 }), payload(frame)])); // I flag clear
    await send(encode([vxlan({ vni: 8 }), payload(frame)])); // nobody uses VNI 8
    const stranger = createSocket('udp4');
    await new Promise<void>((r) => stranger.bind(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => stranger.close(() => r())));
    await send(encode([vxlan({ vni: 7 }), payload(frame)]), stranger); // right VNI, wrong source port
    await send(encode([vxlan({ vni: 7, groupPolicy: 0xabcd, reserved8: 0x55 }), payload(frame)])); // reserved bits: ignored
    await new Promise((r) => setTimeout(r, 50));
    expect(vtep.counters.drops).toEqual({ short: 1, 'no-vni-flag': 1, 'unknown-vni': 1, 'wrong-source': 1 });
    expect(end.received.map((f) => Buffer.from(f).toString('hex'))).toEqual([Buffer.from(frame).toString('hex')]);
    expect(() => vtep.port({ name: 'q', vni: 1 << 24, remote: { address: '127.0.0.1', port: 1 } })).toThrow(/a VNI is 0 to 16777215/);
    expect(() => vtep.port({ name: 'q', vni: 7, remote: { address: '127.0.0.1', port: peer.address().port } })).toThrow(/VNI 7 to 127\.0\.0\.1:\d+ is taken/);
  });
});

describe.skipIf(!requireRoot('tcpdump on lo') || !requireTool('tcpdump') || !requireTool('tshark'))('VXLAN on the loopback wire', () => {
  it('is decoded by tshark as VXLAN (port 4789) with the inner ARP and ICMP, no malformed packet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-vtep-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const { links, topo } = await start();
    const hosts = [...links.vteps.values()].map((v) => `host ${v.localAddress}`).join(' or ');
    const file = join(dir, 'lo.pcap');
    const dump = await startTcpdump({ iface: 'lo', file, filter: `udp port ${VXLAN_PORT} and (${hosts})` });
    const r = await topo.host('h1').ping('10.8.2.30', { count: 2, intervalMs: 20 });
    expect(r.stats.received).toBe(2);
    await new Promise((res) => setTimeout(res, 200));
    await dump.stop();
    const rows = execFileSync(
      'tshark',
      ['-r', file, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.protocols', '-e', 'vxlan.vni', '-e', 'vxlan.flag_i', '-e', '_ws.malformed'],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n');
    expect(rows.length, rows.join('\n')).toBeGreaterThanOrEqual(12);
    for (const row of rows) {
      const [protocols, vni, iflag, malformed] = row.split('|');
      expect(protocols, row).toMatch(/^eth:ethertype:ip:udp:vxlan:eth:ethertype:(arp|ip:icmp)/);
      expect(['1', '2', '3', '4'], row).toContain(vni);
      expect(iflag, row).toMatch(/^(1|True)$/);
      expect(malformed, row).toBe('');
    }
    expect(rows.some((r) => r.startsWith('eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:icmp') && r.split('|')[1] === '4')).toBe(true);
  });
});

// IPv6 link-local with neighbour discovery on virtual hosts: EUI-64 addresses, DAD when an interface
// comes up, NS to the solicited-node group and a solicited NA, ping6 across a switch, an address
// nobody has, bounded queues, and a capture tshark reads with good ICMPv6 checksums and no warnings.

import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host } from '../../src/netsim/host.ts';
import { Switch } from '../../src/netsim/switch.ts';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { NetTap } from '../../src/netsim/tap.ts';
import { memoryLink } from '../../src/netsim/port.ts';
import { linkLocalFromMac, multicastMac, solicitedNode } from '../../src/netsim/ndp.ts';
import { macOf } from '../../src/netsim/host-addr.ts';
import { ipv6Text } from '../../src/wire/dns-rdata.ts';
import { requireTool } from '../helpers/tools.ts';
import { rawEnd, settle } from './host-testbed.ts';

const MAC1 = '02:00:00:00:06:01';
const MAC2 = '02:00:00:00:06:02';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** h1 and h2 on a switch, both with IPv6; everything tapped into memory. */
function lan(clock?: ManualClock, announce = false) {
  const tap = NetTap.inMemory();
  const sw = new Switch({ name: 'sw1', clock });
  const hosts = [MAC1, MAC2].map((mac, i) => {
    const [hp, sp] = memoryLink(`h${i + 1}-eth0`, `sw1-p${i + 1}`);
    sw.addPort(sp);
    const h = new Host({ name: `h${i + 1}`, clock });
    h.addInterface({ name: 'eth0', port: tap.port(hp), mac, address: `10.6.0.${i + 1}/24`, announce, ipv6: { retransMs: 1000 } });
    return h;
  });
  open.push(sw, ...hosts);
  return { tap, sw, h1: hosts[0], h2: hosts[1] };
}

describe('IPv6 link-local addresses', () => {
  it('makes fe80:: addresses from the MAC (modified EUI-64) and the solicited-node group', () => {
    const a = linkLocalFromMac(macOf('00:1b:21:3a:4f:5e'));
    expect(ipv6Text(a)).toBe('fe80::21b:21ff:fe3a:4f5e');
    expect(ipv6Text(linkLocalFromMac(macOf(MAC1)))).toBe('fe80::ff:fe00:601');
    expect(ipv6Text(solicitedNode(a))).toBe('ff02::1:ff3a:4f5e');
    expect([...multicastMac(solicitedNode(a))]).toEqual([0x33, 0x33, 0xff, 0x3a, 0x4f, 0x5e]);
  });
});

describe('neighbour discovery and ping6', () => {
  it('resolves by NS to the solicited-node group, answers with a solicited NA, and pings', async () => {
    const { h1, h2, sw } = lan();
    const nd1 = h1.ipv6('eth0');
    const nd2 = h2.ipv6('eth0');
    const r = await h1.ping6(`${nd2.addressText}%eth0`, { count: 2, intervalMs: 10 });
    expect(r.stats.received).toBe(2);
    expect(r.lines[0]).toBe('PING fe80::ff:fe00:602%eth0(fe80::ff:fe00:602%eth0) 56 data bytes');
    expect(r.lines[1]).toMatch(/^64 bytes from fe80::ff:fe00:602%eth0: icmp_seq=1 ttl=64 time=\d+(\.\d{1,3})? ms$/);
    expect(r.text()).toContain('--- fe80::ff:fe00:602%eth0 ping statistics ---\n2 packets transmitted, 2 received, 0% packet loss');
    expect(nd1.stats.nsSent).toBe(1);
    expect(nd2.stats.naSent).toBe(1);
    expect(nd1.neighbourTable()).toMatch(/^fe80::ff:fe00:602\s+dev\s+eth0\s+lladdr\s+02:00:00:00:06:02\s+REACHABLE$/);
    // h2 learned h1 from the NS's source link-layer option, as STALE (RFC 4861 7.2.3).
    expect(nd2.neighbourTable()).toMatch(/^fe80::ff:fe00:601\s+dev\s+eth0\s+lladdr\s+02:00:00:00:06:01\s+STALE$/);
    // The switch learned both from the ND traffic (the NS went to 33:33:ff:00:06:02, a multicast: flooded).
    expect(sw.macTable.size).toBe(2);
  });

  it('reports an address nobody has after three solicitations, one second apart', async () => {
    const clock = new ManualClock();
    const { h1 } = lan(clock);
    const nd1 = h1.ipv6('eth0');
    const pinging = h1.ping6('fe80::dead%eth0', { count: 1, timeoutMs: 5000 });
    for (let i = 0; i < 40; i++) {
      await settle(5);
      clock.advance(100);
    }
    const r = await pinging;
    expect(nd1.stats.nsSent).toBe(3);
    expect(r.errors.map((e) => e.message)).toEqual(['Destination unreachable: Address unreachable']);
    expect(r.lines[1]).toBe('From fe80::ff:fe00:601%eth0 icmp_seq=1 Destination unreachable: Address unreachable');
    expect(r.stats.received).toBe(0);
    expect(nd1.stats.resolutionFailures).toBe(1);
  });

  it('bounds what waits for a resolution', async () => {
    const clock = new ManualClock();
    const [a, b] = memoryLink('h-eth0', 'peer');
    rawEnd(b);
    const h = new Host({ name: 'h', clock });
    open.push(h);
    h.addInterface({ name: 'eth0', port: a, mac: MAC1, address: '10.6.0.1/24', announce: false, ipv6: { queuePerAddress: 2, maxPending: 4 } });
    const nd = h.ipv6('eth0');
    for (let i = 0; i < 1000; i++) nd.sendEchoRequest(linkLocalFromMac(Uint8Array.of(2, 0, 0, 0, (i >> 8) & 0xff, i & 0xff)), 1, i, new Uint8Array(8));
    expect(nd.stats.nsSent).toBe(4);
    expect(nd.stats.queueDrops).toBe(996);
    expect(
      nd
        .neighbourTable()
        .split('\n')
        .filter((l) => l.endsWith('INCOMPLETE')),
    ).toHaveLength(4);
  });

  it('sends a DAD probe (NS from ::) when the address comes up, and defends its address', async () => {
    const [a, b] = memoryLink('h-eth0', 'peer');
    const peer = rawEnd(b);
    const h = new Host({ name: 'h' });
    open.push(h);
    h.addInterface({ name: 'eth0', port: a, mac: MAC1, address: '10.6.0.1/24', ipv6: true });
    await settle();
    // A gratuitous ARP, then the DAD probe.
    expect(peer.received).toHaveLength(2);
    const dad = peer.received[1];
    expect([...dad.subarray(0, 6)]).toEqual([0x33, 0x33, 0xff, 0x00, 0x06, 0x01]);
    expect(ipv6Text(dad.subarray(22, 38))).toBe('::');
    expect(ipv6Text(dad.subarray(38, 54))).toBe('ff02::1:ff00:601');
    // Another node probing for our address gets an NA to all-nodes.
    peer.send(dad);
    await settle();
    expect(h.ipv6('eth0').stats.dadConflicts).toBe(1);
    expect(ipv6Text(peer.received[2].subarray(38, 54))).toBe('ff02::1');
  });
});

describe.skipIf(!requireTool('tshark'))('neighbour discovery in tshark', () => {
  it('reads NS, NA and echo with good checksums, no malformed packet and no expert warning', async () => {
    const { h1, h2, tap } = lan(undefined, true);
    await settle();
    const r = await h1.ping6(`${h2.ipv6('eth0').addressText}%eth0`, { count: 1 });
    expect(r.stats.received).toBe(1);
    const dir = mkdtempSync(join(tmpdir(), 'netlab-ndp-'));
    try {
      const path = join(dir, 'nd.pcapng');
      writeFileSync(path, tap.bytes());
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
          'icmpv6.type',
          '-e',
          'icmpv6.checksum.status',
          '-e',
          'ipv6.hlim',
          '-e',
          'icmpv6.nd.ns.target_address',
          '-e',
          'icmpv6.nd.na.flag.s',
          '-e',
          '_ws.malformed',
          '-e',
          '_ws.expert.severity',
        ],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n')
        .filter((l) => l.split('|')[0] !== '');
      const types = rows.map((l) => l.split('|')[0]);
      expect(types).toEqual(expect.arrayContaining(['135', '136', '128', '129']));
      for (const row of rows) {
        const [type, status, hlim, , , malformed, severity] = row.split('|');
        expect(status, row).toBe('1');
        if (type === '135' || type === '136') expect(hlim, row).toBe('255');
        expect(malformed, row).toBe('');
        expect(severity === '' || Number(severity) < 6291456, row).toBe(true); // nothing at warning level
      }
      expect(rows.some((l) => l.startsWith('136|1|255||1'))).toBe(true); // a solicited NA
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decode,
  encode,
  ethernet,
  icmp,
  incrementalUpdate16,
  internetChecksum,
  ipv4,
  payload,
  tcp,
  udp,
  type Icmp,
  type Ipv4,
  type Udp,
  type DecodedLayer,
} from '../../src/wire/index.ts';
import { ipv4Number, ipv4Text } from '../../src/netsim/host-addr.ts';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { Router } from '../../src/netsim/router.ts';
import { RoutingTable } from '../../src/netsim/routes.ts';
import { memoryLink } from '../../src/netsim/port.ts';
import { MAC, rawEnd, settle, twoRouters, type RawEnd, type TwoRouters } from './host-testbed.ts';

function layers(frame: Uint8Array): DecodedLayer[] {
  return decode(frame, 1).layers;
}
function ipLayers(frame: Uint8Array): Ipv4[] {
  return layers(frame)
    .filter((l) => l.kind === 'ipv4')
    .map((l) => l.value as Ipv4);
}
function icmpOf(frame: Uint8Array): Icmp | undefined {
  return layers(frame).find((l) => l.kind === 'icmp')?.value as Icmp | undefined;
}
function mac(b: Uint8Array, off: number): string {
  return [...b.subarray(off, off + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
}
const dotted = (b: Uint8Array): string => [...b].join('.');

describe('routing table', () => {
  function table(): RoutingTable {
    const t = new RoutingTable('r');
    t.addConnected(ipv4Number('10.0.1.1'), 24, 'eth0');
    t.addConnected(ipv4Number('10.0.2.1'), 24, 'eth1');
    t.add({ prefix: '172.16.0.0/12', via: '10.0.2.2' });
    t.add({ prefix: '172.16.5.0/24', via: '10.0.1.254' });
    t.add({ prefix: '172.16.5.77/32', via: '10.0.2.3' });
    t.add({ prefix: 'default', via: '10.0.2.9' });
    return t;
  }

  it('picks the longest matching prefix, falling back to the default route', () => {
    const t = table();
    const via = (d: string): string | undefined => {
      const r = t.lookup(ipv4Number(d));
      return r === undefined ? undefined : `${r.gateway === undefined ? 'direct' : ipv4Text(r.gateway)} ${r.iface}`;
    };
    expect(via('172.16.5.77')).toBe('10.0.2.3 eth1');
    expect(via('172.16.5.78')).toBe('10.0.1.254 eth0');
    expect(via('172.31.255.255')).toBe('10.0.2.2 eth1');
    expect(via('172.32.0.1')).toBe('10.0.2.9 eth1');
    expect(via('10.0.1.77')).toBe('direct eth0');
    expect(via('8.8.8.8')).toBe('10.0.2.9 eth1');
    expect(t.remove('default')).toBe(true);
    expect(via('8.8.8.8')).toBeUndefined();
  });

  it('agrees with a linear scan for random tables and addresses', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })), { maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 20 }),
        (prefixes, addrs) => {
          const t = new RoutingTable('p');
          const added: [number, number, string][] = [];
          prefixes.forEach(([a, len], i) => {
            const r = t.addConnected(a >>> 0, len, `if${i}`);
            const k = added.findIndex(([n, l]) => n === r.network && l === len);
            if (k >= 0) added.splice(k, 1);
            added.push([r.network, len, `if${i}`]);
          });
          for (const a of addrs) {
            let best: [number, number, string] | undefined;
            for (const e of added) {
              const mask = e[1] === 0 ? 0 : (0xffffffff << (32 - e[1])) >>> 0;
              if ((a & mask) >>> 0 === e[0] && (best === undefined || e[1] > best[1])) best = e;
            }
            expect(t.lookup(a >>> 0)?.iface).toBe(best?.[2]);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('prints like route -n, longest prefix first', () => {
    expect(table().format()).toBe(
      [
        'Destination  Gateway     Genmask          Flags  Metric  Iface',
        '172.16.5.77  10.0.2.3    255.255.255.255  UGH    0       eth1',
        '10.0.1.0     0.0.0.0     255.255.255.0    U      0       eth0',
        '10.0.2.0     0.0.0.0     255.255.255.0    U      0       eth1',
        '172.16.5.0   10.0.1.254  255.255.255.0    UG     0       eth0',
        '172.16.0.0   10.0.2.2    255.240.0.0      UG     0       eth1',
        '0.0.0.0      10.0.2.9    0.0.0.0          UG     0       eth1',
      ].join('\n'),
    );
  });

  it('refuses a gateway off every connected network, and bad prefixes, saying why', () => {
    const t = table();
    expect(() => t.add({ prefix: '192.168.0.0/16', via: '192.0.2.1' })).toThrow(/next hop 192\.0\.2\.1 .* not on a connected network/);
    expect(() => t.add({ prefix: '192.168.0.0/33', via: '10.0.1.2' })).toThrow(/prefix length/);
    expect(() => t.add({ prefix: '192.168.0/16', via: '10.0.1.2' })).toThrow(/not an IPv4 address/);
  });
});

describe('RFC 1624 TTL update', () => {
  it('equals a full recomputation for random headers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.integer({ min: 2, max: 255 }), (h, ttl) => {
        h[0] = 0x45;
        h[8] = ttl;
        h[10] = h[11] = 0;
        const c = internetChecksum(h);
        h[10] = c >>> 8;
        h[11] = c & 0xff;
        const oldWord = (h[8] << 8) | h[9];
        h[8] = ttl - 1;
        const updated = incrementalUpdate16(c, oldWord, (h[8] << 8) | h[9]);
        h[10] = updated >>> 8;
        h[11] = updated & 0xff;
        expect(internetChecksum(h)).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('forwarding through two routers', () => {
  let t: TwoRouters;
  afterEach(async () => {
    await t.close();
  });

  it('rewrites MACs per hop, keeps the IPs, takes one off the TTL per router, keeps the checksum right', async () => {
    t = twoRouters();
    const s = t.h1.udpSocket();
    s.send('hello', 7, '10.0.3.20');
    const rx = t.h2.udpSocket();
    rx.bind(7);
    const got = rx.receive(2000);
    expect(new TextDecoder().decode((await got).data)).toBe('hello');
    const onLink = (link: string): Uint8Array => {
      const f = t.log.find((r) => r.link === link && ipLayers(r.frame).length > 0 && layers(r.frame).some((l) => l.kind === 'udp'));
      if (f === undefined) throw new Error(`no UDP frame on ${link}`);
      return f.frame;
    };
    const [a, b, c] = [onLink('lan1'), onLink('core'), onLink('lan2')];
    expect([mac(a, 6), mac(a, 0)]).toEqual([MAC.h1, MAC.r1lan]);
    expect([mac(b, 6), mac(b, 0)]).toEqual([MAC.r1core, MAC.r2core]);
    expect([mac(c, 6), mac(c, 0)]).toEqual([MAC.r2lan, MAC.h2]);
    const ips = [a, b, c].map((f) => ipLayers(f)[0]);
    expect(ips.map((i) => i.ttl)).toEqual([64, 63, 62]);
    expect(ips.map((i) => `${dotted(i.src)}>${dotted(i.dst)}`)).toEqual(Array(3).fill('10.0.1.10>10.0.3.20'));
    expect(ips.map((i) => i.checksumStatus)).toEqual(['good', 'good', 'good']);
    expect(ips.map((i) => i.id)).toEqual([ips[0].id, ips[0].id, ips[0].id]);
    const udps = [a, b, c].map((f) => layers(f).find((l) => l.kind === 'udp')?.value as Udp);
    expect(udps.map((u) => u.checksumStatus)).toEqual(['good', 'good', 'good']);
    expect(t.r1.stats.ipForwarded).toBe(1);
    expect(t.r2.stats.ipForwarded).toBe(1);
    s.close();
    rx.close();
  });

  it('answers TTL 1 with time exceeded from the router, quoting the header as received and 8 bytes', async () => {
    t = twoRouters();
    const s = t.h1.udpSocket();
    s.bind(40000);
    const errors: string[] = [];
    s.onError((e) => errors.push(`${e.code} ${ipv4Text(e.report.from)} ${e.report.type}/${e.report.code}`));
    s.send('probe', 33434, '10.0.3.20', { ttl: 2 });
    await settle(60);
    expect(errors).toEqual(['EHOSTUNREACH 10.0.2.2 11/0']);
    const te = t.log.find((r) => r.link === 'lan1' && icmpOf(r.frame)?.type === 11);
    expect(te).toBeDefined();
    const frame = (te as { frame: Uint8Array }).frame;
    const [outer, quoted] = ipLayers(frame);
    expect(dotted(outer.src)).toBe('10.0.2.2');
    expect(dotted(outer.dst)).toBe('10.0.1.10');
    expect(outer.ttl).toBe(63); // r2 sent it with 64, r1 forwarded it
    expect(icmpOf(frame)?.checksumStatus).toBe('good');
    expect(quoted.ttl).toBe(1);
    expect(dotted(quoted.src)).toBe('10.0.1.10');
    expect(dotted(quoted.dst)).toBe('10.0.3.20');
    // The quote: 20 bytes of header and exactly 8 of UDP (the header), nothing more.
    expect(outer.totalLength).toBe(20 + 8 + 20 + 8);
    const qudp = layers(frame).filter((l) => l.kind === 'udp')[0].value as Udp;
    expect([qudp.srcPort, qudp.dstPort]).toEqual([40000, 33434]);
    expect(t.r2.stats.ipTtlExceeded).toBe(1);
    s.close();
  });

  it('answers a destination with no route with net unreachable (code 0)', async () => {
    t = twoRouters();
    t.r1.routes.remove('10.0.3.0/24');
    t.h1.setGateway('10.0.1.1');
    const s = t.h1.udpSocket();
    s.send('x', 9, '10.0.3.20');
    await settle(40);
    expect(s.lastError?.code).toBe('ENETUNREACH');
    expect(s.lastError?.report.from).toBe(ipv4Number('10.0.1.1'));
    expect(t.r1.stats.ipNoRoute).toBe(1);
    s.close();
  });

  it('answers ping to any of its own addresses, and UDP to itself with port unreachable', async () => {
    t = twoRouters();
    const far = await t.h1.ping('10.0.2.2', { count: 2, intervalMs: 5, timeoutMs: 2000 });
    expect(far.stats.received).toBe(2);
    expect(far.replies.every((r) => r.from === '10.0.2.2' && r.ttl === 63)).toBe(true);
    const near = await t.h1.ping('10.0.1.1', { count: 1, timeoutMs: 2000 });
    expect(near.replies[0].ttl).toBe(64);
    const s = t.h1.udpSocket();
    s.send('x', 5000, '10.0.2.1');
    await settle(40);
    expect(s.lastError?.code).toBe('ECONNREFUSED');
    expect(s.lastError?.report.from).toBe(ipv4Number('10.0.2.1'));
    s.close();
  });
});

describe('router edge cases with a raw neighbour', () => {
  let r: Router;
  let lan: RawEnd;
  let wan: RawEnd;
  let clock: ManualClock;
  const NEIGHBOUR = '02:00:00:00:00:aa';

  function setup(): void {
    clock = new ManualClock();
    const [a, b] = memoryLink('r-eth0', 'lan');
    const [c, d] = memoryLink('r-eth1', 'wan');
    r = new Router({ name: 'r', clock, arp: { retryMs: 500, tries: 2 } });
    r.addInterface({ name: 'eth0', port: a, mac: '02:00:00:00:00:01', address: '192.168.1.1/24', announce: false });
    r.addInterface({ name: 'eth1', port: c, mac: '02:00:00:00:00:02', address: '198.51.100.1/24', announce: false });
    lan = rawEnd(b);
    wan = rawEnd(d);
    // The LAN neighbour's MAC is known, so replies to it need no ARP.
    r.interface('eth0').cache.set(ipv4Number('192.168.1.50'), Uint8Array.of(2, 0, 0, 0, 0, 0xaa));
  }
  afterEach(async () => {
    await r.close();
  });

  const fromLan = (inner: Parameters<typeof encode>[0], ip: Partial<Parameters<typeof ipv4>[0]> = {}, dst = '02:00:00:00:00:01'): Uint8Array =>
    encode([ethernet({ src: NEIGHBOUR, dst }), ipv4({ src: '192.168.1.50', dst: '198.51.100.77', ttl: 9, ...ip }), ...inner]);

  it('sends ICMP host unreachable to the source when ARP for the next hop gets no answer', async () => {
    setup();
    lan.send(fromLan([udp({ sport: 1234, dport: 53 }), payload('q')]));
    await settle();
    expect(wan.received).toHaveLength(1); // the ARP request
    clock.advance(1000);
    await settle();
    expect(wan.received).toHaveLength(2);
    const replies = lan.received.filter((f) => icmpOf(f) !== undefined);
    expect(replies).toHaveLength(1);
    const e = icmpOf(replies[0]) as Icmp;
    expect([e.type, e.code, e.checksumStatus]).toEqual([3, 1, 'good']);
    const [outer, quoted] = ipLayers(replies[0]);
    expect(dotted(outer.src)).toBe('192.168.1.1');
    expect(dotted(quoted.dst)).toBe('198.51.100.77');
    expect(quoted.ttl).toBe(8); // quoted as it was queued, after this router's decrement
  });

  it('never sends an ICMP error about an ICMP error, a broadcast, or a later fragment', async () => {
    setup();
    const quote = encode([ipv4({ src: '198.51.100.77', dst: '192.168.1.50' }), udp({ sport: 1, dport: 2 })]);
    lan.send(fromLan([icmp({ type: 3, code: 3 }), payload(quote)], { ttl: 1 }));
    lan.send(fromLan([udp({ sport: 1, dport: 2 }), payload('x')], { ttl: 1, fragmentOffset: 10 }));
    lan.send(fromLan([udp({ sport: 1, dport: 2 }), payload('x')], { ttl: 1 }, 'ff:ff:ff:ff:ff:ff'));
    lan.send(fromLan([udp({ sport: 1, dport: 2 }), payload('x')], { ttl: 5, dst: '255.255.255.255' }));
    await settle();
    expect(lan.received).toHaveLength(0);
    expect(wan.received).toHaveLength(0);
    // ...but does for an echo request whose TTL runs out.
    lan.send(fromLan([icmp({ type: 8, id: 1, seq: 1 }), payload('ping')], { ttl: 1 }));
    await settle();
    expect(lan.received.map((f) => icmpOf(f)?.type)).toEqual([11]);
  });

  it('drops datagrams with a bad header checksum or a lying length without a word', async () => {
    setup();
    const good = fromLan([udp({ sport: 1, dport: 2 }), payload('abc')]);
    const badSum = good.slice();
    badSum[14 + 10] ^= 0xff;
    const longLen = good.slice();
    longLen[14 + 2] = 0x05;
    lan.send(badSum);
    lan.send(longLen);
    lan.send(good.subarray(0, 20));
    await settle();
    expect(r.stats.ipHeaderErrors).toBe(3);
    expect(lan.received).toHaveLength(0);
    expect(wan.received).toHaveLength(0);
  });

  it('forwards without the Ethernet padding of a short frame, TTL and checksum updated', async () => {
    setup();
    r.interface('eth1').cache.set(ipv4Number('198.51.100.77'), Uint8Array.of(2, 0, 0, 0, 0, 0x77));
    lan.send(
      encode([
        ethernet({ src: NEIGHBOUR, dst: '02:00:00:00:00:01', pad: true }),
        ipv4({ src: '192.168.1.50', dst: '198.51.100.77', ttl: 9 }),
        tcp({ sport: 1, dport: 80, flags: 'S' }),
      ]),
    );
    await settle();
    expect(wan.received).toHaveLength(1);
    const f = wan.received[0];
    expect(f.length).toBe(60);
    const ip = ipLayers(f)[0];
    expect([ip.ttl, ip.checksumStatus, ip.totalLength]).toEqual([8, 'good', 40]);
    expect(mac(f, 6)).toBe('02:00:00:00:00:02');
    expect(mac(f, 0)).toBe('02:00:00:00:00:77');
  });
});

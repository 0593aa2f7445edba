import { afterEach, describe, expect, it } from 'vitest';
import { decode, encode, ethernet, ipv4, payload, udp, type Icmp, type Ipv4, type Udp } from '../../src/wire/index.ts';
import { memoryLink } from '../../src/netsim/port.ts';
import { ipv4Number, parsePrefix, prefixMask, ipv4Text } from '../../src/netsim/host-addr.ts';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { NetsimError } from '../../src/netsim/host-errors.ts';
import { Host } from '../../src/netsim/host.ts';
import { UDP_QUEUE_LIMIT } from '../../src/netsim/udp-socket.ts';
import { rawEnd, recordedLink, settle, type RecordedFrame } from './host-testbed.ts';

/** Two hosts on one link: a 10.0.0.1/24, b 10.0.0.2/24. */
function pair(clock?: ManualClock): { a: Host; b: Host; log: RecordedFrame[]; close: () => Promise<void> } {
  const log: RecordedFrame[] = [];
  const [pa, pb] = recordedLink('lan', 'a-eth0', 'b-eth0', log);
  const a = new Host({ name: 'a', clock });
  const b = new Host({ name: 'b', clock });
  a.addInterface({ name: 'eth0', port: pa, mac: '02:00:00:00:00:01', address: '10.0.0.1/24', announce: false });
  b.addInterface({ name: 'eth0', port: pb, mac: '02:00:00:00:00:02', address: '10.0.0.2/24', announce: false });
  return { a, b, log, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

let closeAll: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closeAll.map((c) => c()));
  closeAll = [];
});

describe('addresses', () => {
  it('parses prefixes and says what is wrong with bad ones', () => {
    expect(parsePrefix('10.0.1.10/24')).toEqual({ address: ipv4Number('10.0.1.10'), prefixLen: 24 });
    expect(parsePrefix('10.0.1.10')).toEqual({ address: ipv4Number('10.0.1.10'), prefixLen: 32 });
    expect(ipv4Text(prefixMask(20))).toBe('255.255.240.0');
    expect(ipv4Text(prefixMask(0))).toBe('0.0.0.0');
    expect(() => parsePrefix('10.0.1.10/40')).toThrow(/prefix length .*10\.0\.1\.10\/40/);
    expect(() => parsePrefix('10.0.1/24')).toThrow(/not an IPv4 address/);
    expect(() => ipv4Number(-1)).toThrow(/not an IPv4 address/);
  });
});

describe('UDP sockets on virtual hosts', () => {
  it('bind, send, receive both ways with the right addresses, ports and TTL', async () => {
    const p = pair();
    closeAll.push(p.close);
    const server = p.b.udpSocket();
    expect(server.bind(5353)).toBe(5353);
    const client = p.a.udpSocket();
    client.send('question', 5353, '10.0.0.2');
    const q = await server.receive(2000);
    expect(new TextDecoder().decode(q.data)).toBe('question');
    expect(q.address).toBe('10.0.0.1');
    expect(q.port).toBe(client.port);
    expect(q.port).toBeGreaterThanOrEqual(32768);
    expect(q.localAddress).toBe('10.0.0.2');
    expect(q.ttl).toBe(64);
    server.send('answer', q.port, q.address);
    const a = await client.receive(2000);
    expect(new TextDecoder().decode(a.data)).toBe('answer');
    expect(a.port).toBe(5353);
    // The frames on the wire carry a good UDP checksum.
    const udps = p.log.map((r) => decode(r.frame, 1).layers.find((l) => l.kind === 'udp')?.value as Udp | undefined).filter((u) => u !== undefined);
    expect(udps).toHaveLength(2);
    expect(udps.map((u) => u.checksumStatus)).toEqual(['good', 'good']);
  });

  it('delivers to a handler, and queues (bounded, drops counted) when there is none', async () => {
    const p = pair();
    closeAll.push(p.close);
    const server = p.b.udpSocket();
    server.bind(9000);
    const client = p.a.udpSocket();
    client.send('first', 9000, '10.0.0.2'); // resolves ARP, so the flood below is not held in ARP's queue
    expect(new TextDecoder().decode((await server.receive(2000)).data)).toBe('first');
    for (let i = 0; i < UDP_QUEUE_LIMIT + 10; i++) client.send(String(i), 9000, '10.0.0.2');
    await settle(40);
    expect(server.drops).toBe(10);
    const seen: string[] = [];
    server.onMessage((m) => seen.push(new TextDecoder().decode(m.data)));
    expect(seen).toHaveLength(UDP_QUEUE_LIMIT);
    expect(seen[0]).toBe('0');
    client.send('late', 9000, '10.0.0.2');
    await settle();
    expect(seen.at(-1)).toBe('late');
  });

  it('answers a datagram to a closed port with ICMP port unreachable, reported to the sender as ECONNREFUSED', async () => {
    const p = pair();
    closeAll.push(p.close);
    const client = p.a.udpSocket();
    const errors: string[] = [];
    client.onError((e) => errors.push(`${e.code}: ${e.message}`));
    client.send('anyone?', 4444, '10.0.0.2');
    await settle(40);
    expect(errors).toEqual(['ECONNREFUSED: Destination Port Unreachable from 10.0.0.2 (about a datagram to 10.0.0.2:4444)']);
    expect(p.b.stats.udpNoPort).toBe(1);
    const icmpFrame = p.log.find((r) => r.from === 'b-eth0' && decode(r.frame, 1).layers.some((l) => l.kind === 'icmp'));
    const ls = decode((icmpFrame as RecordedFrame).frame, 1).layers;
    const ic = ls.find((l) => l.kind === 'icmp')?.value as Icmp;
    expect([ic.type, ic.code, ic.checksumStatus]).toEqual([3, 3, 'good']);
    const quotedIp = ls.filter((l) => l.kind === 'ipv4')[1].value as Ipv4;
    expect([...quotedIp.dst].join('.')).toBe('10.0.0.2');
  });

  it('receive() times out on the host clock, and rejects when closed', async () => {
    const clock = new ManualClock();
    const p = pair(clock);
    closeAll.push(p.close);
    const s = p.a.udpSocket();
    s.bind(7);
    const pending = s.receive(500);
    clock.advance(500);
    await expect(pending).rejects.toThrow(/ETIMEDOUT: no datagram on a port 7 within 500 ms/);
    const waiting = s.receive();
    s.close();
    await expect(waiting).rejects.toMatchObject({ code: 'ECLOSED' });
  });

  it('refuses what a kernel refuses, with the errno and the reason', () => {
    const p = pair();
    closeAll.push(p.close);
    const s = p.a.udpSocket();
    s.bind(53);
    expect(() => p.a.udpSocket().bind(53)).toThrow(/EADDRINUSE: a: UDP port 53 is already bound/);
    expect(() => s.bind(54)).toThrow(/EINVAL: .*already bound/);
    expect(() => p.a.udpSocket().bind(70000)).toThrow(/EINVAL: UDP port must be 0 to 65535/);
    expect(() => p.a.udpSocket().bind(0, '10.9.9.9')).toThrow(/EINVAL: a has no address 10\.9\.9\.9/);
    expect(() => s.send('x', 0, '10.0.0.2')).toThrow(/destination port/);
    expect(() => s.send('x', 9, '10.0.0.2', { ttl: 0 })).toThrow(/TTL must be 1 to 255/);
    expect(() => s.send('x', 9, 'not-an-ip')).toThrow(/not an IPv4 address/);
    let err: unknown;
    try {
      s.send('x', 9, '192.0.2.1');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetsimError);
    expect((err as NetsimError).code).toBe('ENETUNREACH');
    expect((err as Error).message).toMatch(/a has no route to 192\.0\.2\.1/);
  });

  it('hands out ephemeral ports upwards from the first one, skipping bound ones', () => {
    const [x] = recordedLink('l', 'x', 'y', []);
    const h = new Host({ name: 'h', firstEphemeralPort: 50000 });
    closeAll.push(() => h.close());
    h.addInterface({ name: 'eth0', port: x, mac: '02:00:00:00:00:09', address: '10.1.0.1/16', announce: false });
    h.udpSocket().bind(50001);
    expect([h.udpSocket().bind(), h.udpSocket().bind()]).toEqual([50000, 50002]);
    expect(() => new Host({ name: 'bad', firstEphemeralPort: 80 })).toThrow(/firstEphemeralPort must be 32768 to 60999/);
  });

  it('sends to 255.255.255.255 as a link broadcast (even with a default gateway); nobody answers a broadcast with an error', async () => {
    const p = pair();
    closeAll.push(p.close);
    p.a.setGateway('10.0.0.254');
    const rx = p.b.udpSocket();
    rx.bind(67);
    const tx = p.a.udpSocket();
    tx.bind(68);
    tx.send('discover', 67, '255.255.255.255');
    tx.send('to nobody', 99, '10.0.0.255');
    const m = await rx.receive(2000);
    expect([new TextDecoder().decode(m.data), m.localAddress, m.port]).toEqual(['discover', '255.255.255.255', 68]);
    await settle();
    const frames = p.log.filter((r) => r.from === 'a-eth0');
    expect(frames).toHaveLength(2); // no ARP for either
    expect(frames.every((r) => [...r.frame.subarray(0, 6)].every((x) => x === 0xff))).toBe(true);
    expect(p.log.filter((r) => r.from === 'b-eth0')).toHaveLength(0);
    expect(p.b.stats.udpNoPort).toBe(1);
  });

  it('delivers a datagram to its own address without putting it on the wire', async () => {
    const p = pair();
    closeAll.push(p.close);
    const rx = p.a.udpSocket();
    rx.bind(1000);
    p.a.udpSocket().send('self', 1000, '10.0.0.1');
    const m = await rx.receive(2000);
    expect(new TextDecoder().decode(m.data)).toBe('self');
    expect(p.log).toHaveLength(0);
  });

  it('drops a datagram with a bad UDP checksum (counted) and accepts one with none (0)', async () => {
    const [hostEnd, testEnd] = memoryLink('b-eth0', 'raw');
    const b = new Host({ name: 'b' });
    closeAll.push(() => b.close());
    b.addInterface({ name: 'eth0', port: hostEnd, mac: '02:00:00:00:00:02', address: '10.0.0.2/24', announce: false });
    const raw = rawEnd(testEnd);
    const rx = b.udpSocket();
    rx.bind(1000);
    const frame = (checksum: number, text: string): Uint8Array =>
      encode([
        ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
        ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
        udp({ sport: 5, dport: 1000, checksum }),
        payload(text),
      ]);
    raw.send(frame(0x1234, 'bad'));
    raw.send(frame(0, 'none'));
    const m = await rx.receive(2000);
    expect(new TextDecoder().decode(m.data)).toBe('none');
    expect(b.stats.udpErrors).toBe(1);
    expect(raw.received).toHaveLength(0); // no ICMP error about a corrupt datagram
  });
});

describe('fragments', () => {
  it('reassembles a fragmented UDP datagram for a socket, and refuses overlapping fragments', async () => {
    const [hostEnd, testEnd] = memoryLink('b-eth0', 'raw');
    const b = new Host({ name: 'b' });
    closeAll.push(() => b.close());
    b.addInterface({ name: 'eth0', port: hostEnd, mac: '02:00:00:00:00:02', address: '10.0.0.2/24', announce: false });
    const raw = rawEnd(testEnd);
    const rx = b.udpSocket();
    rx.bind(1000);
    const text = 'a datagram long enough to be cut in two pieces';
    const whole = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 5, dport: 1000 }), payload(text)]);
    const segment = whole.subarray(20);
    const fragment = (id: number, offset: number, bytes: Uint8Array, more: boolean): Uint8Array =>
      encode([
        ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
        ipv4({ src: '10.0.0.1', dst: '10.0.0.2', id, protocol: 17, mf: more, fragmentOffset: offset / 8 }),
        payload(bytes),
      ]);
    raw.send(fragment(7, 24, segment.subarray(24), false));
    raw.send(fragment(7, 0, segment.subarray(0, 24), true));
    const m = await rx.receive(2000);
    expect(new TextDecoder().decode(m.data)).toBe(text);
    expect(b.stats.ipReassembled).toBe(1);
    raw.send(fragment(8, 0, segment.subarray(0, 24), true));
    raw.send(fragment(8, 16, segment.subarray(16), false));
    await settle();
    expect(b.stats.ipFragmentsDropped).toBe(1);
    expect(b.stats.udpReceived).toBe(1);
  });
});

describe('host configuration', () => {
  it('prints its routes and ARP table, names unknown interfaces', async () => {
    const p = pair();
    closeAll.push(p.close);
    p.a.setGateway('10.0.0.254');
    expect(p.a.routeTable()).toBe(
      [
        'Destination  Gateway     Genmask        Flags  Metric  Iface',
        '10.0.0.0     0.0.0.0     255.255.255.0  U      0       eth0',
        '0.0.0.0      10.0.0.254  0.0.0.0        UG     0       eth0',
      ].join('\n'),
    );
    const r = await p.a.ping('10.0.0.2', { count: 1, timeoutMs: 2000 });
    expect(r.stats.received).toBe(1);
    expect(p.a.arpTable()).toBe(['Address   HWaddress          Iface  State      Expires', '10.0.0.2  02:00:00:00:00:02  eth0   reachable  60s'].join('\n'));
    // b learnt a from a's request (addressed to b).
    expect(p.b.arpTable()).toMatch(/^10\.0\.0\.1\s+02:00:00:00:00:01/m);
    expect(() => p.a.interface('eth9')).toThrow(/a has no interface eth9 \(it has: eth0\)/);
    expect(() => p.a.setGateway('192.0.2.1')).toThrow(/not on a connected network/);
  });

  it('closes cleanly: sockets and pending work end with ECLOSED, no timers left', async () => {
    const clock = new ManualClock();
    const p = pair(clock);
    const s = p.a.udpSocket();
    s.bind(1);
    const waiting = s.receive(10_000);
    const pinging = p.a.ping('10.0.0.77', { count: 3 });
    await p.close();
    await expect(waiting).rejects.toMatchObject({ code: 'ECLOSED' });
    await expect(pinging).rejects.toMatchObject({ code: 'ECLOSED' });
    expect(clock.pending).toBe(0);
    expect(() => p.a.udpSocket()).toThrow(/ECLOSED/);
  });
});

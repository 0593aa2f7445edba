import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decode, encode, ethernet, icmp, ipv4, payload, udp, type Icmp, type Ipv4 } from '../../src/wire/index.ts';
import { ipv4Number } from '../../src/netsim/host-addr.ts';
import { readDatagram, type Datagram } from '../../src/netsim/host-ipv4.ts';
import { describeIcmpError, mayReportError, quoteOf, readIcmpError } from '../../src/netsim/icmp-errors.ts';
import { Host } from '../../src/netsim/host.ts';
import { memoryLink } from '../../src/netsim/port.ts';
import { rawEnd, settle, type RawEnd } from './host-testbed.ts';

const HOST_MAC = '02:00:00:00:00:01';
const PEER_MAC = '02:00:00:00:00:02';

function frameTo(inner: Parameters<typeof encode>[0], ip: Partial<Parameters<typeof ipv4>[0]> = {}, dstMac = HOST_MAC): Uint8Array {
  return encode([ethernet({ src: PEER_MAC, dst: dstMac }), ipv4({ src: '10.0.0.2', dst: '10.0.0.1', ttl: 50, id: 0x4242, ...ip }), ...inner]);
}

function parsed(frame: Uint8Array): Datagram {
  const d = readDatagram(frame);
  if (typeof d === 'string') throw new Error(d);
  return d;
}

describe('the echo responder and ICMP errors of a host', () => {
  let h: Host;
  let peer: RawEnd;
  beforeEach(() => {
    const [a, b] = memoryLink('h-eth0', 'peer');
    h = new Host({ name: 'h' });
    h.addInterface({ name: 'eth0', port: a, mac: HOST_MAC, address: '10.0.0.1/24', announce: false });
    // The peer's MAC is known, so answers need no ARP.
    h.interface('eth0').cache.set(ipv4Number('10.0.0.2'), Uint8Array.of(2, 0, 0, 0, 0, 2));
    peer = rawEnd(b);
  });
  afterEach(async () => {
    await h.close();
  });

  it('answers an echo request with the same identifier, sequence number and data', async () => {
    const data = Uint8Array.from({ length: 56 }, (_, i) => i);
    peer.send(frameTo([icmp({ type: 8, id: 0x1234, seq: 7 }), payload(data)]));
    await settle();
    expect(peer.received).toHaveLength(1);
    const ls = decode(peer.received[0], 1).layers;
    const ip = ls.find((l) => l.kind === 'ipv4')?.value as Ipv4;
    const ic = ls.find((l) => l.kind === 'icmp');
    const v = ic?.value as Icmp;
    expect([v.type, v.code, v.id, v.seq, v.checksumStatus]).toEqual([0, 0, 0x1234, 7, 'good']);
    expect([...ip.src].join('.')).toBe('10.0.0.1');
    expect([...ip.dst].join('.')).toBe('10.0.0.2');
    expect(ip.checksumStatus).toBe('good');
    const echoed = peer.received[0].subarray(14 + 20 + 8, 14 + 20 + 8 + 56);
    expect(echoed).toEqual(data);
    expect(h.stats.icmpEchoRepliesSent).toBe(1);
  });

  it('ignores a broadcast ping and an echo request with a bad ICMP checksum', async () => {
    peer.send(frameTo([icmp({ type: 8, id: 1, seq: 1 }), payload('x')], { dst: '10.0.0.255' }, 'ff:ff:ff:ff:ff:ff'));
    peer.send(frameTo([icmp({ type: 8, id: 1, seq: 2, checksum: 0xbeef }), payload('x')]));
    await settle();
    expect(peer.received).toHaveLength(0);
    expect(h.stats.icmpChecksumErrors).toBe(1);
  });

  it('answers a protocol it does not speak with protocol unreachable (code 2), quoting header + 8 bytes', async () => {
    // SCTP (132): a transport the virtual host does not speak (it speaks ICMP, UDP and TCP).
    peer.send(frameTo([payload('SCTP common header and chunks')], { protocol: 132 }));
    await settle();
    expect(peer.received).toHaveLength(1);
    const ls = decode(peer.received[0], 1).layers;
    const v = ls.find((l) => l.kind === 'icmp')?.value as Icmp;
    expect([v.type, v.code, v.checksumStatus]).toEqual([3, 2, 'good']);
    const [outer, quoted] = ls.filter((l) => l.kind === 'ipv4').map((l) => l.value as Ipv4);
    expect(outer.totalLength).toBe(20 + 8 + 20 + 8);
    expect([quoted.id, quoted.ttl, quoted.protocol]).toEqual([0x4242, 50, 132]);
    expect(h.stats.unknownProtocol).toBe(1);
  });

  it('hands an arriving ICMP error to listeners with what it quotes', async () => {
    const seen: string[] = [];
    h.onIcmpError((r) => seen.push(`${r.type}/${r.code} from ${r.from} about ${r.quoted.srcPort}->${r.quoted.dstPort}`));
    const original = encode([ipv4({ src: '10.0.0.1', dst: '192.0.2.9', ttl: 1 }), udp({ sport: 33000, dport: 33434 }), payload('@ABCDEFG')]);
    peer.send(frameTo([icmp({ type: 11, code: 0 }), payload(original.subarray(0, 28))]));
    await settle();
    expect(seen).toEqual([`11/0 from ${ipv4Number('10.0.0.2')} about 33000->33434`]);
    expect(peer.received).toHaveLength(0); // never an error about an error
  });
});

describe('ICMP error helpers', () => {
  const udpDatagram = (ip: Partial<Parameters<typeof ipv4>[0]> = {}): Datagram =>
    parsed(
      encode([
        ethernet({ src: PEER_MAC, dst: HOST_MAC }),
        ipv4({ src: '10.0.0.2', dst: '10.0.0.1', ...ip }),
        udp({ sport: 1, dport: 2 }),
        payload('0123456789'),
      ]),
    );

  it('quotes the IP header (options included) and 8 bytes of data', () => {
    expect(quoteOf(udpDatagram()).length).toBe(28);
    const withOptions = udpDatagram({ options: Uint8Array.of(1, 1, 1, 1) });
    expect(quoteOf(withOptions).length).toBe(32);
  });

  it('follows RFC 1812 on when an error may be sent', () => {
    expect(mayReportError(udpDatagram(), false)).toBe(true);
    expect(mayReportError(udpDatagram(), true)).toBe(false);
    expect(mayReportError(udpDatagram({ dst: '224.0.0.251' }), false)).toBe(false);
    expect(mayReportError(udpDatagram({ dst: '10.0.0.255' }), false, [ipv4Number('10.0.0.255')])).toBe(false);
    expect(mayReportError(udpDatagram({ src: '0.0.0.0' }), false)).toBe(false);
    expect(mayReportError(udpDatagram({ src: '127.0.0.1' }), false)).toBe(false);
    expect(mayReportError(udpDatagram({ fragmentOffset: 3 }), false)).toBe(false);
    const echo = parsed(encode([ethernet({ src: PEER_MAC, dst: HOST_MAC }), ipv4({ src: '10.0.0.2', dst: '10.0.0.1' }), icmp({ type: 8 })]));
    expect(mayReportError(echo, false)).toBe(true);
    const err = parsed(
      encode([ethernet({ src: PEER_MAC, dst: HOST_MAC }), ipv4({ src: '10.0.0.2', dst: '10.0.0.1' }), icmp({ type: 3, code: 1 }), payload(new Uint8Array(28))]),
    );
    expect(mayReportError(err, false)).toBe(false);
  });

  it('reads an error back, and returns undefined (never throws) for short or bogus quotes', () => {
    const quote = encode([ipv4({ src: '10.0.0.1', dst: '10.9.9.9' }), icmp({ type: 8, id: 77, seq: 3 })]);
    const msg = encode([icmp({ type: 3, code: 1 }), payload(quote)]);
    const r = readIcmpError(msg, 5, 60);
    expect(r?.quoted).toMatchObject({ protocol: 1, icmpId: 77, icmpSeq: 3, dst: ipv4Number('10.9.9.9') });
    expect(readIcmpError(msg.subarray(0, 20), 5, 60)).toBeUndefined();
    const bogus = msg.slice();
    bogus[8] = 0x65;
    expect(readIcmpError(bogus, 5, 60)).toBeUndefined();
    expect(readIcmpError(encode([icmp({ type: 0 }), payload(new Uint8Array(40))]), 5, 60)).toBeUndefined();
    for (let n = 0; n < msg.length; n++) expect(() => readIcmpError(msg.subarray(0, n), 1, 1)).not.toThrow();
  });

  it('names errors the way ping prints them', () => {
    expect(describeIcmpError(3, 1)).toBe('Destination Host Unreachable');
    expect(describeIcmpError(3, 0)).toBe('Destination Net Unreachable');
    expect(describeIcmpError(3, 3)).toBe('Destination Port Unreachable');
    expect(describeIcmpError(11, 0)).toBe('Time to live exceeded');
  });

  it('readDatagram says why it refuses a header', () => {
    const good = encode([ethernet({ src: PEER_MAC, dst: HOST_MAC }), ipv4({ src: '10.0.0.2', dst: '10.0.0.1' }), udp({ sport: 1, dport: 2 })]);
    expect(readDatagram(good.subarray(0, 30))).toMatch(/truncated/);
    const v6 = good.slice();
    v6[14] = 0x65;
    expect(readDatagram(v6)).toMatch(/version 6/);
    const sum = good.slice();
    sum[14 + 11] ^= 1;
    expect(readDatagram(sum)).toMatch(/checksum/);
  });
});

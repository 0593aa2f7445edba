// A zoo of frames netlab writes, one or more per codec and per trap the wire layer knows about,
// with good and deliberately bad checksums, for the field agreement test against tshark.

import {
  arp,
  encode,
  ethernet,
  icmp,
  icmpv6,
  ipv4,
  ipv6,
  ipv6DestOptions,
  ipv6Fragment,
  ipv6HopByHop,
  ipv6Routing,
  payload,
  tcp,
  udp,
  vlan,
  vxlan,
  type LayerSpec,
} from '../../src/wire/index.ts';
import { macBytes } from '../../src/wire/ethernet.ts';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const eth = (o: { fcs?: boolean } = {}): LayerSpec => ethernet({ src: A, dst: B, ...o });

/** Frames and a comment on each, in the order written. */
export function zooFrames(): { frame: Uint8Array; about: string }[] {
  const out: { frame: Uint8Array; about: string }[] = [];
  const add = (about: string, specs: LayerSpec[]): void => {
    out.push({ frame: encode(specs), about });
  };
  const v4 = { src: '192.168.1.10', dst: '142.250.183.110' };
  const v6 = { src: 'fe80::1', dst: 'fe80::2' };
  add('seed SYN with options', [
    eth(),
    ipv4(v4),
    tcp({ sport: 54321, dport: 443, seq: 12345678, flags: 'S', options: [{ mss: 1460 }, 'sack-permitted', { timestamp: [1, 0] }, 'nop', { wscale: 7 }] }),
  ]);
  add('SYN-ACK', [
    eth(),
    ipv4({ src: v4.dst, dst: v4.src }),
    tcp({ sport: 443, dport: 54321, seq: 999, ack: 12345679, flags: 'SA', options: [{ mss: 1400 }, 'nop', 'nop', 'sack-permitted'] }),
  ]);
  add('ACK with SACK blocks and data', [
    eth(),
    ipv4(v4),
    tcp({
      sport: 54321,
      dport: 443,
      seq: 12345679,
      ack: 1000,
      flags: 'PA',
      options: [
        'nop',
        'nop',
        {
          sack: [
            [2000, 3000],
            [4000, 5000],
          ],
        },
      ],
    }),
    payload('GET /index.html HTTP/1.1\r\n\r\n'),
  ]);
  add('TCP bad checksum', [eth(), ipv4(v4), tcp({ sport: 54321, dport: 443, seq: 1, flags: 'R', checksum: 0x1234 })]);
  add('TCP experimental option (RFC 6994 ExID)', [
    eth(),
    ipv4(v4),
    tcp({ sport: 1, dport: 2, flags: 'A', options: [{ kind: 253, data: Uint8Array.from([1, 2, 3, 4]) }, 'nop', 'nop'] }),
  ]);
  add('TCP with an unknown option kept', [
    eth(),
    ipv4(v4),
    tcp({ sport: 1, dport: 2, flags: 'A', options: [{ kind: 99, data: Uint8Array.from([1, 2]) }, 'nop', 'nop'] }),
  ]);
  add('UDP Hola', [eth(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1234, dport: 4321 }), payload('Hola')]);
  add('UDP checksum 0 = none over IPv4', [eth(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1234, dport: 4321, checksum: 0 }), payload('Mola')]);
  add('UDP bad checksum', [eth(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1234, dport: 4321, checksum: 0xdead }), payload('Hola')]);
  add('UDP wrong length', [eth(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1234, dport: 4321, length: 9 }), payload('Hola')]);
  add('IPv4 bad header checksum, TTL 0', [eth(), ipv4({ ...v4, ttl: 0, checksum: 0xbeef }), udp({ sport: 5, dport: 6 })]);
  add('IPv4 with options (NOP, NOP, router alert)', [
    eth(),
    ipv4({ ...v4, options: Uint8Array.from([1, 1, 0x94, 4, 0, 0]) }),
    udp({ sport: 7, dport: 8 }),
    payload('x'),
  ]);
  // One UDP datagram (8 + 16 bytes) in two fragments: 16 bytes at offset 0, 8 bytes at offset 16.
  const datagram = encode([ipv4(v4), udp({ sport: 4000, dport: 4001 }), payload(new Uint8Array(16).fill(0x61))]).subarray(20);
  add('IPv4 first fragment', [eth(), ipv4({ ...v4, id: 77, mf: true, protocol: 17 }), payload(datagram.subarray(0, 16))]);
  add('IPv4 last fragment (completes the datagram)', [eth(), ipv4({ ...v4, id: 77, fragmentOffset: 2, protocol: 17 }), payload(datagram.subarray(16))]);
  add('802.1Q', [eth(), vlan({ id: 42, pcp: 5 }), ipv4(v4), udp({ sport: 9, dport: 10 })]);
  add('QinQ', [eth(), vlan({ id: 100, tpid: 0x88a8 }), vlan({ id: 42 }), ipv4(v4), udp({ sport: 9, dport: 10 })]);
  add('ARP request', [ethernet({ src: A, dst: 'ff:ff:ff:ff:ff:ff' }), arp({ op: 'request', senderMac: A, senderIp: '10.0.0.1', targetIp: '10.0.0.2' })]);
  add('ARP reply', [ethernet({ src: B, dst: A }), arp({ op: 'reply', senderMac: B, senderIp: '10.0.0.2', targetMac: A, targetIp: '10.0.0.1' })]);
  add('gratuitous ARP', [ethernet({ src: A, dst: 'ff:ff:ff:ff:ff:ff' }), arp({ op: 'request', senderMac: A, senderIp: '10.0.0.1', targetIp: '10.0.0.1' })]);
  add('ICMP echo request', [eth(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), icmp({ type: 8, id: 1, seq: 1 }), payload('abcdefgh')]);
  add('ICMP echo reply', [eth(), ipv4({ src: '10.0.0.2', dst: '10.0.0.1' }), icmp({ type: 0, id: 1, seq: 1 }), payload('abcdefgh')]);
  const quoted = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.9', ttl: 1 }), udp({ sport: 40000, dport: 33434 }), payload('probe')]);
  add('ICMP time exceeded quoting the probe', [eth(), ipv4({ src: '10.0.0.254', dst: '10.0.0.1' }), icmp({ type: 11, code: 0 }), payload(quoted)]);
  add('ICMP port unreachable', [eth(), ipv4({ src: '10.0.0.9', dst: '10.0.0.1' }), icmp({ type: 3, code: 3 }), payload(quoted)]);
  add('ICMP bad checksum', [eth(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), icmp({ type: 8, id: 2, seq: 9, checksum: 0x0bad })]);
  add('ICMPv6 echo', [eth(), ipv6(v6), icmpv6({ type: 128, id: 3, seq: 4 }), payload('ping')]);
  add('ICMPv6 neighbour solicitation', [
    ethernet({ src: A, dst: '33:33:ff:00:00:02' }),
    ipv6({ src: 'fe80::1', dst: 'ff02::1:ff00:2', hopLimit: 255 }),
    icmpv6({ type: 135, target: 'fe80::2', ndOptions: [{ sourceLinkAddr: macBytes(A) }] }),
  ]);
  add('ICMPv6 neighbour advertisement', [
    eth(),
    ipv6({ src: 'fe80::2', dst: 'fe80::1', hopLimit: 255 }),
    icmpv6({ type: 136, target: 'fe80::2', solicited: true, override: true, ndOptions: [{ targetLinkAddr: macBytes(B) }] }),
  ]);
  add('ICMPv6 router solicitation', [
    ethernet({ src: A, dst: '33:33:00:00:00:02' }),
    ipv6({ src: 'fe80::1', dst: 'ff02::2', hopLimit: 255 }),
    icmpv6({ type: 133 }),
  ]);
  add('ICMPv6 router advertisement', [
    ethernet({ src: B, dst: '33:33:00:00:00:01' }),
    ipv6({ src: 'fe80::2', dst: 'ff02::1', hopLimit: 255 }),
    icmpv6({
      type: 134,
      curHopLimit: 64,
      routerLifetime: 1800,
      ndOptions: [
        { mtu: 1500 },
        {
          prefix: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
          prefixLength: 64,
          flags: 0xc0,
          validLifetime: 86400,
          preferredLifetime: 14400,
        },
      ],
    }),
  ]);
  add('IPv6 hop-by-hop, routing, destination options, UDP', [
    eth(),
    ipv6(v6),
    ipv6HopByHop(),
    ipv6Routing({ addresses: ['2001:db8::1'] }),
    ipv6DestOptions(),
    udp({ sport: 11, dport: 12 }),
    payload('ext'),
  ]);
  add('IPv6 atomic fragment', [eth(), ipv6(v6), ipv6Fragment({ id: 5 }), udp({ sport: 13, dport: 14 }), payload('frag')]);
  add('VXLAN carrying an inner ARP', [
    eth(),
    ipv4({ src: '127.0.0.1', dst: '127.0.0.2' }),
    udp({ sport: 50000, dport: 4789 }),
    vxlan({ vni: 42 }),
    ethernet({ src: A, dst: 'ff:ff:ff:ff:ff:ff' }),
    arp({ op: 'request', senderMac: A, senderIp: '10.1.0.1', targetIp: '10.1.0.2' }),
  ]);
  add('Ethernet padding after a short IPv4 datagram', [ethernet({ src: A, dst: B, pad: true }), ipv4(v4), udp({ sport: 1, dport: 2 }), payload('p')]);
  return out;
}

/** The same zoo with an FCS on every Ethernet frame (written to an interface with if_fcslen 4). */
export function zooFramesWithFcs(): { frame: Uint8Array; about: string }[] {
  return [
    { frame: encode([eth({ fcs: true }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1, dport: 2 }), payload('fcs')]), about: 'good FCS' },
    {
      frame: encode([ethernet({ src: A, dst: B, fcs: 0xdeadbeef }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 1, dport: 2 }), payload('bad')]),
      about: 'bad FCS',
    },
  ];
}

// Hand-made dissections for unit tests of the outputs and the filter: no decoder involved.

import type { CapturedPacket } from '../../src/capture/types.ts';
import type { Dissection } from '../../src/dissect/dissect.ts';
import {
  bool,
  bytesField,
  etherField,
  type Field,
  ipv4Field,
  ipv6Field,
  labelField,
  type ProtoNode,
  stringField,
  uintDec,
  uintHex,
} from '../../src/dissect/field.ts';

export function packet(data: Uint8Array, over: Partial<CapturedPacket> = {}): CapturedPacket {
  return {
    number: 1,
    interfaceId: 0,
    iface: { linkType: 1, snapLength: 262144, tsResolution: 1e6, fcsLength: 0, container: 'pcap' },
    tsSec: 1_600_000_000,
    tsNsec: 250_000_000,
    data,
    origLength: data.length,
    comments: [],
    warnings: [],
    ...over,
  };
}

export function node(proto: string, label: string, offset: number, length: number, fields: Field[], extra: Partial<ProtoNode> = {}): ProtoNode {
  return { proto, label, offset, length, fields, malformed: [], ...extra };
}

/** Ethernet / IPv4 / ICMP destination unreachable quoting IPv4 / UDP: two ip.src, one udp. */
export function icmpErrorFrame(): Dissection {
  const hex =
    'aabbccddeeff112233445566080045c00038' +
    '00cc0000fb01a7350a0002020a000102' +
    '0303b42a00000000' +
    '4500001c00e600000111' +
    '01d80a000102ac100002' +
    'c01e82a600080605';
  const data = Uint8Array.from(hex.match(/../g) as string[], (h) => parseInt(h, 16));
  const eth = node('eth', 'Ethernet II, Src: 11:22:33:44:55:66, Dst: aa:bb:cc:dd:ee:ff', 0, 14, [
    etherField('eth.dst', 'Destination', data, 0, { children: [etherField('eth.addr', 'Address', data, 0, { hidden: true })] }),
    etherField('eth.src', 'Source', data, 6, { children: [etherField('eth.addr', 'Address', data, 6, { hidden: true })] }),
    uintHex('eth.type', 'Type', 0x0800, 4, 12, 2, { text: 'Type: IPv4 (0x0800)' }),
  ]);
  const ethertype = node('ethertype', 'Ethertype', 12, 2, [], { noTree: true });
  const ip1 = node(
    'ip',
    'Internet Protocol Version 4, Src: 10.0.2.2, Dst: 10.0.1.2',
    14,
    20,
    [
      uintDec('ip.version', 'Version', 4, 14, 1),
      uintDec('ip.ttl', 'Time to Live', 251, 22, 1),
      uintDec('ip.proto', 'Protocol', 1, 23, 1),
      uintHex('ip.flags', 'Flags', 0, 2, 20, 1, { children: [bool('ip.flags.df', "Don't fragment", false, 20, 1)] }),
      ipv4Field('ip.src', 'Source Address', data, 26),
      ipv4Field('ip.addr', 'Source or Destination Address', data, 26, { hidden: true }),
      ipv4Field('ip.dst', 'Destination Address', data, 30),
      ipv4Field('ip.addr', 'Source or Destination Address', data, 30, { hidden: true }),
    ],
    { columns: { src: '10.0.2.2', dst: '10.0.1.2', protocol: 'IPv4' } },
  );
  const icmp = node(
    'icmp',
    'Internet Control Message Protocol',
    34,
    8,
    [
      uintDec('icmp.type', 'Type', 3, 34, 1, { text: 'Type: 3 (Destination unreachable)' }),
      uintDec('icmp.code', 'Code', 3, 35, 1, { text: 'Code: 3 (Port unreachable)' }),
      bytesField('icmp.unused', 'Unused', data, 38, 4),
    ],
    { columns: { protocol: 'ICMP', info: 'Destination unreachable (Port unreachable)' } },
  );
  const ip2 = node('ip', 'Internet Protocol Version 4, Src: 10.0.1.2, Dst: 172.16.0.2', 42, 20, [
    uintDec('ip.version', 'Version', 4, 42, 1),
    uintDec('ip.ttl', 'Time to Live', 1, 50, 1),
    uintDec('ip.proto', 'Protocol', 17, 51, 1),
    uintHex('ip.flags', 'Flags', 0x40, 2, 48, 1, { children: [bool('ip.flags.df', "Don't fragment", true, 48, 1)] }),
    ipv4Field('ip.src', 'Source Address', data, 54),
    ipv4Field('ip.addr', 'Source or Destination Address', data, 54, { hidden: true }),
    ipv4Field('ip.dst', 'Destination Address', data, 58),
    ipv4Field('ip.addr', 'Source or Destination Address', data, 58, { hidden: true }),
  ]);
  const udp = node('udp', 'User Datagram Protocol, Src Port: 49182, Dst Port: 33446', 62, 8, [
    uintDec('udp.srcport', 'Source Port', 49182, 62, 2),
    uintDec('udp.dstport', 'Destination Port', 33446, 64, 2),
    uintDec('udp.port', 'Source or Destination Port', 49182, 62, 2, { hidden: true }),
    uintDec('udp.port', 'Source or Destination Port', 33446, 64, 2, { hidden: true }),
    labelField('text', 'Timestamps', 0, 0, { text: '[Timestamps]', generated: true, children: [stringField('udp.note', 'Note', 'x', 0, 0)] }),
  ]);
  const frame = node('frame', 'Frame 1: 70 bytes on wire (560 bits), 70 bytes captured (560 bits)', 0, data.length, [
    uintDec('frame.number', 'Frame Number', 1, 0, 0),
    uintDec('frame.len', 'Frame Length', data.length, 0, 0, { text: `Frame Length: ${data.length} bytes (${data.length * 8} bits)` }),
    stringField('frame.protocols', 'Protocols in frame', 'eth:ethertype:ip:icmp:ip:udp', 0, 0, { generated: true }),
    rawTime(),
  ]);
  const protos = [frame, eth, ethertype, ip1, icmp, ip2, udp];
  return {
    packet: packet(data),
    layers: [],
    protos,
    parents: [-1, -1, -1, -1, -1, 4, 4],
    malformed: [],
    columns: { src: '10.0.2.2', dst: '10.0.1.2', protocol: 'ICMP', info: 'Destination unreachable (Port unreachable)' },
  };
}

function rawTime(): Field {
  return {
    name: 'frame.time_relative',
    label: 'Time since reference or first frame',
    kind: 'reltime',
    value: 1.5,
    show: '1.500000000',
    offset: 0,
    length: 0,
    generated: true,
  };
}

/** An IPv6 frame with a payload string, for ipv6 and contains tests. */
export function ipv6Frame(): Dissection {
  const data = new Uint8Array(14 + 40 + 5);
  data.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 22);
  data.set([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 38);
  data.set(new TextEncoder().encode('Hola!'), 54);
  const frame = node('frame', 'Frame 1', 0, data.length, [uintDec('frame.number', 'Frame Number', 7, 0, 0)]);
  const ip6 = node('ipv6', 'Internet Protocol Version 6', 14, 40, [
    ipv6Field('ipv6.src', 'Source Address', data, 22),
    ipv6Field('ipv6.addr', 'Address', data, 22, { hidden: true }),
    ipv6Field('ipv6.dst', 'Destination Address', data, 38),
    ipv6Field('ipv6.addr', 'Address', data, 38, { hidden: true }),
  ]);
  const payload = node('data', 'Data (5 bytes)', 54, 5, [
    bytesField('data.data', 'Data', data, 54, 5),
    uintDec('data.len', 'Length', 5, 54, 0, { generated: true }),
  ]);
  return {
    packet: packet(data),
    layers: [],
    protos: [frame, ip6, payload],
    parents: [-1, -1, -1],
    malformed: [],
    columns: { src: '', dst: '', protocol: '', info: '' },
  };
}

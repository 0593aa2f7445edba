// What `netlab craft` knows about each layer: its keys, how each key's text is read, the range the
// field can hold, the keys that must be given, and the builder (src/wire) that makes the layer.

import { arp, ethernet, icmp, icmpv6, ipv4, ipv6, type LayerSpec, tcp, udp, vlan, vxlan } from '../../wire/index.ts';

/** How a key's text value is read. */
export type ValueKind = 'int' | 'bool' | 'text' | 'checksum' | 'fcs' | 'tcpflags' | 'tcpoptions' | 'arpop' | 'hex' | 'icmptype' | 'icmpv6type' | 'triple';

/** One key: how it is read and, for numbers, the range its field holds (a value outside is refused, never wrapped). */
export interface KeySchema {
  readonly kind: ValueKind;
  /** Largest value the field holds (numbers; for 'triple', each of the three). */
  readonly max?: number;
  /** Smallest (default 0). */
  readonly min?: number;
  /** The field's width, for messages ("8-bit", "20-bit"). */
  readonly bits?: number;
}

export interface LayerSchema {
  /** Canonical name (the builder's kind). */
  readonly name: string;
  readonly keys: Readonly<Record<string, KeySchema>>;
  /** Keys that must be given. */
  readonly required: readonly string[];
  build(options: Record<string, unknown>): LayerSpec;
}

/** A number field `bits` wide, read with `kind` (default 'int'). */
const u = (bits: number, kind: ValueKind = 'int'): KeySchema => ({ kind, bits, min: 0, max: 2 ** bits - 1 });
const k = (kind: ValueKind): KeySchema => ({ kind });

// The builders' option types are checked by the builders themselves at run time (they throw a
// RangeError naming the problem for what they check); the schema turns text into the right
// JavaScript type and refuses numbers the field cannot hold, which a builder would otherwise wrap.
type AnyOptions = Record<string, unknown>;
const call =
  <T>(f: (o: T) => LayerSpec) =>
  (o: AnyOptions): LayerSpec =>
    f(o as T);

export const SCHEMAS: readonly LayerSchema[] = [
  {
    name: 'ethernet',
    keys: { src: k('text'), dst: k('text'), type: u(16), fcs: u(32, 'fcs'), pad: k('bool') },
    required: ['src', 'dst'],
    build: call(ethernet),
  },
  // VID 0 (priority tag) and 4095 (reserved) fit the 12-bit field, so they can be written on purpose.
  { name: 'vlan', keys: { id: u(12), pcp: u(3), dei: k('bool'), tpid: u(16), type: u(16) }, required: ['id'], build: call(vlan) },
  {
    name: 'arp',
    keys: {
      op: u(16, 'arpop'), senderMac: k('text'), senderIp: k('text'), targetMac: k('text'), targetIp: k('text'), hwType: u(16), protoType: u(16),
      hwSize: u(8), protoSize: u(8),
    },
    required: ['senderMac', 'senderIp'],
    build: call(arp),
  },
  {
    name: 'ipv4',
    keys: {
      src: k('text'), dst: k('text'), ttl: u(8), id: u(16), dscp: u(6), ecn: u(2), flags: u(3), df: k('bool'), mf: k('bool'), reserved: k('bool'),
      fragmentOffset: u(13), protocol: u(8), totalLength: u(16), ihl: u(4), checksum: u(16, 'checksum'), options: k('hex'), version: u(4),
    },
    required: ['src', 'dst'],
    build: call(ipv4),
  },
  {
    name: 'ipv6',
    keys: {
      src: k('text'), dst: k('text'), hopLimit: u(8), trafficClass: u(8), dscp: u(6), ecn: u(2), flowLabel: u(20), nextHeader: u(8), payloadLength: u(16),
      version: u(4),
    },
    required: ['src', 'dst'],
    build: call(ipv6),
  },
  {
    name: 'icmp',
    keys: {
      type: u(8, 'icmptype'), code: u(8), checksum: u(16), id: u(16), seq: u(16), gateway: k('text'), pointer: u(8), mtu: u(16), length: u(8), rest: u(32),
      timestamps: u(32, 'triple'), addressMask: k('text'),
    },
    required: ['type'],
    build: call(icmp),
  },
  {
    name: 'icmpv6',
    keys: {
      type: u(8, 'icmpv6type'), code: u(8), checksum: u(16), id: u(16), seq: u(16), mtu: u(32), pointer: u(32), word: u(32), target: k('text'),
      router: k('bool'), solicited: k('bool'), override: k('bool'), curHopLimit: u(8), raFlags: u(8), routerLifetime: u(16), reachableTime: u(32),
      retransTimer: u(32),
    },
    required: ['type'],
    build: call(icmpv6),
  },
  {
    name: 'tcp',
    keys: {
      sport: u(16), dport: u(16), seq: u(32), ack: u(32), flags: u(12, 'tcpflags'), window: u(16), options: k('tcpoptions'), checksum: u(16),
      dataOffset: u(4), urgentPointer: u(16),
    },
    required: ['sport', 'dport'],
    build: call(tcp),
  },
  { name: 'udp', keys: { sport: u(16), dport: u(16), length: u(16), checksum: u(16) }, required: ['sport', 'dport'], build: call(udp) },
  { name: 'vxlan', keys: { vni: u(24), flags: u(16), groupPolicy: u(16) }, required: ['vni'], build: call(vxlan) },
];

/** Names a user may call a layer by. */
export const LAYER_ALIASES: Readonly<Record<string, string>> = {
  eth: 'ethernet',
  ethernet: 'ethernet',
  ether: 'ethernet',
  vlan: 'vlan',
  dot1q: 'vlan',
  arp: 'arp',
  ip: 'ipv4',
  ipv4: 'ipv4',
  ipv6: 'ipv6',
  icmp: 'icmp',
  icmpv6: 'icmpv6',
  tcp: 'tcp',
  udp: 'udp',
  vxlan: 'vxlan',
  payload: 'payload',
  data: 'payload',
};

export const ICMP_TYPES: Readonly<Record<string, number>> = {
  'echo-reply': 0, unreachable: 3, 'destination-unreachable': 3, 'source-quench': 4, redirect: 5, 'echo-request': 8, echo: 8,
  'router-advertisement': 9, 'router-solicitation': 10, 'time-exceeded': 11, 'parameter-problem': 12, 'timestamp-request': 13,
  'timestamp-reply': 14, 'address-mask-request': 17, 'address-mask-reply': 18,
};

export const ICMPV6_TYPES: Readonly<Record<string, number>> = {
  unreachable: 1, 'destination-unreachable': 1, 'packet-too-big': 2, 'time-exceeded': 3, 'parameter-problem': 4, 'echo-request': 128, echo: 128,
  'echo-reply': 129, 'router-solicitation': 133, rs: 133, 'router-advertisement': 134, ra: 134, 'neighbor-solicitation': 135, ns: 135,
  'neighbor-advertisement': 136, na: 136, redirect: 137,
};

/** TCP option values: MSS 16 bits, window scale 8, timestamps and SACK edges 32. */
export const TCP_OPTION_BITS: Readonly<Record<string, number>> = { mss: 16, wscale: 8, timestamp: 32, sack: 32 };

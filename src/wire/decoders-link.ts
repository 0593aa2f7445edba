// Link-layer and network-layer decoders, and the first layer of each pcap link type.

import { decodeArp } from './arp.ts';
import { decodeEthernet, decodeVlan } from './ethernet.ts';
import { decodeIpv4 } from './ipv4.ts';
import { decodeIpv6 } from './ipv6.ts';
import { decodeIpv6DestOptions, decodeIpv6Fragment, decodeIpv6HopByHop, decodeIpv6Routing } from './ipv6-ext.ts';
import type { DecodeContext, DecodeStep, LayerDecoder } from './layer.ts';
import { decodeLlc, decodeStp, withLlc } from './llc.ts';
import { decodeNull } from './null-loopback.ts';
import { decodeRawIp, ipVersionAt } from './raw-ip.ts';
import { decodeSll, decodeSll2 } from './sll.ts';

/**
 * IP in IP (protocol 4): a packet of either version, told apart by its version nibble. Any other
 * version decodes as a bogus IPv4 header (Wireshark: "Internet Protocol, bogus version").
 */
const decodeIpEither: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep =>
  ipVersionAt(ctx.frame, offset, end) === 6 ? decodeIpv6(ctx, offset, end) : decodeIpv4(ctx, offset, end);

export const LINK_DECODERS: Readonly<Record<string, LayerDecoder>> = {
  ethernet: withLlc(decodeEthernet),
  llc: decodeLlc,
  stp: decodeStp,
  vlan: decodeVlan,
  arp: decodeArp,
  sll: decodeSll,
  sll2: decodeSll2,
  null: decodeNull,
  raw: decodeRawIp,
  ipv4: decodeIpv4,
  ipv6: decodeIpv6,
  ip: decodeIpEither,
  'ipv6-hopopts': decodeIpv6HopByHop,
  'ipv6-routing': decodeIpv6Routing,
  'ipv6-fragment': decodeIpv6Fragment,
  'ipv6-dstopts': decodeIpv6DestOptions,
};

/** pcap LINKTYPE_ -> the kind of the frame's first layer. */
export const LINK_TYPE_FIRST_LAYER: Readonly<Record<number, string>> = {
  0: 'null', // LINKTYPE_NULL (BSD loopback)
  1: 'ethernet', // LINKTYPE_ETHERNET
  12: 'raw', // DLT_RAW on most BSDs (legacy value of LINKTYPE_RAW)
  14: 'raw', // DLT_RAW on OpenBSD (legacy)
  101: 'raw', // LINKTYPE_RAW
  113: 'sll', // LINKTYPE_LINUX_SLL
  228: 'ipv4', // LINKTYPE_IPV4
  229: 'ipv6', // LINKTYPE_IPV6
  276: 'sll2', // LINKTYPE_LINUX_SLL2
};

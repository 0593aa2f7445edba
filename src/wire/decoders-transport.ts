// Transport-layer and tunnel decoders: ICMP, ICMPv6, TCP, UDP, VXLAN and IPsec AH.

import { decodeDnsTcp, decodeDnsUdp, withDns } from './dns.ts';
import { decodeIcmp } from './icmp.ts';
import { decodeIcmpv6 } from './icmpv6.ts';
import { decodeAh } from './ipsec-ah.ts';
import type { LayerDecoder } from './layer.ts';
import { decodeTcp } from './tcp.ts';
import { decodeUdp } from './udp.ts';
import { decodeVxlan } from './vxlan.ts';

export const TRANSPORT_DECODERS: Readonly<Record<string, LayerDecoder>> = {
  icmp: decodeIcmp,
  icmpv6: decodeIcmpv6,
  tcp: withDns(decodeTcp, 'tcp'),
  udp: withDns(decodeUdp, 'udp'),
  dns: decodeDnsUdp,
  'dns-tcp': decodeDnsTcp,
  vxlan: decodeVxlan,
  ah: decodeAh,
};

// The frames the socket tap writes: Ethernet II / IPv4 or IPv6 / TCP or UDP, built with the wire
// layer's builders so every length and checksum is filled as for any crafted packet.
//
// MAC addresses: loopback has none, so each IP address gets a fixed locally administered one
// (first byte 0x02): 02:00 followed by the last four bytes of the address. 127.0.0.1 is
// 02:00:7f:00:00:01, 127.53.0.2 is 02:00:7f:35:00:02, ::1 is 02:00:00:00:00:01. Two hosts of a lab
// (each on its own 127.x.y.z address) so get two MACs; a host talking to itself has one.
// IPv4: TTL 64, DF set, an ID that counts up per direction (as Linux does for TCP). IPv6: hop limit 64.

import { isIP } from 'node:net';
import { encode, payload } from '../wire/encode.ts';
import { ethernet } from '../wire/ethernet.ts';
import { ipv4, ipv4Bytes } from '../wire/ipv4.ts';
import { ipv6, ipv6Bytes } from '../wire/ipv6.ts';
import { tcp } from '../wire/tcp.ts';
import { udp } from '../wire/udp.ts';
import type { TcpFlagLetters } from './tcp-synth.ts';
import { NetlabRangeError } from '../base/errors.ts';

export interface TapEndpoint {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/** A socket address as the tap writes it: IPv4-mapped IPv6 (::ffff:127.0.0.1) becomes IPv4. */
export function tapEndpoint(address: string | undefined, port: number | undefined): TapEndpoint | undefined {
  if (address === undefined || port === undefined) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const a = mapped !== null ? mapped[1] : address.replace(/%.*$/, '');
  const v = isIP(a);
  if (v === 0) return undefined;
  return { address: a, port, family: v === 4 ? 4 : 6 };
}

/** The tap's MAC for an address: 02:00 and the address's last four bytes. */
export function tapMac(e: TapEndpoint): string {
  const b = Array.from(e.family === 4 ? ipv4Bytes(e.address) : ipv6Bytes(e.address)).slice(-4);
  return ['02', '00', ...b.map((x) => x.toString(16).padStart(2, '0'))].join(':');
}

export interface FrameSegment {
  /** Absolute sequence and acknowledgement numbers. */
  readonly seq: number;
  readonly ack: number;
  readonly flags: TcpFlagLetters;
  readonly window: number;
  readonly mss?: number;
  readonly payload: Uint8Array;
}

function ipLayer(src: TapEndpoint, dst: TapEndpoint, ipId: number) {
  if (src.family !== dst.family) throw new NetlabRangeError(`tap: ${src.address} and ${dst.address} are not of one address family`);
  return src.family === 4
    ? ipv4({ src: src.address, dst: dst.address, ttl: 64, id: ipId & 0xffff, df: true })
    : ipv6({ src: src.address, dst: dst.address, hopLimit: 64 });
}

/** One TCP segment as an Ethernet frame. */
export function tcpFrame(src: TapEndpoint, dst: TapEndpoint, seg: FrameSegment, ipId: number): Uint8Array {
  return encode([
    ethernet({ src: tapMac(src), dst: tapMac(dst) }),
    ipLayer(src, dst, ipId),
    tcp({
      sport: src.port,
      dport: dst.port,
      seq: seg.seq >>> 0,
      ack: seg.ack >>> 0,
      flags: seg.flags,
      window: seg.window,
      options: seg.mss === undefined ? [] : [{ kind: 'mss', value: seg.mss }],
    }),
    payload(seg.payload),
  ]);
}

/** One UDP datagram as an Ethernet frame (whole: loopback's MTU is 65536, nothing is fragmented). */
export function udpFrame(src: TapEndpoint, dst: TapEndpoint, data: Uint8Array, ipId: number): Uint8Array {
  return encode([ethernet({ src: tapMac(src), dst: tapMac(dst) }), ipLayer(src, dst, ipId), udp({ sport: src.port, dport: dst.port }), payload(data)]);
}

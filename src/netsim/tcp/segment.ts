// TCP segments as the state machine sees them: a received one read from its datagram (checksum checked
// over the pseudo-header, options parsed by src/wire's tcp-options), and one to send turned into the
// wire layer's tcp() and payload() builders, which compute the data offset and the checksum.

import {
  IP_PROTOCOL,
  TCP_FLAG,
  TCP_MIN_HEADER_LEN,
  parseTcpOptions,
  payload,
  segmentVerifies,
  tcp,
  type LayerSpec,
  type TcpOptionInput,
} from '../../wire/index.ts';
import { ipv4FromBytes, ipv4ToBytes } from '../host-addr.ts';
import type { Datagram } from '../host-ipv4.ts';
import { datagramPayload } from '../host-ipv4.ts';
import { readOptions, type ReceivedOptions } from './options.ts';

/** A received segment. */
export interface Segment {
  src: number;
  dst: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** The 12 flag bits (TCP_FLAG). */
  flags: number;
  /** The window field as sent (not scaled). */
  window: number;
  options: ReceivedOptions;
  /** The data (a copy). */
  data: Uint8Array;
  ttl: number;
}

export const hasFlag = (s: { flags: number }, f: number): boolean => (s.flags & f) !== 0;

/** Sequence space the segment occupies: data, plus one for SYN and one for FIN. */
export function segmentLength(s: Segment): number {
  return s.data.length + (hasFlag(s, TCP_FLAG.SYN) ? 1 : 0) + (hasFlag(s, TCP_FLAG.FIN) ? 1 : 0);
}

/** Reads the segment in a datagram; a string says why it was dropped (short, bad offset, bad checksum). */
export function readSegment(d: Datagram): Segment | string {
  const b = datagramPayload(d);
  if (b.length < TCP_MIN_HEADER_LEN) return `TCP segment of ${b.length} bytes is shorter than a header`;
  const hl = (b[12] >>> 4) * 4;
  if (hl < TCP_MIN_HEADER_LEN || hl > b.length) return `TCP data offset ${hl} does not fit a ${b.length}-byte segment`;
  const ip = { version: 4 as const, src: ipv4ToBytes(d.src), dst: ipv4ToBytes(d.dst) };
  if (!segmentVerifies(ip, IP_PROTOCOL.TCP, d.frame, d.offset + d.headerLength, b.length)) return 'TCP checksum bad';
  const parsed = parseTcpOptions(b, TCP_MIN_HEADER_LEN, hl);
  return {
    src: d.src,
    dst: d.dst,
    srcPort: (b[0] << 8) | b[1],
    dstPort: (b[2] << 8) | b[3],
    seq: ipv4FromBytes(b, 4),
    ack: ipv4FromBytes(b, 8),
    flags: ((b[12] << 8) | b[13]) & 0xfff,
    window: (b[14] << 8) | b[15],
    options: readOptions(parsed.options),
    data: Uint8Array.from(b.subarray(hl)),
    ttl: d.ttl,
  };
}

/** A segment to send. */
export interface OutSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  options?: readonly TcpOptionInput[];
  data?: Uint8Array;
}

/** The transport layers of a segment, for Host.sendLayers. */
export function segmentLayers(s: OutSegment): LayerSpec[] {
  const layers: LayerSpec[] = [
    tcp({ sport: s.srcPort, dport: s.dstPort, seq: s.seq >>> 0, ack: s.ack >>> 0, flags: s.flags, window: s.window, options: s.options ?? [] }),
  ];
  if (s.data !== undefined && s.data.length > 0) layers.push(payload(s.data));
  return layers;
}

/** Flag letters as tcpdump prints them ([S.], [P.], [F.], [R]). */
export function flagText(flags: number): string {
  let t = '';
  if (flags & TCP_FLAG.SYN) t += 'S';
  if (flags & TCP_FLAG.FIN) t += 'F';
  if (flags & TCP_FLAG.RST) t += 'R';
  if (flags & TCP_FLAG.PSH) t += 'P';
  if (flags & TCP_FLAG.URG) t += 'U';
  if (flags & TCP_FLAG.ACK) t += '.';
  return t === '' ? 'none' : t;
}

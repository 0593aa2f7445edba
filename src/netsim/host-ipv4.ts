// IPv4 datagrams inside the frames the virtual stack moves: reading a received frame's header (checked
// once: version, header length, total length, header checksum) and building frames for sending, with
// 14 bytes of room for the Ethernet header that the interface writes once the next hop is resolved.
// Host-built datagrams go through the wire layer's builders (encode), so every length and checksum is
// the one the codecs compute.

import { ETH_HEADER_LEN, IPV4_MIN_HEADER_LEN, encode, internetChecksum, ipv4, type LayerSpec } from '../wire/index.ts';
import { ipv4FromBytes, ipv4ToBytes } from './host-addr.ts';

/** The header fields of a received datagram, read from `frame` at `offset`. */
export interface Datagram {
  frame: Uint8Array;
  /** Where the IPv4 header starts (14 after an untagged Ethernet header). */
  offset: number;
  headerLength: number;
  totalLength: number;
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  id: number;
  /** More fragments follow, or this is not the first fragment. */
  fragment: boolean;
  /** Not the first fragment (no transport header in it). */
  laterFragment: boolean;
}

/**
 * Reads and checks the IPv4 header at `offset`. Returns a reason string for a datagram that a host must
 * drop (RFC 1122 §3.2.1: bad version, header length, total length or header checksum).
 */
export function readDatagram(frame: Uint8Array, offset = ETH_HEADER_LEN): Datagram | string {
  const avail = frame.length - offset;
  if (avail < IPV4_MIN_HEADER_LEN) return `IPv4 header truncated: ${Math.max(avail, 0)} of 20 bytes`;
  const version = frame[offset] >>> 4;
  if (version !== 4) return `IPv4 version ${version}, not 4`;
  const headerLength = (frame[offset] & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER_LEN) return `IPv4 header length ${headerLength} under 20`;
  const totalLength = (frame[offset + 2] << 8) | frame[offset + 3];
  if (totalLength < headerLength || totalLength > avail) return `IPv4 total length ${totalLength} does not fit (header ${headerLength}, ${avail} bytes there)`;
  if (internetChecksum(frame, offset, headerLength) !== 0) return 'IPv4 header checksum bad';
  const flagsFrag = (frame[offset + 6] << 8) | frame[offset + 7];
  const fragOffset = flagsFrag & 0x1fff;
  return {
    frame,
    offset,
    headerLength,
    totalLength,
    src: ipv4FromBytes(frame, offset + 12),
    dst: ipv4FromBytes(frame, offset + 16),
    protocol: frame[offset + 9],
    ttl: frame[offset + 8],
    id: (frame[offset + 4] << 8) | frame[offset + 5],
    fragment: (flagsFrag & 0x2000) !== 0 || fragOffset !== 0,
    laterFragment: fragOffset !== 0,
  };
}

/** The datagram's bytes (a view into the frame, Ethernet padding left out). */
export function datagramBytes(d: Datagram): Uint8Array {
  return d.frame.subarray(d.offset, d.offset + d.totalLength);
}

/** The transport part (after the IP header) of a datagram (a view). */
export function datagramPayload(d: Datagram): Uint8Array {
  return d.frame.subarray(d.offset + d.headerLength, d.offset + d.totalLength);
}

export interface OutgoingIpv4 {
  src: number;
  dst: number;
  ttl: number;
  id: number;
  df?: boolean;
}

/**
 * A frame to send: 14 bytes of room for the Ethernet header, then the IPv4 header and `inner` (the
 * transport layers, encoded by the wire builders, which fill lengths, protocol and checksums).
 */
export function buildIpv4Frame(ip: OutgoingIpv4, inner: readonly LayerSpec[]): Uint8Array {
  const datagram = encode([ipv4({ src: ipv4ToBytes(ip.src), dst: ipv4ToBytes(ip.dst), ttl: ip.ttl, id: ip.id, df: ip.df ?? false }), ...inner]);
  const frame = new Uint8Array(ETH_HEADER_LEN + datagram.length);
  frame.set(datagram, ETH_HEADER_LEN);
  return frame;
}

const MULTICAST_FIRST = 224;

/** True for addresses that name no single host as a source (RFC 1812 §4.3.2.7, RFC 1122 §3.2.1.3). */
export function isNotUnicastSource(a: number): boolean {
  const first = a >>> 24;
  return a === 0 || first === 0 || first === 127 || first >= MULTICAST_FIRST;
}

/** True for 224.0.0.0/4 and above (multicast, class E, limited broadcast). */
export function isMulticastOrBroadcast(a: number): boolean {
  return a >>> 24 >= MULTICAST_FIRST;
}

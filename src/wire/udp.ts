// UDP (RFC 768), and the small helpers the transport codecs share: where the enclosing IP layer is
// (for the pseudo-header), how long the IP layer says its payload is, and whether the bytes sit
// inside the datagram an ICMP error quotes.
//
//    0      7 8     15 16    23 24    31
//   +--------+--------+--------+--------+
//   |   Source Port   | Destination Port|
//   +--------+--------+--------+--------+
//   |     Length      |    Checksum     |
//   +--------+--------+--------+--------+
//   |          data octets ...
//
// The checksum covers the pseudo-header, the header and the data (Length bytes). A transmitted 0 means
// "no checksum" over IPv4 (so a computed 0 is sent as 0xFFFF); over IPv6 a 0 is not allowed (RFC 8200
// §8.1). The payload ends at Length: bytes after it (Ethernet padding) are never payload.

import { pseudoHeaderSum, foldSum, onesSum, type PseudoHeaderSource } from './checksum.ts';
import type { EmitContext, LayerSpec } from './encode.ts';
import { nearestSpec } from './encode.ts';
import {
  malformation,
  put16,
  u16,
  type ChecksumStatus,
  type DecodeContext,
  type DecodedLayer,
  type DecodeStep,
  type LayerDecoder,
  type Malformation,
} from './layer.ts';
import { IP_PROTOCOL } from './ip-protocols.ts';

// Byte ranges of the UDP header.
export const UDP_SRC_PORT = { start: 0, end: 2 } as const;
export const UDP_DST_PORT = { start: 2, end: 4 } as const;
export const UDP_LENGTH = { start: 4, end: 6 } as const;
export const UDP_CHECKSUM = { start: 6, end: 8 } as const;
export const UDP_HEADER_LEN = 8;
/** The IANA port of VXLAN (RFC 7348). */
export const VXLAN_PORT = 4789;

/**
 * Wireshark's UDP checksum verdicts: the three shared ones, plus 'not-present' (a zero checksum over
 * IPv4: the sender computed none, status 3) and 'illegal' (a zero checksum over IPv6, status 4).
 */
export type UdpChecksumStatus = ChecksumStatus | 'not-present' | 'illegal';

/** The plain representation of a UDP header. */
export interface Udp {
  srcPort: number;
  dstPort: number;
  /** The Length field: header + data, in bytes. */
  length: number;
  checksum: number;
  checksumStatus: UdpChecksumStatus;
  /** The value the checksum field should hold, when it was verified. */
  checksumComputed?: number;
  /** Bytes of data the Length field announces (Length - 8, never negative). */
  payloadLength: number;
  /**
   * A Length under 8 ('short') or past the IP payload ('long'). Wireshark notes it (an expert item,
   * not a malformed packet), so it is recorded here rather than as a malformation.
   */
  badLength?: 'short' | 'long';
}

// ---------------------------------------------------------------------------------------------
// Shared helpers for the transport decoders and builders.

/** The pseudo-header source of the nearest IP layer, with where that layer sits, or undefined. */
export interface IpContext {
  ip: PseudoHeaderSource;
  layer: DecodedLayer;
  /**
   * Where the IP layer says its payload ends (absolute), which may lie past the captured bytes when
   * the capture cut the packet short. Undefined when the IP layer does not say.
   */
  reportedEnd: number | undefined;
}

function isPseudoSource(v: unknown): v is PseudoHeaderSource {
  if (v === null || typeof v !== 'object') return false;
  const o = v as { src?: unknown; dst?: unknown; version?: unknown };
  const size = o.version === 4 ? 4 : o.version === 6 ? 16 : 0;
  return size > 0 && o.src instanceof Uint8Array && o.dst instanceof Uint8Array && o.src.length === size && o.dst.length === size;
}

/** The nearest enclosing 'ipv4'/'ipv6' layer, if its addresses are complete. */
export function enclosingIp(layers: readonly DecodedLayer[]): IpContext | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    if (l.kind !== 'ipv4' && l.kind !== 'ipv6') continue;
    if (!isPseudoSource(l.value)) return undefined;
    let v = l.value as PseudoHeaderSource & { totalLength?: unknown; payloadLength?: unknown };
    // A routing header with segments left makes its last address the pseudo-header's destination.
    for (let j = i + 1; j < layers.length; j++) {
      const r = layers[j].value as { segmentsLeft?: unknown; addresses?: unknown } | null;
      if (layers[j].kind !== 'ipv6-routing' || r === null || typeof r.segmentsLeft !== 'number' || r.segmentsLeft === 0) continue;
      const list = Array.isArray(r.addresses) ? (r.addresses as unknown[]) : [];
      const last = list[list.length - 1];
      if (last instanceof Uint8Array && last.length === 16) v = { ...v, dst: last };
    }
    let reportedEnd: number | undefined;
    if (v.version === 4 && typeof v.totalLength === 'number' && v.totalLength > 0) reportedEnd = l.offset + v.totalLength;
    if (v.version === 6 && typeof v.payloadLength === 'number' && v.payloadLength > 0) reportedEnd = l.offset + 40 + v.payloadLength;
    return { ip: v, layer: l, reportedEnd };
  }
  return undefined;
}

/** True when the layers so far include an ICMP/ICMPv6 error: what follows is the quoted datagram. */
export function insideIcmpError(layers: readonly DecodedLayer[]): boolean {
  return layers.some((l) => (l.kind === 'icmp' || l.kind === 'icmpv6') && (l.value as { isError?: unknown } | null)?.isError === true);
}

/** The pseudo-header source of the nearest IPv4/IPv6 builder outside a layer, or undefined. */
export function enclosingIpSpec(ctx: EmitContext): PseudoHeaderSource | undefined {
  const spec = nearestSpec<LayerSpec & Partial<PseudoHeaderSource>>(ctx.outer, 'ipv4', 'ipv6');
  if (spec === undefined || !isPseudoSource(spec)) return undefined;
  // A routing header between the IPv6 header and this layer names the final destination (RFC 8200 §8.1).
  for (const outer of ctx.outer) {
    if (outer === spec) break;
    const final = (outer as { finalDestination?: unknown }).finalDestination;
    if (outer.kind === 'ipv6-routing' && final instanceof Uint8Array && final.length === 16) return { version: 6, src: spec.src, dst: final };
  }
  return spec;
}

/**
 * The checksum field value for a segment: the one's complement of the sum over the pseudo-header and
 * the segment taken with its checksum field as zero (whatever it holds now), so recomputing over a
 * segment that already carries a checksum gives the same result as over a fresh one.
 */
export function segmentChecksum(
  ip: PseudoHeaderSource | undefined,
  protocol: number,
  segment: Uint8Array,
  checksumAt: number,
  pseudoLength = segment.length,
  sumLength = segment.length,
): number {
  const initial = ip === undefined ? 0 : pseudoHeaderSum(ip, protocol, pseudoLength);
  const n = Math.min(sumLength, segment.length);
  let sum = onesSum(segment, 0, n, initial);
  // Take the checksum field out of the sum (adding its one's complement subtracts it).
  const current = checksumAt + 1 < n ? u16(segment, checksumAt) : 0;
  if (current !== 0) sum += ~current & 0xffff;
  return ~foldSum(sum) & 0xffff;
}

/** Verifies a segment that carries its checksum: the whole sum with the pseudo-header folds to 0xffff. */
export function segmentVerifies(ip: PseudoHeaderSource, protocol: number, frame: Uint8Array, offset: number, length: number, pseudoLength = length): boolean {
  return foldSum(onesSum(frame, offset, length, pseudoHeaderSum(ip, protocol, pseudoLength))) === 0xffff;
}

// ---------------------------------------------------------------------------------------------
// Decoder

/** The decoder kind one UDP port asks for: VXLAN on 4789, else none. */
export function udpPortKind(port: number): string | null {
  return port === VXLAN_PORT ? 'vxlan' : null;
}

/**
 * The two ports in the order Wireshark tries them: the lower first, then the higher (port 0 never).
 * A client's ephemeral source port can be any port a protocol is registered on (a DNS stub that picks
 * random source ports sends from 4789 one query in 64,512): the server's well-known port, lower, wins.
 */
export function udpPortsInOrder(srcPort: number, dstPort: number): number[] {
  return (srcPort <= dstPort ? [srcPort, dstPort] : [dstPort, srcPort]).filter((p) => p !== 0);
}

/** The decoder kind for a UDP port pair, the lower port first (as Wireshark): VXLAN on 4789, else opaque data. */
export function udpPayloadKind(srcPort: number, dstPort: number): string | null {
  for (const p of udpPortsInOrder(srcPort, dstPort)) {
    const kind = udpPortKind(p);
    if (kind !== null) return kind;
  }
  return null;
}

export const decodeUdp: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const b = ctx.frame;
  const avail = end - offset;
  const malformed: Malformation[] = [];
  const word = (r: { start: number }): number => (r.start + 2 <= avail ? u16(b, offset + r.start) : 0);
  const value: Udp = {
    srcPort: word(UDP_SRC_PORT),
    dstPort: word(UDP_DST_PORT),
    length: word(UDP_LENGTH),
    checksum: word(UDP_CHECKSUM),
    checksumStatus: 'unverified',
    payloadLength: 0,
  };
  if (avail < UDP_HEADER_LEN) {
    malformed.push(malformation('udp', end, `UDP header truncated: ${Math.max(avail, 0)} of ${UDP_HEADER_LEN} bytes`));
    return { layer: { kind: 'udp', offset, length: Math.max(avail, 0), value, malformed }, next: null, payloadOffset: end, payloadEnd: end };
  }
  const inError = insideIcmpError(ctx.layers);
  const ipc = enclosingIp(ctx.layers);
  const reportedEnd = Math.max(ipc?.reportedEnd ?? end, end);
  const reportedLen = reportedEnd - offset;
  value.payloadLength = Math.max(value.length - UDP_HEADER_LEN, 0);
  if (value.length < UDP_HEADER_LEN) {
    value.badLength = 'short';
    return {
      layer: { kind: 'udp', offset, length: UDP_HEADER_LEN, value, malformed },
      next: null,
      payloadOffset: offset + UDP_HEADER_LEN,
      payloadEnd: offset + UDP_HEADER_LEN,
    };
  }
  if (value.length > reportedLen && !inError) value.badLength = 'long';
  value.checksumStatus = udpChecksumStatus(ctx, value, ipc, offset, end, inError);
  const payloadEnd = offset + Math.min(value.length, avail);
  return {
    layer: { kind: 'udp', offset, length: UDP_HEADER_LEN, value, malformed },
    next: udpPayloadKind(value.srcPort, value.dstPort),
    payloadOffset: offset + UDP_HEADER_LEN,
    payloadEnd,
  };
};

function udpChecksumStatus(ctx: DecodeContext, value: Udp, ipc: IpContext | undefined, offset: number, end: number, inError: boolean): UdpChecksumStatus {
  if (value.checksum === 0) {
    // A zero checksum: "none" over IPv4 (and inside ICMP errors), illegal over IPv6.
    return ipc?.ip.version === 6 && !inError ? 'illegal' : 'not-present';
  }
  if (!ctx.options.verifyChecksums || ipc === undefined) return 'unverified';
  // Only a complete datagram can be verified.
  if (offset + value.length > end) return 'unverified';
  const ok = segmentVerifies(ipc.ip, IP_PROTOCOL.UDP, ctx.frame, offset, value.length, value.length);
  const segment = ctx.frame.subarray(offset, offset + value.length);
  let computed = segmentChecksum(ipc.ip, IP_PROTOCOL.UDP, segment, UDP_CHECKSUM.start, value.length);
  if (computed === 0) computed = 0xffff;
  value.checksumComputed = computed;
  return ok ? 'good' : 'bad';
}

// ---------------------------------------------------------------------------------------------
// Builder

export interface UdpOptions {
  sport: number;
  dport: number;
  /** Length field; default header + payload. */
  length?: number;
  /** Checksum field; default computed over the pseudo-header (a computed 0 is sent as 0xFFFF). */
  checksum?: number;
}

export interface UdpSpec extends LayerSpec {
  readonly kind: 'udp';
  readonly options: UdpOptions;
}

/** A UDP layer: `encode([ethernet(..), ipv4(..), udp({sport: 5353, dport: 53}), payload(..)])`. */
export function udp(options: UdpOptions): UdpSpec {
  return {
    kind: 'udp',
    options,
    emit(payload: Uint8Array, ctx: EmitContext): Uint8Array {
      const out = new Uint8Array(UDP_HEADER_LEN + payload.length);
      put16(out, UDP_SRC_PORT.start, options.sport);
      put16(out, UDP_DST_PORT.start, options.dport);
      const length = options.length ?? Math.min(out.length, 0xffff);
      put16(out, UDP_LENGTH.start, length);
      out.set(payload, UDP_HEADER_LEN);
      let checksum = options.checksum;
      if (checksum === undefined) {
        // The pseudo-header and the sum use the Length field, as receivers do.
        checksum = segmentChecksum(enclosingIpSpec(ctx), IP_PROTOCOL.UDP, out, UDP_CHECKSUM.start, length, length);
        if (checksum === 0) checksum = 0xffff;
      }
      put16(out, UDP_CHECKSUM.start, checksum);
      return out;
    },
  };
}

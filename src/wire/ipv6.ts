// IPv6 (RFC 8200 §3).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version| Traffic Class |           Flow Label                  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Payload Length        |  Next Header  |   Hop Limit   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                   Source Address (16 bytes)                   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                Destination Address (16 bytes)                 |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Extension headers (hop-by-hop, routing, fragment, destination options) are their own layers,
// decoded by ipv6-ext.ts; the payload of this layer ends at 40 + Payload Length, so link padding is
// never payload. See ipv4.ts for the pseudo-header contract that ipv6() also fulfils.

import type { PseudoHeaderSource } from './checksum.ts';
import type { EmitContext, LayerSpec } from './encode.ts';
import { IP_PROTOCOL, ipProtocolKind, protocolOfSpec } from './ipv4.ts';
import { malformation, put16, u16, type DecodeContext, type DecodeStep, type LayerDecoder, copyBytes } from './layer.ts';
import { parseIpv6OrThrow as parseIpv6Address } from './address-text.ts';
import { NetlabRangeError } from '../base/errors.ts';

// Byte ranges of the fixed header.
export const IPV6_VER_TC_FLOW = { start: 0, end: 4 } as const;
export const IPV6_PAYLOAD_LENGTH = { start: 4, end: 6 } as const;
export const IPV6_NEXT_HEADER = 6;
export const IPV6_HOP_LIMIT = 7;
export const IPV6_SRC = { start: 8, end: 24 } as const;
export const IPV6_DST = { start: 24, end: 40 } as const;
export const IPV6_HEADER_LEN = 40;

/** The plain representation of an IPv6 fixed header. */
export interface Ipv6 {
  version: number;
  trafficClass: number;
  /** DSCP and ECN: the two parts of the traffic class. */
  dscp: number;
  ecn: number;
  flowLabel: number;
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
}

/**
 * The decoder kind for a next-header value. Hop-by-hop options are only valid right after the fixed
 * header (`first`); anywhere else 0 stops the chain. 59 (no next header) and unknown values give null.
 */
export function nextHeaderKind(nextHeader: number, first: boolean): string | null {
  switch (nextHeader) {
    case IP_PROTOCOL.HOPOPTS:
      return first ? 'ipv6-hopopts' : null;
    case IP_PROTOCOL.ROUTING:
      return 'ipv6-routing';
    case IP_PROTOCOL.FRAGMENT:
      return 'ipv6-fragment';
    case IP_PROTOCOL.DSTOPTS:
      return 'ipv6-dstopts';
    default:
      return ipProtocolKind(nextHeader);
  }
}

/** The IPv6 decoder. */
export const decodeIpv6: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const b = ctx.frame;
  const avail = end - offset;
  const at = (i: number): number => (offset + i < end ? b[offset + i] : 0);
  const vtf = ((at(0) << 24) | (at(1) << 16) | (at(2) << 8) | at(3)) >>> 0;
  const trafficClass = (vtf >>> 20) & 0xff;
  const value: Ipv6 = {
    version: vtf >>> 28,
    trafficClass,
    dscp: trafficClass >>> 2,
    ecn: trafficClass & 0x03,
    flowLabel: vtf & 0xfffff,
    payloadLength: avail >= IPV6_PAYLOAD_LENGTH.end ? u16(b, offset + IPV6_PAYLOAD_LENGTH.start) : 0,
    nextHeader: at(IPV6_NEXT_HEADER),
    hopLimit: at(IPV6_HOP_LIMIT),
    src: copyBytes(b, offset + IPV6_SRC.start, Math.min(offset + IPV6_SRC.end, end)),
    dst: copyBytes(b, Math.min(offset + IPV6_DST.start, end), Math.min(offset + IPV6_DST.end, end)),
  };
  if (avail >= 1 && value.version !== 6) {
    // Not IPv6 after all: the bytes stay undecoded data (as Wireshark shows them after the version).
    return {
      layer: { kind: 'ipv6', offset, length: 1, value, malformed: [malformation('ipv6', offset, `Bogus IPv6 version (${value.version})`)] },
      next: null,
      payloadOffset: offset,
      payloadEnd: end,
    };
  }
  if (avail < IPV6_HEADER_LEN) {
    const length = Math.max(0, avail);
    return {
      layer: { kind: 'ipv6', offset, length, value, malformed: [malformation('ipv6', end, `IPv6 header truncated: ${avail} of ${IPV6_HEADER_LEN} bytes`)] },
      next: null,
      payloadOffset: offset + length,
      payloadEnd: offset + length,
    };
  }
  // Payload Length 0 without a jumbo option is what segmentation offload leaves: use what is there.
  const declared = value.payloadLength === 0 ? avail - IPV6_HEADER_LEN : value.payloadLength;
  const payloadEnd = offset + IPV6_HEADER_LEN + Math.min(declared, avail - IPV6_HEADER_LEN);
  return {
    layer: { kind: 'ipv6', offset, length: IPV6_HEADER_LEN, value, malformed: [] },
    next: nextHeaderKind(value.nextHeader, true),
    payloadOffset: offset + IPV6_HEADER_LEN,
    payloadEnd,
  };
};

// ---------------------------------------------------------------------------------------------
// Addresses

export { parseIpv6OrThrow as parseIpv6Address } from './address-text.ts';

/** An IPv6 address given as text or bytes, as 16 bytes (a copy). */
export function ipv6Bytes(addr: string | Uint8Array): Uint8Array {
  if (typeof addr === 'string') return parseIpv6Address(addr);
  if (addr.length !== 16) throw new NetlabRangeError(`an IPv6 address has 16 bytes, got ${addr.length}`);
  return Uint8Array.from(addr);
}

// ---------------------------------------------------------------------------------------------
// Builder

export interface Ipv6Options {
  src: string | Uint8Array;
  dst: string | Uint8Array;
  /** Default 64. */
  hopLimit?: number;
  /** Whole traffic class byte; or give dscp/ecn. */
  trafficClass?: number;
  dscp?: number;
  ecn?: number;
  flowLabel?: number;
  /** Next header; default from the inner layer (extension header, tcp 6, udp 17, icmpv6 58...). */
  nextHeader?: number;
  /** Default: the payload's length (everything after the fixed header). */
  payloadLength?: number;
  /** Version nibble; default 6. */
  version?: number;
}

export interface Ipv6Spec extends LayerSpec, PseudoHeaderSource {
  readonly kind: 'ipv6';
  readonly version: 6;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly options: Ipv6Options;
}

/** An IPv6 layer: payload length and next header are filled unless set. */
export function ipv6(options: Ipv6Options): Ipv6Spec {
  const src = ipv6Bytes(options.src);
  const dst = ipv6Bytes(options.dst);
  return {
    kind: 'ipv6',
    version: 6,
    src,
    dst,
    options,
    emit(payload: Uint8Array, ctx: EmitContext): Uint8Array {
      const nextHeader = options.nextHeader ?? protocolOfSpec(ctx.inner[0]) ?? (payload.length === 0 ? IP_PROTOCOL.NO_NEXT : undefined);
      if (nextHeader === undefined) {
        throw new NetlabRangeError(`ipv6(): cannot infer the next header of a '${ctx.inner[0]?.kind ?? 'missing'}' payload; set the nextHeader option`);
      }
      const tc = options.trafficClass ?? (((options.dscp ?? 0) & 0x3f) << 2) | ((options.ecn ?? 0) & 0x03);
      const out = new Uint8Array(IPV6_HEADER_LEN + payload.length);
      const vtf = ((((options.version ?? 6) & 0x0f) << 28) | ((tc & 0xff) << 20) | ((options.flowLabel ?? 0) & 0xfffff)) >>> 0;
      out[0] = vtf >>> 24;
      out[1] = (vtf >>> 16) & 0xff;
      out[2] = (vtf >>> 8) & 0xff;
      out[3] = vtf & 0xff;
      put16(out, IPV6_PAYLOAD_LENGTH.start, options.payloadLength ?? Math.min(payload.length, 0xffff));
      out[IPV6_NEXT_HEADER] = nextHeader;
      out[IPV6_HOP_LIMIT] = options.hopLimit ?? 64;
      out.set(src, IPV6_SRC.start);
      out.set(dst, IPV6_DST.start);
      out.set(payload, IPV6_HEADER_LEN);
      return out;
    },
  };
}

// BSD null/loopback encapsulation (LINKTYPE_NULL 0): a 4-byte address family in the byte order of
// the machine that captured, then the packet.
//
//   | family (4, host byte order) | IPv4 or IPv6 packet ... |
//
// Families: 2 is AF_INET everywhere; AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
// The byte order is not recorded, so it is inferred the way Wireshark does on a little-endian host:
// read the 4 bytes little-endian; if the upper 16 bits are set, the value was written big-endian
// (or, for a few old systems, as a 16-bit family in the first two bytes) and is swapped back. A value
// above 1500 is an EtherType rather than a family (some systems put one there).

import type { EmitContext, LayerSpec } from './encode.ts';
import { ethertypeKind } from './ethernet.ts';
import { malformation, type DecodeContext, type DecodeStep, type LayerDecoder } from './layer.ts';
import { NetlabRangeError } from '../base/errors.ts';

export const NULL_FAMILY = { start: 0, end: 4 } as const;
export const NULL_HEADER_LEN = 4;

export const BSD_AF = { INET: 2, INET6_BSD: 24, INET6_FREEBSD: 28, INET6_DARWIN: 30 } as const;
/** Values above this are EtherTypes, not address families. */
export const NULL_MAX_FAMILY = 1500;

export interface NullLoopback {
  /** The family (or EtherType) after byte-order correction. */
  family: number;
  /** The 4 bytes as stored, read little-endian. */
  raw: number;
  /** True when `family` is an EtherType (value above 1500). */
  isEthertype: boolean;
}

/** The family value of a null header, corrected for byte order as Wireshark does. */
export function nullFamily(raw: number): number {
  let v = raw >>> 0;
  if ((v & 0xffff0000) !== 0) {
    if ((v & 0xff000000) === 0 && (v & 0x00ff0000) < 0x00060000) {
      // A 16-bit family in the first two bytes (IRIX-style), swapped.
      v = v >>> 16;
    } else {
      v = (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
    }
  } else if ((v & 0xff) === 0 && (v & 0xff00) < 0x0600) {
    // A 16-bit big-endian family in the low half.
    v = ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
  }
  return v;
}

/** The decoder kind after a null header with this (corrected) family. */
export function nullFamilyKind(family: number): string | null {
  if (family > NULL_MAX_FAMILY) return ethertypeKind(family & 0xffff);
  switch (family) {
    case BSD_AF.INET:
      return 'ipv4';
    case BSD_AF.INET6_BSD:
    case BSD_AF.INET6_FREEBSD:
    case BSD_AF.INET6_DARWIN:
      return 'ipv6';
    default:
      return null;
  }
}

export const decodeNull: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const b = ctx.frame;
  const avail = end - offset;
  if (avail < NULL_HEADER_LEN) {
    return {
      layer: {
        kind: 'null',
        offset,
        length: Math.max(0, avail),
        value: { family: 0, raw: 0, isEthertype: false } satisfies NullLoopback,
        malformed: [malformation('null', end, `null/loopback header truncated: ${avail} of ${NULL_HEADER_LEN} bytes`)],
      },
      next: null,
      payloadOffset: end,
      payloadEnd: end,
    };
  }
  const raw = (b[offset] | (b[offset + 1] << 8) | (b[offset + 2] << 16) | (b[offset + 3] << 24)) >>> 0;
  const family = nullFamily(raw);
  const value: NullLoopback = { family, raw, isEthertype: family > NULL_MAX_FAMILY };
  return {
    layer: { kind: 'null', offset, length: NULL_HEADER_LEN, value, malformed: [] },
    next: nullFamilyKind(family),
    payloadOffset: offset + NULL_HEADER_LEN,
    payloadEnd: end,
  };
};

// ---------------------------------------------------------------------------------------------
// Builder

export interface NullLoopbackOptions {
  /** Address family; default from the inner layer: ipv4 2, ipv6 30 (macOS). */
  family?: number;
  /** Byte order of the capturing host; default 'le'. */
  byteOrder?: 'le' | 'be';
}

export interface NullLoopbackSpec extends LayerSpec {
  readonly kind: 'null';
}

export function nullLoopback(o: NullLoopbackOptions = {}): NullLoopbackSpec {
  return {
    kind: 'null',
    emit(payload: Uint8Array, ctx: EmitContext): Uint8Array {
      const inner = ctx.inner[0]?.kind;
      const family = o.family ?? (inner === 'ipv4' ? BSD_AF.INET : inner === 'ipv6' ? BSD_AF.INET6_DARWIN : undefined);
      if (family === undefined) throw new NetlabRangeError(`nullLoopback(): cannot infer the family of a '${inner ?? 'missing'}' payload; set family`);
      const out = new Uint8Array(NULL_HEADER_LEN + payload.length);
      const bytes = [family & 0xff, (family >>> 8) & 0xff, (family >>> 16) & 0xff, (family >>> 24) & 0xff];
      if (o.byteOrder === 'be') bytes.reverse();
      out.set(bytes, 0);
      out.set(payload, NULL_HEADER_LEN);
      return out;
    },
  };
}

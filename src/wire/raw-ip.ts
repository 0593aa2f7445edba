// Raw IP link types: the frame is an IP packet with no link header at all.
//   LINKTYPE_RAW 101 (and the legacy DLT_RAW values 12 and 14): IPv4 or IPv6, told apart by the
//     version nibble; decoded as a zero-length 'raw' layer (Wireshark's "Raw packet data") that
//     names the next one.
//   LINKTYPE_IPV4 228 and LINKTYPE_IPV6 229: the link type says which; no 'raw' layer.

import type { EmitContext, LayerSpec } from './encode.ts';
import { malformation, type DecodeContext, type DecodeStep, type LayerDecoder } from './layer.ts';

export interface RawIp {
  /** The version nibble of the first byte (4 or 6 for a packet netlab decodes). */
  version: number;
}

/** The IP version of the packet at `offset` (the high nibble of its first byte), or -1 when empty. */
export function ipVersionAt(b: Uint8Array, offset: number, end: number): number {
  return offset < end ? b[offset] >>> 4 : -1;
}

export const decodeRawIp: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const version = ipVersionAt(ctx.frame, offset, end);
  const next = version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : null;
  const malformed = version < 0 ? [malformation('raw', offset, 'empty raw IP frame')] : [];
  const value: RawIp = { version };
  return { layer: { kind: 'raw', offset, length: 0, value, malformed }, next, payloadOffset: offset, payloadEnd: end };
};

export interface RawIpSpec extends LayerSpec {
  readonly kind: 'raw';
}

/** A raw-IP link "header" for composition (it emits nothing; it marks the stack as link type 101). */
export function rawIp(): RawIpSpec {
  return {
    kind: 'raw',
    emit(payload: Uint8Array, _ctx: EmitContext): Uint8Array {
      return payload;
    },
  };
}

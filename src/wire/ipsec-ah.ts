// The IPsec Authentication Header (RFC 4302, IP protocol 51): 12 bytes of fixed header, then the
// Integrity Check Value, then the protected packet (announced by Next Header).
//
//   | Next Header | Payload Len |          RESERVED           |
//   |               Security Parameters Index (SPI)             |
//   |                Sequence Number Field                      |
//   |                Integrity Check Value (variable)           |
//
// Payload Len is the header's length in 32-bit words minus 2, so the whole header is (len + 2) * 4 bytes.

import { ipProtocolKind } from './ipv4.ts';
import { nextHeaderKind } from './ipv6.ts';
import { malformation, u16, u32, type DecodeContext, type DecodeStep, type LayerDecoder } from './layer.ts';

export const AH_FIXED_LEN = 12;

/** The plain representation of an Authentication Header. */
export interface IpsecAh {
  nextHeader: number;
  /** The Payload Len field as carried (32-bit words minus 2). */
  payloadLen: number;
  reserved: number;
  spi: number;
  sequence: number;
  /** The header's length in bytes: (payloadLen + 2) * 4. */
  headerLength: number;
}

export const decodeAh: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const b = ctx.frame;
  const avail = Math.max(end - offset, 0);
  const value: IpsecAh = {
    nextHeader: avail >= 1 ? b[offset] : 0,
    payloadLen: avail >= 2 ? b[offset + 1] : 0,
    reserved: avail >= 4 ? u16(b, offset + 2) : 0,
    spi: avail >= 8 ? u32(b, offset + 4) : 0,
    sequence: avail >= AH_FIXED_LEN ? u32(b, offset + 8) : 0,
    headerLength: avail >= 2 ? (b[offset + 1] + 2) * 4 : 0,
  };
  const need = Math.max(value.headerLength, AH_FIXED_LEN);
  if (avail < need) {
    return {
      layer: { kind: 'ah', offset, length: avail, value, malformed: [malformation('ah', end, `Authentication Header truncated: ${avail} of ${need} bytes`)] },
      next: null,
      payloadOffset: end,
      payloadEnd: end,
    };
  }
  // After IPv6 (and its extension headers) the next header may be another extension header.
  const inIpv6 = ctx.layers.length > 0 && ctx.layers[ctx.layers.length - 1].kind.startsWith('ipv6');
  const next = inIpv6 ? nextHeaderKind(value.nextHeader, false) : ipProtocolKind(value.nextHeader);
  return { layer: { kind: 'ah', offset, length: value.headerLength, value, malformed: [] }, next, payloadOffset: offset + value.headerLength, payloadEnd: end };
};

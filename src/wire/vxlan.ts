// VXLAN (RFC 7348): an Ethernet frame carried over UDP (port 4789), 8 bytes of header.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |R|R|R|R|I|R|R|R|            Reserved                           |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                VXLAN Network Identifier (VNI) |   Reserved    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The I flag (0x08 in the first byte) says the VNI is valid. The first 16 bits are what Wireshark
// shows as `vxlan.flags` (they include the Group Based Policy extension's G, D and A bits); the next
// 16 bits are reserved (or the GBP group policy ID when G is set).

import type { EmitContext, LayerSpec } from './encode.ts';
import { malformation, put16, u16, u32, type DecodeContext, type DecodeStep, type LayerDecoder } from './layer.ts';

export const VXLAN_FLAGS = { start: 0, end: 2 } as const;
/** Reserved, or the Group Policy ID when the G flag is set. */
export const VXLAN_GROUP_POLICY = { start: 2, end: 4 } as const;
export const VXLAN_VNI = { start: 4, end: 7 } as const;
export const VXLAN_RESERVED8 = 7;
export const VXLAN_HEADER_LEN = 8;
/** Flag bits of the 16-bit flags field. */
export const VXLAN_FLAG = { G: 0x8000, I: 0x0800, D: 0x0040, A: 0x0008 } as const;

/** The plain representation of a VXLAN header. */
export interface Vxlan {
  /** The first 16 bits. */
  flags: number;
  /** Bits 16-31: reserved, or the GBP group policy ID. */
  groupPolicy: number;
  vni: number;
  /** The last byte (reserved). */
  reserved8: number;
}

export const decodeVxlan: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const b = ctx.frame;
  const avail = Math.max(end - offset, 0);
  if (avail < VXLAN_HEADER_LEN) {
    const value: Vxlan = { flags: avail >= 2 ? u16(b, offset) : 0, groupPolicy: avail >= 4 ? u16(b, offset + 2) : 0, vni: 0, reserved8: 0 };
    return {
      layer: {
        kind: 'vxlan',
        offset,
        length: avail,
        value,
        malformed: [malformation('vxlan', end, `VXLAN header truncated: ${avail} of ${VXLAN_HEADER_LEN} bytes`)],
      },
      next: null,
      payloadOffset: end,
      payloadEnd: end,
    };
  }
  const word = u32(b, offset + VXLAN_VNI.start);
  const value: Vxlan = { flags: u16(b, offset), groupPolicy: u16(b, offset + VXLAN_GROUP_POLICY.start), vni: word >>> 8, reserved8: word & 0xff };
  return {
    layer: { kind: 'vxlan', offset, length: VXLAN_HEADER_LEN, value, malformed: [] },
    next: 'ethernet',
    payloadOffset: offset + VXLAN_HEADER_LEN,
    payloadEnd: end,
  };
};

export interface VxlanOptions {
  vni: number;
  /** The 16 flag bits; default 0x0800 (I: the VNI is valid). */
  flags?: number;
  /** Bits 16-31 (reserved, or GBP group policy ID); default 0. */
  groupPolicy?: number;
  /** The last byte; default 0. */
  reserved8?: number;
}

export interface VxlanSpec extends LayerSpec {
  readonly kind: 'vxlan';
  readonly options: VxlanOptions;
}

/** A VXLAN header: `encode([..., udp({sport, dport: 4789}), vxlan({vni: 42}), ethernet(...), ...])`. */
export function vxlan(options: VxlanOptions): VxlanSpec {
  return {
    kind: 'vxlan',
    options,
    emit(payload: Uint8Array, _ctx: EmitContext): Uint8Array {
      const out = new Uint8Array(VXLAN_HEADER_LEN + payload.length);
      put16(out, VXLAN_FLAGS.start, options.flags ?? VXLAN_FLAG.I);
      put16(out, VXLAN_GROUP_POLICY.start, options.groupPolicy ?? 0);
      out[4] = (options.vni >>> 16) & 0xff;
      out[5] = (options.vni >>> 8) & 0xff;
      out[6] = options.vni & 0xff;
      out[VXLAN_RESERVED8] = (options.reserved8 ?? 0) & 0xff;
      out.set(payload, VXLAN_HEADER_LEN);
      return out;
    },
  };
}

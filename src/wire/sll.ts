// Linux "cooked" capture headers: SLL (LINKTYPE_LINUX_SLL 113, 16 bytes) and SLL2
// (LINKTYPE_LINUX_SLL2 276, 20 bytes), what `tcpdump -i any` writes.
//
//   SLL:  | packet type (2) | ARPHRD type (2) | addr len (2) | address (8) | protocol (2) |
//   SLL2: | protocol (2) | reserved (2) | interface index (4) | ARPHRD type (2) |
//         | packet type (1) | addr len (1) | address (8) |
//
// The protocol is an EtherType when above 1536 (Linux's own threshold); below, it is a Linux
// "ltype" (LINUX_SLL_P_*: 0x0004 802.2 LLC, 0x0001 802.3...), handed on as data.

import type { EmitContext, LayerSpec } from './encode.ts';
import { ethertypeKind, ethertypeOfSpec, macBytes } from './ethernet.ts';
import { malformation, put16, put32, u16, u32, type DecodeContext, type DecodeStep, type LayerDecoder, copyBytes } from './layer.ts';
import { NetlabRangeError } from '../base/errors.ts';

export const SLL_PKTTYPE = { start: 0, end: 2 } as const;
export const SLL_HATYPE = { start: 2, end: 4 } as const;
export const SLL_HALEN = { start: 4, end: 6 } as const;
export const SLL_ADDR = { start: 6, end: 14 } as const;
export const SLL_PROTOCOL = { start: 14, end: 16 } as const;
export const SLL_HEADER_LEN = 16;

export const SLL2_PROTOCOL = { start: 0, end: 2 } as const;
export const SLL2_RESERVED = { start: 2, end: 4 } as const;
export const SLL2_IFINDEX = { start: 4, end: 8 } as const;
export const SLL2_HATYPE = { start: 8, end: 10 } as const;
export const SLL2_PKTTYPE = 10;
export const SLL2_HALEN = 11;
export const SLL2_ADDR = { start: 12, end: 20 } as const;
export const SLL2_HEADER_LEN = 20;

/** Protocol values at or below this are Linux ltypes, not EtherTypes. */
export const SLL_MAX_LTYPE = 1536;

export const SLL_PACKET_TYPE = { HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3, OUTGOING: 4 } as const;
export const ARPHRD = { ETHER: 1, LOOPBACK: 772, IPGRE: 778, NETLINK: 824 } as const;

export interface Sll {
  packetType: number;
  hatype: number;
  /** Link-layer address length as sent (may exceed the 8 bytes of room). */
  halen: number;
  /** The 8 address bytes as on the wire (the address is the first min(halen, 8)). */
  address: Uint8Array;
  /** EtherType, or a Linux ltype when <= 1536. */
  protocol: number;
}

export interface Sll2 extends Sll {
  reserved: number;
  ifindex: number;
}

function nextOf(protocol: number): string | null {
  return protocol > SLL_MAX_LTYPE ? ethertypeKind(protocol) : null;
}

export const decodeSll: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const b = ctx.frame;
  const avail = end - offset;
  const word = (r: { start: number }): number => (offset + r.start + 2 <= end ? u16(b, offset + r.start) : 0);
  const value: Sll = {
    packetType: word(SLL_PKTTYPE),
    hatype: word(SLL_HATYPE),
    halen: word(SLL_HALEN),
    address: copyBytes(b, Math.min(offset + SLL_ADDR.start, end), Math.min(offset + SLL_ADDR.end, end)),
    protocol: word(SLL_PROTOCOL),
  };
  if (avail < SLL_HEADER_LEN) {
    return {
      layer: {
        kind: 'sll',
        offset,
        length: Math.max(0, avail),
        value,
        malformed: [malformation('sll', end, `SLL header truncated: ${avail} of ${SLL_HEADER_LEN} bytes`)],
      },
      next: null,
      payloadOffset: end,
      payloadEnd: end,
    };
  }
  return {
    layer: { kind: 'sll', offset, length: SLL_HEADER_LEN, value, malformed: [] },
    next: nextOf(value.protocol),
    payloadOffset: offset + SLL_HEADER_LEN,
    payloadEnd: end,
  };
};

export const decodeSll2: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const b = ctx.frame;
  const avail = end - offset;
  const has = (n: number): boolean => avail >= n;
  const value: Sll2 = {
    protocol: has(2) ? u16(b, offset + SLL2_PROTOCOL.start) : 0,
    reserved: has(4) ? u16(b, offset + SLL2_RESERVED.start) : 0,
    ifindex: has(8) ? u32(b, offset + SLL2_IFINDEX.start) : 0,
    hatype: has(10) ? u16(b, offset + SLL2_HATYPE.start) : 0,
    packetType: has(11) ? b[offset + SLL2_PKTTYPE] : 0,
    halen: has(12) ? b[offset + SLL2_HALEN] : 0,
    address: copyBytes(b, Math.min(offset + SLL2_ADDR.start, end), Math.min(offset + SLL2_ADDR.end, end)),
  };
  if (avail < SLL2_HEADER_LEN) {
    return {
      layer: {
        kind: 'sll2',
        offset,
        length: Math.max(0, avail),
        value,
        malformed: [malformation('sll2', end, `SLL2 header truncated: ${avail} of ${SLL2_HEADER_LEN} bytes`)],
      },
      next: null,
      payloadOffset: end,
      payloadEnd: end,
    };
  }
  return {
    layer: { kind: 'sll2', offset, length: SLL2_HEADER_LEN, value, malformed: [] },
    next: nextOf(value.protocol),
    payloadOffset: offset + SLL2_HEADER_LEN,
    payloadEnd: end,
  };
};

// ---------------------------------------------------------------------------------------------
// Builders

export interface SllOptions {
  /** Packet type (SLL_PACKET_TYPE); default 0, to us. */
  packetType?: number;
  /** ARPHRD type; default 1 (Ethernet). */
  hatype?: number;
  /** Source link-layer address (a MAC for Ethernet); default none (halen 0). */
  address?: string | Uint8Array;
  /** Default: the address's length. */
  halen?: number;
  /** EtherType; default from the inner layer. */
  protocol?: number;
}

export interface Sll2Options extends SllOptions {
  ifindex?: number;
  reserved?: number;
}

export interface SllSpec extends LayerSpec {
  readonly kind: 'sll' | 'sll2';
}

function addressOf(a: string | Uint8Array | undefined): Uint8Array {
  if (a === undefined) return new Uint8Array(0);
  if (typeof a === 'string') return macBytes(a);
  return a.slice(0, 8);
}

function protocolOf(explicit: number | undefined, ctx: EmitContext, who: string): number {
  const p = explicit ?? ethertypeOfSpec(ctx.inner[0]);
  if (p === undefined) throw new NetlabRangeError(`${who}: cannot infer the protocol of a '${ctx.inner[0]?.kind ?? 'missing'}' payload; set protocol`);
  return p;
}

/** A Linux cooked (SLL, v1) header. */
export function sll(o: SllOptions = {}): SllSpec {
  const address = addressOf(o.address);
  return {
    kind: 'sll',
    emit(payload: Uint8Array, ctx: EmitContext): Uint8Array {
      const out = new Uint8Array(SLL_HEADER_LEN + payload.length);
      put16(out, SLL_PKTTYPE.start, o.packetType ?? SLL_PACKET_TYPE.HOST);
      put16(out, SLL_HATYPE.start, o.hatype ?? ARPHRD.ETHER);
      put16(out, SLL_HALEN.start, o.halen ?? address.length);
      out.set(address, SLL_ADDR.start);
      put16(out, SLL_PROTOCOL.start, protocolOf(o.protocol, ctx, 'sll()'));
      out.set(payload, SLL_HEADER_LEN);
      return out;
    },
  };
}

/** A Linux cooked v2 (SLL2) header. */
export function sll2(o: Sll2Options = {}): SllSpec {
  const address = addressOf(o.address);
  return {
    kind: 'sll2',
    emit(payload: Uint8Array, ctx: EmitContext): Uint8Array {
      const out = new Uint8Array(SLL2_HEADER_LEN + payload.length);
      put16(out, SLL2_PROTOCOL.start, protocolOf(o.protocol, ctx, 'sll2()'));
      put16(out, SLL2_RESERVED.start, o.reserved ?? 0);
      put32(out, SLL2_IFINDEX.start, o.ifindex ?? 0);
      put16(out, SLL2_HATYPE.start, o.hatype ?? ARPHRD.ETHER);
      out[SLL2_PKTTYPE] = o.packetType ?? SLL_PACKET_TYPE.HOST;
      out[SLL2_HALEN] = o.halen ?? address.length;
      out.set(address, SLL2_ADDR.start);
      out.set(payload, SLL2_HEADER_LEN);
      return out;
    },
  };
}

// ARP (RFC 826), for any hardware/protocol address sizes; Ethernet/IPv4 is the usual case (28 bytes).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |        Hardware type          |         Protocol type         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  HW addr len  | Proto addr len|            Opcode             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | Sender HW address (hlen) | Sender protocol address (plen)     |
//   | Target HW address (hlen) | Target protocol address (plen)     |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// A gratuitous ARP announces the sender's own address: sender and target protocol addresses are
// equal (a request, or a reply). An ARP probe (RFC 5227) has a zero sender protocol address.

import type { EmitContext, LayerSpec } from './encode.ts';
import { ETHERTYPE, macBytes } from './ethernet.ts';
import { ipv4Bytes } from './ipv4.ts';
import { malformation, put16, u16, type DecodeContext, type DecodeStep, type LayerDecoder, copyBytes } from './layer.ts';

export const ARP_HW_TYPE = { start: 0, end: 2 } as const;
export const ARP_PROTO_TYPE = { start: 2, end: 4 } as const;
export const ARP_HW_SIZE = 4;
export const ARP_PROTO_SIZE = 5;
export const ARP_OPCODE = { start: 6, end: 8 } as const;
/** The addresses start here: sender HW, sender protocol, target HW, target protocol. */
export const ARP_ADDRESSES = 8;
export const ARP_FIXED_LEN = 8;
/** Length of an Ethernet/IPv4 ARP packet. */
export const ARP_ETHER_IPV4_LEN = 28;

export const ARP_HW_ETHERNET = 1;
export const ARP_OPCODE_VALUE = { REQUEST: 1, REPLY: 2, RARP_REQUEST: 3, RARP_REPLY: 4 } as const;

export interface Arp {
  hwType: number;
  protoType: number;
  hwSize: number;
  protoSize: number;
  opcode: number;
  senderHw: Uint8Array;
  senderProto: Uint8Array;
  targetHw: Uint8Array;
  targetProto: Uint8Array;
}

/** Total length of an ARP packet with these address sizes. */
export function arpLength(hwSize: number, protoSize: number): number {
  return ARP_FIXED_LEN + 2 * (hwSize + protoSize);
}

/** Sender and target protocol addresses are equal: the sender announces (or defends) its address. */
export function isGratuitousArp(a: Arp): boolean {
  if (a.senderProto.length === 0 || a.senderProto.length !== a.targetProto.length) return false;
  return a.senderProto.every((x, i) => x === a.targetProto[i]);
}

export const decodeArp: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const b = ctx.frame;
  const avail = end - offset;
  const empty = new Uint8Array(0);
  const value: Arp = { hwType: 0, protoType: 0, hwSize: 0, protoSize: 0, opcode: 0, senderHw: empty, senderProto: empty, targetHw: empty, targetProto: empty };
  if (avail < ARP_FIXED_LEN) {
    if (avail >= 2) value.hwType = u16(b, offset + ARP_HW_TYPE.start);
    if (avail >= 4) value.protoType = u16(b, offset + ARP_PROTO_TYPE.start);
    if (avail >= 5) value.hwSize = b[offset + ARP_HW_SIZE];
    if (avail >= 6) value.protoSize = b[offset + ARP_PROTO_SIZE];
    return {
      layer: {
        kind: 'arp',
        offset,
        length: Math.max(0, avail),
        value,
        malformed: [malformation('arp', end, `ARP header truncated: ${avail} of ${ARP_FIXED_LEN} bytes`)],
      },
      next: null,
      payloadOffset: end,
      payloadEnd: end,
    };
  }
  value.hwType = u16(b, offset + ARP_HW_TYPE.start);
  value.protoType = u16(b, offset + ARP_PROTO_TYPE.start);
  value.hwSize = b[offset + ARP_HW_SIZE];
  value.protoSize = b[offset + ARP_PROTO_SIZE];
  value.opcode = u16(b, offset + ARP_OPCODE.start);
  const length = arpLength(value.hwSize, value.protoSize);
  // Slices clip at `end`, so a short packet yields short addresses rather than reading past it.
  const field = (start: number, size: number): Uint8Array => copyBytes(b, Math.min(offset + start, end), Math.min(offset + start + size, end));
  let o = ARP_ADDRESSES;
  value.senderHw = field(o, value.hwSize);
  o += value.hwSize;
  value.senderProto = field(o, value.protoSize);
  o += value.protoSize;
  value.targetHw = field(o, value.hwSize);
  o += value.hwSize;
  value.targetProto = field(o, value.protoSize);
  const malformed = avail < length ? [malformation('arp', end, `ARP packet truncated: ${avail} of ${length} bytes`)] : [];
  const stop = offset + Math.min(length, avail);
  return { layer: { kind: 'arp', offset, length: stop - offset, value, malformed }, next: null, payloadOffset: stop, payloadEnd: stop };
};

// ---------------------------------------------------------------------------------------------
// Builder

export interface ArpOptions {
  /** 'request' (1), 'reply' (2) or any opcode number. Default 'request'. */
  op?: 'request' | 'reply' | number;
  senderMac: string | Uint8Array;
  senderIp: string | Uint8Array;
  /** Default 00:00:00:00:00:00 (unknown, as in a request). */
  targetMac?: string | Uint8Array;
  /** Default: the sender's IP (a gratuitous ARP). */
  targetIp?: string | Uint8Array;
  hwType?: number;
  protoType?: number;
  hwSize?: number;
  protoSize?: number;
}

export interface ArpSpec extends LayerSpec {
  readonly kind: 'arp';
  readonly options: ArpOptions;
}

/** An Ethernet/IPv4 ARP packet. Address sizes default to 6 and 4; set them to lie about them. */
export function arp(options: ArpOptions): ArpSpec {
  const senderHw = macBytes(options.senderMac);
  const senderProto = ipv4Bytes(options.senderIp);
  const targetHw = options.targetMac === undefined ? new Uint8Array(6) : macBytes(options.targetMac);
  const targetProto = options.targetIp === undefined ? senderProto : ipv4Bytes(options.targetIp);
  const opcode = options.op === undefined || options.op === 'request' ? ARP_OPCODE_VALUE.REQUEST : options.op === 'reply' ? ARP_OPCODE_VALUE.REPLY : options.op;
  return {
    kind: 'arp',
    options,
    emit(payload: Uint8Array, _ctx: EmitContext): Uint8Array {
      const out = new Uint8Array(ARP_ETHER_IPV4_LEN + payload.length);
      put16(out, ARP_HW_TYPE.start, options.hwType ?? ARP_HW_ETHERNET);
      put16(out, ARP_PROTO_TYPE.start, options.protoType ?? ETHERTYPE.IPV4);
      out[ARP_HW_SIZE] = options.hwSize ?? 6;
      out[ARP_PROTO_SIZE] = options.protoSize ?? 4;
      put16(out, ARP_OPCODE.start, opcode);
      out.set(senderHw, 8);
      out.set(senderProto, 14);
      out.set(targetHw, 18);
      out.set(targetProto, 24);
      out.set(payload, ARP_ETHER_IPV4_LEN);
      return out;
    },
  };
}

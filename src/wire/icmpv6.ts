// ICMPv6 (RFC 4443), Neighbor Discovery (RFC 4861) and Multicast Listener Discovery (RFC 2710,
// RFC 3810).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Type      |     Code      |          Checksum             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                         Message Body                          |
//
// Errors (types 1-4) carry 4 bytes (unused, MTU or pointer) and then as much of the offending packet
// as fits: the decoder hands that on as 'ipv6' and marks the layer `isError`. The checksum covers the
// IPv6 pseudo-header (RFC 8200 §8.1) and the whole message.

import type { EmitContext, LayerSpec } from './encode.ts';
import { encodeNdOptions, parseNdOptions, type NdOption, type NdOptionInput } from './icmpv6-options.ts';
import {
  malformation,
  put16,
  put32,
  u16,
  u32,
  type ChecksumStatus,
  type DecodeContext,
  type DecodeStep,
  type LayerDecoder,
  type Malformation,
  copyBytes,
} from './layer.ts';
import { enclosingIp, enclosingIpSpec, insideIcmpError, segmentChecksum, segmentVerifies } from './udp.ts';
import { IP_PROTOCOL } from './ip-protocols.ts';
import { parseIpv6OrThrow as parseIpv6 } from './address-text.ts';

export const ICMPV6_TYPE = 0;
export const ICMPV6_CODE = 1;
export const ICMPV6_CHECKSUM = { start: 2, end: 4 } as const;
export const ICMPV6_HEADER_LEN = 4;
/** Echo: identifier and sequence number. */
export const ICMPV6_ID = { start: 4, end: 6 } as const;
export const ICMPV6_SEQ = { start: 6, end: 8 } as const;
/** NS/NA/redirect: the target address. */
export const ICMPV6_TARGET = { start: 8, end: 24 } as const;

export const ICMPV6_TYPE_NUM = {
  UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAMETER_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  MLD_QUERY: 130,
  MLD_REPORT: 131,
  MLD_DONE: 132,
  ROUTER_SOLICITATION: 133,
  ROUTER_ADVERTISEMENT: 134,
  NEIGHBOR_SOLICITATION: 135,
  NEIGHBOR_ADVERTISEMENT: 136,
  REDIRECT: 137,
  MLDV2_REPORT: 143,
} as const;

/** One MLDv2 multicast address record (RFC 3810 §5.2.4). */
export interface MldRecord {
  offset: number;
  recordType: number;
  auxDataLen: number;
  numSources: number;
  multicastAddress: Uint8Array;
  sources: Uint8Array[];
  /** Length of the record in bytes. */
  length: number;
}

/** The plain representation of an ICMPv6 message. */
export interface Icmpv6 {
  type: number;
  code: number;
  checksum: number;
  checksumStatus: ChecksumStatus;
  checksumComputed?: number;
  /** True for error types (1-4): what follows the first 8 bytes is the quoted packet. */
  isError: boolean;
  /** The 4 bytes after the checksum, as a number (unused / MTU / pointer / flags / reserved). */
  word: number;
  id?: number;
  seq?: number;
  mtu?: number;
  pointer?: number;
  /** NS, NA, redirect: target address. */
  target?: Uint8Array;
  /** Redirect: destination address. */
  destination?: Uint8Array;
  /** RA fields. */
  curHopLimit?: number;
  raFlags?: number;
  routerLifetime?: number;
  reachableTime?: number;
  retransTimer?: number;
  /** NA flags (R, S, O in the top three bits of the word). */
  naFlags?: number;
  /** MLD: maximum response delay/code, multicast address. */
  maxResponse?: number;
  multicastAddress?: Uint8Array;
  /** MLDv2 query. */
  mldFlags?: number;
  qqic?: number;
  sources?: Uint8Array[];
  /** MLDv2 report. */
  records?: MldRecord[];
  /** ND options and where they start. */
  ndOptions?: NdOption[];
  ndOptionsOffset?: number;
}

const ERROR_TYPES = new Set<number>([1, 2, 3, 4]);

export function isIcmpv6ErrorType(type: number): boolean {
  return ERROR_TYPES.has(type);
}

export const decodeIcmpv6: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const b = ctx.frame;
  const avail = Math.max(end - offset, 0);
  const malformed: Malformation[] = [];
  const value: Icmpv6 = {
    type: avail > 0 ? b[offset] : 0,
    code: avail > 1 ? b[offset + 1] : 0,
    checksum: avail >= 4 ? u16(b, offset + 2) : 0,
    checksumStatus: 'unverified',
    isError: false,
    word: avail >= 8 ? u32(b, offset + 4) : 0,
  };
  const inError = insideIcmpError(ctx.layers);
  const short = (n: number): DecodeStep => {
    if (!inError) malformed.push(malformation('icmpv6', end, `ICMPv6 type ${value.type} message truncated: ${avail} of ${n} bytes`));
    return { layer: { kind: 'icmpv6', offset, length: avail, value, malformed }, next: null, payloadOffset: end, payloadEnd: end };
  };
  if (avail < ICMPV6_HEADER_LEN) return short(ICMPV6_HEADER_LEN);
  const t = value.type;
  value.isError = isIcmpv6ErrorType(t);
  value.checksumStatus = checksumStatus(ctx, value, offset, end, inError);
  const minimum = minimumLength(t, avail);
  if (avail < minimum) return short(minimum);
  let length = Math.min(8, avail);
  let next: string | null = null;
  const options = (at: number): void => {
    value.ndOptionsOffset = offset + at;
    const parsed = parseNdOptions(b, offset + at, end);
    value.ndOptions = parsed.options;
    malformed.push(...parsed.malformed);
    length = avail;
  };
  // Errors quote the offending packet: IPv6 when it looks like IPv6, else opaque data (as Wireshark).
  const quoted = offset + 8 < end && (b[offset + 8] & 0xf0) === 0x60 ? 'ipv6' : null;
  switch (t) {
    case 1:
    case 3:
      next = quoted;
      break;
    case 2:
      value.mtu = value.word;
      next = quoted;
      break;
    case 4:
      value.pointer = value.word;
      next = quoted;
      break;
    case 128:
    case 129:
      value.id = u16(b, offset + ICMPV6_ID.start);
      value.seq = u16(b, offset + ICMPV6_SEQ.start);
      break;
    case 130:
    case 131:
    case 132:
      value.maxResponse = u16(b, offset + 4);
      value.multicastAddress = copyBytes(b, offset + 8, offset + 24);
      // Bytes after the MLD message are not shown by Wireshark (no data).
      length = avail;
      if (t === 130 && avail >= 28) {
        value.mldFlags = b[offset + 24];
        value.qqic = b[offset + 25];
        const n = u16(b, offset + 26);
        value.sources = [];
        for (let i = 0, p = offset + 28; i < n && p + 16 <= end; i++, p += 16) value.sources.push(copyBytes(b, p, p + 16));
        if (value.sources.length < n && !inError)
          malformed.push(malformation('icmpv6', end, `MLDv2 query announces ${n} sources, ${value.sources.length} present`));
      }
      break;
    case 133:
      options(8);
      break;
    case 134:
      value.curHopLimit = b[offset + 4];
      value.raFlags = b[offset + 5];
      value.routerLifetime = u16(b, offset + 6);
      value.reachableTime = u32(b, offset + 8);
      value.retransTimer = u32(b, offset + 12);
      options(16);
      break;
    case 135:
      value.target = copyBytes(b, offset + 8, offset + 24);
      options(24);
      break;
    case 136:
      value.naFlags = value.word;
      value.target = copyBytes(b, offset + 8, offset + 24);
      options(24);
      break;
    case 137:
      value.target = copyBytes(b, offset + 8, offset + 24);
      value.destination = copyBytes(b, offset + 24, offset + 40);
      options(40);
      break;
    case 143:
      value.records = parseMldRecords(b, offset, end, u16(b, offset + 6), malformed, inError);
      length = avail;
      break;
    default:
      // Types netlab does not decode: Wireshark shows no data after them either.
      length = avail;
  }
  return { layer: { kind: 'icmpv6', offset, length, value, malformed }, next, payloadOffset: offset + length, payloadEnd: end };
};

/** Bytes a message of a type needs before its variable part. */
function minimumLength(type: number, avail: number): number {
  switch (type) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 128:
    case 129:
    case 133:
    case 143:
      return 8;
    case 130:
    case 131:
    case 132:
    case 135:
    case 136:
      return 24;
    case 134:
      return 16;
    case 137:
      return 40;
    default:
      return Math.min(avail, ICMPV6_HEADER_LEN);
  }
}

function parseMldRecords(b: Uint8Array, offset: number, end: number, count: number, malformed: Malformation[], inError: boolean): MldRecord[] {
  const records: MldRecord[] = [];
  let p = offset + 8;
  for (let i = 0; i < count; i++) {
    if (p + 20 > end) {
      if (!inError) malformed.push(malformation('icmpv6', end, `MLDv2 report announces ${count} records, ${records.length} present`));
      break;
    }
    const auxDataLen = b[p + 1];
    const numSources = u16(b, p + 2);
    const length = 20 + numSources * 16 + auxDataLen * 4;
    if (p + length > end) {
      if (!inError) malformed.push(malformation('icmpv6', end, `MLDv2 record of ${length} bytes runs past the message`));
      break;
    }
    const sources: Uint8Array[] = [];
    for (let k = 0; k < numSources; k++) sources.push(copyBytes(b, p + 20 + 16 * k, p + 36 + 16 * k));
    records.push({ offset: p, recordType: b[p], auxDataLen, numSources, multicastAddress: copyBytes(b, p + 4, p + 20), sources, length });
    p += length;
  }
  return records;
}

function checksumStatus(ctx: DecodeContext, value: Icmpv6, offset: number, end: number, inError: boolean): ChecksumStatus {
  const ipc = enclosingIp(ctx.layers);
  if (!ctx.options.verifyChecksums || ipc === undefined || inError) return 'unverified';
  const reportedEnd = Math.max(ipc.reportedEnd ?? end, end);
  if (reportedEnd > end) return 'unverified';
  const len = end - offset;
  value.checksumComputed = segmentChecksum(ipc.ip, IP_PROTOCOL.ICMPV6, ctx.frame.subarray(offset, end), ICMPV6_CHECKSUM.start);
  return segmentVerifies(ipc.ip, IP_PROTOCOL.ICMPV6, ctx.frame, offset, len) ? 'good' : 'bad';
}

// ---------------------------------------------------------------------------------------------
// Builder

export interface Icmpv6Options {
  type: number;
  code?: number;
  /** Checksum field; default computed over the IPv6 pseudo-header and the message. */
  checksum?: number;
  /** Echo. */
  id?: number;
  seq?: number;
  /** Packet too big. */
  mtu?: number;
  /** Parameter problem. */
  pointer?: number;
  /** The 4 bytes after the checksum as a number, overriding id/seq/mtu/pointer/flags. */
  word?: number;
  /** NS / NA / redirect target (16 bytes or text). */
  target?: Uint8Array | string;
  /** NA flags: router, solicited, override. */
  router?: boolean;
  solicited?: boolean;
  override?: boolean;
  /** RA fields. */
  curHopLimit?: number;
  raFlags?: number;
  routerLifetime?: number;
  reachableTime?: number;
  retransTimer?: number;
  /** ND options (after the fixed part of NS, NA, RS, RA, redirect). */
  ndOptions?: readonly NdOptionInput[];
}

export interface Icmpv6Spec extends LayerSpec {
  readonly kind: 'icmpv6';
  readonly options: Icmpv6Options;
}

export { parseIpv6OrThrow as parseIpv6 } from './address-text.ts';

function addr6(a: Uint8Array | string): Uint8Array {
  return typeof a === 'string' ? parseIpv6(a) : a;
}

/** An ICMPv6 message: `icmpv6({type: 128, id: 1, seq: 1})`; errors quote the layers after them. */
export function icmpv6(options: Icmpv6Options): Icmpv6Spec {
  return {
    kind: 'icmpv6',
    options,
    emit(payload: Uint8Array, ctx: EmitContext): Uint8Array {
      const t = options.type;
      let body: Uint8Array;
      if (t === 134) {
        body = new Uint8Array(12);
        body[0] = options.curHopLimit ?? 64;
        body[1] = options.raFlags ?? 0;
        put16(body, 2, options.routerLifetime ?? 1800);
        put32(body, 4, options.reachableTime ?? 0);
        put32(body, 8, options.retransTimer ?? 0);
      } else {
        body = new Uint8Array(4);
        let word = 0;
        if (t === 128 || t === 129) word = (((options.id ?? 0) & 0xffff) << 16) | ((options.seq ?? 0) & 0xffff);
        if (t === 2) word = options.mtu ?? 1280;
        if (t === 4) word = options.pointer ?? 0;
        if (t === 136) word = (options.router ? 0x80000000 : 0) | (options.solicited ? 0x40000000 : 0) | (options.override ? 0x20000000 : 0);
        put32(body, 0, options.word ?? word);
      }
      const target = options.target === undefined ? new Uint8Array(0) : addr6(options.target);
      const nd = encodeNdOptions(options.ndOptions ?? []);
      const out = new Uint8Array(4 + body.length + target.length + nd.length + payload.length);
      out[0] = t & 0xff;
      out[1] = (options.code ?? 0) & 0xff;
      let o = 4;
      for (const part of [body, target, nd, payload]) {
        out.set(part, o);
        o += part.length;
      }
      const ip = enclosingIpSpec(ctx);
      put16(out, ICMPV6_CHECKSUM.start, options.checksum ?? segmentChecksum(ip, IP_PROTOCOL.ICMPV6, out, ICMPV6_CHECKSUM.start));
      return out;
    },
  };
}

// ICMP for IPv4 (RFC 792, RFC 950 address mask, RFC 1256 router discovery, RFC 1191 next-hop MTU,
// RFC 4884 multi-part messages).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Type      |     Code      |          Checksum             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   rest of header: identifier + sequence (echo, timestamp, mask),|
//   |   gateway (redirect), pointer (parameter problem), unused/length|
//   |   /next-hop MTU (unreachable, time exceeded)                    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   data: echo data, timestamps, or the quoted IP datagram (errors) |
//
// The checksum covers the whole ICMP message (no pseudo-header). The error messages (unreachable,
// source quench, redirect, time exceeded, parameter problem) quote the IP header and the first bytes
// of the datagram that caused them: the decoder hands that on as 'ipv4' and marks the layer
// `isError`, so the quoted datagram decodes as layers.

import type { EmitContext, LayerSpec } from './encode.ts';
import { internetChecksum } from './checksum.ts';
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
import { enclosingIp, insideIcmpError, segmentChecksum } from './udp.ts';
import { NetlabRangeError } from '../base/errors.ts';

// Byte ranges of the ICMP header.
export const ICMP_TYPE = 0;
export const ICMP_CODE = 1;
export const ICMP_CHECKSUM = { start: 2, end: 4 } as const;
/** The second word: its meaning depends on the type. */
export const ICMP_REST = { start: 4, end: 8 } as const;
export const ICMP_ID = { start: 4, end: 6 } as const;
export const ICMP_SEQ = { start: 6, end: 8 } as const;
/** RFC 4884 length of the original datagram, in 32-bit words (unreachable, time exceeded, parameter problem). */
export const ICMP_LENGTH = 5;
/** RFC 1191 next-hop MTU (unreachable, code 4). */
export const ICMP_MTU = { start: 6, end: 8 } as const;
export const ICMP_HEADER_LEN = 8;
/** RFC 4884: with no length given, an extension structure may follow 128 bytes of original datagram. */
export const ICMP_EXT_DEFAULT_OFFSET = 128;

export const ICMP_TYPE_NUM = {
  ECHO_REPLY: 0,
  UNREACHABLE: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO: 8,
  ROUTER_ADVERTISEMENT: 9,
  ROUTER_SOLICITATION: 10,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
  TIMESTAMP: 13,
  TIMESTAMP_REPLY: 14,
  INFO_REQUEST: 15,
  INFO_REPLY: 16,
  MASK_REQUEST: 17,
  MASK_REPLY: 18,
} as const;

const ERROR_TYPES = new Set<number>([3, 4, 5, 11, 12]);
const ID_SEQ_TYPES = new Set<number>([0, 8, 13, 14, 15, 16, 17, 18]);
/** Types whose second word carries an RFC 4884 length (byte 5). */
const LENGTH_TYPES = new Set<number>([3, 11, 12]);

/** True for the ICMP types that quote a datagram (unreachable, quench, redirect, time exceeded, parameter problem). */
export function isIcmpErrorType(type: number): boolean {
  return ERROR_TYPES.has(type);
}

/** One object of an RFC 4884 extension structure. */
export interface IcmpExtensionObject {
  offset: number;
  length: number;
  classNum: number;
  cType: number;
}

/** An RFC 4884 extension structure after the quoted datagram. */
export interface IcmpExtension {
  offset: number;
  version: number;
  reserved: number;
  checksum: number;
  checksumStatus: ChecksumStatus;
  objects: IcmpExtensionObject[];
}

/** A router advertisement entry (RFC 1256). */
export interface IcmpRouterEntry {
  address: Uint8Array;
  preference: number;
}

/** A Mobile IP extension after a router advertisement's entries (RFC 5944 §2.1). */
export interface IcmpMobileExtension {
  offset: number;
  type: number;
  /** The length byte (0 for the one-byte padding extension, which has none). */
  length: number;
}

/** The plain representation of an ICMP message. */
export interface Icmp {
  type: number;
  code: number;
  checksum: number;
  checksumStatus: ChecksumStatus;
  /** The value the checksum field should hold, when it was verified. */
  checksumComputed?: number;
  /** The second word as a number (its meaning depends on the type). */
  rest: number;
  /** True for error types: the data is the quoted datagram, decoded as layers. */
  isError: boolean;
  /** Identifier and sequence number (echo, timestamp, information, address mask), big-endian. */
  id?: number;
  seq?: number;
  /** Redirect: the gateway to use. */
  gateway?: Uint8Array;
  /** Parameter problem: the offending byte. */
  pointer?: number;
  /** Unreachable code 4 (fragmentation needed): the next-hop MTU. */
  mtu?: number;
  /** RFC 4884 length of the original datagram in 32-bit words (0 when not given). */
  length?: number;
  /** Timestamp request/reply: milliseconds since midnight UT. */
  originate?: number;
  receive?: number;
  transmit?: number;
  /** Address mask request/reply. */
  addressMask?: Uint8Array;
  /** Router advertisement. */
  numAddrs?: number;
  addrEntrySize?: number;
  lifetime?: number;
  routers?: IcmpRouterEntry[];
  /** RFC 4884 extension structure (MPLS label stack...), when present. */
  extension?: IcmpExtension;
  /** Mobile IP extensions of a router advertisement with code 0 or 16. */
  mobileExtensions?: IcmpMobileExtension[];
}

export const decodeIcmp: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const b = ctx.frame;
  const avail = Math.max(end - offset, 0);
  const malformed: Malformation[] = [];
  const value: Icmp = {
    type: avail > ICMP_TYPE ? b[offset + ICMP_TYPE] : 0,
    code: avail > ICMP_CODE ? b[offset + ICMP_CODE] : 0,
    checksum: avail >= ICMP_CHECKSUM.end ? u16(b, offset + ICMP_CHECKSUM.start) : 0,
    checksumStatus: 'unverified',
    rest: avail >= ICMP_REST.end ? u32(b, offset + ICMP_REST.start) : 0,
    isError: false,
  };
  const inError = insideIcmpError(ctx.layers);
  if (avail < ICMP_HEADER_LEN) {
    if (!inError) malformed.push(malformation('icmp', end, `ICMP header truncated: ${avail} of ${ICMP_HEADER_LEN} bytes`));
    return { layer: { kind: 'icmp', offset, length: avail, value, malformed }, next: null, payloadOffset: end, payloadEnd: end };
  }
  const t = value.type;
  value.isError = isIcmpErrorType(t);
  if (ID_SEQ_TYPES.has(t)) {
    value.id = u16(b, offset + ICMP_ID.start);
    value.seq = u16(b, offset + ICMP_SEQ.start);
  }
  if (t === ICMP_TYPE_NUM.REDIRECT) value.gateway = copyBytes(b, offset + 4, offset + 8);
  if (t === ICMP_TYPE_NUM.PARAMETER_PROBLEM) value.pointer = b[offset + 4];
  if (t === ICMP_TYPE_NUM.UNREACHABLE && value.code === 4) value.mtu = u16(b, offset + ICMP_MTU.start);
  if (LENGTH_TYPES.has(t)) value.length = b[offset + ICMP_LENGTH];
  const length = ICMP_HEADER_LEN;
  const need = (n: number): boolean => {
    if (avail >= n) return true;
    if (!inError) malformed.push(malformation('icmp', end, `ICMP type ${t} message truncated: ${avail} of ${n} bytes`));
    return false;
  };
  if ((t === ICMP_TYPE_NUM.TIMESTAMP || t === ICMP_TYPE_NUM.TIMESTAMP_REPLY) && need(20)) {
    value.originate = u32(b, offset + 8);
    value.receive = u32(b, offset + 12);
    value.transmit = u32(b, offset + 16);
  }
  if ((t === ICMP_TYPE_NUM.MASK_REQUEST || t === ICMP_TYPE_NUM.MASK_REPLY) && need(12)) {
    value.addressMask = copyBytes(b, offset + 8, offset + 12);
  }
  let dataFollows = t === ICMP_TYPE_NUM.ECHO || t === ICMP_TYPE_NUM.ECHO_REPLY;
  if (t === ICMP_TYPE_NUM.ROUTER_ADVERTISEMENT) {
    value.numAddrs = b[offset + 4];
    value.addrEntrySize = b[offset + 5];
    value.lifetime = u16(b, offset + 6);
    value.routers = [];
    // Entries of 2 words (address, preference) are decoded; any other size leaves the rest as data.
    if (value.addrEntrySize === 2) {
      for (let i = 0, p = offset + 8; i < value.numAddrs && p + 8 <= end; i++, p += 8) {
        value.routers.push({ address: copyBytes(b, p, p + 4), preference: u32(b, p + 4) | 0 });
      }
      if (value.routers.length < value.numAddrs && !inError)
        malformed.push(malformation('icmp', end, `router advertisement announces ${value.numAddrs} addresses, ${value.routers.length} present`));
      if (value.code === 0 || value.code === 16) value.mobileExtensions = mobileExtensions(b, offset + 8 + value.routers.length * 8, end, malformed);
    } else {
      dataFollows = true;
    }
  }
  // Checksum over the whole message, when all of it is here (never inside a quoted datagram).
  const ipc = enclosingIp(ctx.layers);
  const reportedEnd = Math.max(ipc?.reportedEnd ?? end, end);
  if (ctx.options.verifyChecksums && !inError && reportedEnd <= end) {
    value.checksumStatus = internetChecksum(b, offset, avail) === 0 ? 'good' : 'bad';
    value.checksumComputed = segmentChecksum(undefined, 0, b.subarray(offset, end), ICMP_CHECKSUM.start);
  }
  if (value.isError) {
    const quoted = quotedRange(b, offset, end, reportedEnd, value);
    if (quoted.extension !== undefined) value.extension = quoted.extension;
    return { layer: { kind: 'icmp', offset, length, value, malformed }, next: 'ipv4', payloadOffset: offset + ICMP_HEADER_LEN, payloadEnd: quoted.end };
  }
  if (dataFollows) {
    return { layer: { kind: 'icmp', offset, length, value, malformed }, next: null, payloadOffset: offset + ICMP_HEADER_LEN, payloadEnd: end };
  }
  // Every other type: its fields are all there is (Wireshark shows no data after them).
  return { layer: { kind: 'icmp', offset, length: avail, value, malformed }, next: null, payloadOffset: end, payloadEnd: end };
};

/** Type-length extensions after a Mobile IP agent advertisement; type 0 is one byte of padding. */
function mobileExtensions(b: Uint8Array, start: number, end: number, malformed: Malformation[]): IcmpMobileExtension[] {
  const out: IcmpMobileExtension[] = [];
  for (let p = start; p < end; ) {
    const type = b[p];
    if (type === 0) {
      out.push({ offset: p, type, length: 0 });
      p++;
      continue;
    }
    if (p + 2 > end || p + 2 + b[p + 1] > end) {
      malformed.push(malformation('icmp', p, `Mobile IP extension ${type} runs past the message`));
      break;
    }
    out.push({ offset: p, type, length: b[p + 1] });
    p += 2 + b[p + 1];
  }
  return out;
}

/**
 * Where the quoted datagram of an error ends, and the RFC 4884 extension structure after it, the way
 * Wireshark splits them: a redirect quotes the IP header and 8 bytes; an RFC 4884 length bounds the
 * datagram when the quoted IP packet is longer; with more than 128 bytes after the header and a
 * quoted packet of at most 128 bytes, an extension structure follows the first 128 bytes.
 */
function quotedRange(b: Uint8Array, offset: number, end: number, reportedEnd: number, value: Icmp): { end: number; extension?: IcmpExtension } {
  const dataStart = offset + ICMP_HEADER_LEN;
  const reported = reportedEnd - offset;
  const words = value.length ?? 0;
  const ihl = dataStart < end ? (b[dataStart] & 0x0f) * 4 : 0;
  const innerTotal = dataStart + 4 <= end ? u16(b, dataStart + 2) : 0;
  let quotedEnd = end;
  if (value.type === ICMP_TYPE_NUM.REDIRECT) {
    quotedEnd = Math.min(end, dataStart + ihl + 8);
  } else if (words > 0 && reported > ICMP_HEADER_LEN + words * 4 && innerTotal > words * 4) {
    quotedEnd = Math.min(end, dataStart + ihl + words * 4);
  }
  if (!LENGTH_TYPES.has(value.type) && value.type !== ICMP_TYPE_NUM.SOURCE_QUENCH && value.type !== ICMP_TYPE_NUM.REDIRECT) return { end: quotedEnd };
  if (!(reported > ICMP_HEADER_LEN + ICMP_EXT_DEFAULT_OFFSET && innerTotal <= ICMP_EXT_DEFAULT_OFFSET)) return { end: quotedEnd };
  const at = dataStart + (words > 0 ? words * 4 : ICMP_EXT_DEFAULT_OFFSET);
  if (at + 4 > end) return { end: quotedEnd };
  const ext: IcmpExtension = {
    offset: at,
    version: b[at] >>> 4,
    reserved: u16(b, at) & 0x0fff,
    checksum: u16(b, at + 2),
    checksumStatus: internetChecksum(b, at, end - at) === 0 ? 'good' : 'bad',
    objects: [],
  };
  for (let p = at + 4; p + 4 <= end; ) {
    const len = u16(b, p);
    ext.objects.push({ offset: p, length: len, classNum: b[p + 2], cType: b[p + 3] });
    if (len < 4) break;
    p += Math.min(len, end - p);
  }
  return { end: Math.min(quotedEnd, at), extension: ext };
}

// ---------------------------------------------------------------------------------------------
// Builder

export interface IcmpOptions {
  type: number;
  /** Default 0. */
  code?: number;
  /** Checksum field; default computed over the whole message. */
  checksum?: number;
  /** Identifier and sequence number (echo, timestamp, information, address mask). Default 0. */
  id?: number;
  seq?: number;
  /** Redirect: the gateway address (4 bytes or dotted text). */
  gateway?: Uint8Array | string;
  /** Parameter problem: the pointer. */
  pointer?: number;
  /** Unreachable, fragmentation needed: the next-hop MTU. */
  mtu?: number;
  /** RFC 4884 length of the original datagram in 32-bit words. */
  length?: number;
  /** The whole second word, overriding the fields above. */
  rest?: number;
  /** Timestamp request/reply: milliseconds since midnight UT (12 bytes after the header). */
  timestamps?: readonly [number, number, number];
  /** Address mask request/reply (4 bytes after the header). */
  addressMask?: Uint8Array | string;
}

export interface IcmpSpec extends LayerSpec {
  readonly kind: 'icmp';
  readonly options: IcmpOptions;
}

function addr4(a: Uint8Array | string): Uint8Array {
  if (typeof a !== 'string') return a;
  const parts = a.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new NetlabRangeError(`icmp(): not an IPv4 address: '${a}'`);
  }
  return Uint8Array.from(parts);
}

/** The second word of the header from the options. */
function restWord(o: IcmpOptions): number {
  if (o.rest !== undefined) return o.rest >>> 0;
  if (o.gateway !== undefined) return u32(addr4(o.gateway), 0);
  if (o.pointer !== undefined) return (((o.pointer & 0xff) << 24) | (((o.length ?? 0) & 0xff) << 16)) >>> 0;
  let w = (((o.id ?? 0) & 0xffff) << 16) >>> 0;
  w |= (o.seq ?? 0) & 0xffff;
  if (o.length !== undefined) w = (w & 0xff00ffff) | ((o.length & 0xff) << 16);
  if (o.mtu !== undefined) w = (w & 0xffff0000) | (o.mtu & 0xffff);
  return w >>> 0;
}

/** An ICMP message: `icmp({type: 8, id: 1, seq: 1})`; an error quotes the layers after it. */
export function icmp(options: IcmpOptions): IcmpSpec {
  return {
    kind: 'icmp',
    options,
    emit(payload: Uint8Array, _ctx: EmitContext): Uint8Array {
      let body = new Uint8Array(0);
      if (options.timestamps !== undefined) {
        body = new Uint8Array(12);
        options.timestamps.forEach((t, i) => put32(body, i * 4, t));
      } else if (options.addressMask !== undefined) {
        body = Uint8Array.from(addr4(options.addressMask));
      }
      const out = new Uint8Array(ICMP_HEADER_LEN + body.length + payload.length);
      out[ICMP_TYPE] = options.type & 0xff;
      out[ICMP_CODE] = (options.code ?? 0) & 0xff;
      put32(out, ICMP_REST.start, restWord(options));
      out.set(body, ICMP_HEADER_LEN);
      out.set(payload, ICMP_HEADER_LEN + body.length);
      put16(out, ICMP_CHECKSUM.start, options.checksum ?? internetChecksum(out));
      return out;
    },
  };
}

// TCP header (RFC 9293 §3.1).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          Source Port          |       Destination Port        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                        Sequence Number                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Acknowledgment Number                      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Data |     |N|C|E|U|A|P|R|S|F|                               |
//   | Offset| Rsv |S|W|C|R|C|S|S|Y|I|            Window             |
//   |       |     | |R|E|G|K|H|T|N|N|                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |           Checksum            |         Urgent Pointer        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Options (Data Offset*4 - 20)               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The payload is the rest of the IP payload. The checksum covers the pseudo-header (addresses only,
// whatever the IP header length), the header and the payload. Bit 8 ("NS", RFC 3540) is what
// Wireshark 4.0 calls Accurate ECN (`tcp.flags.ae`).

import type { EmitContext, LayerSpec } from './encode.ts';
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
} from './layer.ts';
import { encodeTcpOptions, parseTcpOptions, type TcpOption, type TcpOptionInput } from './tcp-options.ts';
import { enclosingIp, enclosingIpSpec, insideIcmpError, segmentChecksum, segmentVerifies, type IpContext } from './udp.ts';
import { IP_PROTOCOL } from './ip-protocols.ts';
import { NetlabRangeError } from '../base/errors.ts';

// Byte ranges of the TCP header.
export const TCP_SRC_PORT = { start: 0, end: 2 } as const;
export const TCP_DST_PORT = { start: 2, end: 4 } as const;
export const TCP_SEQ = { start: 4, end: 8 } as const;
export const TCP_ACK = { start: 8, end: 12 } as const;
/** Data offset (4 bits), reserved (3 bits) and the 9 flag bits. */
export const TCP_OFFSET_FLAGS = { start: 12, end: 14 } as const;
export const TCP_WINDOW = { start: 14, end: 16 } as const;
export const TCP_CHECKSUM = { start: 16, end: 18 } as const;
export const TCP_URGENT = { start: 18, end: 20 } as const;
export const TCP_OPTIONS_START = 20;
export const TCP_MIN_HEADER_LEN = 20;
export const TCP_MAX_HEADER_LEN = 60;

/** Flag bits within the 12 bits after the data offset. */
export const TCP_FLAG = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  NS: 0x100,
  RESERVED: 0xe00,
} as const;

export interface TcpFlags {
  /** Bit 8: ECN nonce sum (RFC 3540), Accurate ECN in Wireshark 4.0. */
  ns: boolean;
  cwr: boolean;
  ece: boolean;
  urg: boolean;
  ack: boolean;
  psh: boolean;
  rst: boolean;
  syn: boolean;
  fin: boolean;
  /** The three reserved bits (0-7). */
  reserved: number;
  /** All 12 bits after the data offset, as a number. */
  raw: number;
}

/** The plain representation of a TCP header. */
export interface Tcp {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Data offset field, in 32-bit words. */
  dataOffset: number;
  /** Header length in bytes (dataOffset * 4). */
  headerLength: number;
  flags: TcpFlags;
  window: number;
  checksum: number;
  checksumStatus: ChecksumStatus;
  /** The value the checksum field should hold, when it was verified. */
  checksumComputed?: number;
  urgentPointer: number;
  options: TcpOption[];
  /** Absolute offset and length of the option bytes (as far as they are present). */
  optionsOffset: number;
  optionsLength: number;
  /**
   * Payload length the IP layer announces (header excluded), which may exceed the captured bytes;
   * undefined when the segment is shorter than its own header (Wireshark's "short segment").
   */
  segmentLength: number | undefined;
  /** Bytes of the header present: under 20 only inside an ICMP error's quoted datagram. */
  headerBytes: number;
  /** The data offset is under 5 words: Wireshark reports a bogus header length and stops there. */
  bogusHeaderLength: boolean;
}

function flagsOf(raw: number): TcpFlags {
  return {
    ns: (raw & TCP_FLAG.NS) !== 0,
    cwr: (raw & TCP_FLAG.CWR) !== 0,
    ece: (raw & TCP_FLAG.ECE) !== 0,
    urg: (raw & TCP_FLAG.URG) !== 0,
    ack: (raw & TCP_FLAG.ACK) !== 0,
    psh: (raw & TCP_FLAG.PSH) !== 0,
    rst: (raw & TCP_FLAG.RST) !== 0,
    syn: (raw & TCP_FLAG.SYN) !== 0,
    fin: (raw & TCP_FLAG.FIN) !== 0,
    reserved: (raw >>> 9) & 0x7,
    raw: raw & 0xfff,
  };
}

export const decodeTcp: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const b = ctx.frame;
  const avail = Math.max(end - offset, 0);
  const malformed: Malformation[] = [];
  const has = (r: { end: number }): boolean => r.end <= avail;
  const offsetFlags = has(TCP_OFFSET_FLAGS) ? u16(b, offset + TCP_OFFSET_FLAGS.start) : 0;
  const dataOffset = offsetFlags >>> 12;
  const value: Tcp = {
    srcPort: has(TCP_SRC_PORT) ? u16(b, offset) : 0,
    dstPort: has(TCP_DST_PORT) ? u16(b, offset + TCP_DST_PORT.start) : 0,
    seq: has(TCP_SEQ) ? u32(b, offset + TCP_SEQ.start) : 0,
    ack: has(TCP_ACK) ? u32(b, offset + TCP_ACK.start) : 0,
    dataOffset,
    headerLength: dataOffset * 4,
    flags: flagsOf(offsetFlags & 0xfff),
    window: has(TCP_WINDOW) ? u16(b, offset + TCP_WINDOW.start) : 0,
    checksum: has(TCP_CHECKSUM) ? u16(b, offset + TCP_CHECKSUM.start) : 0,
    checksumStatus: 'unverified',
    urgentPointer: has(TCP_URGENT) ? u16(b, offset + TCP_URGENT.start) : 0,
    options: [],
    optionsOffset: offset + TCP_OPTIONS_START,
    optionsLength: 0,
    segmentLength: undefined,
    headerBytes: Math.min(avail, TCP_MIN_HEADER_LEN),
    bogusHeaderLength: false,
  };
  const inError = insideIcmpError(ctx.layers);
  const stop = (length: number): DecodeStep => ({ layer: { kind: 'tcp', offset, length, value, malformed }, next: null, payloadOffset: end, payloadEnd: end });
  if (avail < TCP_MIN_HEADER_LEN) {
    // An ICMP error quotes only the first 8 bytes of the datagram: that is no malformation.
    if (!inError) malformed.push(malformation('tcp', end, `TCP header truncated: ${avail} of ${TCP_MIN_HEADER_LEN} bytes`));
    return stop(avail);
  }
  if (value.headerLength < TCP_MIN_HEADER_LEN) {
    value.bogusHeaderLength = true;
    return stop(TCP_MIN_HEADER_LEN);
  }
  const ipc = enclosingIp(ctx.layers);
  const reportedEnd = Math.max(ipc?.reportedEnd ?? end, end);
  const reportedLen = reportedEnd - offset;
  const hl = value.headerLength;
  if (hl <= reportedLen) value.segmentLength = reportedLen - hl;
  // Options as far as the announced header, the captured bytes and the IP payload allow.
  const optEnd = offset + Math.min(hl, avail);
  value.optionsLength = Math.max(optEnd - value.optionsOffset, 0);
  const parsed = parseTcpOptions(b, value.optionsOffset, optEnd);
  value.options = parsed.options;
  malformed.push(...parsed.malformed);
  if (hl > avail && !inError) {
    malformed.push(
      malformation(
        'tcp',
        end,
        hl > reportedLen ? `Short segment: the TCP header is ${hl} bytes but the segment only ${reportedLen}` : `TCP header truncated: ${avail} of ${hl} bytes`,
      ),
    );
  }
  value.checksumStatus = tcpChecksumStatus(ctx, ipc, value, offset, end, reportedLen, inError);
  const headerLen = Math.min(hl, avail);
  return {
    layer: { kind: 'tcp', offset, length: headerLen, value, malformed },
    next: null,
    payloadOffset: offset + headerLen,
    payloadEnd: end,
  };
};

function tcpChecksumStatus(
  ctx: DecodeContext,
  ipc: IpContext | undefined,
  value: Tcp,
  offset: number,
  end: number,
  reportedLen: number,
  inError: boolean,
): ChecksumStatus {
  if (!ctx.options.verifyChecksums || ipc === undefined || inError) return 'unverified';
  // All the bytes the IP layer announces must be there to verify.
  if (offset + reportedLen > end) return 'unverified';
  const ok = segmentVerifies(ipc.ip, IP_PROTOCOL.TCP, ctx.frame, offset, reportedLen);
  value.checksumComputed = segmentChecksum(ipc.ip, IP_PROTOCOL.TCP, ctx.frame.subarray(offset, offset + reportedLen), TCP_CHECKSUM.start);
  return ok ? 'good' : 'bad';
}

// ---------------------------------------------------------------------------------------------
// Builder

/** Flag letters as scapy writes them: F S R P A U E C N (N is bit 8, NS / Accurate ECN). */
const FLAG_LETTERS: Readonly<Record<string, number>> = {
  F: TCP_FLAG.FIN,
  S: TCP_FLAG.SYN,
  R: TCP_FLAG.RST,
  P: TCP_FLAG.PSH,
  A: TCP_FLAG.ACK,
  U: TCP_FLAG.URG,
  E: TCP_FLAG.ECE,
  C: TCP_FLAG.CWR,
  N: TCP_FLAG.NS,
};

export type TcpFlagsInput = string | number | Partial<Omit<TcpFlags, 'raw'>>;

/** The 12 flag bits of 'SA', 0x012 or {syn: true, ack: true}. */
export function tcpFlagBits(flags: TcpFlagsInput): number {
  if (typeof flags === 'number') return flags & 0xfff;
  if (typeof flags === 'string') {
    let bits = 0;
    for (const c of flags.toUpperCase()) {
      const bit = FLAG_LETTERS[c];
      if (bit === undefined) throw new NetlabRangeError(`tcp(): unknown flag letter '${c}' in '${flags}' (use F S R P A U E C N)`);
      bits |= bit;
    }
    return bits;
  }
  let bits = ((flags.reserved ?? 0) & 0x7) << 9;
  if (flags.ns) bits |= TCP_FLAG.NS;
  if (flags.cwr) bits |= TCP_FLAG.CWR;
  if (flags.ece) bits |= TCP_FLAG.ECE;
  if (flags.urg) bits |= TCP_FLAG.URG;
  if (flags.ack) bits |= TCP_FLAG.ACK;
  if (flags.psh) bits |= TCP_FLAG.PSH;
  if (flags.rst) bits |= TCP_FLAG.RST;
  if (flags.syn) bits |= TCP_FLAG.SYN;
  if (flags.fin) bits |= TCP_FLAG.FIN;
  return bits;
}

export interface TcpOptions {
  sport: number;
  dport: number;
  /** Default 0. */
  seq?: number;
  /** Default 0. */
  ack?: number;
  /** 'S', 'SA', 'PA', 'FA', 'R'..., the 12 bits as a number, or an object. Default 'S' (as scapy). */
  flags?: TcpFlagsInput;
  /** Default 8192 (as scapy). */
  window?: number;
  options?: readonly TcpOptionInput[];
  /** Checksum field; default computed over the pseudo-header of the enclosing IP layer. */
  checksum?: number;
  /** Data offset in 32-bit words; default from the options. */
  dataOffset?: number;
  urgentPointer?: number;
}

export interface TcpSpec extends LayerSpec {
  readonly kind: 'tcp';
  readonly options: TcpOptions;
}

/** A TCP layer: `encode([ethernet(..), ipv4(..), tcp({sport: 40000, dport: 80, flags: 'S'})])`. */
export function tcp(options: TcpOptions): TcpSpec {
  const optionBytes = encodeTcpOptions(options.options ?? []);
  return {
    kind: 'tcp',
    options,
    emit(payload: Uint8Array, ctx: EmitContext): Uint8Array {
      const headerLength = TCP_MIN_HEADER_LEN + optionBytes.length;
      const out = new Uint8Array(headerLength + payload.length);
      put16(out, TCP_SRC_PORT.start, options.sport);
      put16(out, TCP_DST_PORT.start, options.dport);
      put32(out, TCP_SEQ.start, options.seq ?? 0);
      put32(out, TCP_ACK.start, options.ack ?? 0);
      const dataOffset = options.dataOffset ?? headerLength / 4;
      put16(out, TCP_OFFSET_FLAGS.start, ((dataOffset & 0xf) << 12) | tcpFlagBits(options.flags ?? 'S'));
      put16(out, TCP_WINDOW.start, options.window ?? 8192);
      put16(out, TCP_URGENT.start, options.urgentPointer ?? 0);
      out.set(optionBytes, TCP_OPTIONS_START);
      out.set(payload, headerLength);
      const checksum = options.checksum ?? segmentChecksum(enclosingIpSpec(ctx), IP_PROTOCOL.TCP, out, TCP_CHECKSUM.start);
      put16(out, TCP_CHECKSUM.start, checksum);
      return out;
    },
  };
}

// IPv4 (RFC 791).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version|  IHL  |   DSCP    |ECN|          Total Length         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Identification        |R|D|M|     Fragment Offset     |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Time to Live |    Protocol   |         Header Checksum       |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                       Source Address                          |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Destination Address                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Options (IHL*4 - 20 bytes)                 |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The decoded layer's payload ends at offset + Total Length, so Ethernet padding after a short
// datagram is never payload. A fragment (MF set or offset > 0) hands its payload on as data; whole
// datagrams come out of ipv4-reassembly.ts.
//
// Pseudo-header contract (for TCP, UDP and other builders that checksum over the IP addresses):
// the spec returned by ipv4() is a PseudoHeaderSource (src/wire/checksum.ts): it exposes
// `version: 4` and the resolved 4-byte `src` and `dst` addresses, fixed when ipv4() is called
// (whatever form the user gave them in). An inner builder finds it with
//   const ip = nearestSpec<Ipv4Spec | Ipv6Spec>(ctx.outer, 'ipv4', 'ipv6');
// and checksums with transportChecksum(ip, protocolNumber, segment). ipv6() exposes the same three
// properties with `version: 6` and 16-byte addresses. The IP builder does not touch its payload: the
// upper layer fills its own checksum from these addresses and its own length.

import { foldSum, internetChecksum, onesSum, type PseudoHeaderSource } from './checksum.ts';
import type { EmitContext, LayerSpec } from './encode.ts';
import { encodeIpv4Options, parseIpv4Options, type Ipv4Option } from './ipv4-options.ts';
import {
  malformation,
  put16,
  u16,
  type ChecksumStatus,
  type DecodeContext,
  type DecodeStep,
  type LayerDecoder,
  type Malformation,
  copyBytes,
} from './layer.ts';
import { IP_PROTOCOL } from './ip-protocols.ts';
import { parseIpv4OrThrow as parseIpv4Address } from './address-text.ts';
import { NetlabRangeError } from '../base/errors.ts';

// Byte ranges of the fixed header.
export const IPV4_VER_IHL = 0;
export const IPV4_DSCP_ECN = 1;
export const IPV4_TOTAL_LENGTH = { start: 2, end: 4 } as const;
export const IPV4_ID = { start: 4, end: 6 } as const;
export const IPV4_FLAGS_FRAG = { start: 6, end: 8 } as const;
export const IPV4_TTL = 8;
export const IPV4_PROTOCOL = 9;
export const IPV4_CHECKSUM = { start: 10, end: 12 } as const;
export const IPV4_SRC = { start: 12, end: 16 } as const;
export const IPV4_DST = { start: 16, end: 20 } as const;
export const IPV4_OPTIONS_START = 20;
export const IPV4_MIN_HEADER_LEN = 20;
export const IPV4_MAX_HEADER_LEN = 60;
export const IPV4_MAX_TOTAL_LENGTH = 65535;

/** Flag bits in the 3-bit flags field (as the top bits of bytes 6..7 shifted down by 13). */
export const IPV4_FLAG = { RESERVED: 0b100, DF: 0b010, MF: 0b001 } as const;

export { IP_PROTOCOL } from './ip-protocols.ts';

/**
 * The decoder kind for an upper-layer protocol number, or null (data). Protocol 4 (IP in IP) gives
 * 'ip': a packet of either version, told apart by its version nibble.
 */
export function ipProtocolKind(protocol: number): string | null {
  switch (protocol) {
    case IP_PROTOCOL.ICMP:
      return 'icmp';
    case IP_PROTOCOL.TCP:
      return 'tcp';
    case IP_PROTOCOL.UDP:
      return 'udp';
    case IP_PROTOCOL.ICMPV6:
      return 'icmpv6';
    case IP_PROTOCOL.IPV4:
      // IP in IP: the version nibble says which (Wireshark's `ip` dissector sniffs it too).
      return 'ip';
    case IP_PROTOCOL.IPV6:
      return 'ipv6';
    case IP_PROTOCOL.AH:
      return 'ah';
    default:
      return null;
  }
}

/** The protocol number that announces a layer spec (builders fill `protocol` from it), or undefined. */
export function protocolOfSpec(spec: LayerSpec | undefined): number | undefined {
  switch (spec?.kind) {
    case 'icmp':
      return IP_PROTOCOL.ICMP;
    case 'tcp':
      return IP_PROTOCOL.TCP;
    case 'udp':
      return IP_PROTOCOL.UDP;
    case 'icmpv6':
      return IP_PROTOCOL.ICMPV6;
    case 'ipv4':
      return IP_PROTOCOL.IPV4;
    case 'ipv6':
      return IP_PROTOCOL.IPV6;
    case 'ipv6-hopopts':
      return IP_PROTOCOL.HOPOPTS;
    case 'ipv6-routing':
      return IP_PROTOCOL.ROUTING;
    case 'ipv6-fragment':
      return IP_PROTOCOL.FRAGMENT;
    case 'ipv6-dstopts':
      return IP_PROTOCOL.DSTOPTS;
    default:
      return undefined;
  }
}

/** The plain representation of an IPv4 header. */
export interface Ipv4 {
  version: number;
  /** Header length in 32-bit words. */
  ihl: number;
  dscp: number;
  ecn: number;
  totalLength: number;
  id: number;
  /** The 3 flag bits (reserved, DF, MF) as a number 0-7. */
  flags: number;
  reserved: boolean;
  df: boolean;
  mf: boolean;
  /** Fragment offset in 8-byte units, as on the wire (bytes = fragmentOffset * 8). */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  checksumStatus: ChecksumStatus;
  /** The checksum the header should carry (computed with the field as zero), when verified. */
  checksumComputed?: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** Option bytes as on the wire (IHL*4 - 20 bytes, including padding). */
  optionsBytes: Uint8Array;
  options: Ipv4Option[];
}

/** True when the datagram is a fragment (more fragments follow, or it is not the first). */
export function isFragment(ip: Pick<Ipv4, 'mf' | 'fragmentOffset'>): boolean {
  return ip.mf || ip.fragmentOffset > 0;
}

/** The IPv4 decoder. Decodes as far as the bytes allow; the payload ends at Total Length. */
export const decodeIpv4: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const b = ctx.frame;
  const avail = end - offset;
  const malformed: Malformation[] = [];
  const value = avail >= IPV4_MIN_HEADER_LEN ? wholeHeader(b, offset) : partialHeader(b, offset, end);
  if (avail < 1) return stopAt(value, malformed, offset, 0, 'IPv4 header missing', offset);
  if (value.version === 6) {
    // An IPv6 packet where IPv4 was announced: Wireshark reports the bogus version, then decodes IPv6.
    malformed.push(malformation('ipv4', offset, 'Bogus IPv4 version (6, must be 4)'));
    return { layer: { kind: 'ipv4', offset, length: 1, value, malformed }, next: 'ipv6', payloadOffset: offset, payloadEnd: end };
  }
  if (value.version !== 4) return stopAt(value, malformed, offset, 1, `Bogus IPv4 version (${value.version}, must be 4)`, offset);
  const headerLength = value.ihl * 4;
  if (headerLength < IPV4_MIN_HEADER_LEN) {
    return stopAt(value, malformed, offset, Math.min(avail, 1), `Bogus IP header length (${headerLength}, must be at least ${IPV4_MIN_HEADER_LEN})`, offset);
  }
  if (avail < headerLength) {
    return stopAt(value, malformed, offset, avail, `IPv4 header truncated: ${avail} of ${headerLength} bytes`, end);
  }
  // Total Length 0 is what TCP segmentation offload leaves in captures: use the bytes there are.
  const totalLength = value.totalLength === 0 ? avail : value.totalLength;
  if (totalLength < headerLength) {
    return stopAt(
      value,
      malformed,
      offset,
      headerLength,
      `Bogus IP length (${value.totalLength}, less than header length ${headerLength})`,
      offset + IPV4_TOTAL_LENGTH.start,
    );
  }
  if (headerLength > IPV4_MIN_HEADER_LEN) {
    value.optionsBytes = copyBytes(b, offset + IPV4_OPTIONS_START, offset + headerLength);
    const parsed = parseIpv4Options(b, offset + IPV4_OPTIONS_START, offset + headerLength);
    value.options = parsed.options;
    malformed.push(...parsed.malformed);
  }
  if (ctx.options.verifyChecksums) {
    // The sum of the header without its checksum field, then with it: a header that holds a correct
    // checksum sums to 0 (complemented 0xffff); the computed checksum is the complement of the rest.
    const rest = onesSum(b, offset + IPV4_CHECKSUM.end, headerLength - IPV4_CHECKSUM.end, onesSum(b, offset, IPV4_CHECKSUM.start));
    value.checksumStatus = (~foldSum(rest + value.checksum) & 0xffff) === 0 ? 'good' : 'bad';
    value.checksumComputed = ~foldSum(rest) & 0xffff;
  }
  const payloadEnd = offset + Math.min(totalLength, avail);
  const next = isFragment(value) ? null : ipProtocolKind(value.protocol);
  return { layer: { kind: 'ipv4', offset, length: headerLength, value, malformed }, next, payloadOffset: offset + headerLength, payloadEnd };
};

/** Shared by every header without options: a zero-length array holds nothing to share. */
const NO_OPTION_BYTES = new Uint8Array(0);

/** The fixed header's fields when all 20 bytes are there (the common case: no bounds checks). */
function wholeHeader(b: Uint8Array, offset: number): Ipv4 {
  const vi = b[offset];
  const ds = b[offset + IPV4_DSCP_ECN];
  const flagsFrag = u16(b, offset + IPV4_FLAGS_FRAG.start);
  const flags = flagsFrag >>> 13;
  return {
    version: vi >>> 4,
    ihl: vi & 0x0f,
    dscp: ds >>> 2,
    ecn: ds & 0x03,
    totalLength: u16(b, offset + IPV4_TOTAL_LENGTH.start),
    id: u16(b, offset + IPV4_ID.start),
    flags,
    reserved: (flags & IPV4_FLAG.RESERVED) !== 0,
    df: (flags & IPV4_FLAG.DF) !== 0,
    mf: (flags & IPV4_FLAG.MF) !== 0,
    fragmentOffset: flagsFrag & 0x1fff,
    ttl: b[offset + IPV4_TTL],
    protocol: b[offset + IPV4_PROTOCOL],
    checksum: u16(b, offset + IPV4_CHECKSUM.start),
    checksumStatus: 'unverified',
    src: copyBytes(b, offset + IPV4_SRC.start, offset + IPV4_SRC.end),
    dst: copyBytes(b, offset + IPV4_DST.start, offset + IPV4_DST.end),
    optionsBytes: NO_OPTION_BYTES,
    options: [],
  };
}

/** The fixed header's fields from fewer than 20 bytes: what is missing reads as 0 (or is cut short). */
function partialHeader(b: Uint8Array, offset: number, end: number): Ipv4 {
  const at = (i: number): number => (offset + i < end ? b[offset + i] : 0);
  const word = (i: number): number => (offset + i + 1 < end ? u16(b, offset + i) : 0);
  const addr = (r: { start: number; end: number }): Uint8Array => copyBytes(b, offset + r.start, Math.min(offset + r.end, end));
  const flagsFrag = word(IPV4_FLAGS_FRAG.start);
  const flags = flagsFrag >>> 13;
  return {
    version: at(IPV4_VER_IHL) >>> 4,
    ihl: at(IPV4_VER_IHL) & 0x0f,
    dscp: at(IPV4_DSCP_ECN) >>> 2,
    ecn: at(IPV4_DSCP_ECN) & 0x03,
    totalLength: word(IPV4_TOTAL_LENGTH.start),
    id: word(IPV4_ID.start),
    flags,
    reserved: (flags & IPV4_FLAG.RESERVED) !== 0,
    df: (flags & IPV4_FLAG.DF) !== 0,
    mf: (flags & IPV4_FLAG.MF) !== 0,
    fragmentOffset: flagsFrag & 0x1fff,
    ttl: at(IPV4_TTL),
    protocol: at(IPV4_PROTOCOL),
    checksum: word(IPV4_CHECKSUM.start),
    checksumStatus: 'unverified',
    src: addr(IPV4_SRC),
    dst: addr(IPV4_DST),
    optionsBytes: NO_OPTION_BYTES,
    options: [],
  };
}

/** Ends decoding at a bad header: the layer covers `length` bytes and nothing follows it. */
function stopAt(value: Ipv4, malformed: Malformation[], offset: number, length: number, reason: string, at: number): DecodeStep {
  malformed.push(malformation('ipv4', at, reason));
  return { layer: { kind: 'ipv4', offset, length, value, malformed }, next: null, payloadOffset: offset + length, payloadEnd: offset + length };
}

// ---------------------------------------------------------------------------------------------
// Addresses

export { parseIpv4OrThrow as parseIpv4Address } from './address-text.ts';

/** An IPv4 address given as text or bytes, as 4 bytes (a copy). */
export function ipv4Bytes(addr: string | Uint8Array): Uint8Array {
  if (typeof addr === 'string') return parseIpv4Address(addr);
  if (addr.length !== 4) throw new NetlabRangeError(`an IPv4 address has 4 bytes, got ${addr.length}`);
  return Uint8Array.from(addr);
}

// ---------------------------------------------------------------------------------------------
// Builder

export interface Ipv4Options {
  src: string | Uint8Array;
  dst: string | Uint8Array;
  /** Default 64. */
  ttl?: number;
  /** Default 0. */
  id?: number;
  dscp?: number;
  ecn?: number;
  /** The 3 flag bits as a number (reserved 4, DF 2, MF 1); overrides df/mf/reserved when set. */
  flags?: number;
  df?: boolean;
  mf?: boolean;
  /** The reserved ("evil") bit. */
  reserved?: boolean;
  /** Fragment offset in 8-byte units, as on the wire. */
  fragmentOffset?: number;
  /** Protocol number; default from the inner layer (tcp 6, udp 17, icmp 1, icmpv6 58...). */
  protocol?: number;
  /** Default: header + payload length. */
  totalLength?: number;
  /** Header length in 32-bit words; default from the options' length. */
  ihl?: number;
  /** A number is used as is (even if wrong); 'recompute' or unset computes it. */
  checksum?: number | 'recompute';
  /** Option bytes (one array, or a list of options from ipv4Option.*); padded to 4 with EOL. */
  options?: Uint8Array | readonly Uint8Array[];
  /** Version nibble; default 4 (set it to make a bogus packet). */
  version?: number;
}

export interface Ipv4Spec extends LayerSpec, PseudoHeaderSource {
  readonly kind: 'ipv4';
  readonly version: 4;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly options: Ipv4Options;
}

/** An IPv4 layer: every length, the protocol number and the checksum are filled unless set. */
export function ipv4(options: Ipv4Options): Ipv4Spec {
  const src = ipv4Bytes(options.src);
  const dst = ipv4Bytes(options.dst);
  const optionBytes = options.options === undefined ? new Uint8Array(0) : encodeIpv4Options(options.options);
  return {
    kind: 'ipv4',
    version: 4,
    src,
    dst,
    options,
    emit(payload: Uint8Array, ctx: EmitContext): Uint8Array {
      const headerLength = IPV4_MIN_HEADER_LEN + optionBytes.length;
      const protocol = options.protocol ?? protocolOfSpec(ctx.inner[0]);
      if (protocol === undefined) {
        throw new NetlabRangeError(`ipv4(): cannot infer the protocol number of a '${ctx.inner[0]?.kind ?? 'missing'}' payload; set the protocol option`);
      }
      const flags = options.flags ?? (options.reserved ? IPV4_FLAG.RESERVED : 0) | (options.df ? IPV4_FLAG.DF : 0) | (options.mf ? IPV4_FLAG.MF : 0);
      const out = new Uint8Array(headerLength + payload.length);
      out[IPV4_VER_IHL] = (((options.version ?? 4) & 0x0f) << 4) | ((options.ihl ?? headerLength / 4) & 0x0f);
      out[IPV4_DSCP_ECN] = (((options.dscp ?? 0) & 0x3f) << 2) | ((options.ecn ?? 0) & 0x03);
      put16(out, IPV4_TOTAL_LENGTH.start, options.totalLength ?? Math.min(out.length, IPV4_MAX_TOTAL_LENGTH));
      put16(out, IPV4_ID.start, options.id ?? 0);
      put16(out, IPV4_FLAGS_FRAG.start, ((flags & 0x7) << 13) | ((options.fragmentOffset ?? 0) & 0x1fff));
      out[IPV4_TTL] = options.ttl ?? 64;
      out[IPV4_PROTOCOL] = protocol;
      out.set(src, IPV4_SRC.start);
      out.set(dst, IPV4_DST.start);
      out.set(optionBytes, IPV4_OPTIONS_START);
      const checksum = typeof options.checksum === 'number' ? options.checksum : internetChecksum(out, 0, headerLength);
      put16(out, IPV4_CHECKSUM.start, checksum);
      out.set(payload, headerLength);
      return out;
    },
  };
}

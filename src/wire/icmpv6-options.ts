// Neighbor Discovery options (RFC 4861 §4.6, RFC 8106 RDNSS/DNSSL, RFC 6275 §7.3-7.4): the type-
// length-value list after ND messages. Length is in units of 8 bytes, type and length included.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Type      |    Length     |              ...              |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// A zero length (which would loop forever) or one that runs past the message is a malformation:
// parsing stops there.

import { concatBytes, malformation, put32, u16, u32, type Malformation, copyBytes } from './layer.ts';

export const ND_OPTION = {
  SOURCE_LINK_ADDR: 1,
  TARGET_LINK_ADDR: 2,
  PREFIX_INFO: 3,
  REDIRECTED_HEADER: 4,
  MTU: 5,
  ADVERTISEMENT_INTERVAL: 7,
  HOME_AGENT_INFO: 8,
  RDNSS: 25,
  DNSSL: 31,
} as const;

interface NdOptionBase {
  type: number;
  /** The length field, in units of 8 bytes. */
  length: number;
  /** Absolute offset of the type byte. */
  offset: number;
}

export interface NdLinkAddrOption extends NdOptionBase {
  kind: 'source-link-addr' | 'target-link-addr';
  /** The link-layer address (6 bytes for Ethernet; whatever the option holds otherwise). */
  address: Uint8Array;
}

export interface NdPrefixOption extends NdOptionBase {
  kind: 'prefix-info';
  prefixLength: number;
  /** The flag byte: L 0x80, A 0x40, R 0x20. */
  flags: number;
  validLifetime: number;
  preferredLifetime: number;
  prefix: Uint8Array;
}

export interface NdMtuOption extends NdOptionBase {
  kind: 'mtu';
  mtu: number;
}

export interface NdAdvIntervalOption extends NdOptionBase {
  kind: 'advertisement-interval';
  interval: number;
}

export interface NdHomeAgentOption extends NdOptionBase {
  kind: 'home-agent-info';
  preference: number;
  lifetime: number;
}

export interface NdRdnssOption extends NdOptionBase {
  kind: 'rdnss';
  lifetime: number;
  servers: Uint8Array[];
}

export interface NdDnsslOption extends NdOptionBase {
  kind: 'dnssl';
  lifetime: number;
  /** The domain names, dotted, and the absolute offset/length of each encoded name. */
  domains: { name: string; offset: number; length: number }[];
  /** Absolute offset of the zero padding after the names, and its length. */
  paddingOffset: number;
  paddingLength: number;
}

/** Any other option, or a known one too short for its fields: kept as its data bytes. */
export interface NdRawOption extends NdOptionBase {
  kind: 'raw';
  data: Uint8Array;
}

export type NdOption = NdLinkAddrOption | NdPrefixOption | NdMtuOption | NdAdvIntervalOption | NdHomeAgentOption | NdRdnssOption | NdDnsslOption | NdRawOption;

export interface ParsedNdOptions {
  options: NdOption[];
  malformed: Malformation[];
}

/** Parses ND options in frame bytes [start, end). Never reads past end, never throws. */
export function parseNdOptions(b: Uint8Array, start: number, end: number): ParsedNdOptions {
  const options: NdOption[] = [];
  const malformed: Malformation[] = [];
  let p = start;
  while (p < end) {
    if (p + 2 > end) {
      malformed.push(malformation('icmpv6', p, `ND option truncated: ${end - p} byte(s) left`));
      break;
    }
    const type = b[p];
    const length = b[p + 1];
    if (length === 0) {
      malformed.push(malformation('icmpv6', p + 1, `ND option ${type} has length 0`));
      break;
    }
    const size = length * 8;
    if (p + size > end) {
      malformed.push(malformation('icmpv6', p + 1, `ND option ${type} length ${size} runs past the message (${end - p} bytes left)`));
      break;
    }
    options.push(parseOne(b, type, length, p));
    p += size;
  }
  return { options, malformed };
}

function parseOne(b: Uint8Array, type: number, length: number, p: number): NdOption {
  const size = length * 8;
  const base = { type, length, offset: p };
  const raw = (): NdRawOption => ({ ...base, kind: 'raw', data: copyBytes(b, p + 2, p + size) });
  switch (type) {
    case ND_OPTION.SOURCE_LINK_ADDR:
    case ND_OPTION.TARGET_LINK_ADDR: {
      // Ethernet: 6 address bytes after type and length (RFC 2464 §8); the rest is padding.
      const n = size === 8 ? 6 : size - 2;
      return { ...base, kind: type === 1 ? 'source-link-addr' : 'target-link-addr', address: copyBytes(b, p + 2, p + 2 + n) };
    }
    case ND_OPTION.PREFIX_INFO:
      if (size < 32) return raw();
      return {
        ...base,
        kind: 'prefix-info',
        prefixLength: b[p + 2],
        flags: b[p + 3],
        validLifetime: u32(b, p + 4),
        preferredLifetime: u32(b, p + 8),
        prefix: copyBytes(b, p + 16, p + 32),
      };
    case ND_OPTION.MTU:
      return { ...base, kind: 'mtu', mtu: u32(b, p + 4) };
    case ND_OPTION.ADVERTISEMENT_INTERVAL:
      return { ...base, kind: 'advertisement-interval', interval: u32(b, p + 4) };
    case ND_OPTION.HOME_AGENT_INFO:
      return { ...base, kind: 'home-agent-info', preference: u16(b, p + 4), lifetime: u16(b, p + 6) };
    case ND_OPTION.RDNSS: {
      const servers: Uint8Array[] = [];
      for (let q = p + 8; q + 16 <= p + size; q += 16) servers.push(copyBytes(b, q, q + 16));
      return { ...base, kind: 'rdnss', lifetime: u32(b, p + 4), servers };
    }
    case ND_OPTION.DNSSL:
      return parseDnssl(b, base, p, size);
    default:
      return raw();
  }
}

function parseDnssl(b: Uint8Array, base: NdOptionBase, p: number, size: number): NdDnsslOption {
  const end = p + size;
  const domains: NdDnsslOption['domains'] = [];
  let q = p + 8;
  // Each name is a sequence of labels ending with a zero label; zero bytes after the last name pad.
  while (q < end && b[q] !== 0) {
    const start = q;
    const labels: string[] = [];
    while (q < end && b[q] !== 0) {
      const n = b[q];
      if (q + 1 + n > end) {
        q = end;
        break;
      }
      labels.push(String.fromCharCode(...b.subarray(q + 1, q + 1 + n)));
      q += 1 + n;
    }
    if (q < end) q++; // the zero label
    domains.push({ name: labels.join('.'), offset: start, length: q - start });
  }
  return { ...base, kind: 'dnssl', lifetime: u32(b, p + 4), domains, paddingOffset: q, paddingLength: end - q };
}

// ---------------------------------------------------------------------------------------------
// Emitting

/**
 * An ND option for the icmpv6() builder: {sourceLinkAddr}, {targetLinkAddr}, {prefix...}, {mtu},
 * or a raw {type, data, length?} (data padded to 8-byte units; length may be wrong on purpose).
 */
export type NdOptionInput =
  | { sourceLinkAddr: Uint8Array }
  | { targetLinkAddr: Uint8Array }
  | { prefix: Uint8Array; prefixLength: number; flags?: number; validLifetime?: number; preferredLifetime?: number }
  | { mtu: number }
  | { type: number; data: Uint8Array; length?: number };

function option(type: number, body: Uint8Array, length?: number): Uint8Array {
  const size = Math.ceil((body.length + 2) / 8) * 8;
  const out = new Uint8Array(size);
  out[0] = type;
  out[1] = length ?? size / 8;
  out.set(body, 2);
  return out;
}

export function encodeNdOption(o: NdOptionInput): Uint8Array {
  if ('sourceLinkAddr' in o) return option(ND_OPTION.SOURCE_LINK_ADDR, o.sourceLinkAddr);
  if ('targetLinkAddr' in o) return option(ND_OPTION.TARGET_LINK_ADDR, o.targetLinkAddr);
  if ('prefix' in o) {
    const body = new Uint8Array(30);
    body[0] = o.prefixLength;
    body[1] = o.flags ?? 0xc0;
    put32(body, 2, o.validLifetime ?? 2592000);
    put32(body, 6, o.preferredLifetime ?? 604800);
    body.set(o.prefix.subarray(0, 16), 14);
    return option(ND_OPTION.PREFIX_INFO, body);
  }
  if ('mtu' in o) {
    const body = new Uint8Array(6);
    put32(body, 2, o.mtu);
    return option(ND_OPTION.MTU, body);
  }
  return option(o.type, o.data, o.length);
}

export function encodeNdOptions(options: readonly NdOptionInput[]): Uint8Array {
  return concatBytes(options.map(encodeNdOption));
}

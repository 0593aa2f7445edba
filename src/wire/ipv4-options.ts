// IPv4 options (RFC 791 §3.1, RFC 2113 router alert): the bytes between the fixed 20-byte header and
// IHL*4. Each option is either a single type byte (EOL 0, NOP 1) or type, length, data:
//
//   +--------+--------+--------...
//   |  type  | length |  data (length - 2 bytes)
//   +--------+--------+--------...
//    type = copied (1 bit) | class (2 bits) | number (5 bits)
//
// Parsing stops at EOL (what follows is padding) or at the first option whose length does not fit,
// which is reported as a malformation. Known options are parsed into their meaning; any other option
// is kept raw, so that every option survives a decode/encode round trip byte for byte.

import { malformation, u16, u32, type Malformation, copyBytes } from './layer.ts';
import { NetlabRangeError } from '../base/errors.ts';

export const IPV4_OPTION = {
  EOL: 0,
  NOP: 1,
  RECORD_ROUTE: 7,
  TIMESTAMP: 68,
  SECURITY: 130,
  LOOSE_SOURCE_ROUTE: 131,
  CIPSO: 134,
  STREAM_ID: 136,
  STRICT_SOURCE_ROUTE: 137,
  ROUTER_ALERT: 148,
} as const;

// Byte ranges inside one type-length-value option.
export const OPT_TYPE = 0;
export const OPT_LENGTH = 1;
/** Route options: pointer, then 4-byte addresses. Timestamp: pointer, overflow|flag, then entries. */
export const OPT_POINTER = 2;
export const OPT_ROUTE_DATA = 3;
export const OPT_TS_OFLW_FLAG = 3;
export const OPT_TS_DATA = 4;

interface OptionBase {
  /** The option's type byte. */
  type: number;
  /** Absolute offset of the type byte in the frame, and the option's length in bytes. */
  offset: number;
  length: number;
  /** The option's bytes as on the wire. */
  raw: Uint8Array;
}

export interface Ipv4OptionEol extends OptionBase {
  kind: 'eol';
}
export interface Ipv4OptionNop extends OptionBase {
  kind: 'nop';
}
/** Record route (7), loose source route (131), strict source route (137). */
export interface Ipv4OptionRoute extends OptionBase {
  kind: 'route';
  pointer: number;
  addresses: Uint8Array[];
}
export interface Ipv4OptionTimestamp extends OptionBase {
  kind: 'timestamp';
  pointer: number;
  overflow: number;
  /** 0 timestamps only, 1 address + timestamp, 3 prespecified addresses. */
  flag: number;
  entries: { address?: Uint8Array; timestamp: number }[];
}
export interface Ipv4OptionRouterAlert extends OptionBase {
  kind: 'router-alert';
  value: number;
}
export interface Ipv4OptionUnknown extends OptionBase {
  kind: 'unknown';
  /** The data after type and length. */
  data: Uint8Array;
}

export type Ipv4Option = Ipv4OptionEol | Ipv4OptionNop | Ipv4OptionRoute | Ipv4OptionTimestamp | Ipv4OptionRouterAlert | Ipv4OptionUnknown;

export interface ParsedIpv4Options {
  options: Ipv4Option[];
  malformed: Malformation[];
}

/** Parses the options in frame bytes [start, end). Never throws. */
export function parseIpv4Options(b: Uint8Array, start: number, end: number): ParsedIpv4Options {
  const options: Ipv4Option[] = [];
  const malformed: Malformation[] = [];
  let off = start;
  while (off < end) {
    const type = b[off];
    if (type === IPV4_OPTION.EOL || type === IPV4_OPTION.NOP) {
      const base = { type, offset: off, length: 1, raw: copyBytes(b, off, off + 1) };
      options.push(type === IPV4_OPTION.EOL ? { ...base, kind: 'eol' } : { ...base, kind: 'nop' });
      off++;
      if (type === IPV4_OPTION.EOL) break;
      continue;
    }
    if (off + 1 >= end) {
      malformed.push(malformation('ipv4', off, `IPv4 option ${type} has no length byte`));
      break;
    }
    const length = b[off + OPT_LENGTH];
    if (length < 2 || off + length > end) {
      malformed.push(malformation('ipv4', off + OPT_LENGTH, `IPv4 option ${type} length ${length} does not fit in the ${end - off} option bytes left`));
      break;
    }
    options.push(parseOne(b, type, off, length));
    off += length;
  }
  return { options, malformed };
}

function parseOne(b: Uint8Array, type: number, off: number, length: number): Ipv4Option {
  const base = { type, offset: off, length, raw: copyBytes(b, off, off + length) };
  switch (type) {
    case IPV4_OPTION.RECORD_ROUTE:
    case IPV4_OPTION.LOOSE_SOURCE_ROUTE:
    case IPV4_OPTION.STRICT_SOURCE_ROUTE:
      if (length >= 3) {
        const addresses: Uint8Array[] = [];
        for (let a = off + OPT_ROUTE_DATA; a + 4 <= off + length; a += 4) addresses.push(copyBytes(b, a, a + 4));
        return { ...base, kind: 'route', pointer: b[off + OPT_POINTER], addresses };
      }
      break;
    case IPV4_OPTION.TIMESTAMP:
      if (length >= 4) {
        const flag = b[off + OPT_TS_OFLW_FLAG] & 0x0f;
        const withAddress = flag === 1 || flag === 3;
        const step = withAddress ? 8 : 4;
        const entries: { address?: Uint8Array; timestamp: number }[] = [];
        for (let e = off + OPT_TS_DATA; e + step <= off + length; e += step) {
          entries.push(withAddress ? { address: copyBytes(b, e, e + 4), timestamp: u32(b, e + 4) } : { timestamp: u32(b, e) });
        }
        return { ...base, kind: 'timestamp', pointer: b[off + OPT_POINTER], overflow: b[off + OPT_TS_OFLW_FLAG] >>> 4, flag, entries };
      }
      break;
    case IPV4_OPTION.ROUTER_ALERT:
      if (length === 4) return { ...base, kind: 'router-alert', value: u16(b, off + 2) };
      break;
  }
  return { ...base, kind: 'unknown', data: copyBytes(b, off + 2, off + length) };
}

// ---------------------------------------------------------------------------------------------
// Builders: each returns one option's bytes; pass a list of them as ipv4({ options: [...] }).

function tlv(type: number, data: Uint8Array): Uint8Array {
  if (data.length + 2 > 40) throw new NetlabRangeError(`IPv4 option ${type} too long: ${data.length + 2} bytes (options hold at most 40)`);
  const out = new Uint8Array(data.length + 2);
  out[0] = type;
  out[1] = data.length + 2;
  out.set(data, 2);
  return out;
}

function routeOption(type: number, addresses: readonly Uint8Array[], pointer?: number): Uint8Array {
  const data = new Uint8Array(1 + addresses.length * 4);
  data[0] = pointer ?? 4;
  addresses.forEach((a, i) => data.set(a.subarray(0, 4), 1 + i * 4));
  return tlv(type, data);
}

export const ipv4Option = {
  eol: (): Uint8Array => Uint8Array.of(IPV4_OPTION.EOL),
  nop: (): Uint8Array => Uint8Array.of(IPV4_OPTION.NOP),
  /** Router alert (RFC 2113); 0 = "router shall examine packet". */
  routerAlert: (value = 0): Uint8Array => tlv(IPV4_OPTION.ROUTER_ALERT, Uint8Array.of(value >>> 8, value & 0xff)),
  /** Record route with room for `slots` addresses, the first ones already recorded. */
  recordRoute: (slots: number, recorded: readonly Uint8Array[] = []): Uint8Array => {
    const addrs = Array.from({ length: slots }, (_, i) => recorded[i] ?? new Uint8Array(4));
    return routeOption(IPV4_OPTION.RECORD_ROUTE, addrs, 4 + recorded.length * 4);
  },
  looseSourceRoute: (addresses: readonly Uint8Array[], pointer?: number): Uint8Array => routeOption(IPV4_OPTION.LOOSE_SOURCE_ROUTE, addresses, pointer),
  strictSourceRoute: (addresses: readonly Uint8Array[], pointer?: number): Uint8Array => routeOption(IPV4_OPTION.STRICT_SOURCE_ROUTE, addresses, pointer),
  /** Timestamp option with `slots` 4-byte timestamps (flag 0), the first ones filled. */
  timestamp: (slots: number, stamps: readonly number[] = []): Uint8Array => {
    const data = new Uint8Array(2 + slots * 4);
    data[0] = 5 + stamps.length * 4;
    data[1] = 0;
    stamps.forEach((t, i) => {
      const o = 2 + i * 4;
      data[o] = (t >>> 24) & 0xff;
      data[o + 1] = (t >>> 16) & 0xff;
      data[o + 2] = (t >>> 8) & 0xff;
      data[o + 3] = t & 0xff;
    });
    return tlv(IPV4_OPTION.TIMESTAMP, data);
  },
  /** Any option, raw: type plus data (length is computed). */
  raw: (type: number, data: Uint8Array = new Uint8Array(0)): Uint8Array => tlv(type, data),
};

/** Concatenates options and pads them with EOL (zero) bytes to a multiple of 4. */
export function encodeIpv4Options(options: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const parts = options instanceof Uint8Array ? [options] : options;
  let n = 0;
  for (const p of parts) n += p.length;
  const padded = (n + 3) & ~3;
  if (padded > 40) throw new NetlabRangeError(`IPv4 options take ${padded} bytes; the header holds at most 40`);
  const out = new Uint8Array(padded);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// IPv6 extension headers (RFC 8200 §4), each its own layer:
//   'ipv6-hopopts'  hop-by-hop options (next header 0, only right after the fixed header)
//   'ipv6-routing'  routing header (43)
//   'ipv6-fragment' fragment header (44)
//   'ipv6-dstopts'  destination options (60)
//
// Options headers and the routing header:        Fragment header (8 bytes):
//   +--------+--------+--------------------+       +--------+--------+-------------------+-+-+
//   |  Next  | HdrLen | data ...           |       |  Next  |Reserved| Offset (13) |Res|M|
//   +--------+--------+--------------------+       +--------+--------+-------------------+-+-+
//   length = (HdrLen + 1) * 8 bytes                |          Identification (32)          |
//                                                  +---------------------------------------+
// Options inside hop-by-hop / destination options are type-length-value, except Pad1 (one 0 byte).
// The chain is bounded (MAX_IPV6_EXT_HEADERS); an unknown next header ends it as data.

import type { EmitContext, LayerSpec } from './encode.ts';
import { IP_PROTOCOL, protocolOfSpec } from './ipv4.ts';
import { ipv6Bytes, nextHeaderKind } from './ipv6.ts';
import { malformation, put16, put32, u16, u32, type DecodeContext, type DecodeStep, type LayerDecoder, type Malformation, copyBytes } from './layer.ts';
import { NetlabRangeError } from '../base/errors.ts';

export const EXT_NEXT_HEADER = 0;
export const EXT_HDR_LEN = 1;
export const EXT_DATA = 2;
export const ROUTING_TYPE = 2;
export const ROUTING_SEGMENTS_LEFT = 3;
export const ROUTING_DATA = 4;
export const FRAGMENT_RESERVED = 1;
export const FRAGMENT_OFFSET_FLAGS = { start: 2, end: 4 } as const;
export const FRAGMENT_ID = { start: 4, end: 8 } as const;
export const FRAGMENT_HEADER_LEN = 8;

/** At most this many extension headers follow one IPv6 header; more is reported and ends the chain. */
export const MAX_IPV6_EXT_HEADERS = 16;

export const IPV6_OPTION = { PAD1: 0x00, PADN: 0x01, JUMBO: 0xc2, ROUTER_ALERT: 0x05 } as const;

export const IPV6_EXT_KINDS = ['ipv6-hopopts', 'ipv6-routing', 'ipv6-fragment', 'ipv6-dstopts'] as const;
export type Ipv6ExtKind = (typeof IPV6_EXT_KINDS)[number];

/** One option of a hop-by-hop or destination options header. */
export interface Ipv6Option {
  type: number;
  /** Absolute offset of the type byte in the frame; length of the whole option (1 for Pad1). */
  offset: number;
  length: number;
  kind: 'pad1' | 'padn' | 'router-alert' | 'jumbo' | 'unknown';
  /** The option data (after type and length). */
  data: Uint8Array;
}

export interface Ipv6OptionsHeader {
  nextHeader: number;
  /** Hdr Ext Len as on the wire (8-byte units, not counting the first 8 bytes). */
  hdrExtLen: number;
  /** Header length in bytes. */
  length: number;
  options: Ipv6Option[];
}
export type Ipv6HopByHop = Ipv6OptionsHeader;
export type Ipv6DestOptions = Ipv6OptionsHeader;

export interface Ipv6Routing {
  nextHeader: number;
  hdrExtLen: number;
  length: number;
  routingType: number;
  segmentsLeft: number;
  /** Everything after the first 4 bytes. */
  data: Uint8Array;
  /** Type 0 (deprecated source route): the 4 reserved bytes and the addresses. */
  reserved?: Uint8Array;
  addresses?: Uint8Array[];
}

export interface Ipv6Fragment {
  nextHeader: number;
  reserved: number;
  /** Fragment offset in 8-byte units, as on the wire. */
  fragmentOffset: number;
  /** The 2 reserved bits next to M. */
  reservedBits: number;
  more: boolean;
  id: number;
}

/** How many extension-header layers directly follow the last IPv6 layer decoded so far. */
function chainLength(ctx: DecodeContext): number {
  let n = 0;
  for (let i = ctx.layers.length - 1; i >= 0; i--) {
    const k = ctx.layers[i].kind;
    if ((IPV6_EXT_KINDS as readonly string[]).includes(k)) n++;
    else break;
  }
  return n;
}

function truncated(kind: Ipv6ExtKind, offset: number, end: number, need: number, value: unknown): DecodeStep {
  const avail = Math.max(0, end - offset);
  return {
    layer: { kind, offset, length: avail, value, malformed: [malformation(kind, end, `${kind} header truncated: ${avail} of ${need} bytes`)] },
    next: null,
    payloadOffset: end,
    payloadEnd: end,
  };
}

function tooDeep(kind: Ipv6ExtKind, offset: number, end: number): DecodeStep {
  return {
    layer: { kind, offset, length: 0, value: null, malformed: [malformation(kind, offset, `more than ${MAX_IPV6_EXT_HEADERS} IPv6 extension headers`)] },
    next: null,
    payloadOffset: offset,
    payloadEnd: end,
  };
}

/** Parses the TLV options in [start, end). */
export function parseIpv6Options(b: Uint8Array, start: number, end: number, layer: string): { options: Ipv6Option[]; malformed: Malformation[] } {
  const options: Ipv6Option[] = [];
  const malformed: Malformation[] = [];
  let off = start;
  while (off < end) {
    const type = b[off];
    if (type === IPV6_OPTION.PAD1) {
      options.push({ type, offset: off, length: 1, kind: 'pad1', data: new Uint8Array(0) });
      off++;
      continue;
    }
    if (off + 2 > end) {
      malformed.push(malformation(layer, off, `IPv6 option ${type} has no length byte`));
      break;
    }
    const len = b[off + 1];
    if (off + 2 + len > end) {
      malformed.push(malformation(layer, off + 1, `IPv6 option ${type} length ${len} runs past its header`));
      break;
    }
    const kind: Ipv6Option['kind'] =
      type === IPV6_OPTION.PADN ? 'padn' : type === IPV6_OPTION.ROUTER_ALERT ? 'router-alert' : type === IPV6_OPTION.JUMBO ? 'jumbo' : 'unknown';
    options.push({ type, offset: off, length: len + 2, kind, data: copyBytes(b, off + 2, off + 2 + len) });
    off += 2 + len;
  }
  return { options, malformed };
}

function optionsDecoder(kind: 'ipv6-hopopts' | 'ipv6-dstopts'): LayerDecoder {
  return (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
    if (chainLength(ctx) >= MAX_IPV6_EXT_HEADERS) return tooDeep(kind, offset, end);
    const b = ctx.frame;
    if (end - offset < 2) return truncated(kind, offset, end, 8, null);
    const hdrExtLen = b[offset + EXT_HDR_LEN];
    const length = (hdrExtLen + 1) * 8;
    const value: Ipv6OptionsHeader = { nextHeader: b[offset + EXT_NEXT_HEADER], hdrExtLen, length, options: [] };
    if (end - offset < length) return truncated(kind, offset, end, length, value);
    const parsed = parseIpv6Options(b, offset + EXT_DATA, offset + length, kind);
    value.options = parsed.options;
    return {
      layer: { kind, offset, length, value, malformed: parsed.malformed },
      next: nextHeaderKind(value.nextHeader, false),
      payloadOffset: offset + length,
      payloadEnd: end,
    };
  };
}

export const decodeIpv6HopByHop: LayerDecoder = optionsDecoder('ipv6-hopopts');
export const decodeIpv6DestOptions: LayerDecoder = optionsDecoder('ipv6-dstopts');

export const decodeIpv6Routing: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const kind = 'ipv6-routing';
  if (chainLength(ctx) >= MAX_IPV6_EXT_HEADERS) return tooDeep(kind, offset, end);
  const b = ctx.frame;
  if (end - offset < ROUTING_DATA) return truncated(kind, offset, end, 8, null);
  const hdrExtLen = b[offset + EXT_HDR_LEN];
  const length = (hdrExtLen + 1) * 8;
  const value: Ipv6Routing = {
    nextHeader: b[offset + EXT_NEXT_HEADER],
    hdrExtLen,
    length,
    routingType: b[offset + ROUTING_TYPE],
    segmentsLeft: b[offset + ROUTING_SEGMENTS_LEFT],
    data: new Uint8Array(0),
  };
  if (end - offset < length) return truncated(kind, offset, end, length, value);
  value.data = copyBytes(b, offset + ROUTING_DATA, offset + length);
  if (value.routingType === 0) {
    value.reserved = value.data.slice(0, 4);
    value.addresses = [];
    for (let a = 4; a + 16 <= value.data.length; a += 16) value.addresses.push(value.data.slice(a, a + 16));
  }
  return {
    layer: { kind, offset, length, value, malformed: [] },
    next: nextHeaderKind(value.nextHeader, false),
    payloadOffset: offset + length,
    payloadEnd: end,
  };
};

export const decodeIpv6Fragment: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const kind = 'ipv6-fragment';
  if (chainLength(ctx) >= MAX_IPV6_EXT_HEADERS) return tooDeep(kind, offset, end);
  const b = ctx.frame;
  if (end - offset < FRAGMENT_HEADER_LEN) return truncated(kind, offset, end, FRAGMENT_HEADER_LEN, null);
  const offFlags = u16(b, offset + FRAGMENT_OFFSET_FLAGS.start);
  const value: Ipv6Fragment = {
    nextHeader: b[offset + EXT_NEXT_HEADER],
    reserved: b[offset + FRAGMENT_RESERVED],
    fragmentOffset: offFlags >>> 3,
    reservedBits: (offFlags >>> 1) & 0x3,
    more: (offFlags & 1) !== 0,
    id: u32(b, offset + FRAGMENT_ID.start),
  };
  // Only an atomic fragment (offset 0, no more) carries a whole upper-layer packet.
  const atomic = value.fragmentOffset === 0 && !value.more;
  return {
    layer: { kind, offset, length: FRAGMENT_HEADER_LEN, value, malformed: [] },
    next: atomic ? nextHeaderKind(value.nextHeader, false) : null,
    payloadOffset: offset + FRAGMENT_HEADER_LEN,
    payloadEnd: end,
  };
};

// ---------------------------------------------------------------------------------------------
// Builders

/** One option's bytes for ipv6HopByHop / ipv6DestOptions. */
export const ipv6Option = {
  pad1: (): Uint8Array => Uint8Array.of(IPV6_OPTION.PAD1),
  /** PadN covering `n` bytes in total (n >= 2). */
  padN: (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    out[0] = IPV6_OPTION.PADN;
    out[1] = n - 2;
    return out;
  },
  /** Router alert (RFC 2711): 0 MLD, 1 RSVP, 2 active networks. */
  routerAlert: (value = 0): Uint8Array => Uint8Array.of(IPV6_OPTION.ROUTER_ALERT, 2, value >>> 8, value & 0xff),
  raw: (type: number, data: Uint8Array = new Uint8Array(0)): Uint8Array => {
    const out = new Uint8Array(data.length + 2);
    out[0] = type;
    out[1] = data.length;
    out.set(data, 2);
    return out;
  },
};

function nextOf(explicit: number | undefined, ctx: EmitContext, who: string): number {
  const n = explicit ?? protocolOfSpec(ctx.inner[0]) ?? (ctx.inner.length === 0 ? IP_PROTOCOL.NO_NEXT : undefined);
  if (n === undefined) throw new NetlabRangeError(`${who}: cannot infer the next header of a '${ctx.inner[0]?.kind}' payload; set nextHeader`);
  return n;
}

export interface Ipv6OptionsHeaderOptions {
  /** Option bytes (a list from ipv6Option.*, or one array); padded to a multiple of 8 with Pad1/PadN. */
  options?: Uint8Array | readonly Uint8Array[];
  nextHeader?: number;
  /** Hdr Ext Len as sent; default from the length. */
  hdrExtLen?: number;
}

export interface Ipv6ExtSpec extends LayerSpec {
  readonly kind: Ipv6ExtKind;
}

function optionsHeader(kind: 'ipv6-hopopts' | 'ipv6-dstopts', o: Ipv6OptionsHeaderOptions): Ipv6ExtSpec {
  return {
    kind,
    emit(payload: Uint8Array, ctx: EmitContext): Uint8Array {
      const parts = o.options === undefined ? [] : o.options instanceof Uint8Array ? [o.options] : o.options;
      let n = 2;
      for (const p of parts) n += p.length;
      const length = Math.max(8, (n + 7) & ~7);
      const out = new Uint8Array(length + payload.length);
      out[EXT_NEXT_HEADER] = nextOf(o.nextHeader, ctx, kind);
      out[EXT_HDR_LEN] = o.hdrExtLen ?? length / 8 - 1;
      let off = EXT_DATA;
      for (const p of parts) {
        out.set(p, off);
        off += p.length;
      }
      const pad = length - off;
      if (pad === 1) out[off] = IPV6_OPTION.PAD1;
      else if (pad >= 2) out.set(ipv6Option.padN(pad), off);
      out.set(payload, length);
      return out;
    },
  };
}

export function ipv6HopByHop(options: Ipv6OptionsHeaderOptions = {}): Ipv6ExtSpec {
  return optionsHeader('ipv6-hopopts', options);
}

export function ipv6DestOptions(options: Ipv6OptionsHeaderOptions = {}): Ipv6ExtSpec {
  return optionsHeader('ipv6-dstopts', options);
}

export interface Ipv6RoutingOptions {
  /** Routing type; default 0 (source route, deprecated but decodable). */
  routingType?: number;
  segmentsLeft?: number;
  /** Type 0: the addresses (after 4 reserved bytes). */
  addresses?: readonly (string | Uint8Array)[];
  /** Any other type: the bytes after the first 4 (padded to a multiple of 8 with zeros). */
  data?: Uint8Array;
  nextHeader?: number;
}

export function ipv6Routing(o: Ipv6RoutingOptions = {}): Ipv6ExtSpec & { finalDestination?: Uint8Array } {
  const addresses = (o.addresses ?? []).map(ipv6Bytes);
  const segmentsLeft = o.segmentsLeft ?? addresses.length;
  return {
    kind: 'ipv6-routing',
    // RFC 8200 §8.1: with segments left, the upper layer's pseudo-header carries the final destination.
    finalDestination: segmentsLeft > 0 && o.data === undefined && addresses.length > 0 ? addresses[addresses.length - 1] : undefined,
    emit(payload: Uint8Array, ctx: EmitContext): Uint8Array {
      const body =
        o.data ??
        (() => {
          const d = new Uint8Array(4 + addresses.length * 16);
          addresses.forEach((a, i) => d.set(a, 4 + i * 16));
          return d;
        })();
      const length = Math.max(8, (ROUTING_DATA + body.length + 7) & ~7);
      const out = new Uint8Array(length + payload.length);
      out[EXT_NEXT_HEADER] = nextOf(o.nextHeader, ctx, 'ipv6Routing()');
      out[EXT_HDR_LEN] = length / 8 - 1;
      out[ROUTING_TYPE] = o.routingType ?? 0;
      out[ROUTING_SEGMENTS_LEFT] = segmentsLeft;
      out.set(body, ROUTING_DATA);
      out.set(payload, length);
      return out;
    },
  };
}

export interface Ipv6FragmentOptions {
  id: number;
  /** Offset in 8-byte units, as on the wire. */
  fragmentOffset?: number;
  more?: boolean;
  nextHeader?: number;
  reserved?: number;
  reservedBits?: number;
}

export function ipv6Fragment(o: Ipv6FragmentOptions): Ipv6ExtSpec {
  return {
    kind: 'ipv6-fragment',
    emit(payload: Uint8Array, ctx: EmitContext): Uint8Array {
      const out = new Uint8Array(FRAGMENT_HEADER_LEN + payload.length);
      out[EXT_NEXT_HEADER] = nextOf(o.nextHeader, ctx, 'ipv6Fragment()');
      out[FRAGMENT_RESERVED] = o.reserved ?? 0;
      put16(out, FRAGMENT_OFFSET_FLAGS.start, (((o.fragmentOffset ?? 0) & 0x1fff) << 3) | (((o.reservedBits ?? 0) & 0x3) << 1) | (o.more ? 1 : 0));
      put32(out, FRAGMENT_ID.start, o.id >>> 0);
      out.set(payload, FRAGMENT_HEADER_LEN);
      return out;
    },
  };
}

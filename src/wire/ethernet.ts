// Ethernet II (IEEE 802.3 framing with an EtherType) and IEEE 802.1Q / 802.1ad VLAN tags.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                  Destination MAC address (6)                  |
//   +                               +-------------------------------+
//   |                               |                               |
//   +-------------------------------+                               +
//   |                     Source MAC address (6)                    |
//   +-------------------------------+-------------------------------+
//   |        EtherType (2)          |  payload ... [padding] [FCS (4)]
//   +-------------------------------+
//
// A VLAN tag is 4 bytes after an EtherType of 0x8100 (802.1Q C-tag), 0x88a8 (802.1ad S-tag) or
// 0x9100 (old QinQ): TCI = PCP (3 bits) | DEI (1) | VID (12), then the inner EtherType. Each tag is
// its own layer ('vlan'), like Wireshark's `vlan` / `ieee8021ad` protocols, so tags stack to any depth
// (bounded by the decode loop's layer limit).
//
// The FCS is decoded only when the capture says frames carry one (DecodeOptions.fcsLength = 4, from
// pcapng if_fcslen or the pcap header's FCS bits); it is never guessed here. It is the CRC-32 of the
// frame from the destination address to the end of the padding, sent least significant byte first.

import { crc32, readFcs } from './crc32.ts';
import type { EmitContext, LayerSpec } from './encode.ts';
import {
  concatBytes,
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
import { parseMacOrThrow as parseMac } from './address-text.ts';
import { NetlabRangeError } from '../base/errors.ts';

// Byte ranges of the Ethernet II header.
export const ETH_DST = { start: 0, end: 6 } as const;
export const ETH_SRC = { start: 6, end: 12 } as const;
export const ETH_TYPE = { start: 12, end: 14 } as const;
export const ETH_HEADER_LEN = 14;
/** Minimum frame length without the FCS (64 bytes on the wire with it); shorter frames are padded. */
export const ETH_MIN_FRAME_LEN = 60;
export const ETH_FCS_LEN = 4;
/** EtherType values up to this are an IEEE 802.3 length, not a type. */
export const ETH_MAX_802_3_LENGTH = 1500;

// Byte ranges of a VLAN tag (after the EtherType that announced it).
export const VLAN_TCI = { start: 0, end: 2 } as const;
export const VLAN_TYPE = { start: 2, end: 4 } as const;
export const VLAN_TAG_LEN = 4;

export const ETHERTYPE = {
  IPV4: 0x0800,
  ARP: 0x0806,
  RARP: 0x8035,
  TEB: 0x6558,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  QINQ: 0x88a8,
  QINQ_OLD: 0x9100,
} as const;

/** The decoder kind for an EtherType, or null when netlab has no decoder for it (data). */
export function ethertypeKind(type: number): string | null {
  switch (type) {
    case ETHERTYPE.IPV4:
      return 'ipv4';
    case ETHERTYPE.IPV6:
      return 'ipv6';
    case ETHERTYPE.ARP:
    case ETHERTYPE.RARP:
      return 'arp';
    case ETHERTYPE.TEB:
      return 'ethernet';
    case ETHERTYPE.VLAN:
    case ETHERTYPE.QINQ:
    case ETHERTYPE.QINQ_OLD:
      return 'vlan';
    default:
      return null;
  }
}

/** The EtherType that announces a layer spec (used by builders to fill `type`), or undefined. */
export function ethertypeOfSpec(spec: LayerSpec | undefined): number | undefined {
  if (spec === undefined) return undefined;
  switch (spec.kind) {
    case 'ipv4':
      return ETHERTYPE.IPV4;
    case 'ipv6':
      return ETHERTYPE.IPV6;
    case 'arp':
      return ETHERTYPE.ARP;
    case 'vlan':
      return (spec as VlanSpec).tpid;
    case 'ethernet':
      return ETHERTYPE.TEB;
    default:
      return undefined;
  }
}

/** The plain representation of an Ethernet II header (and FCS, when the capture has one). */
export interface Ethernet {
  dst: Uint8Array;
  src: Uint8Array;
  /** EtherType, or the 802.3 length when <= 1500. */
  type: number;
  /** The FCS as a CRC value (readFcs), present only when DecodeOptions.fcsLength is 4. */
  fcs?: number;
  /** Verdict of the CRC-32 check of `fcs` ('unverified' when verification is off). */
  fcsStatus?: ChecksumStatus;
  /** The CRC-32 computed over the frame, when an FCS was verified. */
  fcsComputed?: number;
}

/** The plain representation of one 802.1Q / 802.1ad tag. */
export interface Vlan {
  /** The EtherType that announced this tag (0x8100, 0x88a8 or 0x9100). */
  tpid: number;
  /** Priority code point (0-7). */
  pcp: number;
  /** Drop eligible indicator. */
  dei: boolean;
  /** VLAN identifier (0-4095). */
  id: number;
  /** The inner EtherType (or an 802.3 length when <= 1500). */
  type: number;
}

/** Ethernet II decoder. */
export const decodeEthernet: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const b = ctx.frame;
  const malformed: Malformation[] = [];
  const avail = end - offset;
  if (avail < ETH_HEADER_LEN) {
    malformed.push(malformation('eth', offset, `frame too short for an Ethernet header: ${avail} of ${ETH_HEADER_LEN} bytes`));
    const value: Ethernet = {
      dst: copyBytes(b, offset, Math.min(offset + ETH_DST.end, end)),
      src: copyBytes(b, Math.min(offset + ETH_SRC.start, end), Math.min(offset + ETH_SRC.end, end)),
      type: avail >= ETH_TYPE.end ? u16(b, offset + ETH_TYPE.start) : 0,
    };
    return { layer: { kind: 'ethernet', offset, length: avail, value, malformed }, next: null, payloadOffset: end, payloadEnd: end };
  }
  const value: Ethernet = {
    dst: copyBytes(b, offset + ETH_DST.start, offset + ETH_DST.end),
    src: copyBytes(b, offset + ETH_SRC.start, offset + ETH_SRC.end),
    type: u16(b, offset + ETH_TYPE.start),
  };
  let payloadEnd = end;
  // The capture's FCS belongs to the frame's own link layer, not to an Ethernet frame carried inside.
  if (ctx.options.fcsLength === ETH_FCS_LEN && ctx.layers.length === 0) {
    if (avail >= ETH_HEADER_LEN + ETH_FCS_LEN) {
      payloadEnd = end - ETH_FCS_LEN;
      value.fcs = readFcs(b, payloadEnd);
      if (ctx.options.verifyChecksums) {
        value.fcsComputed = crc32(b, offset, payloadEnd - offset);
        value.fcsStatus = value.fcsComputed === value.fcs ? 'good' : 'bad';
      } else {
        value.fcsStatus = 'unverified';
      }
    } else {
      malformed.push(malformation('eth', end, 'frame too short to hold its FCS'));
    }
  }
  const next = value.type > ETH_MAX_802_3_LENGTH ? ethertypeKind(value.type) : null;
  return {
    layer: { kind: 'ethernet', offset, length: ETH_HEADER_LEN, value, malformed },
    next,
    payloadOffset: offset + ETH_HEADER_LEN,
    payloadEnd,
  };
};

/** The EtherType with which the previous layer (ethernet, vlan, sll, null) announced this one. */
function announcingType(ctx: DecodeContext): number | undefined {
  const prev = ctx.layers[ctx.layers.length - 1];
  if (prev === undefined) return undefined;
  const v = prev.value as { type?: unknown; protocol?: unknown };
  if (typeof v.type === 'number') return v.type;
  if (typeof v.protocol === 'number') return v.protocol;
  return undefined;
}

/** VLAN tag decoder: the TPID is the EtherType of the layer before it. */
export const decodeVlan: LayerDecoder = (ctx: DecodeContext, offset: number, end: number): DecodeStep => {
  const b = ctx.frame;
  const tpid = announcingType(ctx) ?? ETHERTYPE.VLAN;
  const avail = end - offset;
  if (avail < VLAN_TAG_LEN) {
    const tci = avail >= 2 ? u16(b, offset) : 0;
    const value: Vlan = { tpid, pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, id: tci & 0x0fff, type: 0 };
    return {
      layer: { kind: 'vlan', offset, length: avail, value, malformed: [malformation('vlan', offset, `VLAN tag truncated: ${avail} of ${VLAN_TAG_LEN} bytes`)] },
      next: null,
      payloadOffset: end,
      payloadEnd: end,
    };
  }
  const tci = u16(b, offset + VLAN_TCI.start);
  const value: Vlan = { tpid, pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, id: tci & 0x0fff, type: u16(b, offset + VLAN_TYPE.start) };
  const next = value.type > ETH_MAX_802_3_LENGTH ? ethertypeKind(value.type) : null;
  return { layer: { kind: 'vlan', offset, length: VLAN_TAG_LEN, value, malformed: [] }, next, payloadOffset: offset + VLAN_TAG_LEN, payloadEnd: end };
};

// ---------------------------------------------------------------------------------------------
// Addresses

export { parseMacOrThrow as parseMac } from './address-text.ts';

/** A MAC address given as text or bytes, as 6 bytes (a copy). */
export function macBytes(addr: string | Uint8Array): Uint8Array {
  if (typeof addr === 'string') return parseMac(addr);
  if (addr.length !== 6) throw new NetlabRangeError(`a MAC address has 6 bytes, got ${addr.length}`);
  return Uint8Array.from(addr);
}

export const BROADCAST_MAC = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

// ---------------------------------------------------------------------------------------------
// Builders

export interface EthernetOptions {
  src: string | Uint8Array;
  dst: string | Uint8Array;
  /** EtherType; default from the inner layer (ipv4 0x0800, ipv6 0x86dd, arp 0x0806, vlan its TPID). */
  type?: number;
  /** Append an FCS: true computes the CRC-32, a number is used as the CRC value (wrong on purpose). */
  fcs?: boolean | number;
  /** Pad the frame with zeros to the 60-byte minimum (before the FCS), as a NIC does. Default false. */
  pad?: boolean;
}

export interface EthernetSpec extends LayerSpec {
  readonly kind: 'ethernet';
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly options: EthernetOptions;
}

/** An Ethernet II layer: `encode([ethernet({src, dst}), ipv4({...}), ...])`. */
export function ethernet(options: EthernetOptions): EthernetSpec {
  const src = macBytes(options.src);
  const dst = macBytes(options.dst);
  return {
    kind: 'ethernet',
    src,
    dst,
    options,
    emit(payload: Uint8Array, ctx: EmitContext): Uint8Array {
      const type = options.type ?? ethertypeOfSpec(ctx.inner[0]);
      if (type === undefined) {
        throw new NetlabRangeError(`ethernet(): cannot infer the EtherType of a '${ctx.inner[0]?.kind ?? 'missing'}' payload; set the type option`);
      }
      const header = new Uint8Array(ETH_HEADER_LEN);
      header.set(dst, ETH_DST.start);
      header.set(src, ETH_SRC.start);
      put16(header, ETH_TYPE.start, type);
      let frame = concatBytes([header, payload]);
      if (options.pad && frame.length < ETH_MIN_FRAME_LEN) {
        const padded = new Uint8Array(ETH_MIN_FRAME_LEN);
        padded.set(frame);
        frame = padded;
      }
      if (options.fcs === undefined || options.fcs === false) return frame;
      const crc = options.fcs === true ? crc32(frame) : options.fcs >>> 0;
      const out = new Uint8Array(frame.length + ETH_FCS_LEN);
      out.set(frame);
      out[frame.length] = crc & 0xff;
      out[frame.length + 1] = (crc >>> 8) & 0xff;
      out[frame.length + 2] = (crc >>> 16) & 0xff;
      out[frame.length + 3] = (crc >>> 24) & 0xff;
      return out;
    },
  };
}

export interface VlanOptions {
  id: number;
  /** Priority code point 0-7 (default 0). */
  pcp?: number;
  /** Drop eligible indicator (default false). */
  dei?: boolean;
  /** The EtherType the outer layer uses to announce this tag: 0x8100 (C-tag, default) or 0x88a8 (S-tag). */
  tpid?: number;
  /** Inner EtherType; default from the inner layer. */
  type?: number;
}

export interface VlanSpec extends LayerSpec {
  readonly kind: 'vlan';
  readonly tpid: number;
  readonly options: VlanOptions;
}

/** An 802.1Q (or, with tpid 0x88a8, 802.1ad) tag. Stack several for QinQ. */
export function vlan(options: VlanOptions): VlanSpec {
  return {
    kind: 'vlan',
    tpid: options.tpid ?? ETHERTYPE.VLAN,
    options,
    emit(payload: Uint8Array, ctx: EmitContext): Uint8Array {
      const type = options.type ?? ethertypeOfSpec(ctx.inner[0]);
      if (type === undefined) {
        throw new NetlabRangeError(`vlan(): cannot infer the EtherType of a '${ctx.inner[0]?.kind ?? 'missing'}' payload; set the type option`);
      }
      const tci = (((options.pcp ?? 0) & 0x7) << 13) | (options.dei ? 0x1000 : 0) | (options.id & 0x0fff);
      const out = new Uint8Array(VLAN_TAG_LEN + payload.length);
      put16(out, VLAN_TCI.start, tci);
      put16(out, VLAN_TYPE.start, type);
      out.set(payload, VLAN_TAG_LEN);
      return out;
    },
  };
}

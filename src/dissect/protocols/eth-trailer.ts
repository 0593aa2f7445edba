// What follows an EtherType payload, shown the way Wireshark 4.0 shows it (its add_dix_trailer and
// add_ethernet_trailer logic, re-derived from tshark's output): the layer that dispatched on an
// EtherType (eth, vlan, sll) owns the bytes after its payload's claimed end, and splits them into
//   padding  (eth.padding): zeros up to the 60-byte minimum frame, counted on the whole frame;
//   trailer  (eth.trailer / vlan.trailer / sll.trailer): whatever else is left;
//   FCS      (eth.fcs): the last 4 bytes, when the capture says frames have one (if_fcslen / pcap FCS
//            bits), or - for Ethernet only, when the capture does not say - when Wireshark's display
//            heuristic guesses one (frame >= 64 bytes and >= 4 bytes left). The heuristic is a
//            display rule copied for field agreement; the wire decoder never guesses an FCS.
// Padding that is not all zeros is not padding: the bytes become trailer with an expert note.
// A layer only leaves a trailer when its payload's dissector shortened the payload (IPv4 to its
// Total Length, IPv6 to 40 + Payload Length, ARP to its size); opaque data claims everything.

import { crc32 } from '../../wire/crc32.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { Arp } from '../../wire/arp.ts';
import { arpLength } from '../../wire/arp.ts';
import type { Ipv4 } from '../../wire/ipv4.ts';
import type { Ipv6 } from '../../wire/ipv6.ts';
import type { DissectContext } from '../context.ts';
import { expertField } from '../expert.ts';
import { type Field, hex, rawField } from '../field.ts';
import { bytesFieldT } from './link-fields.ts';

export const ETH_MIN_FRAME = 60;
export const PADDING_BAD_MESSAGE = "Didn't find padding of zeros, and an undecoded trailer exists. There may be padding of non-zeros.";

/** FCS length as Wireshark's fcs_len: 4 known, 0 known absent, -1 unknown (guess for display). */
export type FcsMode = 4 | 0 | -1;

export interface TrailerOwner {
  /** Index of the owning layer in ctx.layers. */
  index: number;
  /** Where the owner's tvb (its bytes, header included) starts and where its reported bytes end. */
  start: number;
  reportedEnd: number;
  /** First byte after the EtherType (the payload's start). */
  payloadOffset: number;
  fcs: FcsMode;
  /** The filter name of the owner's trailer field. */
  trailerName: string;
  trailerLabel?: string;
}

/**
 * The end (absolute) to which the layer after the owner shortened its bytes, or undefined when it
 * keeps everything; 'exception' when Wireshark's dissector stops with an exception first (no trailer
 * is shown at all then).
 */
function claimedEnd(inner: DecodedLayer | undefined, frameLength: number): number | undefined | 'exception' | 'no-dissector' {
  if (inner === undefined || inner.kind === 'data') return 'no-dissector';
  switch (inner.kind) {
    case 'ipv4': {
      const ip = inner.value as Ipv4;
      const hl = ip.ihl * 4;
      if (ip.version !== 4 || hl < 20 || inner.offset + hl > frameLength) return 'exception';
      if (ip.totalLength === 0) return undefined;
      if (ip.totalLength < hl) return 'exception';
      return inner.offset + ip.totalLength;
    }
    case 'ipv6': {
      const ip = inner.value as Ipv6;
      if (inner.offset + 40 > frameLength || ip.version !== 6) return 'exception';
      if (ip.payloadLength === 0) return undefined;
      return inner.offset + 40 + ip.payloadLength;
    }
    case 'arp': {
      const a = inner.value as Arp;
      const end = inner.offset + arpLength(a.hwSize, a.protoSize);
      return end > frameLength ? 'exception' : end;
    }
    case 'llc':
      // An 802.3 frame's LLC ends where the Length field says (the decode loop cut it there).
      return inner.payloadEnd;
    default:
      return undefined;
  }
}

/** The padding, trailer and FCS fields an EtherType-dispatching layer shows (possibly none). */
export function trailerFields(ctx: DissectContext, o: TrailerOwner): Field[] {
  const frame = ctx.frame;
  const pktLen = ctx.packet.origLength;
  const inner = ctx.layers[o.index + 1];
  const claim = claimedEnd(inner, frame.length);
  if (claim === 'exception' || claim === 'no-dissector') return [];
  const lengthBefore = o.reportedEnd - o.payloadOffset;
  const nextReportedEnd = o.fcs > 0 && lengthBefore >= o.fcs ? o.reportedEnd - o.fcs : o.reportedEnd;
  const innerEnd = claim !== undefined && claim < nextReportedEnd ? claim : nextReportedEnd;
  if (innerEnd - o.payloadOffset >= lengthBefore) return [];
  const trailerStart = innerEnd;
  const capturedEnd = Math.min(frame.length, o.reportedEnd);
  if (trailerStart >= capturedEnd) return [];

  let reported = o.reportedEnd - trailerStart;
  let captured = capturedEnd - trailerStart;
  let padding = 0;
  let paddingBad = false;
  if (pktLen >= ETH_MIN_FRAME && pktLen - reported < ETH_MIN_FRAME) {
    padding = Math.min(ETH_MIN_FRAME - (pktLen - reported), captured);
    for (let i = 0; i < padding; i++) {
      if (frame[trailerStart + i] !== 0) {
        paddingBad = true;
        padding = 0;
        break;
      }
    }
    captured -= padding;
    reported -= padding;
  }
  let hasFcs = false;
  const ownerReportedLength = o.reportedEnd - o.start;
  if (o.fcs === 4 || (o.fcs === -1 && ownerReportedLength >= 64 && reported >= 4)) {
    if (reported >= 4) {
      hasFcs = true;
      if (captured < reported) {
        reported -= 4;
        captured = Math.min(captured, reported);
      } else {
        captured -= 4;
        reported -= 4;
      }
    }
  }
  const fields: Field[] = [];
  if (padding > 0) fields.push(bytesFieldT('eth.padding', 'Padding', frame, trailerStart, padding));
  if (captured > 0) {
    const t = bytesFieldT(o.trailerName, o.trailerLabel ?? 'Trailer', frame, trailerStart + padding, captured);
    if (paddingBad) t.children = [expertField('eth.padding_bad', PADDING_BAD_MESSAGE, 'Note', 'Protocol', trailerStart + padding, captured)];
    fields.push(t);
  }
  const fcsAt = trailerStart + padding + captured;
  if (hasFcs && fcsAt + 4 <= capturedEnd) {
    // tshark 4.0 does not check the FCS by default (eth.check_fcs is off): it shows the 4 bytes read
    // big-endian and "[unverified]", whether the FCS is known or guessed. netlab's wire layer checks
    // it (Ethernet.fcsStatus) when the capture says there is one; the tree mirrors tshark's default.
    const v = ((frame[fcsAt] << 24) | (frame[fcsAt + 1] << 16) | (frame[fcsAt + 2] << 8) | frame[fcsAt + 3]) >>> 0;
    if (ctx.state.prefs.checkFcs) {
      fields.push(...checkedFcsFields(ctx, o.index, fcsAt, v));
      return fields;
    }
    fields.push(
      rawField('eth.fcs', 'Frame check sequence', 'uint', v, hex(v, 8), fcsAt, 4, { text: `Frame check sequence: ${hex(v, 8)} [unverified]` }),
      rawField('eth.fcs.status', 'FCS Status', 'uint', 2, '2', fcsAt, 0, { generated: true, text: '[FCS Status: Unverified]' }),
    );
  }
  return fields;
}

/**
 * The FCS as tshark shows it with eth.check_fcs on: the CRC-32 over the frame from its Ethernet header
 * to the FCS, shown in the order the bytes are read, "[correct]" or "incorrect, should be ...".
 */
function checkedFcsFields(ctx: DissectContext, index: number, fcsAt: number, v: number): Field[] {
  let start = 0;
  for (let i = index; i >= 0; i--) {
    if (ctx.layers[i].kind === 'ethernet') {
      start = ctx.layers[i].offset;
      break;
    }
  }
  const c = crc32(ctx.frame, start, fcsAt - start);
  const should = (((c & 0xff) << 24) | ((c & 0xff00) << 8) | ((c >>> 8) & 0xff00) | (c >>> 24)) >>> 0;
  if (should === v) {
    return [
      rawField('eth.fcs', 'Frame check sequence', 'uint', v, hex(v, 8), fcsAt, 4, { text: `Frame check sequence: ${hex(v, 8)} [correct]` }),
      rawField('eth.fcs.status', 'FCS Status', 'uint', 1, '1', fcsAt, 0, { generated: true, text: '[FCS Status: Good]' }),
    ];
  }
  return [
    rawField('eth.fcs', 'Frame check sequence', 'uint', v, hex(v, 8), fcsAt, 4, {
      text: `Frame check sequence: ${hex(v, 8)} incorrect, should be ${hex(should, 8)}`,
      children: [expertField('eth.fcs_bad', `Bad checksum [should be ${hex(should, 8)}]`, 'Error', 'Checksum', 0, 0)],
    }),
    rawField('eth.fcs.status', 'FCS Status', 'uint', 0, '0', fcsAt, 0, { generated: true, text: '[FCS Status: Bad]' }),
  ];
}

/**
 * Where the bytes of the layer at `index` are reported to end: the frame's length on the wire for
 * the first layer; for a VLAN tag, what the Ethernet or VLAN layer before it handed on (without the
 * FCS); otherwise the end of what the layer before it handed on.
 */
export function reportedEnd(ctx: DissectContext, index: number): number {
  if (index === 0) return ctx.packet.origLength;
  const prev = ctx.layers[index - 1];
  const prevReported = reportedEnd(ctx, index - 1);
  if (prev.kind === 'ethernet' || prev.kind === 'vlan' || prev.kind === 'sll' || prev.kind === 'sll2' || prev.kind === 'null') {
    const fcs = prev.kind === 'ethernet' && ctx.packet.iface.fcsLength === 4 && prevReported - (prev.offset + prev.length) >= 4 ? 4 : 0;
    return prevReported - fcs;
  }
  return Math.min(prevReported, prev.payloadEnd ?? prevReported);
}

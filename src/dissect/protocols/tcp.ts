// The `tcp` protocol as Wireshark 4.0 shows it with its default preferences: stream index,
// conversation completeness, relative sequence and acknowledgment numbers (relative to the first
// sequence number seen in each direction), window scaling learnt from the SYNs, checksum, options
// with their summary-line notes (MSS=, WS=, SACK_PERM, TSval=, SLE=), per-stream timestamps and the
// payload. The SEQ/ACK analysis is in tcp-analysis.ts, the flags and checksum in tcp-header-fields.ts,
// the options in tcp-options-fields.ts, the value strings in tcp-names.ts.

import type { DecodedLayer } from '../../wire/layer.ts';
import type { Tcp } from '../../wire/tcp.ts';
import type { DissectContext, DissectState } from '../context.ts';
import { expertField } from '../expert.ts';
import { type Field, type ProtoNode, rawField, uintDec, formatBytesHex } from '../field.ts';
import { checksumFields, checksumInfo, FLAG_FIELD_NAMES, type FlagsWanted, flagsField, noteClosing } from './tcp-header-fields.ts';
import { completenessText, tcpFlagsText } from './tcp-names.ts';
import { optionFields, optionNotes } from './tcp-options-fields.ts';
import { type NsTime, nsDelta } from '../frame-fields.ts';
import { bitPattern, textItem } from './link-fields.ts';
import { analysisFields, analysisPrefix, analyzeSegment, type AnalysisFlow, newAnalysisFlow, noteHandshake, type SegmentAnalysis, TA } from './tcp-analysis.ts';
import { TcpConversationTable } from './tcp-conversations.ts';
import { enclosingIpOf, packetTime, relTimeField } from './udp.ts';
import { EndedConversations, isGone, revive, type TcpConv } from './tcp-conversation-end.ts';

interface TcpState {
  convs: TcpConversationTable<TcpConv>;
  /** Frame number and offset of a payload Wireshark would not hand to a dissector (a retransmission). */
  heldPayload: { frame: number; offset: number } | undefined;
  /** Conversations that are over, let go after a grace (tcp-conversation-end.ts). */
  ended: EndedConversations;
  /** What the output reads of the TCP tree (fixed for a capture; made on the first segment). */
  wants: TcpWants | undefined;
  /** The segment mapped last (the application hook reads it right after). */
  last: TcpSegmentSeen;
}

/** What the mapper found for a segment: where it is, its stream, its direction and length. */
export interface TcpSegmentSeen {
  /** Frame number and header offset (-1: none yet). */
  frame: number;
  offset: number;
  stream: number;
  /** True when it went the way the conversation's first packet went. */
  forward: boolean;
  /** tcp.len (-1 when unknown). */
  seglen: number;
}

/** The TCP fields an output reads (DissectState.wants, asked once per capture). */
interface TcpWants {
  tree: boolean;
  label: boolean;
  srcport: boolean;
  dstport: boolean;
  port: boolean;
  completeness: boolean;
  seq: boolean;
  nxtseq: boolean;
  ack: boolean;
  hdrLen: boolean;
  flags: boolean;
  /** The parts of the flags tree read. */
  flagParts: FlagsWanted;
  window: boolean;
  checksum: boolean;
  urgent: boolean;
  time: boolean;
  options: boolean;
  payload: boolean;
  segmentData: boolean;
  analysis: boolean;
}

function tcpWants(st: DissectState): TcpWants {
  const w = (prefix: string): boolean => st.wants(prefix);
  return {
    tree: st.tree,
    label: st.wantsLabel('tcp'),
    srcport: w('tcp.srcport'),
    dstport: w('tcp.dstport'),
    port: w('tcp.port'),
    completeness: w('tcp.completeness'),
    seq: w('tcp.seq'),
    nxtseq: w('tcp.nxtseq'),
    ack: w('tcp.ack'),
    hdrLen: w('tcp.hdr_len'),
    flags: w('tcp.flags') || w('tcp.connection'),
    flagParts: { tree: st.tree, children: FLAG_FIELD_NAMES.map(w), connection: w('tcp.connection') },
    window: w('tcp.window_size'),
    checksum: w('tcp.checksum'),
    urgent: w('tcp.urgent_pointer'),
    time: w('tcp.time'),
    // The options' expert notes (tcp.nop, tcp.non_zero_bytes_after_eol, tcp.suboption_malformed)
    // live in the options' subtree.
    options: w('tcp.option') || w('tcp.nop') || w('tcp.non_zero') || w('tcp.suboption'),
    payload: w('tcp.payload'),
    segmentData: w('tcp.segment_data'),
    analysis: w('tcp.analysis'),
  };
}

function tcpState(st: DissectState): TcpState {
  return st.slot<TcpState>('tcp', newTcpState);
}

/**
 * True when the TCP layer before `offset` kept its payload from the dissectors, as Wireshark does
 * with retransmitted, spurious and out-of-order segments: no `data` follows then.
 */
export function tcpHoldsPayload(ctx: DissectContext, offset: number): boolean {
  const held = tcpState(ctx.state).heldPayload;
  return held !== undefined && held.frame === ctx.packet.number && held.offset === offset;
}

function newTcpState(): TcpState {
  return {
    convs: new TcpConversationTable<TcpConv>(),
    heldPayload: undefined,
    ended: new EndedConversations(),
    wants: undefined,
    last: { frame: -1, offset: -1, stream: -1, forward: true, seglen: -1 },
  };
}

/**
 * The stream, direction and length the mapper found for the TCP header at `offset` of this frame,
 * when it was the segment mapped last (undefined otherwise).
 */
export function tcpSegmentSeen(ctx: DissectContext, offset: number): TcpSegmentSeen | undefined {
  const last = tcpState(ctx.state).last;
  return last.frame === ctx.packet.number && last.offset === offset ? last : undefined;
}

type Flow = AnalysisFlow;

const HIDDEN = { hidden: true } as const;
const SYN = 0x002;
const ACK = 0x010;
const FIN = 0x001;
const RST = 0x004;
const URG = 0x020;
/** What a segment's SACK blocks are reset to (options replace the array, never fill it). */
const NO_SACKS: { left: number; right: number }[] = [];

/** A new conversation's state (`first`: the time of its first packet). */
function newConv(index: number, first: NsTime): TcpConv {
  return {
    index,
    completeness: 0,
    first,
    prev: first,
    a: newAnalysisFlow(),
    b: newAnalysisFlow(),
    analysis: { tsMruSyn: undefined, firstRtt: undefined },
    end: 0,
    kept: undefined,
  };
}

/** The analysis of a segment that starts a new conversation on ports in use (Wireshark's reused ports). */
function reusedPorts(): SegmentAnalysis {
  return {
    flags: TA.REUSED_PORTS,
    frameAcked: 0,
    ackRtt: undefined,
    dupAckNum: 0,
    dupAckFrame: 0,
    bytesInFlight: 0,
    pushBytesSent: 0,
    rto: undefined,
    rtoFrame: 0,
  };
}

function hdrText(b: Uint8Array, off: number, hl: number, dataOffset: number): string {
  return `${bitPattern(b[off + 12], 0xf0, 8)} = Header Length: ${hl} bytes (${dataOffset})`;
}

/** A generated number with its `-V` text only when a tree is printed (`[Label: value]`). */
function genUint(name: string, label: string, value: number, offset: number, length: number, tree: boolean): Field {
  return tree
    ? uintDec(name, label, value, offset, length, { generated: true, text: `[${label}: ${value}]` })
    : uintDec(name, label, value, offset, length, GENERATED);
}

const GENERATED = { generated: true } as const;

/** The tcp mapper. */
export function mapTcp(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const v = layer.value as Tcp;
  const b = ctx.frame;
  const off = layer.offset;
  const avail = Math.max(b.length - off, 0);
  const fields: Field[] = [];
  const sp = v.srcPort;
  const dp = v.dstPort;
  const state = tcpState(ctx.state);
  // Fields only an output or a filter reads are built when it asks for them (state.wants); tcp.len
  // and tcp.stream always are (the stream reassembly reads them), and the state always moves on.
  let w = state.wants;
  if (w === undefined) {
    w = tcpWants(ctx.state);
    state.wants = w;
  }
  const last = state.last;
  last.frame = -1;
  const node: ProtoNode = { proto: 'tcp', label: '', offset: off, length: Math.min(layer.length, avail), fields, malformed: layer.malformed };
  if (avail >= 2 && w.srcport) fields.push(uintDec('tcp.srcport', 'Source Port', sp, off, 2));
  if (avail >= 4) {
    if (w.dstport) fields.push(uintDec('tcp.dstport', 'Destination Port', dp, off + 2, 2));
    if (w.port) {
      fields.push(uintDec('tcp.port', 'Source or Destination Port', sp, off, 2, HIDDEN));
      fields.push(uintDec('tcp.port', 'Source or Destination Port', dp, off + 2, 2, HIDDEN));
    }
  }
  // Quoted by an ICMP error: the sequence number comes right after the ports.
  const quoted = ctx.inIcmpError && ctx.layers[ctx.index - 1]?.kind === 'ipv4' && ctx.layers[ctx.index - 2]?.kind === 'icmp';
  if (quoted && avail >= 8) fields.push(uintDec('tcp.seq', 'Sequence Number', v.seq, off + 4, 4));
  if (v.headerBytes < 20) {
    if (w.label) node.label = `Transmission Control Protocol, Src Port: ${sp}, Dst Port: ${dp}`;
    node.columns = { protocol: 'TCP', info: `${sp} \u2192 ${dp}` };
    return [node];
  }

  const ip = enclosingIpOf(ctx);
  const now = packetTime(ctx);
  if (!ctx.inIcmpError) state.ended.expire(now, ctx.state);
  const convs = state.convs;
  let conv = convs.find(ip?.src, sp, ip?.dst, dp);
  const isNew = conv === undefined;
  if (conv === undefined) conv = convs.add(ip?.src, sp, ip?.dst, dp, newConv(convs.count, now));
  else if (isGone(conv)) revive(conv);
  let forward = convs.forward;
  const flags = v.flags.raw;
  let fwd = forward ? conv.a : conv.b;
  let ta: SegmentAnalysis | undefined;
  // A SYN with another initial sequence number starts a new conversation on the same ports.
  if ((flags & (SYN | ACK)) === SYN && fwd.baseSeq !== undefined && v.seq !== fwd.baseSeq) {
    conv = convs.add(ip?.src, sp, ip?.dst, dp, newConv(convs.count, now));
    conv.completeness = 1;
    forward = true;
    fwd = conv.a;
    ta = reusedPorts();
  } else if ((flags & (SYN | ACK)) === (SYN | ACK) && fwd.baseSeq !== undefined && v.seq !== fwd.baseSeq) {
    fwd.baseSeq = v.seq;
    ta = reusedPorts();
  }
  const rev = forward ? conv.b : conv.a;
  // The SACK blocks this direction sends are those of its latest segment.
  fwd.sacks = NO_SACKS;
  fields.push(genUint('tcp.stream', 'Stream index', conv.index, off, 0, w.tree));
  if (w.completeness) {
    fields.push(
      uintDec('tcp.completeness', 'Conversation completeness', conv.completeness, 0, 0, {
        generated: true,
        text: `[Conversation completeness: ${completenessText(conv.completeness)} (${conv.completeness})]`,
      }),
    );
  }
  const delta = w.time ? nsDelta(now, conv.prev) : undefined;
  conv.prev = now;

  // Segment length: what the IP layer announces after this header.
  const hl = v.headerLength;
  const reportedLen = reportedTcpLength(layer, ctx);
  let haveSeglen = false;
  let seglen = 0;
  let seq = v.seq;
  let ack = v.ack;
  let win = v.window;
  if (!ctx.inIcmpError) {
    if (reportedLen < hl) {
      fields.push(
        rawField('', 'Short segment', 'none', null, '', off, 0, {
          text: 'Short segment. Segment/fragment does not contain a full TCP header (might be NMAP or someone else deliberately sending unusual packets)',
          children: [
            expertField(
              'tcp.short_segment',
              'Short segment. Segment/fragment does not contain a full TCP header (might be NMAP or someone else deliberately sending unusual packets)',
              'Warning',
              'Malformed',
              off,
              0,
            ),
          ],
        }),
      );
    } else {
      haveSeglen = true;
      seglen = reportedLen - hl;
      fields.push(genUint('tcp.len', 'TCP Segment Len', seglen, off + 12, 1, w.tree));
      // SEQ/ACK analysis; it also sets the base of the relative numbers: each direction from its
      // first sequence number (the SYN's, else seq - 1).
      ta = analyzeSegment(ctx.packet.number, now, v.seq, v.ack, seglen, flags, v.window, fwd, rev, conv.analysis, ta);
      seq = (v.seq - (fwd.baseSeq ?? 0)) >>> 0;
      if (flags & ACK) ack = (v.ack - (rev.baseSeq ?? 0)) >>> 0;
      if (!(flags & SYN) && fwd.winScale >= 0) win = v.window * 2 ** fwd.winScale;
      state.ended.note(conv, forward, flags);
    }
  }
  last.frame = ctx.packet.number;
  last.offset = off;
  last.stream = conv.index;
  last.forward = forward;
  last.seglen = haveSeglen ? seglen : -1;
  const nxtseq = (seq + seglen) >>> 0;
  let info =
    flags & ACK
      ? `${sp} \u2192 ${dp} [${tcpFlagsText(flags)}] Seq=${seq} Ack=${ack} Win=${win}`
      : `${sp} \u2192 ${dp} [${tcpFlagsText(flags)}] Seq=${seq} Win=${win}`;
  if (!quoted && w.seq) {
    fields.push(
      w.tree
        ? uintDec('tcp.seq', 'Sequence Number', seq, off + 4, 4, { text: `Sequence Number: ${seq}    (relative sequence number)` })
        : uintDec('tcp.seq', 'Sequence Number', seq, off + 4, 4),
    );
    fields.push(uintDec('tcp.seq_raw', 'Sequence Number (raw)', v.seq, off + 4, 4));
  }
  if (v.bogusHeaderLength) {
    info += `, bogus TCP header length (${hl}, must be at least 20)`;
    fields.push(
      uintDec('tcp.hdr_len', 'Header Length', hl, off + 12, 1, {
        text: hdrText(b, off, hl, v.dataOffset),
        children: [expertField('tcp.bogus_header_length', `Bogus TCP header length (${hl}, must be at least 20)`, 'Error', 'Protocol', off + 12, 1)],
      }),
    );
    if (w.label) node.label = `Transmission Control Protocol, Src Port: ${sp}, Dst Port: ${dp}, Seq: ${seq}`;
    node.columns = { protocol: 'TCP', info };
    return [node];
  }
  // Completeness moves on with this segment (shown from the next one on).
  let c = conv.completeness;
  if (isNew) {
    if ((flags & (SYN | ACK)) === SYN) {
      c |= 1;
      if (seglen > 0) c |= 8;
    }
  } else {
    if ((flags & (SYN | ACK)) === (SYN | ACK)) c |= 2;
    if ((flags & (SYN | ACK)) === ACK) c |= seglen > 0 ? 8 : 4;
    if ((flags & (FIN | ACK)) === (FIN | ACK)) c |= 16;
    if (flags & RST) c |= 32;
  }
  conv.completeness = c;
  if (w.label) {
    let label = `Transmission Control Protocol, Src Port: ${sp}, Dst Port: ${dp}, Seq: ${seq}`;
    if (flags & ACK) label += `, Ack: ${ack}`;
    if (haveSeglen) label += `, Len: ${seglen}`;
    node.label = label;
  }
  if (haveSeglen && w.nxtseq) {
    const n = flags & (SYN | FIN) ? (nxtseq + 1) >>> 0 : nxtseq;
    fields.push(
      uintDec('tcp.nxtseq', 'Next Sequence Number', n, off, 0, {
        generated: true,
        text: w.tree ? `[Next Sequence Number: ${n}    (relative sequence number)]` : undefined,
      }),
    );
  }
  if (w.ack) {
    const ackChildren =
      !(flags & ACK) && v.ack !== 0
        ? [expertField('tcp.ack.nonzero', 'The acknowledgment number field is nonzero while the ACK flag is not set', 'Note', 'Protocol', off + 8, 4)]
        : undefined;
    fields.push(
      uintDec('tcp.ack', 'Acknowledgment Number', ack, off + 8, 4, {
        text: flags & ACK && w.tree ? `Acknowledgment Number: ${ack}    (relative ack number)` : undefined,
        children: ackChildren,
      }),
    );
    fields.push(uintDec('tcp.ack_raw', 'Acknowledgment number (raw)', v.ack, off + 8, 4));
  }
  if (w.hdrLen) fields.push(uintDec('tcp.hdr_len', 'Header Length', hl, off + 12, 1, { text: hdrText(b, off, hl, v.dataOffset) }));
  if (w.flags) fields.push(flagsField(v, off, rev, fwd, flags, w.flagParts));
  else noteClosing(rev, fwd, flags);
  noteHandshake(conv.analysis, flags, now, fwd);
  // Window: the SYN's is never scaled.
  if (w.window) {
    fields.push(uintDec('tcp.window_size_value', 'Window', v.window, off + 14, 2));
    fields.push(uintDec('tcp.window_size', 'Calculated window size', win, off + 14, 2, GENERATED));
    if (!(flags & SYN)) {
      const s = fwd.winScale;
      const text = s === -1 ? '-1 (unknown)' : s === -2 ? '-2 (no window scaling used)' : String(2 ** s);
      const value = s < 0 ? s : 2 ** s;
      fields.push(
        rawField('tcp.window_size_scalefactor', 'Window size scaling factor', 'int', value, String(value), off + 14, 2, {
          generated: true,
          text: `[Window size scaling factor: ${text}]`,
        }),
      );
    }
  }
  // Checksum.
  if (w.checksum) {
    const cks = checksumFields(v, off + 16);
    for (let i = 0; i < cks.fields.length; i++) fields.push(cks.fields[i]);
    info += cks.info;
  } else info += checksumInfo(v);
  if (w.urgent) {
    const urgChildren =
      !(flags & URG) && v.urgentPointer !== 0
        ? [expertField('tcp.urgent_pointer.non_zero', 'The urgent pointer field is nonzero while the URG flag is not set', 'Note', 'Protocol', off + 18, 2)]
        : undefined;
    fields.push(uintDec('tcp.urgent_pointer', 'Urgent Pointer', v.urgentPointer, off + 18, 2, { children: urgChildren }));
  }
  if (flags & URG) info += ` Urg=${v.urgentPointer}`;
  if (haveSeglen) info += ` Len=${seglen}`;
  // Options.
  const optLen = hl - 20;
  if (optLen > 0 && !w.options) info += optionNotes(v, rev, fwd);
  else if (optLen > 0) {
    const o = optionFields(v, ctx, flags, ack, rev, fwd, true);
    // The option bytes present within the segment (Wireshark prints <MISSING> for none).
    const segEnd = Math.min(layer.payloadEnd ?? b.length, b.length);
    const shown = Math.min(optLen, Math.max(segEnd - (off + 20), 0));
    const bytes = b.slice(off + 20, off + 20 + shown);
    const titles = o.titles.length > 0 ? `, ${o.titles.join(', ')}` : '';
    fields.push(
      rawField('tcp.options', 'Options', 'bytes', bytes, shown === 0 ? '<MISSING>' : formatBytesHex(bytes), off + 20, shown, {
        text: `Options: (${optLen} bytes)${titles}`,
        children: o.fields,
      }),
    );
    info += o.info;
  }
  // Wireshark adds the timestamps before dissecting the options' contents, but shows them after.
  if (w.time) {
    fields.push(
      textItem('[Timestamps]', off, 0, [
        relTimeField('tcp.time_relative', 'Time since first frame in this TCP stream', nsDelta(now, conv.first), off),
        relTimeField('tcp.time_delta', 'Time since previous frame in this TCP stream', delta as NsTime, off),
      ]),
    );
  }
  if (ta !== undefined) {
    if (w.analysis) {
      const analysis = analysisFields(ta, conv.analysis, off);
      if (analysis.field !== undefined) fields.push(analysis.field);
      info = analysis.prefix + info;
    } else if (ta.flags !== 0) info = analysisPrefix(ta) + info;
  }
  if (flags & SYN) verifyWindowScaling(fwd, rev, (flags & ACK) !== 0);
  // Payload.
  const payloadStart = off + hl;
  const captured = Math.max(Math.min(b.length, off + hl + seglen) - payloadStart, 0);
  if (haveSeglen && seglen > 0 && captured > 0 && layer.malformed.length === 0) {
    if (w.payload) {
      const bytes = b.slice(payloadStart, payloadStart + captured);
      fields.push(
        rawField('tcp.payload', 'TCP payload', 'bytes', bytes, formatBytesHex(bytes), payloadStart, captured, {
          text: `TCP payload (${seglen} byte${seglen === 1 ? '' : 's'})`,
        }),
      );
    }
    // A verified segment goes through reassembly: there retransmitted data is only shown as such,
    // spurious retransmissions and out-of-order segments not at all. A segment with a bad checksum
    // is not desegmented, but Wireshark still calls no dissector for its payload when it is a
    // retransmission or out of order (tcp.no_subdissector_on_error): it stays plain TCP.
    const f = ta?.flags ?? 0;
    if (f & (TA.RETRANSMISSION | TA.SPURIOUS_RETRANSMISSION | TA.OUT_OF_ORDER)) {
      state.heldPayload = { frame: ctx.packet.number, offset: payloadStart };
      if (v.checksumStatus !== 'bad' && f & TA.RETRANSMISSION && !(f & TA.SPURIOUS_RETRANSMISSION) && w.segmentData) {
        const bytes = b.slice(payloadStart, payloadStart + captured);
        fields.push(
          rawField('tcp.segment_data', 'TCP segment data', 'bytes', bytes, formatBytesHex(bytes), payloadStart, captured, {
            text: `Retransmitted TCP segment data (${seglen} byte${seglen === 1 ? '' : 's'})`,
          }),
        );
      }
    }
  }
  node.columns = { protocol: 'TCP', info };
  return [node];
}

/** Bytes from the TCP header to where the IP layer says its payload ends. */
function reportedTcpLength(layer: DecodedLayer, ctx: DissectContext): number {
  const v = layer.value as Tcp;
  if (v.segmentLength !== undefined) return v.headerLength + v.segmentLength;
  if (ctx.reassembled === true) return ctx.frame.length - layer.offset;
  const ip = enclosingIpOf(ctx);
  const iv = ip?.layer.value as { totalLength?: unknown; payloadLength?: unknown } | undefined;
  if (ip !== undefined && iv !== undefined) {
    if (ip.version === 4 && typeof iv.totalLength === 'number' && iv.totalLength > 0) return ip.layer.offset + iv.totalLength - layer.offset;
    if (ip.version === 6 && typeof iv.payloadLength === 'number' && iv.payloadLength > 0) return ip.layer.offset + 40 + iv.payloadLength - layer.offset;
  }
  return (layer.payloadEnd ?? ctx.frame.length) - layer.offset;
}

/** Window scaling is used only when both SYNs carry the option (Wireshark's rule). */
function verifyWindowScaling(fwd: Flow, rev: Flow, isSynAck: boolean): void {
  if (fwd.winScale === -1) {
    fwd.winScale = -2;
    rev.winScale = -2;
  } else if (isSynAck && rev.winScale === -2) {
    fwd.winScale = -2;
  }
}

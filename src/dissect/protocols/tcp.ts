// The `tcp` protocol as Wireshark 4.0 shows it with its default preferences: stream index,
// conversation completeness, relative sequence and acknowledgment numbers (relative to the first
// sequence number seen in each direction), window scaling learnt from the SYNs, checksum, options
// with their summary-line notes (MSS=, WS=, SACK_PERM, TSval=, SLE=), per-stream timestamps and the
// payload. Wireshark's SEQ/ACK analysis (retransmissions, duplicate ACKs, bytes in flight) and
// reassembly are not reproduced.

import type { DecodedLayer } from '../../wire/layer.ts';
import type { Tcp } from '../../wire/tcp.ts';
import type { TcpOption } from '../../wire/tcp-options.ts';
import type { DissectContext } from '../context.ts';
import { expertField } from '../expert.ts';
import { bool, type Field, hex, type ProtoNode, rawField, stringField, uintDec, uintHex, formatBytesHex } from '../field.ts';
import { type NsTime, nsDelta } from '../frame-fields.ts';
import { registerFields } from '../known-fields.ts';
import { bitPattern, textItem } from './link-fields.ts';
import { analysisFields, analyzeSegment, type AnalysisConversation, type AnalysisFlow, newAnalysisFlow, noteHandshake, type SegmentAnalysis, TA } from './tcp-analysis.ts';
import { checksumStatusField, ConversationTable, enclosingIpOf, endpointKey, expectedChecksum, packetTime, relTimeField } from './udp.ts';

// The option subtrees are protocols in Wireshark (FT_PROTOCOL); -T fields prints their bytes.
registerFields({
  'tcp.options.nop': 'FT_BYTES',
  'tcp.options.eol': 'FT_BYTES',
  'tcp.options.mss': 'FT_BYTES',
  'tcp.options.wscale': 'FT_BYTES',
  'tcp.options.sack_perm': 'FT_BYTES',
  'tcp.options.sack': 'FT_BYTES',
  'tcp.options.timestamp': 'FT_BYTES',
  'tcp.options.unknown': 'FT_BYTES',
});

interface TcpConv {
  index: number;
  completeness: number;
  first: NsTime;
  prev: NsTime;
  /** Flows by direction: a is the first packet's sender. */
  a: AnalysisFlow;
  b: AnalysisFlow;
  analysis: AnalysisConversation;
}

interface TcpState {
  convs: ConversationTable<TcpConv>;
  /** Frame number and offset of a payload Wireshark would not hand to a dissector (a retransmission). */
  heldPayload: { frame: number; offset: number } | undefined;
}

/**
 * True when the TCP layer before `offset` kept its payload from the dissectors, as Wireshark does
 * with retransmitted, spurious and out-of-order segments: no `data` follows then.
 */
export function tcpHoldsPayload(ctx: DissectContext, offset: number): boolean {
  const held = ctx.state.slot<TcpState>('tcp', newTcpState).heldPayload;
  return held !== undefined && held.frame === ctx.packet.number && held.offset === offset;
}

function newTcpState(): TcpState {
  return { convs: new ConversationTable<TcpConv>(), heldPayload: undefined };
}

type Flow = AnalysisFlow;

const FLAG_NAMES: readonly [number, string][] = [
  [0x001, 'FIN'],
  [0x002, 'SYN'],
  [0x004, 'RST'],
  [0x008, 'PSH'],
  [0x010, 'ACK'],
  [0x020, 'URG'],
  [0x040, 'ECE'],
  [0x080, 'CWR'],
  [0x100, 'AE'],
  [0xe00, 'Reserved'],
];

/** Wireshark's flag list: "SYN, ACK", or "<None>". */
export function tcpFlagsText(flags: number): string {
  const names = FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, n]) => n);
  return names.length === 0 ? '<None>' : names.join(', ');
}

/** Wireshark's `tcp.flags.str`: one letter per bit from bit 11 down, `·` when clear. */
export function tcpFlagsLetters(flags: number): string {
  const letters = 'RRRACEUAPRSF';
  let s = '';
  for (let i = 0; i < 12; i++) s += (flags >> (11 - i)) & 1 ? letters[i] : '\u00b7';
  return s;
}

/** Wireshark's label for a conversation completeness value. */
export function completenessText(v: number): string {
  if ((v & 0x07) === 0x07 && (v & 0x30) !== 0) return `Complete, ${v & 0x08 ? 'WITH_DATA' : 'NO_DATA'}`;
  const named: Record<number, string> = { 1: 'Incomplete, SYN_SENT', 3: 'Incomplete, CLIENT_ESTABLISHED', 7: 'Incomplete, ESTABLISHED', 15: 'Incomplete, DATA' };
  return named[v] ?? 'Incomplete';
}

const KIND_NAMES: Readonly<Record<number, string>> = {
  0: 'End of Option List',
  1: 'No-Operation',
  2: 'Maximum Segment Size',
  3: 'Window Scale',
  4: 'SACK Permitted',
  5: 'SACK',
  6: 'Echo',
  7: 'Echo Reply',
  8: 'Time Stamp Option',
  9: 'Partial Order Connection Permitted',
  10: 'Partial Order Service Profile',
  11: 'CC',
  12: 'CC.NEW',
  13: 'CC.ECHO',
  14: 'TCP Alternate Checksum Request',
  15: 'TCP Alternate Checksum Data',
  16: 'Skeeter',
  17: 'Bubba',
  18: 'Trailer Checksum Option',
  19: 'MD5 Signature Option',
  20: 'SCPS Capabilities',
  21: 'Selective Negative Acknowledgements',
  22: 'Record Boundaries',
  23: 'Corruption experienced',
  24: 'SNAP',
  25: 'Unassigned',
  26: 'TCP Compression Filter',
  27: 'Quick-Start Response',
  28: 'User Timeout Option',
  29: 'The TCP Authentication Option',
  30: 'Multipath TCP',
  34: 'TCP Fast Open Cookie',
  76: 'Riverbed Probe',
  78: 'Riverbed Transparency',
  172: 'Accurate ECN Order 0',
  174: 'Accurate ECN Order 1',
  253: 'RFC3692-style Experiment 1',
  254: 'RFC3692-style Experiment 2',
};

/** The option names Wireshark uses in the "Options:" line and in its notes on bad lengths. */
const OPTION_TITLES: Readonly<Record<number, string>> = {
  0: 'End of Option List (EOL)',
  1: 'No-Operation (NOP)',
  2: 'Maximum segment size',
  3: 'Window scale',
  4: 'SACK permitted',
  5: 'SACK',
  8: 'Timestamps',
  253: 'Experimental',
  254: 'Experimental',
};

function optionTitle(kind: number): string {
  return OPTION_TITLES[kind] ?? `Unknown (${hex(kind, 2)})`;
}

/** Filter name of the option's subtree. */
function optionProto(kind: number): string {
  const names: Record<number, string> = {
    0: 'tcp.options.eol', 1: 'tcp.options.nop', 2: 'tcp.options.mss', 3: 'tcp.options.wscale', 4: 'tcp.options.sack_perm', 5: 'tcp.options.sack', 8: 'tcp.options.timestamp',
    253: 'tcp.options.experimental', 254: 'tcp.options.experimental',
  };
  return names[kind] ?? 'tcp.options.unknown';
}

/** True when a is at or before b in sequence space (RFC 1982 style, as Wireshark's LE_SEQ). */
function leSeq(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}
function ltSeq(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}


/** The tcp mapper. */
export function mapTcp(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const v = layer.value as Tcp;
  const b = ctx.frame;
  const off = layer.offset;
  const avail = Math.max(b.length - off, 0);
  const fields: Field[] = [];
  const sp = v.srcPort;
  const dp = v.dstPort;
  let label = `Transmission Control Protocol, Src Port: ${sp}, Dst Port: ${dp}`;
  let info = `${sp} \u2192 ${dp}`;
  const node: ProtoNode = { proto: 'tcp', label, offset: off, length: Math.min(layer.length, avail), fields, malformed: layer.malformed };
  const finish = (): ProtoNode[] => {
    node.label = label;
    node.columns = { protocol: 'TCP', info };
    return [node];
  };
  if (avail >= 2) fields.push(uintDec('tcp.srcport', 'Source Port', sp, off, 2));
  if (avail >= 4) {
    fields.push(uintDec('tcp.dstport', 'Destination Port', dp, off + 2, 2));
    fields.push(uintDec('tcp.port', 'Source or Destination Port', sp, off, 2, { hidden: true }));
    fields.push(uintDec('tcp.port', 'Source or Destination Port', dp, off + 2, 2, { hidden: true }));
  }
  // Quoted by an ICMP error: the sequence number comes right after the ports.
  const prev = ctx.layers[ctx.index - 1];
  const quoted = ctx.inIcmpError && prev?.kind === 'ipv4' && ctx.layers[ctx.index - 2]?.kind === 'icmp';
  if (quoted && avail >= 8) fields.push(uintDec('tcp.seq', 'Sequence Number', v.seq, off + 4, 4));
  if (v.headerBytes < 20) return finish();

  const ip = enclosingIpOf(ctx);
  const now = packetTime(ctx);
  const state = ctx.state.slot<TcpState>('tcp', newTcpState);
  const srcKey = endpointKey(ip?.src, sp);
  const dstKey = endpointKey(ip?.dst, dp);
  const mk = (index: number): TcpConv => ({ index, completeness: 0, first: now, prev: now, a: newAnalysisFlow(), b: newAnalysisFlow(), analysis: { tsMruSyn: undefined, firstRtt: undefined } });
  const found = state.convs.find(srcKey, dstKey, mk);
  let conv = found.data;
  let forward = found.forward;
  const isNew = found.created;
  const flags = v.flags.raw;
  const SYN = 0x002;
  const ACK = 0x010;
  const FIN = 0x001;
  const RST = 0x004;
  const URG = 0x020;
  let fwd = forward ? conv.a : conv.b;
  let ta: SegmentAnalysis | undefined;
  const reused = (): SegmentAnalysis => ({ flags: TA.REUSED_PORTS, frameAcked: 0, ackRtt: undefined, dupAckNum: 0, dupAckFrame: 0, bytesInFlight: 0, pushBytesSent: 0, rto: undefined, rtoFrame: 0 });
  // A SYN with another initial sequence number starts a new conversation on the same ports.
  if ((flags & (SYN | ACK)) === SYN && fwd.baseSeq !== undefined && v.seq !== fwd.baseSeq) {
    conv = state.convs.replace(srcKey, dstKey, mk);
    conv.completeness = 1;
    forward = true;
    fwd = conv.a;
    ta = reused();
  } else if ((flags & (SYN | ACK)) === (SYN | ACK) && fwd.baseSeq !== undefined && v.seq !== fwd.baseSeq) {
    fwd.baseSeq = v.seq;
    ta = reused();
  }
  const rev = forward ? conv.b : conv.a;
  // The SACK blocks this direction sends are those of its latest segment.
  fwd.sacks = [];
  fields.push(uintDec('tcp.stream', 'Stream index', conv.index, off, 0, { generated: true, text: `[Stream index: ${conv.index}]` }));
  fields.push(uintDec('tcp.completeness', 'Conversation completeness', conv.completeness, 0, 0, { generated: true, text: `[Conversation completeness: ${completenessText(conv.completeness)} (${conv.completeness})]` }));
  const delta = nsDelta(now, conv.prev);
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
      fields.push(rawField('', 'Short segment', 'none', null, '', off, 0, {
        text: 'Short segment. Segment/fragment does not contain a full TCP header (might be NMAP or someone else deliberately sending unusual packets)',
        children: [expertField('tcp.short_segment', 'Short segment. Segment/fragment does not contain a full TCP header (might be NMAP or someone else deliberately sending unusual packets)', 'Warning', 'Malformed', off, 0)],
      }));
    } else {
      haveSeglen = true;
      seglen = reportedLen - hl;
      fields.push(uintDec('tcp.len', 'TCP Segment Len', seglen, off + 12, 1, { generated: true, text: `[TCP Segment Len: ${seglen}]` }));
      // SEQ/ACK analysis; it also sets the base of the relative numbers: each direction from its
      // first sequence number (the SYN's, else seq - 1).
      ta = analyzeSegment({ frame: ctx.packet.number, time: now, seq: v.seq, ack: v.ack, seglen, flags, window: v.window }, fwd, rev, conv.analysis, ta);
      seq = (v.seq - (fwd.baseSeq ?? 0)) >>> 0;
      if (flags & ACK) ack = (v.ack - (rev.baseSeq ?? 0)) >>> 0;
      if (!(flags & SYN) && fwd.winScale >= 0) win = v.window * 2 ** fwd.winScale;
    }
  }
  const nxtseq = (seq + seglen) >>> 0;
  info += ` [${tcpFlagsText(flags)}] Seq=${seq}`;
  if (flags & ACK) info += ` Ack=${ack}`;
  info += ` Win=${win}`;
  label += `, Seq: ${seq}`;
  if (!quoted) {
    fields.push(uintDec('tcp.seq', 'Sequence Number', seq, off + 4, 4, { text: `Sequence Number: ${seq}    (relative sequence number)` }));
    fields.push(uintDec('tcp.seq_raw', 'Sequence Number (raw)', v.seq, off + 4, 4));
  }
  const hdrText = `${bitPattern(b[off + 12], 0xf0, 8)} = Header Length: ${hl} bytes (${v.dataOffset})`;
  if (v.bogusHeaderLength) {
    info += `, bogus TCP header length (${hl}, must be at least 20)`;
    fields.push(uintDec('tcp.hdr_len', 'Header Length', hl, off + 12, 1, {
      text: hdrText,
      children: [expertField('tcp.bogus_header_length', `Bogus TCP header length (${hl}, must be at least 20)`, 'Error', 'Protocol', off + 12, 1)],
    }));
    return finish();
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
  if (flags & ACK) label += `, Ack: ${ack}`;
  if (haveSeglen) label += `, Len: ${seglen}`;
  if (haveSeglen) {
    const n = flags & (SYN | FIN) ? (nxtseq + 1) >>> 0 : nxtseq;
    fields.push(uintDec('tcp.nxtseq', 'Next Sequence Number', n, off, 0, { generated: true, text: `[Next Sequence Number: ${n}    (relative sequence number)]` }));
  }
  const ackChildren = !(flags & ACK) && v.ack !== 0 ? [expertField('tcp.ack.nonzero', 'The acknowledgment number field is nonzero while the ACK flag is not set', 'Note', 'Protocol', off + 8, 4)] : undefined;
  fields.push(uintDec('tcp.ack', 'Acknowledgment Number', ack, off + 8, 4, { text: flags & ACK ? `Acknowledgment Number: ${ack}    (relative ack number)` : undefined, children: ackChildren }));
  fields.push(uintDec('tcp.ack_raw', 'Acknowledgment number (raw)', v.ack, off + 8, 4));
  fields.push(uintDec('tcp.hdr_len', 'Header Length', hl, off + 12, 1, { text: hdrText }));
  fields.push(flagsField(v, off, rev, fwd, flags));
  noteHandshake(conv.analysis, flags, now, fwd);
  // Window: the SYN's is never scaled.
  fields.push(uintDec('tcp.window_size_value', 'Window', v.window, off + 14, 2));
  fields.push(uintDec('tcp.window_size', 'Calculated window size', win, off + 14, 2, { generated: true }));
  if (!(flags & SYN)) {
    const s = fwd.winScale;
    const text = s === -1 ? '-1 (unknown)' : s === -2 ? '-2 (no window scaling used)' : String(2 ** s);
    const value = s < 0 ? s : 2 ** s;
    fields.push(rawField('tcp.window_size_scalefactor', 'Window size scaling factor', 'int', value, String(value), off + 14, 2, { generated: true, text: `[Window size scaling factor: ${text}]` }));
  }
  // Checksum.
  const cks = checksumFields(v, off + 16);
  fields.push(...cks.fields);
  info += cks.info;
  const urgChildren = !(flags & URG) && v.urgentPointer !== 0 ? [expertField('tcp.urgent_pointer.non_zero', 'The urgent pointer field is nonzero while the URG flag is not set', 'Note', 'Protocol', off + 18, 2)] : undefined;
  fields.push(uintDec('tcp.urgent_pointer', 'Urgent Pointer', v.urgentPointer, off + 18, 2, { children: urgChildren }));
  if (flags & URG) info += ` Urg=${v.urgentPointer}`;
  if (haveSeglen) info += ` Len=${seglen}`;
  // Options.
  const optLen = hl - 20;
  const timestamps = textItem('[Timestamps]', off, 0, [
    relTimeField('tcp.time_relative', 'Time since first frame in this TCP stream', nsDelta(now, conv.first), off),
    relTimeField('tcp.time_delta', 'Time since previous frame in this TCP stream', delta, off),
  ]);
  if (optLen > 0) {
    const o = optionFields(v, ctx, flags, ack, rev, fwd);
    // The option bytes present within the segment (Wireshark prints <MISSING> for none).
    const segEnd = Math.min(layer.payloadEnd ?? b.length, b.length);
    const shown = Math.min(optLen, Math.max(segEnd - (off + 20), 0));
    const bytes = b.slice(off + 20, off + 20 + shown);
    const titles = o.titles.length > 0 ? `, ${o.titles.join(', ')}` : '';
    fields.push(rawField('tcp.options', 'Options', 'bytes', bytes, shown === 0 ? '<MISSING>' : formatBytesHex(bytes), off + 20, shown, { text: `Options: (${optLen} bytes)${titles}`, children: o.fields }));
    info += o.info;
    // Wireshark adds the timestamps before dissecting the options' contents, but shows them after.
  }
  fields.push(timestamps);
  const analysis = analysisFields(ta, conv.analysis, off);
  if (analysis.field !== undefined) fields.push(analysis.field);
  info = analysis.prefix + info;
  if (flags & SYN) verifyWindowScaling(fwd, rev, (flags & ACK) !== 0);
  // Payload.
  const payloadStart = off + hl;
  const captured = Math.max(Math.min(b.length, off + hl + seglen) - payloadStart, 0);
  if (haveSeglen && seglen > 0 && captured > 0 && layer.malformed.length === 0) {
    const pb = b.slice(payloadStart, payloadStart + captured);
    fields.push(rawField('tcp.payload', 'TCP payload', 'bytes', pb, formatBytesHex(pb), payloadStart, captured, { text: `TCP payload (${seglen} byte${seglen === 1 ? '' : 's'})` }));
    // A verified segment goes through reassembly: there retransmitted data is only shown as such,
    // spurious retransmissions and out-of-order segments not at all.
    const f = ta?.flags ?? 0;
    if (v.checksumStatus !== 'bad' && f & (TA.RETRANSMISSION | TA.SPURIOUS_RETRANSMISSION | TA.OUT_OF_ORDER)) {
      state.heldPayload = { frame: ctx.packet.number, offset: payloadStart };
      if (f & TA.RETRANSMISSION && !(f & TA.SPURIOUS_RETRANSMISSION)) {
        fields.push(rawField('tcp.segment_data', 'TCP segment data', 'bytes', pb, formatBytesHex(pb), payloadStart, captured, { text: `Retransmitted TCP segment data (${seglen} byte${seglen === 1 ? '' : 's'})` }));
      }
    }
  }
  return finish();
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

function flagsField(v: Tcp, off: number, rev: Flow, fwd: Flow, flags: number): Field {
  const at = off + 12;
  const bits = (mask: number, name: string, label: string, byte: number, children?: Field[]): Field => {
    const set = (flags & mask) !== 0;
    const pic = bitPattern(flags, mask, 12);
    return bool(name, label, set, byte, 1, { text: `${pic} = ${label}: ${set ? 'Set' : 'Not set'}`, children });
  };
  const synExpert = flags & 0x002
    ? [flags & 0x010
      ? expertField('tcp.connection.synack', `Connection establish acknowledge (SYN+ACK): server port ${v.srcPort}`, 'Chat', 'Sequence', at + 1, 1)
      : expertField('tcp.connection.syn', `Connection establish request (SYN): server port ${v.dstPort}`, 'Chat', 'Sequence', at + 1, 1)]
    : undefined;
  const finExpert = flags & 0x001 ? [expertField('tcp.connection.fin', 'Connection finish (FIN)', 'Chat', 'Sequence', at + 1, 1)] : undefined;
  const rstExpert = flags & 0x004 ? [expertField('tcp.connection.rst', 'Connection reset (RST)', 'Warning', 'Sequence', at + 1, 1)] : undefined;
  // The first FIN of a conversation initiates the closing.
  let closing: Field[] | undefined;
  if (flags & 0x001) {
    if (!rev.closingInitiator) {
      fwd.closingInitiator = true;
      closing = [expertField('tcp.connection.fin_active', 'This frame initiates the connection closing', 'Note', 'Sequence', at, 2)];
    } else {
      closing = [expertField('tcp.connection.fin_passive', 'This frame undergoes the connection closing', 'Note', 'Sequence', at, 2)];
    }
  }
  const res = (flags & 0xe00) !== 0;
  const children: Field[] = [
    bool('tcp.flags.res', 'Reserved', res, at, 1, { text: `${bitPattern(flags, 0xe00, 12)} = Reserved: ${res ? 'Set' : 'Not set'}` }),
    bits(0x100, 'tcp.flags.ae', 'Accurate ECN', at),
    bits(0x080, 'tcp.flags.cwr', 'Congestion Window Reduced', at + 1),
    bits(0x040, 'tcp.flags.ece', 'ECN-Echo', at + 1),
    bits(0x020, 'tcp.flags.urg', 'Urgent', at + 1),
    bits(0x010, 'tcp.flags.ack', 'Acknowledgment', at + 1),
    bits(0x008, 'tcp.flags.push', 'Push', at + 1),
    bits(0x004, 'tcp.flags.reset', 'Reset', at + 1, rstExpert),
    bits(0x002, 'tcp.flags.syn', 'Syn', at + 1, synExpert),
    bits(0x001, 'tcp.flags.fin', 'Fin', at + 1, finExpert),
    stringField('tcp.flags.str', 'TCP Flags', tcpFlagsLetters(flags), at, 2, { generated: true, children: closing }),
  ];
  return uintHex('tcp.flags', 'Flags', flags, 4, at, 2, { text: `Flags: ${hex(flags, 3)} (${tcpFlagsText(flags)})`, children });
}

function checksumFields(v: Tcp, at: number): { fields: Field[]; info: string } {
  const value = hex(v.checksum, 4);
  if (v.checksumStatus === 'good' && v.checksum === 0xffff) {
    return {
      fields: [
        uintHex('tcp.checksum', 'Checksum', v.checksum, 4, at, 2, {
          text: `Checksum: ${value} [should be 0x0000 (see RFC 1624)]`,
          children: [
            uintHex('tcp.checksum_calculated', 'Calculated Checksum', 0, 4, at, 2, { generated: true }),
            checksumStatusField('tcp.checksum.status', 0, at, { children: [expertField('tcp.checksum.ffff', 'TCP Checksum 0xffff instead of 0x0000 (see RFC 1624)', 'Warning', 'Checksum', at, 2)] }),
          ],
        }),
      ],
      info: ' [TCP CHECKSUM 0xFFFF]',
    };
  }
  if (v.checksumStatus === 'good') {
    return {
      fields: [
        uintHex('tcp.checksum', 'Checksum', v.checksum, 4, at, 2, { text: `Checksum: ${value} [correct]` }),
        checksumStatusField('tcp.checksum.status', 1, at),
        uintHex('tcp.checksum_calculated', 'Calculated Checksum', v.checksum, 4, at, 2, { generated: true }),
      ],
      info: '',
    };
  }
  if (v.checksumStatus === 'bad') {
    const should = expectedChecksum(v.checksum, v.checksumComputed ?? 0);
    return {
      fields: [
        uintHex('tcp.checksum', 'Checksum', v.checksum, 4, at, 2, {
          text: `Checksum: ${value} incorrect, should be ${hex(should, 4)}(maybe caused by "TCP checksum offload"?)`,
          children: [expertField('tcp.checksum_bad.expert', `Bad checksum [should be ${hex(should, 4)}]`, 'Error', 'Checksum', at, 2)],
        }),
        checksumStatusField('tcp.checksum.status', 0, at),
        uintHex('tcp.checksum_calculated', 'Calculated Checksum', should, 4, at, 2, { generated: true }),
      ],
      info: ' [TCP CHECKSUM INCORRECT]',
    };
  }
  return {
    fields: [uintHex('tcp.checksum', 'Checksum', v.checksum, 4, at, 2, { text: `Checksum: ${value} [unverified]` }), checksumStatusField('tcp.checksum.status', 2, at)],
    info: '',
  };
}

interface OptionOut {
  fields: Field[];
  titles: string[];
  info: string;
}

function optionFields(v: Tcp, ctx: DissectContext, flags: number, ackRel: number, rev: Flow, fwd: Flow): OptionOut {
  const b = ctx.frame;
  const out: OptionOut = { fields: [], titles: [], info: '' };
  const isSyn = (flags & 0x002) !== 0;
  let nops = 0;
  let sawMss = false;
  const kindField = (o: TcpOption): Field => uintDec('tcp.option_kind', 'Kind', o.kind, o.offset, 1, { text: `Kind: ${KIND_NAMES[o.kind] ?? 'Unknown'} (${o.kind})` });
  const lenField = (o: TcpOption, children?: Field[]): Field => uintDec('tcp.option_len', 'Length', o.length, o.offset + 1, 1, { children });
  const optionNode = (o: TcpOption, text: string, children: Field[]): Field => {
    const bytes = b.slice(o.offset, o.offset + o.length);
    return rawField(optionProto(o.kind), text, 'bytes', bytes, formatBytesHex(bytes), o.offset, o.length, { text, children });
  };
  for (const o of v.options) {
    if (o.kind === 2) sawMss = true;
    if (o.type === 'invalid-length') {
      const title = optionTitle(o.kind);
      const msg = o.reason === 'too-short'
        ? `${title} (with too-short option length = ${o.length} byte${o.length === 1 ? '' : 's'})`
        : o.reason === 'past-end'
          ? `${title} (option length = ${o.length} bytes says option goes past end of options)`
          : `${title} (option length = 0 bytes says option goes past end of options)`;
      out.fields.push(rawField('', msg, 'none', null, '', o.offset, 2, { text: msg, children: [expertField('tcp.option.len.invalid', msg, 'Note', 'Sequence', o.offset, 2)] }));
      // Wireshark gives up on the options here, before its check for a missing MSS.
      return out;
    }
    out.titles.push(optionTitle(o.kind));
    if (o.type === 'nop') {
      nops++;
      const children = [kindField(o)];
      if (nops === 4) children.push(expertField('tcp.nop', '4 NOP in a row - a router may have removed some options', 'Warning', 'Protocol', o.offset, 1));
      out.fields.push(optionNode(o, 'TCP Option - No-Operation (NOP)', children));
      continue;
    }
    nops = 0;
    switch (o.type) {
      case 'eol': {
        out.fields.push(optionNode(o, 'TCP Option - End of Option List (EOL)', [kindField(o)]));
        if (o.nonZeroPadding) {
          const start = o.offset + 1;
          const end = v.optionsOffset + v.optionsLength;
          out.fields.push(rawField('', 'Non-zero header padding', 'none', null, '', start, end - start, {
            text: 'Non-zero header padding',
            children: [expertField('tcp.non_zero_bytes_after_eol', 'Non-zero header padding', 'Error', 'Protocol', start, end - start)],
          }));
        }
        break;
      }
      case 'mss': {
        const children: Field[] = [];
        if (!isSyn) children.push(expertField('tcp.options.mss.present', 'The non-SYN packet does contain a MSS option', 'Warning', 'Protocol', o.offset, o.length));
        children.push(kindField(o), lenField(o), uintDec('tcp.options.mss_val', 'MSS Value', o.mss, o.offset + 2, 2));
        out.fields.push(optionNode(o, `TCP Option - Maximum segment size: ${o.mss} bytes`, children));
        out.info += ` MSS=${o.mss}`;
        break;
      }
      case 'wscale': {
        const shift = Math.min(o.shift, 14);
        const mult = 2 ** shift;
        const shiftChildren = o.shift > 14 ? [expertField('tcp.options.wscale.shift.invalid', 'Window scale shift exceeds 14', 'Warning', 'Protocol', o.offset + 2, 1)] : undefined;
        out.fields.push(optionNode(o, `TCP Option - Window scale: ${o.shift} (multiply by ${mult})`, [
          kindField(o),
          lenField(o),
          uintDec('tcp.options.wscale.shift', 'Shift count', o.shift, o.offset + 2, 1, { children: shiftChildren }),
          uintDec('tcp.options.wscale.multiplier', 'Multiplier', mult, o.offset + 2, 1, { generated: true }),
        ]));
        out.info += ` WS=${mult}`;
        fwd.winScale = shift;
        break;
      }
      case 'sack-permitted':
        out.fields.push(optionNode(o, 'TCP Option - SACK permitted', [kindField(o), lenField(o)]));
        out.info += ' SACK_PERM';
        break;
      case 'timestamp':
        out.fields.push(optionNode(o, `TCP Option - Timestamps: TSval ${o.tsval}, TSecr ${o.tsecr}`, [
          kindField(o),
          lenField(o),
          uintDec('tcp.options.timestamp.tsval', 'Timestamp value', o.tsval, o.offset + 2, 4),
          uintDec('tcp.options.timestamp.tsecr', 'Timestamp echo reply', o.tsecr, o.offset + 6, 4),
        ]));
        out.info += ` TSval=${o.tsval} TSecr=${o.tsecr}`;
        break;
      case 'sack': {
        const base = rev.baseSeq ?? 0;
        const children: Field[] = [kindField(o), lenField(o)];
        const edges: string[] = [];
        const rel: { left: number; right: number }[] = [];
        o.blocks.forEach((blk, i) => {
          const at = o.offset + 2 + i * 8;
          const le = (blk.left - base) >>> 0;
          const re = (blk.right - base) >>> 0;
          rel.push({ left: le, right: re });
          children.push(
            uintDec('tcp.options.sack_le', 'left edge', le, at, 4, { text: `left edge = ${le} (relative)` }),
            uintDec('tcp.options.sack_re', 'right edge', re, at + 4, 4, { text: `right edge = ${re} (relative)` }),
          );
          out.info += ` SLE=${le} SRE=${re}`;
          edges.push(`${le}-${re}`);
        });
        const tail = o.offset + 2 + o.blocks.length * 8;
        if (o.trailing >= 4) {
          const le = (u32(b, tail) - base) >>> 0;
          children.push(uintDec('tcp.options.sack_le', 'left edge', le, tail, 4, { text: `left edge = ${le} (relative)` }));
        }
        if (o.trailing > 0) {
          const at = o.trailing >= 4 ? tail + 4 : tail;
          const n = o.trailing >= 4 ? o.trailing - 4 : o.trailing;
          children.push(rawField('', 'suboption would go past end of option', 'none', null, '', at, n, {
            text: 'suboption would go past end of option',
            children: [expertField('tcp.suboption_malformed', 'suboption would go past end of option', 'Error', 'Malformed', at, n)],
          }));
        }
        children.push(uintDec('tcp.options.sack.count', 'TCP SACK Count', rel.length, 0, 0, { generated: true, text: `[TCP SACK Count: ${rel.length}]` }));
        // Remembered for the peer's bytes-in-flight (Wireshark keeps at most 3 blocks).
        fwd.sacks = rel.slice(0, 3);
        // With no whole block, Wireshark compares an empty right edge (0) and reads the left edge only.
        if (rel.length === 0 && o.trailing >= 4 && leSeq(0, ackRel)) {
          const le = (u32(b, o.offset + 2) - base) >>> 0;
          children.push(uintDec('tcp.options.sack.dsack_le', 'D-SACK Left Edge', le, o.offset + 2, 4, { generated: true, text: `[D-SACK Left Edge = ${le} (relative)]` }));
        }
        const dsack = rel.length > 0 && (leSeq(rel[0].right, ackRel) || (rel.length > 1 && ltSeq(rel[1].left, rel[0].right) && !ltSeq(rel[1].right, rel[0].right)));
        if (dsack) {
          const at = o.offset + 2;
          children.push(
            uintDec('tcp.options.sack.dsack_le', 'D-SACK Left Edge', rel[0].left, at, 4, { generated: true, text: `[D-SACK Left Edge = ${rel[0].left} (relative)]` }),
            uintDec('tcp.options.sack.dsack_re', 'D-SACK Right Edge', rel[0].right, at + 4, 4, { generated: true, text: `[D-SACK Right Edge = ${rel[0].right} (relative)]` }),
            rawField('', 'D-SACK Sequence', 'none', null, '', at, 8, { text: 'D-SACK Sequence', children: [expertField('tcp.options.sack.dsack', 'D-SACK Sequence', 'Warning', 'Sequence', at, 8)] }),
          );
        }
        out.fields.push(optionNode(o, `TCP Option - SACK${edges.length ? ' ' + edges.join(' ') : ''}`, children));
        break;
      }
      case 'wrong-length': {
        const expected = [expertField('tcp.option.len.invalid', `option length should be ${o.expected}`, 'Note', 'Sequence', o.offset + 1, 1)];
        const children: Field[] = [];
        if (o.kind === 2 && !isSyn) children.push(expertField('tcp.options.mss.present', 'The non-SYN packet does contain a MSS option', 'Warning', 'Protocol', o.offset, o.length));
        children.push(kindField(o), lenField(o, expected));
        const titles: Record<number, string> = { 2: 'TCP Option - Maximum segment size', 3: 'TCP Option - Window scale', 4: 'TCP Option - SACK permitted', 8: 'TCP Option - Timestamps' };
        out.fields.push(optionNode(o, titles[o.kind] ?? 'TCP Option - Unknown', children));
        if (o.kind === 4) out.info += ' SACK_PERM';
        break;
      }
      case 'unknown': {
        const children: Field[] = [kindField(o), lenField(o)];
        if (o.kind === 253 || o.kind === 254) {
          // RFC 6994: a 16-bit Experiment Identifier, then the experiment's data.
          if (o.length >= 4) {
            const exid = (o.data[0] << 8) | o.data[1];
            children.push(uintHex('tcp.options.experimental.exid', 'Experiment Identifier', exid, 4, o.offset + 2, 2, { text: `Experiment Identifier: Unknown (${hex(exid, 4)})` }));
            const data = o.data.subarray(2);
            children.push(rawField('tcp.options.experimental.data', 'Data', 'bytes', data, formatBytesHex(data), o.offset + 4, o.length - 4, { text: `Data: ${data.length === 0 ? '<MISSING>' : formatBytesHex(data)}` }));
          }
          out.fields.push(optionNode(o, 'TCP Option - Experimental: Unknown', children));
          break;
        }
        if (o.length > 2) children.push(rawField('tcp.options.unknown.payload', 'Payload', 'bytes', o.data, formatBytesHex(o.data), o.offset + 2, o.length - 2));
        out.fields.push(optionNode(o, 'TCP Option - Unknown', children));
        break;
      }
    }
  }
  // A SACK without a whole block ends the options with an exception, before the MSS check.
  const thrown = v.options.some((o) => o.type === 'sack' && o.blocks.length === 0);
  if (isSyn && !sawMss && !thrown) out.fields.push(expertField('tcp.options.mss.absent', 'The SYN packet does not contain a MSS option', 'Note', 'Protocol', v.optionsOffset, v.optionsLength));
  return out;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) >>> 0) + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]);
}


// The `tcp` protocol as Wireshark 4.0 shows it with its default preferences: stream index,
// conversation completeness, relative sequence and acknowledgment numbers (relative to the first
// sequence number seen in each direction), window scaling learnt from the SYNs, checksum, options
// with their summary-line notes (MSS=, WS=, SACK_PERM, TSval=, SLE=), per-stream timestamps and the
// payload. The SEQ/ACK analysis is in tcp-analysis.ts, the flags and checksum in tcp-header-fields.ts,
// the options in tcp-options-fields.ts, the value strings in tcp-names.ts.

import type { DecodedLayer } from '../../wire/layer.ts';
import type { Tcp } from '../../wire/tcp.ts';
import type { DissectContext } from '../context.ts';
import { expertField } from '../expert.ts';
import { type Field, type ProtoNode, rawField, uintDec, formatBytesHex } from '../field.ts';
import { checksumFields, checksumInfo, flagsField, noteClosing } from './tcp-header-fields.ts';
import { completenessText, tcpFlagsText } from './tcp-names.ts';
import { optionFields } from './tcp-options-fields.ts';
import { nsDelta } from '../frame-fields.ts';
import { bitPattern, textItem } from './link-fields.ts';
import { analysisFields, analyzeSegment, type AnalysisFlow, newAnalysisFlow, noteHandshake, type SegmentAnalysis, TA } from './tcp-analysis.ts';
import { ConversationTable, enclosingIpOf, endpointKey, packetTime, relTimeField } from './udp.ts';
import { EndedConversations, isGone, revive, type TcpConv } from './tcp-conversation-end.ts';

interface TcpState {
  convs: ConversationTable<TcpConv>;
  /** Frame number and offset of a payload Wireshark would not hand to a dissector (a retransmission). */
  heldPayload: { frame: number; offset: number } | undefined;
  /** Conversations that are over, let go after a grace (tcp-conversation-end.ts). */
  ended: EndedConversations;
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
  return { convs: new ConversationTable<TcpConv>(), heldPayload: undefined, ended: new EndedConversations() };
}

type Flow = AnalysisFlow;

const HIDDEN = { hidden: true } as const;

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
  // Fields only an output or a filter reads are built when it asks for them (state.wants); tcp.len
  // and tcp.stream always are (the stream reassembly reads them), and the state always moves on.
  const want = (prefix: string): boolean => ctx.state.wants(prefix);
  const finish = (): ProtoNode[] => {
    node.label = label;
    node.columns = { protocol: 'TCP', info };
    return [node];
  };
  if (avail >= 2 && want('tcp.srcport')) fields.push(uintDec('tcp.srcport', 'Source Port', sp, off, 2));
  if (avail >= 4) {
    if (want('tcp.dstport')) fields.push(uintDec('tcp.dstport', 'Destination Port', dp, off + 2, 2));
    if (want('tcp.port')) {
      fields.push(uintDec('tcp.port', 'Source or Destination Port', sp, off, 2, HIDDEN));
      fields.push(uintDec('tcp.port', 'Source or Destination Port', dp, off + 2, 2, HIDDEN));
    }
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
  const mk = (index: number): TcpConv => ({
    index,
    completeness: 0,
    first: now,
    prev: now,
    a: newAnalysisFlow(),
    b: newAnalysisFlow(),
    analysis: { tsMruSyn: undefined, firstRtt: undefined },
    end: 0,
    kept: undefined,
  });
  if (!ctx.inIcmpError) state.ended.expire(now, ctx.state);
  const found = state.convs.find(srcKey, dstKey, mk);
  let conv = found.data;
  if (isGone(conv)) revive(conv);
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
  const reused = (): SegmentAnalysis => ({
    flags: TA.REUSED_PORTS,
    frameAcked: 0,
    ackRtt: undefined,
    dupAckNum: 0,
    dupAckFrame: 0,
    bytesInFlight: 0,
    pushBytesSent: 0,
    rto: undefined,
    rtoFrame: 0,
  });
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
  if (want('tcp.completeness')) {
    fields.push(
      uintDec('tcp.completeness', 'Conversation completeness', conv.completeness, 0, 0, {
        generated: true,
        text: `[Conversation completeness: ${completenessText(conv.completeness)} (${conv.completeness})]`,
      }),
    );
  }
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
      fields.push(uintDec('tcp.len', 'TCP Segment Len', seglen, off + 12, 1, { generated: true, text: `[TCP Segment Len: ${seglen}]` }));
      // SEQ/ACK analysis; it also sets the base of the relative numbers: each direction from its
      // first sequence number (the SYN's, else seq - 1).
      ta = analyzeSegment({ frame: ctx.packet.number, time: now, seq: v.seq, ack: v.ack, seglen, flags, window: v.window }, fwd, rev, conv.analysis, ta);
      seq = (v.seq - (fwd.baseSeq ?? 0)) >>> 0;
      if (flags & ACK) ack = (v.ack - (rev.baseSeq ?? 0)) >>> 0;
      if (!(flags & SYN) && fwd.winScale >= 0) win = v.window * 2 ** fwd.winScale;
      state.ended.note(conv, forward, flags);
    }
  }
  const nxtseq = (seq + seglen) >>> 0;
  info += ` [${tcpFlagsText(flags)}] Seq=${seq}`;
  if (flags & ACK) info += ` Ack=${ack}`;
  info += ` Win=${win}`;
  label += `, Seq: ${seq}`;
  if (!quoted && want('tcp.seq')) {
    fields.push(uintDec('tcp.seq', 'Sequence Number', seq, off + 4, 4, { text: `Sequence Number: ${seq}    (relative sequence number)` }));
    fields.push(uintDec('tcp.seq_raw', 'Sequence Number (raw)', v.seq, off + 4, 4));
  }
  const hdrText = (): string => `${bitPattern(b[off + 12], 0xf0, 8)} = Header Length: ${hl} bytes (${v.dataOffset})`;
  if (v.bogusHeaderLength) {
    info += `, bogus TCP header length (${hl}, must be at least 20)`;
    fields.push(
      uintDec('tcp.hdr_len', 'Header Length', hl, off + 12, 1, {
        text: hdrText(),
        children: [expertField('tcp.bogus_header_length', `Bogus TCP header length (${hl}, must be at least 20)`, 'Error', 'Protocol', off + 12, 1)],
      }),
    );
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
  if (haveSeglen && want('tcp.nxtseq')) {
    const n = flags & (SYN | FIN) ? (nxtseq + 1) >>> 0 : nxtseq;
    fields.push(
      uintDec('tcp.nxtseq', 'Next Sequence Number', n, off, 0, { generated: true, text: `[Next Sequence Number: ${n}    (relative sequence number)]` }),
    );
  }
  if (want('tcp.ack')) {
    const ackChildren =
      !(flags & ACK) && v.ack !== 0
        ? [expertField('tcp.ack.nonzero', 'The acknowledgment number field is nonzero while the ACK flag is not set', 'Note', 'Protocol', off + 8, 4)]
        : undefined;
    fields.push(
      uintDec('tcp.ack', 'Acknowledgment Number', ack, off + 8, 4, {
        text: flags & ACK ? `Acknowledgment Number: ${ack}    (relative ack number)` : undefined,
        children: ackChildren,
      }),
    );
    fields.push(uintDec('tcp.ack_raw', 'Acknowledgment number (raw)', v.ack, off + 8, 4));
  }
  if (want('tcp.hdr_len')) fields.push(uintDec('tcp.hdr_len', 'Header Length', hl, off + 12, 1, { text: hdrText() }));
  if (want('tcp.flags') || want('tcp.connection')) fields.push(flagsField(v, off, rev, fwd, flags));
  else noteClosing(rev, fwd, flags);
  noteHandshake(conv.analysis, flags, now, fwd);
  // Window: the SYN's is never scaled.
  const wantWindow = want('tcp.window_size');
  if (wantWindow) {
    fields.push(uintDec('tcp.window_size_value', 'Window', v.window, off + 14, 2));
    fields.push(uintDec('tcp.window_size', 'Calculated window size', win, off + 14, 2, { generated: true }));
  }
  if (!(flags & SYN) && wantWindow) {
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
  // Checksum.
  if (want('tcp.checksum')) {
    const cks = checksumFields(v, off + 16);
    fields.push(...cks.fields);
    info += cks.info;
  } else info += checksumInfo(v);
  if (want('tcp.urgent_pointer')) {
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
  const timestamps = want('tcp.time')
    ? textItem('[Timestamps]', off, 0, [
        relTimeField('tcp.time_relative', 'Time since first frame in this TCP stream', nsDelta(now, conv.first), off),
        relTimeField('tcp.time_delta', 'Time since previous frame in this TCP stream', delta, off),
      ])
    : undefined;
  if (optLen > 0) {
    // The options' expert notes (tcp.nop, tcp.non_zero_bytes_after_eol, tcp.suboption_malformed)
    // live in the options' subtree.
    const tree = want('tcp.option') || want('tcp.nop') || want('tcp.non_zero') || want('tcp.suboption');
    const o = optionFields(v, ctx, flags, ack, rev, fwd, tree);
    if (tree) {
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
    }
    info += o.info;
    // Wireshark adds the timestamps before dissecting the options' contents, but shows them after.
  }
  if (timestamps !== undefined) fields.push(timestamps);
  const analysis = analysisFields(ta, conv.analysis, off);
  if (analysis.field !== undefined) fields.push(analysis.field);
  info = analysis.prefix + info;
  if (flags & SYN) verifyWindowScaling(fwd, rev, (flags & ACK) !== 0);
  // Payload.
  const payloadStart = off + hl;
  const captured = Math.max(Math.min(b.length, off + hl + seglen) - payloadStart, 0);
  if (haveSeglen && seglen > 0 && captured > 0 && layer.malformed.length === 0) {
    const pb = (): Uint8Array => b.slice(payloadStart, payloadStart + captured);
    if (want('tcp.payload')) {
      const bytes = pb();
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
      if (v.checksumStatus !== 'bad' && f & TA.RETRANSMISSION && !(f & TA.SPURIOUS_RETRANSMISSION) && want('tcp.segment_data')) {
        const bytes = pb();
        fields.push(
          rawField('tcp.segment_data', 'TCP segment data', 'bytes', bytes, formatBytesHex(bytes), payloadStart, captured, {
            text: `Retransmitted TCP segment data (${seglen} byte${seglen === 1 ? '' : 's'})`,
          }),
        );
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

// Wireshark's TCP SEQ/ACK analysis, as tshark 4.0 runs it in one pass with its default preferences:
// which earlier segment an ACK acknowledges and the RTT, the initial RTT, bytes in flight, bytes
// sent since the last PSH, and the per-segment verdicts (retransmission, fast retransmission,
// spurious retransmission, out-of-order, previous segment not captured, ACKed unseen segment,
// window update/full, keep-alive, duplicate ACK, zero window) that prefix the Info column.
//
// All sequence numbers here are the raw 32-bit values; comparisons wrap as TCP's do.

import { expertField } from '../expert.ts';
import { type Field, rawField, uintDec } from '../field.ts';
import { formatRelTime, type NsTime, nsDelta } from '../frame-fields.ts';
import { registerFields } from '../known-fields.ts';
import { noneField } from './link-fields.ts';

// The analysis fields, with their Wireshark 4.0 types.
registerFields({
  'tcp.analysis': 'FT_NONE',
  'tcp.analysis.flags': 'FT_NONE',
  'tcp.analysis.acks_frame': 'FT_FRAMENUM',
  'tcp.analysis.ack_rtt': 'FT_RELATIVE_TIME',
  'tcp.analysis.initial_rtt': 'FT_RELATIVE_TIME',
  'tcp.analysis.bytes_in_flight': 'FT_UINT32',
  'tcp.analysis.push_bytes_sent': 'FT_UINT32',
  'tcp.analysis.duplicate_ack': 'FT_NONE',
  'tcp.analysis.duplicate_ack_num': 'FT_UINT32',
  'tcp.analysis.duplicate_ack_frame': 'FT_FRAMENUM',
  'tcp.analysis.rto': 'FT_RELATIVE_TIME',
  'tcp.analysis.rto_frame': 'FT_FRAMENUM',
  'tcp.analysis.retransmission': 'FT_NONE',
  'tcp.analysis.fast_retransmission': 'FT_NONE',
  'tcp.analysis.spurious_retransmission': 'FT_NONE',
  'tcp.analysis.out_of_order': 'FT_NONE',
  'tcp.analysis.reused_ports': 'FT_NONE',
  'tcp.analysis.lost_segment': 'FT_NONE',
  'tcp.analysis.ack_lost_segment': 'FT_NONE',
  'tcp.analysis.window_update': 'FT_NONE',
  'tcp.analysis.window_full': 'FT_NONE',
  'tcp.analysis.keep_alive': 'FT_NONE',
  'tcp.analysis.keep_alive_ack': 'FT_NONE',
  'tcp.analysis.zero_window': 'FT_NONE',
  'tcp.analysis.zero_window_probe': 'FT_NONE',
  'tcp.analysis.zero_window_probe_ack': 'FT_NONE',
  'tcp.segment_data': 'FT_BYTES',
});

export const TA = {
  RETRANSMISSION: 0x0001,
  LOST_PACKET: 0x0002,
  ACK_LOST_PACKET: 0x0004,
  KEEP_ALIVE: 0x0008,
  DUPLICATE_ACK: 0x0010,
  ZERO_WINDOW: 0x0020,
  ZERO_WINDOW_PROBE: 0x0040,
  ZERO_WINDOW_PROBE_ACK: 0x0080,
  KEEP_ALIVE_ACK: 0x0100,
  OUT_OF_ORDER: 0x0200,
  FAST_RETRANSMISSION: 0x0400,
  WINDOW_UPDATE: 0x0800,
  WINDOW_FULL: 0x1000,
  REUSED_PORTS: 0x2000,
  SPURIOUS_RETRANSMISSION: 0x4000,
} as const;

/** A segment sent but not yet acknowledged. */
interface Unacked {
  frame: number;
  seq: number;
  nextseq: number;
  ts: NsTime;
}

/** What the analysis keeps per direction of a conversation. */
export interface AnalysisFlow {
  baseSeq: number | undefined;
  /** -1 unknown, -2 no scaling, else the shift from this direction's SYN. */
  winScale: number;
  closingInitiator: boolean;
  nextseq: number;
  nextseqFrame: number;
  nextseqTime: NsTime;
  maxSeqToBeAcked: number;
  lastAck: number;
  lastAckTime: NsTime;
  lastNonDupAck: number;
  dupAckNum: number;
  /** Unacknowledged segments, newest first. */
  segments: Unacked[];
  window: number;
  lastSegmentFlags: number;
  validBif: boolean;
  pushBytesSent: number;
  pushSetLast: boolean;
  /** Relative SACK edges this direction sent in its latest segment. */
  sacks: { left: number; right: number }[];
  isFirstAck: boolean;
}

export function newAnalysisFlow(): AnalysisFlow {
  const zero = { secs: 0, nsecs: 0 };
  return {
    baseSeq: undefined,
    winScale: -1,
    closingInitiator: false,
    nextseq: 0,
    nextseqFrame: 0,
    nextseqTime: zero,
    maxSeqToBeAcked: 0,
    lastAck: 0,
    lastAckTime: zero,
    lastNonDupAck: 0,
    dupAckNum: 0,
    segments: [],
    // Wireshark starts with the largest window: an unseen peer has not closed its window.
    window: 0xffffffff,
    lastSegmentFlags: 0,
    validBif: true,
    pushBytesSent: 0,
    pushSetLast: false,
    sacks: [],
    isFirstAck: false,
  };
}

/** What the analysis found for one segment (Wireshark's tcp_acked). */
export interface SegmentAnalysis {
  flags: number;
  frameAcked: number;
  ackRtt: NsTime | undefined;
  dupAckNum: number;
  dupAckFrame: number;
  bytesInFlight: number;
  pushBytesSent: number;
  rto: NsTime | undefined;
  rtoFrame: number;
}

function newSegmentAnalysis(): SegmentAnalysis {
  return { flags: 0, frameAcked: 0, ackRtt: undefined, dupAckNum: 0, dupAckFrame: 0, bytesInFlight: 0, pushBytesSent: 0, rto: undefined, rtoFrame: 0 };
}

/** The conversation-wide part: SYN time, initial RTT. */
export interface AnalysisConversation {
  tsMruSyn: NsTime | undefined;
  firstRtt: NsTime | undefined;
}

const MAX_UNACKED = 10000;
const FIN = 0x001;
const SYN = 0x002;
const RST = 0x004;
const PSH = 0x008;
const ACK = 0x010;

const gt = (a: number, b: number): boolean => ((a - b) | 0) > 0;
const lt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const le = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
const u32 = (x: number): number => x >>> 0;
const nsOf = (t: NsTime): number => t.secs * 1e9 + t.nsecs;
const isZero = (t: NsTime | undefined): boolean => t === undefined || (t.secs === 0 && t.nsecs === 0);

/** Sets a verdict on the segment's analysis, making it on the first one. */
function mark(a: SegmentAnalysis | undefined, flag: number): SegmentAnalysis {
  const t = a ?? newSegmentAnalysis();
  t.flags |= flag;
  return t;
}

/**
 * Runs the analysis for one segment with a known length (Wireshark's tcp_analyze_sequence_number):
 * frame number, capture time, raw sequence and acknowledgment numbers, segment length, flags and the
 * window field as sent (unscaled). `ta` may already hold flags set earlier for this frame (reused ports).
 */
export function analyzeSegment(
  frame: number,
  time: NsTime,
  seq: number,
  ack: number,
  seglen: number,
  flags: number,
  window: number,
  fwd: AnalysisFlow,
  rev: AnalysisFlow,
  conv: AnalysisConversation,
  ta: SegmentAnalysis | undefined,
): SegmentAnalysis | undefined {
  let a = ta;
  // Base sequence numbers: the SYN's, else seq - 1; the other direction's from the first ACK.
  if (fwd.baseSeq === undefined) fwd.baseSeq = flags & SYN ? seq : u32(seq - 1);
  if (rev.baseSeq === undefined && flags & ACK) rev.baseSeq = u32(ack - 1);
  if (flags & ACK) rev.validBif = true;

  let skipToFinished = false;
  // Zero window probe: one byte at the next sequence number while the peer's window is closed.
  if (seglen === 1 && seq === fwd.nextseq && rev.window === 0) {
    a = mark(a, TA.ZERO_WINDOW_PROBE);
    skipToFinished = true;
  }
  if (!skipToFinished) {
    if (window === 0 && (flags & (RST | FIN | SYN)) === 0) a = mark(a, TA.ZERO_WINDOW);
    if (fwd.nextseq !== 0 && gt(seq, fwd.nextseq) && (flags & RST) === 0) {
      a = mark(a, TA.LOST_PACKET);
      fwd.validBif = false;
    }
    if ((seglen === 0 || seglen === 1) && seq === u32(fwd.nextseq - 1) && (flags & (SYN | FIN | RST)) === 0) a = mark(a, TA.KEEP_ALIVE);
    if (seglen === 0 && window !== 0 && window !== fwd.window && seq === fwd.nextseq && ack === fwd.lastAck && (flags & (SYN | FIN | RST)) === 0)
      a = mark(a, TA.WINDOW_UPDATE);
    if (seglen > 0 && rev.winScale !== -1 && (flags & (SYN | FIN | RST)) === 0) {
      const shift = rev.isFirstAck ? 0 : rev.winScale === -2 ? 0 : rev.winScale;
      if (u32(seq + seglen) === u32(rev.lastAck + rev.window * 2 ** shift)) a = mark(a, TA.WINDOW_FULL);
    }
    const sameAsLast = seglen === 0 && seq === fwd.nextseq && ack === fwd.lastAck && (flags & (SYN | FIN | RST)) === 0;
    if (sameAsLast && window !== 0 && window === fwd.window && rev.lastSegmentFlags & TA.KEEP_ALIVE) {
      a = mark(a, TA.KEEP_ALIVE_ACK);
    } else if (sameAsLast && window === 0 && window === fwd.window && rev.lastSegmentFlags & TA.ZERO_WINDOW_PROBE) {
      a = mark(a, TA.ZERO_WINDOW_PROBE_ACK);
    } else if (sameAsLast && window !== 0 && window === fwd.window) {
      fwd.dupAckNum = fwd.dupAckNum === -1 ? 1 : fwd.dupAckNum + 1;
      const t = mark(a, TA.DUPLICATE_ACK);
      a = t;
      t.dupAckNum = fwd.dupAckNum;
      t.dupAckFrame = fwd.lastNonDupAck;
    }
  }
  // finished_fwd: a new ACK number resets the duplicate count.
  if (ack !== fwd.lastAck) {
    fwd.lastNonDupAck = frame;
    fwd.dupAckNum = 0;
  }
  // An ACK beyond what the other direction sent: segments went by uncaptured.
  if (rev.maxSeqToBeAcked !== 0 && gt(ack, rev.maxSeqToBeAcked) && (flags & ACK) !== 0) {
    if (lt(rev.maxSeqToBeAcked, rev.nextseq)) {
      // Move the other direction's bound on so the same gap is not reported again.
      rev.maxSeqToBeAcked = rev.nextseq;
      a = mark(a, TA.ACK_LOST_PACKET);
    } else {
      // The bound cannot move: report once until the other direction ACKs something new.
      if (rev.dupAckNum === 0) a = mark(a, TA.ACK_LOST_PACKET);
      rev.dupAckNum = -1;
    }
  }
  // Retransmissions, fast retransmissions, spurious retransmissions and out-of-order segments.
  if ((seglen > 0 || flags & (SYN | FIN)) && !(a !== undefined && a.flags & TA.KEEP_ALIVE)) {
    let notAdvanced = fwd.nextseq !== 0 && lt(seq, fwd.nextseq);
    if (seglen > 1 && u32(fwd.nextseq - 1) === seq) notAdvanced = false;
    if (seglen > 0 && rev.lastAck !== 0 && le(u32(seq + seglen), rev.lastAck)) {
      a = mark(a, TA.SPURIOUS_RETRANSMISSION);
    } else {
      const sinceAck = nsOf(time) - nsOf(rev.lastAckTime);
      const sinceNext = nsOf(time) - nsOf(fwd.nextseqTime);
      const oooThreshold = isZero(conv.firstRtt) ? 3_000_000 : nsOf(conv.firstRtt as NsTime);
      const expectedNext = u32(seq + seglen + (flags & (SYN | FIN) ? 1 : 0));
      if (notAdvanced && rev.dupAckNum >= 2 && rev.lastAck === seq && sinceAck < 20_000_000) {
        a = mark(a, TA.FAST_RETRANSMISSION);
      } else if (notAdvanced && sinceNext < oooThreshold && fwd.nextseq !== expectedNext) {
        a = mark(a, TA.OUT_OF_ORDER);
      } else if (notAdvanced) {
        const t = mark(a, TA.RETRANSMISSION);
        a = t;
        t.rto = nsDelta(time, fwd.nextseqTime);
        t.rtoFrame = fwd.nextseqFrame;
        // The eldest unacknowledged segment is most likely the one sent again.
        const eldest = fwd.segments[fwd.segments.length - 1];
        if (eldest !== undefined) {
          t.rto = nsDelta(time, eldest.ts);
          t.rtoFrame = eldest.frame;
        }
      }
    }
  }
  // finished_checking_retransmission_type
  let nextseq = u32(seq + seglen);
  if ((seglen !== 0 || flags & (SYN | FIN)) && fwd.segments.length < MAX_UNACKED) {
    if (flags & (SYN | FIN)) nextseq = u32(nextseq + 1);
    fwd.segments.unshift({ frame: frame, seq, nextseq, ts: time });
  }
  const zwp = a !== undefined && (a.flags & TA.ZERO_WINDOW_PROBE) !== 0;
  if ((gt(nextseq, fwd.nextseq) || fwd.nextseq === 0) && !zwp) {
    fwd.nextseq = nextseq;
    fwd.nextseqFrame = frame;
    fwd.nextseqTime = time;
  }
  if ((seq === fwd.maxSeqToBeAcked || fwd.maxSeqToBeAcked === 0) && !zwp) fwd.maxSeqToBeAcked = fwd.nextseq;
  fwd.window = window;
  fwd.lastAck = ack;
  fwd.lastAckTime = time;
  fwd.lastSegmentFlags = a?.flags ?? 0;
  // Drop what this ACK acknowledges in the other direction (and find the segment it acks exactly).
  const segs = rev.segments;
  let kept = 0;
  for (let i = 0; i < segs.length; i++) {
    const u = segs[i];
    if (ack === u.nextseq) {
      a ??= newSegmentAnalysis();
      a.frameAcked = u.frame;
      a.ackRtt = nsDelta(time, u.ts);
      continue;
    }
    if (gt(ack, u.seq) && le(ack, u.nextseq)) {
      u.seq = ack;
      segs[kept++] = u;
      continue;
    }
    if (gt(u.nextseq, ack)) {
      segs[kept++] = u;
    }
  }
  if (kept !== segs.length) segs.length = kept;
  // Bytes in flight, from the unacknowledged segments of this direction, less what the peer SACKed.
  if (seglen !== 0 && fwd.segments.length > 0 && fwd.validBif) {
    const base = fwd.baseSeq ?? 0;
    let first = u32(fwd.segments[0].seq - base);
    let last = u32(fwd.segments[0].nextseq - base);
    for (const u of fwd.segments) {
      if (u32(u.nextseq - base) > last) last = u32(u.nextseq - base);
      if (u32(u.seq - base) < first) first = u32(u.seq - base);
    }
    let inFlight = u32(last - first);
    let delivered = 0;
    for (const r of rev.sacks) delivered += u32(r.right - r.left);
    inFlight = u32(inFlight - delivered);
    if (inFlight > 0 && inFlight < 2_000_000_000) {
      a ??= newSegmentAnalysis();
      a.bytesInFlight = inFlight - (flags & (SYN | FIN) ? 1 : 0);
    }
    if (flags & PSH) {
      fwd.pushBytesSent = fwd.pushSetLast ? seglen : fwd.pushBytesSent + seglen;
      fwd.pushSetLast = true;
    } else if (fwd.pushSetLast) {
      fwd.pushBytesSent = seglen;
      fwd.pushSetLast = false;
    } else {
      fwd.pushBytesSent += seglen;
    }
    a ??= newSegmentAnalysis();
    a.pushBytesSent = fwd.pushBytesSent;
  }
  return a;
}

/** Notes a pure ACK after a SYN as the end of the handshake (the initial RTT). */
export function noteHandshake(conv: AnalysisConversation, flags: number, time: NsTime, fwd: AnalysisFlow): void {
  if ((flags & (SYN | ACK)) === SYN) conv.tsMruSyn = time;
  if ((flags & (SYN | ACK)) === ACK && conv.tsMruSyn !== undefined && isZero(conv.firstRtt)) conv.firstRtt = nsDelta(time, conv.tsMruSyn);
  if (flags & SYN) fwd.isFirstAck = true;
  if ((flags & (SYN | ACK)) === ACK && fwd.isFirstAck) fwd.isFirstAck = false;
}

function relField(name: string, label: string, t: NsTime, generated = true): Field {
  const s = formatRelTime(t);
  return rawField(name, label, 'reltime', t.secs + t.nsecs / 1e9, s, 0, 0, { generated, text: `[${label}: ${s} seconds]` });
}

/**
 * The Info prefixes alone ("[TCP Retransmission] "...), for an output that reads no analysis field:
 * the same text as analysisFields' prefix, without the tree.
 */
export function analysisPrefix(a: SegmentAnalysis): string {
  const f = a.flags;
  // Each verdict is prepended, so the last one checked comes first.
  let p = '';
  if (f & TA.REUSED_PORTS) p = '[TCP Port numbers reused] ' + p;
  if (f & TA.RETRANSMISSION) p = '[TCP Retransmission] ' + p;
  if (f & TA.FAST_RETRANSMISSION) p = '[TCP Fast Retransmission] ' + p;
  if (f & TA.SPURIOUS_RETRANSMISSION) p = '[TCP Spurious Retransmission] ' + p;
  if (f & TA.OUT_OF_ORDER) p = '[TCP Out-Of-Order] ' + p;
  if (f & TA.LOST_PACKET) p = '[TCP Previous segment not captured] ' + p;
  if (f & TA.ACK_LOST_PACKET) p = '[TCP ACKed unseen segment] ' + p;
  if (f & TA.WINDOW_UPDATE) p = '[TCP Window Update] ' + p;
  if (f & TA.WINDOW_FULL) p = '[TCP Window Full] ' + p;
  if (f & TA.KEEP_ALIVE) p = '[TCP Keep-Alive] ' + p;
  if (f & TA.KEEP_ALIVE_ACK) p = '[TCP Keep-Alive ACK] ' + p;
  if (a.dupAckNum !== 0 && f & TA.DUPLICATE_ACK) p = `[TCP Dup ACK ${a.dupAckFrame}#${a.dupAckNum}] ` + p;
  if (f & TA.ZERO_WINDOW_PROBE) p = '[TCP ZeroWindowProbe] ' + p;
  if (f & TA.ZERO_WINDOW) p = '[TCP ZeroWindow] ' + p;
  if (f & TA.ZERO_WINDOW_PROBE_ACK) p = '[TCP ZeroWindowProbeAck] ' + p;
  return p;
}

/** The "[SEQ/ACK analysis]" subtree and the Info prefixes ("[TCP Retransmission] "...), as tshark prints them. */
export function analysisFields(a: SegmentAnalysis | undefined, conv: AnalysisConversation, offset: number): { field: Field | undefined; prefix: string } {
  if (a === undefined) return { field: undefined, prefix: '' };
  const children: Field[] = [];
  const prefixes: string[] = [];
  if (a.frameAcked !== 0) {
    children.push(
      uintDec('tcp.analysis.acks_frame', 'This is an ACK to the segment in frame', a.frameAcked, 0, 0, {
        generated: true,
        text: `[This is an ACK to the segment in frame: ${a.frameAcked}]`,
      }),
    );
    if (!isZero(a.ackRtt)) children.push(relField('tcp.analysis.ack_rtt', 'The RTT to ACK the segment was', a.ackRtt as NsTime));
  }
  if (!isZero(conv.firstRtt)) children.push(relField('tcp.analysis.initial_rtt', 'iRTT', conv.firstRtt as NsTime));
  if (a.bytesInFlight !== 0) {
    children.push(
      uintDec('tcp.analysis.bytes_in_flight', 'Bytes in flight', a.bytesInFlight, 0, 0, { generated: true, text: `[Bytes in flight: ${a.bytesInFlight}]` }),
      uintDec('tcp.analysis.push_bytes_sent', 'Bytes sent since last PSH flag', a.pushBytesSent, 0, 0, {
        generated: true,
        text: `[Bytes sent since last PSH flag: ${a.pushBytesSent}]`,
      }),
    );
  }
  if (a.flags !== 0) {
    const f = a.flags;
    const flagKids: Field[] = [];
    const expert = (name: string, message: string, severity: 'Chat' | 'Note' | 'Warning'): void => {
      flagKids.push(expertField(name, message, severity, 'Sequence', offset, 0));
    };
    const afterFlags: Field[] = [];
    if (f & TA.REUSED_PORTS) {
      expert('tcp.analysis.reused_ports', 'A new tcp session is started with the same ports as an earlier session in this trace', 'Note');
      prefixes.push('[TCP Port numbers reused] ');
    }
    if (f & TA.RETRANSMISSION) {
      expert('tcp.analysis.retransmission', 'This frame is a (suspected) retransmission', 'Note');
      prefixes.push('[TCP Retransmission] ');
      if (!isZero(a.rto)) {
        flagKids.push(
          relField('tcp.analysis.rto', 'The RTO for this segment was', a.rto as NsTime),
          uintDec('tcp.analysis.rto_frame', 'RTO based on delta from frame', a.rtoFrame, 0, 0, {
            generated: true,
            text: `[RTO based on delta from frame: ${a.rtoFrame}]`,
          }),
        );
      }
    }
    if (f & TA.FAST_RETRANSMISSION) {
      expert('tcp.analysis.fast_retransmission', 'This frame is a (suspected) fast retransmission', 'Note');
      expert('tcp.analysis.retransmission', 'This frame is a (suspected) retransmission', 'Note');
      prefixes.push('[TCP Fast Retransmission] ');
    }
    if (f & TA.SPURIOUS_RETRANSMISSION) {
      expert('tcp.analysis.spurious_retransmission', 'This frame is a (suspected) spurious retransmission', 'Note');
      expert('tcp.analysis.retransmission', 'This frame is a (suspected) retransmission', 'Note');
      prefixes.push('[TCP Spurious Retransmission] ');
    }
    if (f & TA.OUT_OF_ORDER) {
      expert('tcp.analysis.out_of_order', 'This frame is a (suspected) out-of-order segment', 'Warning');
      prefixes.push('[TCP Out-Of-Order] ');
    }
    if (f & TA.LOST_PACKET) {
      expert('tcp.analysis.lost_segment', 'Previous segment(s) not captured (common at capture start)', 'Warning');
      prefixes.push('[TCP Previous segment not captured] ');
    }
    if (f & TA.ACK_LOST_PACKET) {
      expert('tcp.analysis.ack_lost_segment', "ACKed segment that wasn't captured (common at capture start)", 'Warning');
      prefixes.push('[TCP ACKed unseen segment] ');
    }
    if (f & TA.WINDOW_UPDATE) {
      expert('tcp.analysis.window_update', 'TCP window update', 'Chat');
      prefixes.push('[TCP Window Update] ');
    }
    if (f & TA.WINDOW_FULL) {
      expert('tcp.analysis.window_full', 'TCP window specified by the receiver is now completely full', 'Warning');
      prefixes.push('[TCP Window Full] ');
    }
    if (f & TA.KEEP_ALIVE) {
      expert('tcp.analysis.keep_alive', 'TCP keep-alive segment', 'Note');
      prefixes.push('[TCP Keep-Alive] ');
    }
    if (f & TA.KEEP_ALIVE_ACK) {
      expert('tcp.analysis.keep_alive_ack', 'ACK to a TCP keep-alive segment', 'Note');
      prefixes.push('[TCP Keep-Alive ACK] ');
    }
    if (a.dupAckNum !== 0) {
      if (f & TA.DUPLICATE_ACK) {
        flagKids.push(noneField('tcp.analysis.duplicate_ack', 'This is a TCP duplicate ack', 0, 0, { generated: true, text: '[This is a TCP duplicate ack]' }));
        prefixes.push(`[TCP Dup ACK ${a.dupAckFrame}#${a.dupAckNum}] `);
      }
      afterFlags.push(
        uintDec('tcp.analysis.duplicate_ack_num', 'Duplicate ACK #', a.dupAckNum, 0, 0, { generated: true, text: `[Duplicate ACK #: ${a.dupAckNum}]` }),
        uintDec('tcp.analysis.duplicate_ack_frame', 'Duplicate to the ACK in frame', a.dupAckFrame, 0, 0, {
          generated: true,
          text: `[Duplicate to the ACK in frame: ${a.dupAckFrame}]`,
          children: [expertField('tcp.analysis.duplicate_ack', `Duplicate ACK (#${a.dupAckNum})`, 'Note', 'Sequence', offset, 0)],
        }),
      );
    }
    if (f & TA.ZERO_WINDOW_PROBE) {
      expert('tcp.analysis.zero_window_probe', 'TCP Zero Window Probe', 'Note');
      prefixes.push('[TCP ZeroWindowProbe] ');
    }
    if (f & TA.ZERO_WINDOW) {
      expert('tcp.analysis.zero_window', 'TCP Zero Window segment', 'Warning');
      prefixes.push('[TCP ZeroWindow] ');
    }
    if (f & TA.ZERO_WINDOW_PROBE_ACK) {
      expert('tcp.analysis.zero_window_probe_ack', 'ACK to a TCP Zero Window Probe', 'Note');
      prefixes.push('[TCP ZeroWindowProbeAck] ');
    }
    children.push(
      noneField('tcp.analysis.flags', 'TCP Analysis Flags', 0, 0, { generated: true, text: '[TCP Analysis Flags]', children: flagKids }),
      ...afterFlags,
    );
  }
  const field = noneField('tcp.analysis', 'SEQ/ACK analysis', 0, 0, { generated: true, text: '[SEQ/ACK analysis]', children });
  // Each verdict is prepended to the Info column, so the last one printed comes first.
  return { field, prefix: prefixes.reverse().join('') };
}

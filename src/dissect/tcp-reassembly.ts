// TCP stream reassembly for the dissector, the way Wireshark's TCP "desegment" serves a protocol above
// it (tcp_dissect_pdus): per TCP stream and direction, in sequence order, an application protocol
// says how long the PDU at the head of the stream is, and each segment yields
//   - the PDU it completes that began in earlier segments (shown on this frame with the list of
//     segments it came from: Wireshark's "[N Reassembled TCP Segments (L bytes): #a(x), #b(y)]"),
//   - the whole PDUs that lie inside it,
//   - the start of a PDU it does not complete (kept until its end arrives), or
//   - a continuation: the whole segment is the middle of a PDU ("[TCP segment of a reassembled PDU]").
//
// When a PDU's length is not known from the bytes held (its header was split), the next segment is
// taken whole and every whole PDU in the result is handed out from the reassembled bytes, as
// Wireshark's DESEGMENT_ONE_MORE_SEGMENT does; the segment list then ends with the last whole PDU.
//
// Memory is bounded: at most one unfinished PDU per direction, at most `maxPduBytes` long (longer ones
// are given up and their bytes shown as opaque), at most `maxFlows` directions with their state and at
// most `maxBufferedBytes` held over all of them (the least recently used directions are dropped first).
// Bytes already seen (an overlapping retransmission) are skipped; a hole in the middle of an unfinished
// PDU (a lost segment) means that PDU is never complete, as in Wireshark without out-of-order
// reassembly, and the stream resumes at the PDU boundary after it.

/**
 * How long the PDU at the head of `head` is, header included: > 0 its length, 0 when more bytes are
 * needed to tell, < 0 when the bytes are not a PDU of this protocol (the rest of the segment is
 * opaque to it).
 */
export type PduLengthFn = (head: Uint8Array) => number;

/** A piece of a reassembled PDU: which frame, and where in the PDU its bytes go. */
export interface SegmentPiece {
  frame: number;
  /** Offset in the reassembled PDU. */
  offset: number;
  length: number;
}

/** A byte range inside the current frame. */
export interface FrameRange {
  offset: number;
  length: number;
}

/** A PDU this segment completed that began in earlier segments. */
export interface ReassembledPdu {
  /** The whole PDU (its own data source). */
  data: Uint8Array;
  /** Where its bytes came from, in order; the last piece is this frame's. */
  segments: SegmentPiece[];
  /** The bytes of this frame that end it. */
  tail: FrameRange;
  /** The protocol said the bytes are not a PDU after all (kept as opaque). */
  opaque: boolean;
  /**
   * The whole PDUs in `data` (offsets in `data`): one, or, when the first PDU's length was not known
   * until this segment (its header was split), every whole PDU of the held bytes and the whole
   * segment, as Wireshark then reassembles the entire segment.
   */
  pdus: FrameRange[];
  /** In that case, the start of a PDU at the end of `data` that continues in later segments. */
  partial?: FrameRange;
  /** Or bytes at the end of `data` that are no PDU of the protocol. */
  opaqueTail?: FrameRange;
}

/** What the segment holds from a PDU boundary on (a fresh call of the protocol, in Wireshark's terms). */
export interface FreshRun {
  /** Where the run starts in the frame. */
  offset: number;
  /** Whole PDUs inside this segment, in order. */
  pdus: FrameRange[];
  /** The start of a PDU that continues in later segments. */
  partial?: FrameRange;
  /** Bytes the protocol did not recognise as a PDU (or a PDU too long to hold). */
  opaque?: FrameRange;
}

export interface SegmentOutcome {
  reassembled?: ReassembledPdu;
  fresh?: FreshRun;
  /** The segment only continues an unfinished PDU (all of its new bytes). */
  continuation?: FrameRange;
  /**
   * With a continuation: the PDU's bytes so far, when the protocol was asked about them again on this
   * segment (its length was not known before it) and still wants more.
   */
  retriedHead?: Uint8Array;
  /** Bytes at the start of the segment that were already seen and are skipped. */
  skipped: number;
}

export interface TcpSegmentIn {
  /** The capture's frame number (for the segment list). */
  frame: number;
  /** Raw sequence number of the first payload byte. */
  seq: number;
  /** The frame bytes, and where the payload lies in them. */
  frameBytes: Uint8Array;
  payloadOffset: number;
  payloadLength: number;
}

export interface ReassemblyLimits {
  maxPduBytes?: number;
  maxFlows?: number;
  maxBufferedBytes?: number;
}

interface Pending {
  startSeq: number;
  /** Total PDU length once known, else 0. */
  total: number;
  parts: Uint8Array[];
  pieces: SegmentPiece[];
  have: number;
  /** Bytes held in `parts` (0 once broken). */
  held: number;
  /** A hole: the PDU cannot complete; bytes up to startSeq + total are passed over. */
  broken: boolean;
}

interface FlowState {
  /** Sequence number after the last byte taken, once a segment was seen. */
  nextSeq: number | undefined;
  pending: Pending | undefined;
}

const gt = (a: number, b: number): boolean => ((a - b) | 0) > 0;

/** A direction of a stream as the caller names it (a string, or a number it packs itself). */
export type FlowKey = string | number;

/** Reassembles the TCP streams of one capture for one application protocol at a time per direction. */
export class TcpReassembler {
  readonly maxPduBytes: number;
  readonly maxFlows: number;
  readonly maxBufferedBytes: number;
  private readonly flows = new Map<FlowKey, FlowState>();
  private buffered = 0;

  constructor(limits: ReassemblyLimits = {}) {
    this.maxPduBytes = limits.maxPduBytes ?? 65540;
    this.maxFlows = limits.maxFlows ?? 4096;
    this.maxBufferedBytes = limits.maxBufferedBytes ?? 32 * 1024 * 1024;
  }

  /** Bytes held in unfinished PDUs over all directions. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Directions with state. */
  get flowCount(): number {
    return this.flows.size;
  }

  /** True when the direction has an unfinished PDU waiting for more bytes. */
  hasPending(flow: FlowKey): boolean {
    return this.flows.get(flow)?.pending !== undefined;
  }

  /**
   * Ends a direction's unfinished PDU of unknown length at the sender's FIN (Wireshark's
   * DESEGMENT_UNTIL_FIN): its bytes so far as a PDU, the FIN frame last in the segment list.
   */
  finish(flow: FlowKey, frame: number): ReassembledPdu | undefined {
    const st = this.flows.get(flow);
    const p = st?.pending;
    if (st === undefined || p === undefined || p.broken || p.total !== 0 || p.have === 0) return undefined;
    const data = concat(p.parts, p.held);
    const segments = [...p.pieces, { frame, offset: data.length, length: 0 }];
    this.drop(st);
    return { data, segments, tail: { offset: 0, length: 0 }, opaque: false, pdus: [{ offset: 0, length: data.length }] };
  }

  /** Forgets a direction (a new connection on the same ports). */
  reset(flow: FlowKey): void {
    const st = this.flows.get(flow);
    if (st !== undefined) this.drop(st);
    this.flows.delete(flow);
  }

  /** Feeds one segment of direction `flow` (a key the caller chooses) and says what it holds. */
  segment(flow: FlowKey, seg: TcpSegmentIn, pduLength: PduLengthFn): SegmentOutcome {
    const out: SegmentOutcome = { skipped: 0 };
    const len = Math.max(0, Math.min(seg.payloadLength, seg.frameBytes.length - seg.payloadOffset));
    if (len === 0) return out;
    const st = this.touch(flow);
    const payload = seg.frameBytes.subarray(seg.payloadOffset, seg.payloadOffset + len);
    let off = 0;
    let seq = seg.seq >>> 0;
    // Bytes this direction already delivered are skipped (an overlapping retransmission).
    if (st.nextSeq !== undefined && gt(st.nextSeq, seq)) {
      const skip = Math.min((st.nextSeq - seq) >>> 0, len);
      off += skip;
      seq = (seq + skip) >>> 0;
      out.skipped = skip;
      if (off >= len) return out;
    }
    const p = st.pending;
    if (p !== undefined && seq !== (p.startSeq + p.have) >>> 0) {
      // A hole before this segment: the unfinished PDU can never be whole.
      if (p.total > 0) this.breakPending(p);
      else this.drop(st);
    }
    const q = st.pending;
    if (q?.broken) {
      // Pass over the rest of the PDU that cannot complete; the stream resumes after it.
      const end = (q.startSeq + q.total) >>> 0;
      const inside = gt(end, seq) ? Math.min((end - seq) >>> 0, len - off) : 0;
      if (inside > 0) {
        out.continuation = { offset: seg.payloadOffset + off, length: inside };
        off += inside;
        seq = (seq + inside) >>> 0;
      }
      if (!gt(end, seq)) this.drop(st);
      if (off >= len) {
        st.nextSeq = seq;
        return out;
      }
    } else if (q !== undefined && q.total === 0) {
      // The PDU's length was not known (its header was split): Wireshark takes the whole segment
      // into the reassembly and dissects every whole PDU of the result.
      const take = len - off;
      const tail = { offset: seg.payloadOffset + off, length: take };
      this.add(q, seg.frame, payload.subarray(off));
      const head = concat(q.parts, q.held);
      q.parts = [head];
      const n = pduLength(head);
      st.nextSeq = (seq + take) >>> 0;
      if (n < 0 || n > this.maxPduBytes || (n === 0 && q.have > this.maxPduBytes)) {
        // Not a PDU after all (or too long to hold): the held bytes end here as opaque.
        out.reassembled = { data: head, segments: q.pieces, tail, opaque: true, pdus: [] };
        this.drop(st);
        return out;
      }
      if (n === 0 || n > head.length) {
        if (n > 0) q.total = n;
        out.continuation = tail;
        out.retriedHead = head;
        this.trim();
        return out;
      }
      const held = head.length - take;
      const run = splitPdus(head, 0, head.length, pduLength, this.maxPduBytes);
      const end = run.pdus.reduce((_e, r) => r.offset + r.length, 0);
      // Wireshark lists the segments up to the end of the last whole PDU.
      q.pieces[q.pieces.length - 1].length = end - held;
      out.reassembled = { data: head, segments: q.pieces, tail, opaque: false, pdus: run.pdus };
      this.drop(st);
      if (run.opaque !== undefined) out.reassembled.opaqueTail = run.opaque;
      const rest = run.partial;
      if (rest !== undefined) {
        // What is left starts a PDU inside this segment.
        out.reassembled.partial = rest;
        const pend: Pending = {
          startSeq: (seq + (rest.offset - held)) >>> 0,
          total: pduLength(head.subarray(rest.offset)),
          parts: [],
          pieces: [],
          have: 0,
          held: 0,
          broken: false,
        };
        this.add(pend, seg.frame, head.subarray(rest.offset));
        st.pending = pend;
      }
      this.trim();
      return out;
    } else if (q !== undefined) {
      const take = Math.min(q.total - q.have, len - off);
      this.add(q, seg.frame, payload.subarray(off, off + take));
      if (q.have >= q.total) {
        const data = concat(q.parts, q.held);
        out.reassembled = {
          data,
          segments: q.pieces,
          tail: { offset: seg.payloadOffset + off, length: take },
          opaque: false,
          pdus: [{ offset: 0, length: q.total }],
        };
        off += take;
        seq = (seq + take) >>> 0;
        this.drop(st);
      } else {
        out.continuation = { offset: seg.payloadOffset + off, length: take };
        st.nextSeq = (seq + take) >>> 0;
        this.trim();
        return out;
      }
    }
    if (off < len) out.fresh = this.freshRun(st, seg, payload, off, seq, pduLength);
    else st.nextSeq = seq;
    this.trim();
    return out;
  }

  private freshRun(st: FlowState, seg: TcpSegmentIn, payload: Uint8Array, start: number, startSeq: number, pduLength: PduLengthFn): FreshRun {
    const run: FreshRun = { offset: seg.payloadOffset + start, pdus: [] };
    let p = start;
    const len = payload.length;
    while (p < len) {
      const n = pduLength(payload.subarray(p));
      if (n < 0 || n > this.maxPduBytes) {
        run.opaque = { offset: seg.payloadOffset + p, length: len - p };
        p = len;
        break;
      }
      if (n === 0 || n > len - p) {
        const pend: Pending = { startSeq: (startSeq + (p - start)) >>> 0, total: n, parts: [], pieces: [], have: 0, held: 0, broken: false };
        this.add(pend, seg.frame, payload.subarray(p));
        st.pending = pend;
        run.partial = { offset: seg.payloadOffset + p, length: len - p };
        p = len;
        break;
      }
      run.pdus.push({ offset: seg.payloadOffset + p, length: n });
      p += n;
    }
    st.nextSeq = (startSeq + (p - start)) >>> 0;
    return run;
  }

  private add(p: Pending, frame: number, bytes: Uint8Array): void {
    p.parts.push(Uint8Array.from(bytes));
    p.pieces.push({ frame, offset: p.have, length: bytes.length });
    p.have += bytes.length;
    p.held += bytes.length;
    this.buffered += bytes.length;
  }

  private breakPending(p: Pending): void {
    this.buffered -= p.held;
    p.parts = [];
    p.held = 0;
    p.broken = true;
  }

  private drop(st: FlowState): void {
    if (st.pending !== undefined) this.buffered -= st.pending.held;
    st.pending = undefined;
  }

  private touch(flow: FlowKey): FlowState {
    let st = this.flows.get(flow);
    if (st !== undefined) {
      // Most recently used last.
      this.flows.delete(flow);
    } else {
      st = { nextSeq: undefined, pending: undefined };
    }
    this.flows.set(flow, st);
    while (this.flows.size > this.maxFlows) this.evictOldest();
    return st;
  }

  private trim(): void {
    while (this.buffered > this.maxBufferedBytes && this.flows.size > 0) this.evictOldest();
  }

  private evictOldest(): void {
    const oldest = this.flows.keys().next().value as FlowKey;
    this.reset(oldest);
  }
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1 && parts[0].length === total) return parts[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The whole PDUs of one segment without reassembly (Wireshark does not desegment a segment whose
 * checksum is bad): a PDU that does not end in the segment is reported as `partial` and not kept.
 */
export function splitPdus(frameBytes: Uint8Array, payloadOffset: number, payloadLength: number, pduLength: PduLengthFn, maxPduBytes = 65540): FreshRun {
  const len = Math.max(0, Math.min(payloadLength, frameBytes.length - payloadOffset));
  const payload = frameBytes.subarray(payloadOffset, payloadOffset + len);
  const run: FreshRun = { offset: payloadOffset, pdus: [] };
  let p = 0;
  while (p < len) {
    const n = pduLength(payload.subarray(p));
    if (n < 0 || n > maxPduBytes) {
      run.opaque = { offset: payloadOffset + p, length: len - p };
      break;
    }
    if (n === 0 || n > len - p) {
      run.partial = { offset: payloadOffset + p, length: len - p };
      break;
    }
    run.pdus.push({ offset: payloadOffset + p, length: n });
    p += n;
  }
  return run;
}

// Letting go of TCP conversations that are over, so the dissector's memory follows the connections
// open at a time and not the length of the capture. A conversation ends when both sides' FINs are
// acknowledged, or at a RST; ENDED_GRACE_NS of capture time after its last packet its state shrinks
// to a tombstone: the stream index, each direction's base sequence number and window scaling, the
// timestamps and completeness stay (so tcp.stream numbering, relative numbers and Wireshark's "TCP
// Port numbers reused" on a new SYN come out exactly as with the whole state); the SEQ/ACK analysis
// state and what the protocols above kept for the stream (HTTP request matching, TLS session,
// WebSocket, heuristic claims) go.
//
// The bound: a packet of an ended conversation that comes more than ENDED_GRACE_NS after the
// conversation's previous packet (and is not a new SYN) finds a fresh SEQ/ACK analysis (Wireshark
// would still compare it with the old connection's sequence numbers) and fresh application state.
// Sixty seconds is Linux's TIME_WAIT: a FIN or final ACK retransmitted with exponential backoff
// still finds the old sequence numbers (and is flagged as tshark flags it), and past it the kernel
// itself treats the 4-tuple as free. Memory then follows the connections that ended in the last
// minute of capture time, not the length of the capture.

import type { DissectState } from '../context.ts';
import type { NsTime } from '../frame-fields.ts';
import { type AnalysisConversation, type AnalysisFlow, newAnalysisFlow } from './tcp-analysis.ts';

/** Capture time after an ended conversation's last packet before its state is let go. */
export const ENDED_GRACE_NS = 60_000_000_000;

/** What the TCP mapper keeps per conversation. */
export interface TcpConv {
  index: number;
  completeness: number;
  first: NsTime;
  prev: NsTime;
  /** Flows by direction: a is the first packet's sender. */
  a: AnalysisFlow;
  b: AnalysisFlow;
  analysis: AnalysisConversation;
  /** END_* bits. */
  end: number;
  /** Set while the conversation is a tombstone: what its flows become again on a later packet. */
  kept: Kept | undefined;
}

interface Kept {
  baseA: number | undefined;
  baseB: number | undefined;
  scaleA: number;
  scaleB: number;
}

/** FIN from a, FIN from b, RST seen, queued to be let go, let go (a tombstone). */
const END_FIN_A = 1;
const END_FIN_B = 2;
const END_RST = 4;
const END_QUEUED = 8;
const END_GONE = 16;

/** A flow no conversation owns any more (a tombstone's a and b until it is revived; never written). */
const GONE_FLOW: AnalysisFlow = Object.freeze(newAnalysisFlow()) as AnalysisFlow;

/** What the protocols above TCP keep per tcp.stream, dropped when the stream is let go. */
type StreamForgetter = (state: DissectState, stream: number) => void;
const forgetters: StreamForgetter[] = [];

/** A protocol that keeps state per tcp.stream registers here to drop it when the stream is let go. */
export function onTcpStreamForgotten(forget: StreamForgetter): void {
  forgetters.push(forget);
}

/** Ended conversations waiting for their grace to pass, oldest first (a queue over an array). */
export class EndedConversations {
  private queue: TcpConv[] = [];
  /** Capture time (ns) of each queued conversation's last packet when it was queued. */
  private times: number[] = [];
  private head = 0;
  /** Tombstones made so far (for tests and the memory bench). */
  released = 0;

  /** Conversations waiting (ended, state still whole). */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Notes a segment of `conv` (after its analysis): FINs, RSTs, and whether the conversation is over. */
  note(conv: TcpConv, forward: boolean, flags: number): void {
    let e = conv.end;
    if (flags & 0x001) e |= forward ? END_FIN_A : END_FIN_B;
    if (flags & 0x004) e |= END_RST;
    if (e !== conv.end) conv.end = e;
    if (e & END_QUEUED) return;
    const over = e & END_RST || ((e & (END_FIN_A | END_FIN_B)) === (END_FIN_A | END_FIN_B) && conv.a.segments.length === 0 && conv.b.segments.length === 0);
    if (!over) return;
    conv.end = e | END_QUEUED;
    this.queue.push(conv);
    this.times.push(nsOf(conv.prev));
  }

  /** Lets go of the conversations whose last packet is more than the grace before `now`. */
  expire(now: NsTime, state: DissectState): void {
    if (this.head === this.queue.length) return;
    const limit = nsOf(now) - ENDED_GRACE_NS;
    while (this.head < this.queue.length && this.times[this.head] < limit) {
      const conv = this.queue[this.head++];
      if ((conv.end & END_QUEUED) === 0) continue;
      const last = nsOf(conv.prev);
      if (last < limit) this.release(conv, state);
      else {
        // Packets came after the end: wait again from the latest.
        this.queue.push(conv);
        this.times.push(last);
      }
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }

  private release(conv: TcpConv, state: DissectState): void {
    conv.kept = { baseA: conv.a.baseSeq, baseB: conv.b.baseSeq, scaleA: conv.a.winScale, scaleB: conv.b.winScale };
    conv.a = GONE_FLOW;
    conv.b = GONE_FLOW;
    conv.end = END_GONE;
    this.released++;
    for (const f of forgetters) f(state, conv.index);
  }
}

const nsOf = (t: NsTime): number => t.secs * 1e9 + t.nsecs;

/** True when `conv` is a tombstone: call revive() before using its flows. */
export function isGone(conv: TcpConv): boolean {
  return (conv.end & END_GONE) !== 0;
}

/** Gives a tombstone its flows back: base sequence numbers and window scaling as they were, analysis afresh. */
export function revive(conv: TcpConv): void {
  const k = conv.kept;
  const a = newAnalysisFlow();
  const b = newAnalysisFlow();
  if (k !== undefined) {
    a.baseSeq = k.baseA;
    b.baseSeq = k.baseB;
    a.winScale = k.scaleA;
    b.winScale = k.scaleB;
  }
  conv.a = a;
  conv.b = b;
  conv.kept = undefined;
  conv.end = 0;
}

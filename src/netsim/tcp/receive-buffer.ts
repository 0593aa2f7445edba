// The receive side's memory: bytes in order that the application has not read yet, and the
// out-of-order queue, segments that arrived beyond a hole, kept sorted and merged, bounded in bytes
// (what does not fit is dropped and the peer sends it again). When the hole fills, the queued bytes
// that now follow in order move to the read queue. Duplicates and overlaps are trimmed away, so every
// byte is delivered once. The queue also gives the SACK blocks (RFC 2018) the receiver reports: the
// block holding the most recently received segment first, then the others most recent first.

import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from './seq.ts';
import type { SackBlock } from './options.ts';

interface Range {
  seq: number;
  data: Uint8Array;
  /** Order of the latest arrival touching this range (for SACK block order). */
  touched: number;
}

export interface OooResult {
  /** Bytes that were new (not already queued or delivered). */
  added: number;
  /** Bytes dropped because the out-of-order queue was full. */
  dropped: number;
}

export class ReceiveBuffer {
  private readonly ready: Uint8Array[] = [];
  private readyBytes = 0;
  private ooo: Range[] = [];
  private oooBytesHeld = 0;
  private arrivals = 0;

  constructor(
    /** Bytes the buffer may hold (read queue plus out-of-order queue): the most window ever offered. */
    readonly capacity: number,
    /** Most bytes in the out-of-order queue. */
    readonly oooLimit: number,
  ) {}

  /** Bytes in order waiting for the application. */
  get readable(): number {
    return this.readyBytes;
  }

  get oooBytes(): number {
    return this.oooBytesHeld;
  }

  /** Free space: the window to offer. */
  get space(): number {
    return Math.max(0, this.capacity - this.readyBytes - this.oooBytesHeld);
  }

  /** Space not counting the out-of-order queue (what the window's right edge is measured from). */
  get spaceInOrder(): number {
    return Math.max(0, this.capacity - this.readyBytes);
  }

  /** Appends in-order bytes (starting at RCV.NXT); returns how many were taken. */
  pushInOrder(data: Uint8Array): void {
    if (data.length === 0) return;
    this.ready.push(data);
    this.readyBytes += data.length;
  }

  /** Takes everything readable, as one array. */
  takeAll(): Uint8Array {
    const out = new Uint8Array(this.readyBytes);
    let o = 0;
    for (const c of this.ready) {
      out.set(c, o);
      o += c.length;
    }
    this.ready.length = 0;
    this.readyBytes = 0;
    return out;
  }

  /** Queues a segment that starts beyond RCV.NXT (already cut to the window). */
  addOutOfOrder(seq: number, data: Uint8Array): OooResult {
    const arrival = ++this.arrivals;
    let added = 0;
    let dropped = 0;
    // Walk the new range against the queue, keeping only the bytes no range holds yet.
    let pieces: { seq: number; data: Uint8Array }[] = [{ seq, data }];
    for (const r of this.ooo) {
      const rEnd = seqAdd(r.seq, r.data.length);
      const next: typeof pieces = [];
      for (const p of pieces) {
        const pEnd = seqAdd(p.seq, p.data.length);
        if (seqLe(pEnd, r.seq) || seqGe(p.seq, rEnd)) {
          next.push(p);
          continue;
        }
        r.touched = arrival;
        if (seqLt(p.seq, r.seq)) next.push({ seq: p.seq, data: p.data.subarray(0, seqDiff(r.seq, p.seq)) });
        if (seqGt(pEnd, rEnd)) next.push({ seq: rEnd, data: p.data.subarray(seqDiff(rEnd, p.seq)) });
      }
      pieces = next;
    }
    for (const p of pieces) {
      if (p.data.length === 0) continue;
      if (this.oooBytesHeld + p.data.length > this.oooLimit) {
        dropped += p.data.length;
        continue;
      }
      this.ooo.push({ seq: p.seq, data: Uint8Array.from(p.data), touched: arrival });
      this.oooBytesHeld += p.data.length;
      added += p.data.length;
    }
    this.ooo.sort((a, b) => seqDiff(a.seq, b.seq));
    this.merge();
    return { added, dropped };
  }

  /** Moves the queued bytes that now start at `rcvNxt` to the read queue; returns the new RCV.NXT. */
  drainInOrder(rcvNxt: number): number {
    let nxt = rcvNxt;
    while (this.ooo.length > 0) {
      const r = this.ooo[0];
      const rEnd = seqAdd(r.seq, r.data.length);
      if (seqGt(r.seq, nxt)) break;
      this.ooo.shift();
      this.oooBytesHeld -= r.data.length;
      if (seqGt(rEnd, nxt)) {
        this.pushInOrder(r.data.subarray(seqDiff(nxt, r.seq)));
        nxt = rEnd;
      }
    }
    return nxt;
  }

  /** Whether `seq` lies inside a queued range. */
  holds(seq: number): boolean {
    return this.ooo.some((r) => seqGe(seq, r.seq) && seqLt(seq, seqAdd(r.seq, r.data.length)));
  }

  /** SACK blocks: contiguous queued ranges, the most recently touched first. */
  sackBlocks(): SackBlock[] {
    const blocks: (SackBlock & { touched: number })[] = [];
    for (const r of this.ooo) {
      const last = blocks[blocks.length - 1];
      const end = seqAdd(r.seq, r.data.length);
      if (last !== undefined && last.right === r.seq) {
        last.right = end;
        last.touched = Math.max(last.touched, r.touched);
      } else blocks.push({ left: r.seq, right: end, touched: r.touched });
    }
    return blocks.sort((a, b) => b.touched - a.touched).map(({ left, right }) => ({ left, right }));
  }

  clear(): void {
    this.ready.length = 0;
    this.readyBytes = 0;
    this.ooo = [];
    this.oooBytesHeld = 0;
  }

  /** Joins adjacent ranges (keeps the list short). */
  private merge(): void {
    const out: Range[] = [];
    for (const r of this.ooo) {
      const last = out[out.length - 1];
      if (last !== undefined && seqAdd(last.seq, last.data.length) === r.seq && last.data.length + r.data.length <= 65536) {
        const joined = new Uint8Array(last.data.length + r.data.length);
        joined.set(last.data);
        joined.set(r.data, last.data.length);
        out[out.length - 1] = { seq: last.seq, data: joined, touched: Math.max(last.touched, r.touched) };
      } else out.push(r);
    }
    this.ooo = out;
  }
}
